/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_server - relayguard-policyd's event loop (libev).
 *
 * One thread runs the loop: it accepts connections, reads requests with
 * policy_req, writes replies and keeps the timers.  Each complete request
 * goes to the worker pool (policy_pool), where policy_decide() asks the
 * engine, which may block on DNS or Redis; the loop goes on serving every
 * other connection meanwhile.  A connection has at most one request at a
 * worker: it is not read from until that reply is written, so pipelined
 * requests are answered in order and a client cannot queue work.
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

#include "config.h"
#include "err.h"
#include "policy_sock.h"

/* Seconds requests at a worker get to finish after SIGTERM. */
#define POLICY_SERVER_GRACE 10

struct policy_server;

struct policy_server *policy_server_new(struct config *cfg,
					const char *conf_path,
					struct policy_sock *sock,
					struct err *e);
int policy_server_run(struct policy_server *s);
void policy_server_free(struct policy_server *s);

#endif
