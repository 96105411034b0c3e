/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_pool - a fixed set of worker threads for the blocking part of a
 * decision (SPF's DNS lookups, Redis calls), so the event loop never waits.
 *
 * policy_pool_submit() hands a job to an idle worker at once, or queues
 * it for the next worker that finishes; a worker runs job->run(job), which
 * does everything the job needs, reply included (the pool knows nothing
 * of completion).  The hand-off is built for a hot path: idle workers form
 * a stack, so the one that finished last (its cache still warm) takes the
 * next job; each has its own semaphore, so one job wakes one thread; a
 * worker that finds queued work after a job takes it without sleeping.
 * One mutex guards the stack and the queue and is held for a few pointer
 * moves.  Jobs are owned by the caller (embedded in its own structs, so
 * nothing is allocated per job); the queue is not bounded here: the caller
 * has at most one job per connection.  submit is thread-safe; new and free
 * are for one thread.  policy_pool_free() lets queued jobs finish first.
 */
#ifndef RG_POLICY_POOL_H
#define RG_POLICY_POOL_H

#include "err.h"

struct policy_job;
typedef void policy_job_fn(struct policy_job *job);

struct policy_job {
	struct policy_job *next;	/* the pool's link */
	policy_job_fn *run;		/* runs on a worker thread */
};

struct policy_pool;

struct policy_pool *policy_pool_new(unsigned nthreads, struct err *e);
void policy_pool_submit(struct policy_pool *p, struct policy_job *job);
void policy_pool_free(struct policy_pool *p);

#endif
