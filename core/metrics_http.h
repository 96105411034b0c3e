/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http - a tiny HTTP/1.0 server for Prometheus: GET or HEAD
 * /metrics answers 200 with metrics_render(); any other path 404, any
 * other method 405, a malformed request 400, a request head longer than
 * METRICS_HTTP_REQUEST_MAX bytes 431.  Up to METRICS_HTTP_CONN_MAX
 * connections are served at once by one thread (poll), each closed after
 * its answer and each with its own deadline: a client must send its
 * request head and take the answer within the timeout (5 s from
 * relayguard) or is disconnected without an answer.  An idle or slow
 * client therefore holds one connection slot, never another scrape; with
 * every slot held, a new client waits in the listen queue until the first
 * deadline frees one.
 *
 * metrics_http_parse() is the whole request parser (pure, no I/O; a fuzz
 * target).  It looks only at the request line; header lines are skipped
 * up to the empty line.  A query string after /metrics is ignored.
 *
 * metrics_http_start() binds (before privileges are dropped), starts the
 * thread and logs where it listens; metrics_http_stop() ends it and the
 * connections in progress.  Both from one control thread.  Errors come
 * back in struct err.
 */
#ifndef RG_METRICS_HTTP_H
#define RG_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "hostport.h"
#include "strbuf.h"

#define METRICS_HTTP_REQUEST_MAX 4096
#define METRICS_HTTP_TIMEOUT_MS 5000
#define METRICS_HTTP_CONN_MAX 16	/* connections served at once */

enum metrics_http_result {
	METRICS_HTTP_INCOMPLETE,	/* no empty line yet: read more */
	METRICS_HTTP_METRICS,		/* GET or HEAD /metrics */
	METRICS_HTTP_NOT_FOUND,		/* 404 */
	METRICS_HTTP_BAD_METHOD,	/* 405 */
	METRICS_HTTP_BAD_REQUEST,	/* 400 */
	METRICS_HTTP_TOO_LARGE,		/* 431 */
};

enum metrics_http_result metrics_http_parse(const char *buf, size_t len,
					    bool *head);
int metrics_http_response(enum metrics_http_result r, bool head,
			  struct strbuf *out);
int metrics_http_start(const struct hostport *hp, unsigned long timeout_ms,
		       struct err *e);
unsigned metrics_http_port(void);
void metrics_http_stop(void);

#endif
