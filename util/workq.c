/* SPDX-License-Identifier: BSD-2-Clause */
#include "workq.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tspec.h"
#include "xalloc.h"

struct workq {
	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t wake;		/* the thread: work or news */
	pthread_cond_t idle;		/* flushers: the thread is idle */
	void **items;			/* ring of cap */
	size_t cap;
	size_t head;
	size_t count;
	size_t batch;
	bool kicked;
	bool busy;
	bool stopping;
	pthread_t thread;
	workq_handle_fn *handle;
	workq_drop_fn *drop;
	void *arg;
};

/* workq_thread - take batches from the front until told to stop */
static void *
workq_thread(void *p)
{
	struct workq *q = p;
	void **batch = xcalloc(q->batch, sizeof(*batch));
	size_t n;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->stopping && q->count == 0 && !q->kicked)
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->stopping && q->count == 0)
			break;
		q->kicked = false;
		for (n = 0; n < q->batch && q->count > 0; n++) {
			batch[n] = q->items[q->head];
			q->head = (q->head + 1) % q->cap;
			q->count--;
		}
		q->busy = true;
		pthread_mutex_unlock(&q->lock);
		q->handle(q->arg, batch, n);
		pthread_mutex_lock(&q->lock);
		q->busy = false;
		if (q->count == 0)
			pthread_cond_broadcast(&q->idle);
	}
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
	free(batch);
	return NULL;
}

/* workq_new - a queue of cap items and its thread; NULL with why set when
 * the thread cannot start */
struct workq *
workq_new(size_t cap, size_t batch, workq_handle_fn *handle,
	  workq_drop_fn *drop, void *arg, const char **why)
{
	struct workq *q = xcalloc(1, sizeof(*q));
	int rc;

	q->cap = cap > 0 ? cap : 1;
	q->batch = batch > 0 ? batch : 1;
	q->items = xcalloc(q->cap, sizeof(*q->items));
	q->handle = handle;
	q->drop = drop;
	q->arg = arg;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	pthread_cond_init(&q->idle, NULL);
	rc = pthread_create(&q->thread, NULL, workq_thread, q);
	if (rc != 0) {
		if (why != NULL)
			*why = strerror(rc);
		pthread_cond_destroy(&q->idle);
		pthread_cond_destroy(&q->wake);
		pthread_mutex_destroy(&q->lock);
		free(q->items);
		free(q);
		return NULL;
	}
	return q;
}

/* workq_put - queue an item; false when full or stopping (not taken) */
bool
workq_put(struct workq *q, void *item)
{
	bool ok = false;

	pthread_mutex_lock(&q->lock);
	if (!q->stopping && q->count < q->cap) {
		q->items[(q->head + q->count) % q->cap] = item;
		q->count++;
		ok = true;
		pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* workq_kick - wake the thread for the owner's news (handle with n 0) */
void
workq_kick(struct workq *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicked = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
}

/* workq_flush - wait until what is queued (and any kick) is handled; -1
 * after timeout_ms */
int
workq_flush(struct workq *q, unsigned long timeout_ms)
{
	struct timespec until = tspec_after(CLOCK_REALTIME, timeout_ms);
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	while (q->count > 0 || q->busy || q->kicked) {
		if (pthread_cond_timedwait(&q->idle, &q->lock, &until) ==
		    ETIMEDOUT) {
			rc = -1;
			break;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* workq_len - items waiting */
size_t
workq_len(struct workq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* workq_resize - room for cap items, keeping the newest; the number of
 * older items given to drop() */
unsigned long
workq_resize(struct workq *q, size_t cap)
{
	unsigned long dropped = 0;
	void **items;
	size_t i;

	if (cap == 0)
		cap = 1;
	pthread_mutex_lock(&q->lock);
	if (cap == q->cap) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	while (q->count > cap) {
		q->drop(q->arg, q->items[q->head]);
		q->head = (q->head + 1) % q->cap;
		q->count--;
		dropped++;
	}
	items = xcalloc(cap, sizeof(*items));
	for (i = 0; i < q->count; i++)
		items[i] = q->items[(q->head + i) % q->cap];
	free(q->items);
	q->items = items;
	q->cap = cap;
	q->head = 0;
	pthread_mutex_unlock(&q->lock);
	return dropped;
}

/* workq_free - handle what is queued for at most timeout_ms, drop the
 * rest, stop the thread; the number dropped */
unsigned long
workq_free(struct workq *q, unsigned long timeout_ms)
{
	unsigned long dropped = 0;

	if (q == NULL)
		return 0;
	(void)workq_flush(q, timeout_ms);
	pthread_mutex_lock(&q->lock);
	while (q->count > 0) {
		q->drop(q->arg, q->items[q->head]);
		q->head = (q->head + 1) % q->cap;
		q->count--;
		dropped++;
	}
	q->stopping = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	(void)pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->idle);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q->items);
	free(q);
	return dropped;
}
