/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * workq - a bounded queue of work items and the one thread that handles
 * them, in order, off the caller's path.  The background writers are
 * built on it: the audit trail's (records to a file and a Redis stream),
 * abuse control's (reputation notes, quota warnings) and the store's
 * settler (limit counts whose reply was lost).
 *
 * workq_put() never waits: it queues the item and wakes the thread, or
 * says false when the queue is full or stopping (the caller still owns
 * the item and counts it as dropped).  The thread calls handle(arg,
 * items, n) with up to batch items taken from the front (n is 0 when the
 * queue was only kicked: workq_kick() lets the owner pass other news, such
 * as new settings, which handle() then picks up under the owner's own
 * lock); handle() owns the items it is given.  workq_flush() waits until
 * everything queued before it has been handled.  workq_free() lets the
 * thread work for at most timeout_ms, gives what is still queued to
 * drop(arg, item), stops and joins the thread, and returns how many
 * items were dropped.  workq_resize() keeps the newest items that fit.
 *
 * Thread-safe: any thread may put, kick, flush or ask the length; one
 * owner makes and frees the queue.  workq_free(NULL) returns 0.
 */
#ifndef RG_WORKQ_H
#define RG_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

typedef void workq_handle_fn(void *arg, void **items, size_t n);
typedef void workq_drop_fn(void *arg, void *item);

struct workq;

struct workq *workq_new(size_t cap, size_t batch, workq_handle_fn *handle,
			workq_drop_fn *drop, void *arg, const char **why);
bool workq_put(struct workq *q, void *item);
void workq_kick(struct workq *q);
int workq_flush(struct workq *q, unsigned long timeout_ms);
size_t workq_len(struct workq *q);
unsigned long workq_resize(struct workq *q, size_t cap);
unsigned long workq_free(struct workq *q, unsigned long timeout_ms);

#endif
