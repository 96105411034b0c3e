/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_sink - the places audit records go: a table of operations and
 * its two implementations, audit_file.c (JSON-lines file) and
 * audit_redis.c (Redis stream).  Used by audit.c's writer thread only, so
 * a sink needs no locking; audit.c keeps the failing/working state, the
 * counters and the log lines, a sink only says what went wrong.
 *
 * write() takes a batch of complete lines (each ends with '\n') and
 * returns 0 when all were written, -1 with a reason in e otherwise; after
 * -1 the batch counts as lost and the sink must be usable for a fresh
 * attempt later (reconnect, reopen).  reopen() asks for the file to be
 * opened again by name at the next write.  free(NULL) is not called.
 *
 * The stream sink talks through the process's one Redis client (rconn.h:
 * pooled, reply size capped, one retry budget): it writes a batch as
 * pipelined XADDs in one round trip, and shares its connections with the
 * limits and abuse control when audit_redis_server and the password name
 * the same server (its own timeout, audit_redis_timeout, still applies to
 * its calls).  audit_redis_rconn() is shared with relayguardctl ("audit
 * tail"): a handle for "host:port", "[v6addr]:port", a bare "port"
 * (127.0.0.1), "unix:/path" or "/path", with the timeout for connect and
 * every call and AUTH when a password is given; -1 with the reason in e
 * (never the password).
 */
#ifndef RG_AUDIT_SINK_H
#define RG_AUDIT_SINK_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "err.h"

struct audit_line {
	char *text;	/* JSON + '\n', NUL-terminated */
	size_t len;	/* with the '\n' */
};

struct audit_sink {
	const char *kind;	/* "file" or "redis": metrics label */
	char *where;		/* path or server/stream, for log lines */
	void *state;
	int (*write)(void *state, const struct audit_line *lines, size_t n,
		     struct err *e);
	void (*reopen)(void *state);
	void (*free)(void *state);
};

struct audit_sink *audit_file_new(const char *path);
struct audit_sink *audit_redis_new(const char *server, const char *password,
				   const char *stream, unsigned long maxlen,
				   unsigned long timeout_ms);
void audit_sink_free(struct audit_sink *s);

struct rconn;
int audit_redis_rconn(const char *server, const char *password,
		      unsigned long timeout_ms, struct rconn **out,
		      struct err *e);

#endif
