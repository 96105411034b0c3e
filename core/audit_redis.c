/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_redis - the Redis stream sink (see audit_sink.h, audit.h), and
 * the connect helper relayguardctl shares.
 */
#include "audit_sink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "hostport.h"
#include "str.h"
#include "xalloc.h"

struct audit_redis {
	char *server;
	char *password;
	char *stream;
	char maxlen[24];	/* "" when not trimmed */
	unsigned long timeout_ms;
	redisContext *c;
};

/* audit_redis_tv - milliseconds as a timeval */
static struct timeval
audit_redis_tv(unsigned long ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* audit_redis_connect - connect, set the timeout, AUTH (see header) */
redisContext *
audit_redis_connect(const char *server, const char *password,
		    unsigned long timeout_ms, struct err *e)
{
	struct timeval tv = audit_redis_tv(timeout_ms);
	struct hostport hp;
	redisContext *c;
	redisReply *r;

	if (hostport_parse(server, "127.0.0.1", true, &hp, e) < 0)
		return NULL;
	if (hp.is_unix)
		c = redisConnectUnixWithTimeout(hp.path, tv);
	else
		c = redisConnectWithTimeout(hp.host, (int)hp.port, tv);
	if (c == NULL) {
		err_set(e, "redis %s: out of memory", server);
		return NULL;
	}
	if (c->err) {
		err_set(e, "redis %s: %s", server, c->errstr);
		goto fail;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		err_set(e, "redis %s: cannot set the timeout", server);
		goto fail;
	}
	if (password != NULL && password[0] != '\0') {
		const char *argv[2] = {"AUTH", password};
		size_t lens[2] = {4, strlen(password)};

		r = redisCommandArgv(c, 2, argv, lens);
		if (r == NULL) {
			err_set(e, "redis %s: AUTH: %s", server, c->errstr);
			goto fail;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			/* the server's text names no secret */
			err_set(e, "redis %s: AUTH refused: %.200s", server,
				r->str);
			freeReplyObject(r);
			goto fail;
		}
		freeReplyObject(r);
	}
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* audit_redis_drop - forget the connection after an error */
static void
audit_redis_drop(struct audit_redis *rs)
{
	if (rs->c != NULL)
		redisFree(rs->c);
	rs->c = NULL;
}

/* audit_redis_write - XADD every line, pipelined, one round trip */
static int
audit_redis_write(void *state, const struct audit_line *lines, size_t n,
		  struct err *e)
{
	struct audit_redis *rs = state;
	const char *argv[8];
	size_t lens[8];
	size_t i;
	int argc;

	err_clear(e);
	if (rs->c == NULL) {
		rs->c = audit_redis_connect(rs->server, rs->password,
					    rs->timeout_ms, e);
		if (rs->c == NULL)
			return -1;
	}
	for (i = 0; i < n; i++) {
		argc = 0;
		argv[argc] = "XADD";
		lens[argc++] = 4;
		argv[argc] = rs->stream;
		lens[argc++] = strlen(rs->stream);
		if (rs->maxlen[0] != '\0') {
			argv[argc] = "MAXLEN";
			lens[argc++] = 6;
			argv[argc] = "~";	/* whole nodes: cheap trimming */
			lens[argc++] = 1;
			argv[argc] = rs->maxlen;
			lens[argc++] = strlen(rs->maxlen);
		}
		argv[argc] = "*";
		lens[argc++] = 1;
		argv[argc] = "json";
		lens[argc++] = 4;
		argv[argc] = lines[i].text;
		lens[argc++] = lines[i].len - 1;	/* no '\n' */
		if (redisAppendCommandArgv(rs->c, argc, argv, lens) !=
		    REDIS_OK) {
			err_set(e, "redis %s: %s", rs->server, rs->c->errstr);
			audit_redis_drop(rs);
			return -1;
		}
	}
	/* Read every reply, even after an error reply, so the connection
	 * stays in step; the first problem is the one reported. */
	for (i = 0; i < n; i++) {
		void *reply = NULL;
		redisReply *r;

		if (redisGetReply(rs->c, &reply) != REDIS_OK ||
		    reply == NULL) {
			err_set(e, "redis %s: %s", rs->server,
				rs->c->errstr[0] ? rs->c->errstr
						 : "no reply");
			audit_redis_drop(rs);
			return -1;
		}
		r = reply;
		if (r->type != REDIS_REPLY_STRING && e->text[0] == '\0') {
			if (r->type == REDIS_REPLY_ERROR)
				err_set(e, "redis %s: XADD %s: %.200s",
					rs->server, rs->stream, r->str);
			else
				err_set(e, "redis %s: XADD %s: unexpected "
					   "reply type %d", rs->server,
					rs->stream, r->type);
		}
		freeReplyObject(r);
	}
	return e->text[0] == '\0' ? 0 : -1;
}

/* audit_redis_reopen - nothing to reopen for a stream */
static void
audit_redis_reopen(void *state)
{
	(void)state;
}

/* audit_redis_free - disconnect and release */
static void
audit_redis_free(void *state)
{
	struct audit_redis *rs = state;

	audit_redis_drop(rs);
	free(rs->server);
	if (rs->password != NULL) {
		memset(rs->password, 0, strlen(rs->password));
		free(rs->password);
	}
	free(rs->stream);
	free(rs);
}

/* audit_redis_new - a stream sink; connects at the first write */
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
