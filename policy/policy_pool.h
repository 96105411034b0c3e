/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_pool - a fixed set of worker threads for the blocking part of a
 * decision (SPF's DNS lookups, Redis calls), so the event loop never waits.
 *
 * The loop submits jobs; a free worker runs job->run(job) and puts the
 * job on a done list; when that list stops being empty the pool calls the
 * notify function (from the worker thread: it must only wake the loop,
 * e.g. ev_async_send).  The loop then takes the whole done list at once
 * with policy_pool_take_done() and finishes each job.  Jobs are owned by
 * the caller (embedded in its own structs, so nothing is allocated per
 * job); the pool only links them.  The queue is not bounded here: the
 * caller has at most one job per connection.  submit/take_done are
 * thread-safe (one mutex for each list); new/free are for one thread.
 */
#ifndef RG_POLICY_POOL_H
#define RG_POLICY_POOL_H

#include <stddef.h>

#include "err.h"

struct policy_job;
typedef void policy_job_fn(struct policy_job *job);
typedef void policy_pool_notify_fn(void *arg);

struct policy_job {
	struct policy_job *next;	/* the pool's link */
	policy_job_fn *run;		/* runs on a worker thread */
};

struct policy_pool;

struct policy_pool *policy_pool_new(unsigned nthreads,
				    policy_pool_notify_fn *notify, void *arg,
				    struct err *e);
void policy_pool_submit(struct policy_pool *p, struct policy_job *job);
struct policy_job *policy_pool_take_done(struct policy_pool *p);
size_t policy_pool_pending(struct policy_pool *p);
void policy_pool_free(struct policy_pool *p);

#endif
