/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_rcpt - a stand-in Redis limit check for the policy benchmark, until
 * the engine has its own (issue 5 asks for the figures with "a real
 * Redis-backed limit check").  Not part of relayguard: policy_bench.sh
 * links it into a copy of relayguard-policyd with -Wl,--wrap=engine_rcpt,
 * so the unchanged daemon makes, on its worker threads, one blocking
 * Redis round trip per RCPT decision, as the limit engine will:
 *
 *	EVALSHA <INCR key; EXPIRE on the first; return the count> 1
 *		rl:{login}:hour 3600
 *
 * with a hiredis context per worker thread (RG_BENCH_REDIS=HOST:PORT,
 * timeout 500 ms).  Over RG_BENCH_LIMIT (default 1,000,000,000) the
 * verdict is 451 4.7.1; a Redis error gives 451 4.7.1 too and a new
 * connection next time.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "engine.h"

void __real_engine_rcpt(const struct config *cfg, struct txn *t,
			const char *rcpt, struct verdict *v);
void __wrap_engine_rcpt(const struct config *cfg, struct txn *t,
			const char *rcpt, struct verdict *v);

static const char script[] =
	"local n = redis.call('INCR', KEYS[1]) "
	"if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
	"return n";

static __thread redisContext *rc;
static __thread char sha[64];

/* bench_connect - this thread's context, the script loaded */
static int
bench_connect(void)
{
	const char *spec = getenv("RG_BENCH_REDIS");
	struct timeval tv = {0, 500000};
	char host[64];
	const char *colon;
	redisReply *r;

	if (spec == NULL || (colon = strrchr(spec, ':')) == NULL ||
	    (size_t)(colon - spec) >= sizeof(host))
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	rc = redisConnectWithTimeout(host, atoi(colon + 1), tv);
	if (rc == NULL || rc->err || redisSetTimeout(rc, tv) != REDIS_OK)
		goto fail;
	r = redisCommand(rc, "SCRIPT LOAD %s", script);
	if (r == NULL || r->type != REDIS_REPLY_STRING ||
	    r->len >= (int)sizeof(sha)) {
		freeReplyObject(r);
		goto fail;
	}
	memcpy(sha, r->str, (size_t)r->len + 1);
	freeReplyObject(r);
	return 0;
fail:
	redisFree(rc);
	rc = NULL;
	return -1;
}

/* __wrap_engine_rcpt - the engine's RCPT stage, then one Redis check */
void
__wrap_engine_rcpt(const struct config *cfg, struct txn *t, const char *rcpt,
		   struct verdict *v)
{
	static long limit = -1;
	const char *argv[5];
	size_t lens[5];
	char key[TXN_LOGIN_MAX + 16];
	redisReply *r;

	__real_engine_rcpt(cfg, t, rcpt, v);
	if (v->action != VERDICT_CONTINUE)
		return;
	if (limit < 0) {
		const char *e = getenv("RG_BENCH_LIMIT");

		limit = e ? atol(e) : 1000000000L;
	}
	if (rc == NULL && bench_connect() < 0)
		goto down;
	snprintf(key, sizeof(key), "rl:{%s}:hour",
		 t->login[0] ? t->login : t->client_addr);
	argv[0] = "EVALSHA";
	argv[1] = sha;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = "3600";
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	r = redisCommandArgv(rc, 5, argv, lens);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		redisFree(rc);
		rc = NULL;
		goto down;
	}
	if (r->integer > limit)
		verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.1", "quota",
			    "hourly quota reached");
	freeReplyObject(r);
	return;
down:
	verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.1", "store-down",
		    "rate limit store unavailable, try later");
}
