/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_redis - the event loop's own Redis pipe for the limit calls of
 * decisions running in fibers (policy_fibers.h, rconn.h "divert").
 *
 * A limit call made in a fiber is appended to the pipe of its server and
 * the fiber sleeps.  Just before the loop waits for events again, every
 * call appended in this loop iteration goes out in one write, on one
 * connection lent by rconn's pool (non-blocking); the replies are read as
 * they come, in order, and each fiber is resumed with its own.  The pipe
 * is given back to the pool when no reply is owed.
 *
 * Faults end as in rconn's own batches: a call older than its handle's
 * command timeout fails the pipe (every call written and unanswered fails
 * with maybe_ran, the server backs off); a connection that dies before
 * its first reply (a restarted server) sends its calls again one at a
 * time at a worker, marked written_before; an error reply (NOSCRIPT, a
 * module that is not loaded, ...) sends only that call again at a worker.
 * Calls not yet written when a pipe fails go the usual way too.  Cluster
 * servers, a server in back-off and a pool with no idle connection are not
 * taken (RCONN_DIVERT_NO: the call runs at a worker).
 */
#ifndef RG_POLICY_REDIS_H
#define RG_POLICY_REDIS_H

#include <ev.h>

#include "policy_fibers.h"

struct policy_redis;

struct policy_redis *policy_redis_new(struct ev_loop *loop,
				      struct policy_fibers *fs);
void policy_redis_free(struct policy_redis *pr);

#endif
