/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_fibers - decisions run on the event loop's thread, each in a
 * fiber (fiber.h), so a decision that waits costs no thread: a Redis call
 * of the limits goes out on the loop's own connection with the others of
 * the same loop iteration (policy_redis.h) and the fiber sleeps until its
 * reply; blocking work of any other kind (an SPF check, an rconn call
 * that is not pipelined, a pause) runs on the worker pool while the fiber
 * sleeps, and the loop resumes it when the worker is done.
 *
 * policy_fibers_go() starts fn(arg) in an idle fiber (or a new one) and
 * returns when it finished or sleeps; false when no fiber can be had (no
 * memory for a stack): the caller then runs the job on the pool.  The
 * fibers of a sleeping decision are resumed only from loop callbacks.
 * policy_fibers_resume() is for the loop's own wake-ups (policy_redis).
 * At most 128 finished fibers are kept for the next decisions; the stacks
 * of a larger burst are given back as its decisions end.
 * Everything here is for the loop's thread, except the workers' hand-back
 * (a locked list and an ev_async).
 */
#ifndef RG_POLICY_FIBERS_H
#define RG_POLICY_FIBERS_H

#include <stdbool.h>

#include <ev.h>

#include "fiber.h"
#include "policy_pool.h"

struct policy_fibers;

struct policy_fibers *policy_fibers_new(struct ev_loop *loop,
					struct policy_pool *pool);
bool policy_fibers_go(struct policy_fibers *fs, fiber_fn *fn, void *arg);
void policy_fibers_resume(struct policy_fibers *fs, struct fiber *f);
unsigned long policy_fibers_waiting(const struct policy_fibers *fs);
unsigned long policy_fibers_idle(const struct policy_fibers *fs);
void policy_fibers_free(struct policy_fibers *fs);

#endif
