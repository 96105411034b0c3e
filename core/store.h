/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store - the storage layer under the limits (limit.h) and abuse control
 * (abuse.h): which backend keeps their state, what a message gets when it
 * cannot answer, the one Redis connection pool they share, and the log
 * lines when it goes away and comes back.
 *
 * store_open() reads limit_backend, limit_fail_mode, redis_key_prefix
 * and the redis_* connection settings, checks them (errors name the file
 * and the key, with an example), and gives a reference to the process's
 * store for those settings.  The limits and abuse control of a
 * configuration generation, relayguardctl, and the generations after a
 * reload that left these settings alone, all get the same struct store:
 * one rconn handle (the Redis client, rconn.h), one state, one line in the
 * log per change of state.  store_close() drops a reference.
 *
 * The engines keep their own Lua scripts and the C mirrors of them
 * (limit_redis.c and limit_mem.c, abuse_redis.c and abuse_mem.c): the
 * store gives them the rconn handle and the key prefix (checked: not empty,
 * no braces or blanks, so every key is PREFIX:{SUBJECT}...), and says
 * whether the backend is redis.
 *
 * store_note() is told after each call whether the store answered; the
 * change is logged once each way ("store: redis store unavailable: WHY;
 * limit_fail_mode = tempfail until it answers again", then "store: redis
 * store available again"), never once per message.
 *
 * store_defer() hands the store a write that must happen but cannot now
 * (Redis does not answer): a limit count whose reply was lost, a release
 * that could not be sent.  One thread per store (made at the first one)
 * runs them in order, again and again with a pause (100 ms doubling to 2
 * s) while they fail, until they are done or their time is up
 * (give_up_ms from now: afterwards the write no longer matters, or it is
 * lost and the log says so).  The queue holds STORE_DEFER_MAX writes;
 * store_defer() says false when it is full.  Deferred writes survive a
 * reload (the store is kept), not a restart.
 *
 * store_clock_skew() is the Redis server's clock minus this host's (ms),
 * as store_clock_learn() was last told by the engines (from the server's
 * time in their scripts' replies): a call's deadline (redis_timeout after
 * it was sent, by this host's clock) is written in the server's clock, so
 * that a late command is refused whatever the two clocks say.  The first
 * difference of STORE_SKEW_WARN_MS or more is logged once.
 *
 * store_group() runs the parts of one call (the subjects of a limit
 * decision, the sections of an abuse call) by Cluster slot: each group is
 * one script call on one node; without a Cluster every part is in one
 * group.
 *
 * Thread-safe.  The memory backend's tables are the engines' own
 * (limit_mem.c, abuse_mem.c): a memory store only names the backend.
 */
#ifndef RG_STORE_H
#define RG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"

#define STORE_PARTS_MAX 16	/* parts store_group() orders at once */
#define STORE_DEFER_MAX 100000	/* writes waiting for the store */
#define STORE_SKEW_WARN_MS 100	/* a clock difference worth a log line */

struct rconn;
struct store;

/* A deferred write: 0 done (or no longer needed), -1 try again later. */
typedef int store_job_fn(struct store *st, void *arg, struct err *e);
typedef void store_job_free_fn(void *arg);

int store_open(const struct conf *c, struct store **out, struct err *e);
void store_close(struct store *st);
bool store_is_redis(const struct store *st);
const char *store_name(const struct store *st);
enum conf_fail_mode store_fail_mode(const struct store *st);
const char *store_fail_mode_name(enum conf_fail_mode m);
struct rconn *store_rconn(const struct store *st);
const char *store_prefix(const struct store *st);
void store_note(struct store *st, bool ok, const char *why);
bool store_is_down(const struct store *st);
int store_probe(struct store *st, struct err *e);
bool store_defer(struct store *st, store_job_fn *run, store_job_free_fn *fr,
		 void *arg, uint64_t give_up_ms, const char *what);
int store_flush(struct store *st, unsigned long timeout_ms);
int64_t store_clock_skew(const struct store *st);
void store_clock_learn(struct store *st, int64_t skew_ms);
size_t store_group(const struct store *st, const int *slots, size_t n,
		   size_t *idx, size_t *ends);

#endif
