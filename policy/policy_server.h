/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_server - relayguard-policyd's event loop (libev).
 *
 * One thread runs the loop: it accepts connections, reads requests with
 * policy_req and keeps the timers.  Each complete request goes to the
 * worker pool (policy_pool), where policy_decide() asks the engine, which
 * may block on DNS or Redis; the loop goes on serving every other
 * connection meanwhile.  The worker sends the reply itself, so the usual
 * request wakes the loop once (for its bytes) and one worker; the worker
 * hands the connection back to the loop only when the loop asked for it
 * (bytes or EOF came while it was busy, or a stop).  A connection has at
 * most one request at a worker: pipelined requests wait in its buffer and
 * are answered in order, and a client cannot queue work.
 *
 * libev rather than libevent: the loop needs only io, timer and async
 * watchers, and libev gives them with less code per event and an
 * ev_async that costs a write only when the loop sleeps; libevent's
 * buffered events would copy every request once more.  (hiredis has
 * adapters for both; the engine calls Redis synchronously on the workers.)
 *
 * Limits: policy_max_connections (more are closed at once, with a warning
 * at most once a second), policy_idle_timeout between requests,
 * policy_request_timeout from the first byte of a request to its empty
 * line, and the request reader's line, attribute and size limits.  A
 * protocol error or timeout is logged and the connection closed without a
 * reply, as SMTPD_POLICY_README asks; nothing else is affected.
 *
 * Signals are taken by a thread of their own (sigwaitinfo): SIGHUP builds
 * a new configuration generation (a bad file is logged and the running one
 * kept; requests at a worker keep the generation they started with);
 * SIGTERM and SIGINT stop accepting, close idle connections, let requests
 * at a worker finish and answer (at most POLICY_SERVER_GRACE seconds), then
 * return from policy_server_run().  The caller blocks SIGHUP, SIGTERM and
 * SIGINT in every thread (before policy_server_new) and ignores SIGPIPE.
 */
#ifndef RG_POLICY_SERVER_H
#define RG_POLICY_SERVER_H

#include "generation.h"
#include "err.h"
#include "policy_sock.h"

/* Seconds requests at a worker get to finish after SIGTERM. */
#define POLICY_SERVER_GRACE 10

struct policy_server;

struct policy_server *policy_server_new(struct generation *cfg,
					const char *conf_path,
					struct policy_sock *sock,
					struct err *e);
int policy_server_run(struct policy_server *s);
void policy_server_free(struct policy_server *s);

#endif
