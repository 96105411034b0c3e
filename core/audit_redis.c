/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_redis - the Redis stream sink (see audit_sink.h, audit.h) on the
 * process's one Redis client (rconn.h), and the handle relayguardctl's
 * "audit tail" reads the stream with.
 */
#include "audit_sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostport.h"
#include "rconn.h"
#include "str.h"
#include "xalloc.h"

struct audit_redis {
	char *server;
	char *password;
	char *stream;
	char maxlen[24];	/* "" when not trimmed */
	unsigned long timeout_ms;
	struct rconn *rc;	/* made at the first write */
};

/* audit_redis_rconn - a handle on the Redis of audit_redis_server (a bare
 * PORT is 127.0.0.1:PORT, as for every endpoint setting), AUTH with the
 * password, timeout_ms for connect and each call; shared with the limits'
 * connections when it is the same server (see header) */
int
audit_redis_rconn(const char *server, const char *password,
		  unsigned long timeout_ms, struct rconn **out, struct err *e)
{
	struct rconn_opts o;
	struct hostport hp;
	char addr[HOSTPORT_HOST_MAX + HOSTPORT_PATH_MAX + 16];
	struct err ce;

	if (hostport_parse(server, "127.0.0.1", true, &hp, e) < 0)
		return -1;
	if (hp.is_unix)
		(void)str_format(addr, sizeof(addr), "unix:%s", hp.path);
	else if (strchr(hp.host, ':') != NULL)
		(void)str_format(addr, sizeof(addr), "[%s]:%u", hp.host,
				 hp.port);
	else
		(void)str_format(addr, sizeof(addr), "%s:%u", hp.host, hp.port);
	memset(&o, 0, sizeof(o));
	o.mode = RCONN_STANDALONE;
	o.server = addr;
	o.password = password != NULL ? password : "";
	o.user = "";
	o.timeout_ms = (unsigned)timeout_ms;
	o.connect_timeout_ms = (unsigned)timeout_ms;
	o.pool_size = 1;
	if (rconn_new(&o, out, &ce) < 0) {
		err_set(e, "redis %s: %s", server, ce.text);
		return -1;
	}
	return 0;
}

/* audit_redis_write - XADD every line, pipelined, one round trip */
static int
audit_redis_write(void *state, const struct audit_line *lines, size_t n,
		  struct err *e)
{
	struct audit_redis *rs = state;
	struct rconn_req *qs;
	const char **av;
	size_t *lens;
	size_t i;
	int argc = rs->maxlen[0] != '\0' ? 8 : 5;
	int rc = 0;

	err_clear(e);
	if (rs->rc == NULL &&
	    audit_redis_rconn(rs->server, rs->password, rs->timeout_ms,
			      &rs->rc, e) < 0)
		return -1;
	qs = xcalloc(n, sizeof(*qs));
	av = xcalloc(n * 8, sizeof(*av));
	lens = xcalloc(n * 8, sizeof(*lens));
	for (i = 0; i < n; i++) {
		const char **a = av + 8 * i;
		size_t *l = lens + 8 * i;
		int k = 0;

		a[k] = "XADD";
		l[k++] = 4;
		a[k] = rs->stream;
		l[k++] = strlen(rs->stream);
		if (rs->maxlen[0] != '\0') {
			a[k] = "MAXLEN";
			l[k++] = 6;
			a[k] = "~";	/* whole nodes: cheap trimming */
			l[k++] = 1;
			a[k] = rs->maxlen;
			l[k++] = strlen(rs->maxlen);
		}
		a[k] = "*";
		l[k++] = 1;
		a[k] = "json";
		l[k++] = 4;
		a[k] = lines[i].text;
		l[k++] = lines[i].len - 1;	/* no '\n' */
		qs[i].slot = -1;
		qs[i].argc = argc;
		qs[i].argv = a;
		qs[i].lens = l;
	}
	if (rconn_pipeline(rs->rc, -1, qs, n, e) < 0)
		rc = -1;
	/* every reply read (the connection stays in step); the first
	 * problem is the one reported */
	for (i = 0; i < n; i++) {
		redisReply *r = qs[i].reply;

		if (r == NULL)
			continue;
		if (r->type != REDIS_REPLY_STRING && rc == 0) {
			if (r->type == REDIS_REPLY_ERROR)
				err_set(e, "redis %s: XADD %s: %.200s",
					rs->server, rs->stream, r->str);
			else
				err_set(e, "redis %s: XADD %s: unexpected "
					   "reply type %d", rs->server,
					rs->stream, r->type);
			rc = -1;
		}
		freeReplyObject(r);
	}
	free(qs);
	free(av);
	free(lens);
	return rc;
}

/* audit_redis_reopen - nothing to reopen for a stream */
static void
audit_redis_reopen(void *state)
{
	(void)state;
}

/* audit_redis_free - drop the handle and release */
static void
audit_redis_free(void *state)
{
	struct audit_redis *rs = state;

	rconn_free(rs->rc);
	free(rs->server);
	if (rs->password != NULL) {
		explicit_bzero(rs->password, strlen(rs->password));
		free(rs->password);
	}
	free(rs->stream);
	free(rs);
}

/* audit_redis_new - a stream sink; its handle is made at the first write */
struct audit_sink *
audit_redis_new(const char *server, const char *password, const char *stream,
		unsigned long maxlen, unsigned long timeout_ms)
{
	struct audit_sink *s = xcalloc(1, sizeof(*s));
	struct audit_redis *rs = xcalloc(1, sizeof(*rs));
	char where[1024];

	rs->server = xstrdup(server);
	rs->password = xstrdup(password != NULL ? password : "");
	rs->stream = xstrdup(stream);
	if (maxlen > 0)
		(void)str_format(rs->maxlen, sizeof(rs->maxlen), "%lu", maxlen);
	rs->timeout_ms = timeout_ms;
	(void)snprintf(where, sizeof(where), "redis %s stream %s", server,
		       stream);
	s->kind = "redis";
	s->where = xstrdup(where);
	s->state = rs;
	s->write = audit_redis_write;
	s->reopen = audit_redis_reopen;
	s->free = audit_redis_free;
	return s;
}
