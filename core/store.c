/* SPDX-License-Identifier: BSD-2-Clause */
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rconn.h"
#include "str.h"
#include "strbuf.h"
#include "workq.h"
#include "tspec.h"
#include "xalloc.h"

struct store {
	struct store *next;		/* in store_registry */
	unsigned refs;			/* under store_registry_lock */
	char *identity;			/* the settings that make it */
	bool redis;
	enum conf_fail_mode fail_mode;
	char *prefix;
	struct rconn *rc;		/* redis only */
	atomic_int down;		/* unavailable at the last call */
	atomic_llong skew_ms;		/* Redis's clock minus ours */
	atomic_int skew_logged;		/* a large one was logged */
	pthread_mutex_t lock;		/* the deferred writes' queue */
	struct workq *q;		/* made at the first one */
	bool no_writer;
	unsigned long given_up;		/* since the last log line */
};

/* One deferred write. */
struct store_job {
	store_job_fn *run;
	store_job_free_fn *fr;
	void *arg;
	uint64_t until;			/* monotonic ms: give up then */
	const char *what;
	unsigned pause_ms;
};

#define STORE_STOP_MS 3000	/* deferred writes at close */

static pthread_mutex_t store_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *store_registry;

/* store_fail_mode_name - "tempfail", "accept", "local" */
const char *
store_fail_mode_name(enum conf_fail_mode m)
{
	switch (m) {
	case CONF_FAIL_TEMPFAIL:
		return "tempfail";
	case CONF_FAIL_ACCEPT:
		return "accept";
	case CONF_FAIL_LOCAL:
		return "local";
	}
	return "?";
}

/* store_identity - every setting a store is made from, as one text (the
 * password included: it lives in memory anyway, and is wiped on free) */
static char *
store_identity(const struct conf *c)
{
	struct strbuf sb;
	size_t i;
	char *out;

	strbuf_init(&sb, 1 << 20);
	(void)strbuf_printf(&sb, "%d\n%d\n%s\n%s\n%s\n%s\n%s\n%lu\n%lu\n"
			    "%lu\n%lu", c->limit_backend, c->limit_fail_mode,
			    c->redis_key_prefix, c->redis_server,
			    c->redis_user, c->redis_password,
			    c->redis_sentinel_master, c->redis_db,
			    c->redis_connect_timeout, c->redis_timeout,
			    c->redis_pool_size);
	for (i = 0; i < c->redis_sentinels.count; i++)
		(void)strbuf_printf(&sb, "\ns%s", c->redis_sentinels.items[i]);
	for (i = 0; i < c->redis_cluster.count; i++)
		(void)strbuf_printf(&sb, "\nc%s", c->redis_cluster.items[i]);
	out = xstrdup(sb.data != NULL ? sb.data : "");
	if (sb.data != NULL)
		explicit_bzero(sb.data, sb.len);
	strbuf_free(&sb);
	return out;
}

/* store_job_free - release a job */
static void
store_job_free(struct store_job *j)
{
	if (j->fr != NULL)
		j->fr(j->arg);
	free(j);
}

/* store_drop - workq_drop_fn: a job that will not run (stopping) */
static void
store_drop(void *arg, void *item)
{
	struct store_job *j = item;

	(void)arg;
	log_warn("store: %s not written (stopping)", j->what);
	store_job_free(j);
}

/* store_handle - workq_handle_fn: run deferred writes; one that fails is
 * queued again after a pause, until it is done or its time is up */
static void
store_handle(void *arg, void **items, size_t n)
{
	struct store *st = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		struct store_job *j = items[i];
		struct err e;

		unsigned slept;

		if (j->run(st, j->arg, &e) == 0) {
			store_note(st, true, NULL);
			store_job_free(j);
			continue;
		}
		store_note(st, false, e.text);
		if (tspec_ms(CLOCK_MONOTONIC) >= j->until) {
			log_warn("store: gave up on %s: %s", j->what, e.text);
			store_job_free(j);
			continue;
		}
		/* a pause, cut short when a decision finds the store back:
		 * the counts then settle before many more decisions */
		for (slept = 0; slept < j->pause_ms &&
				atomic_load(&st->down) != 0; slept += 20)
			(void)nanosleep(&(struct timespec){0, 20000000L}, NULL);
		j->pause_ms = j->pause_ms < 1000 ? j->pause_ms * 2 : 2000;
		if (!workq_put(st->q, j)) {
			log_warn("store: gave up on %s: queue full", j->what);
			store_job_free(j);
		}
	}
}

/* store_defer - queue a write to be done when the store answers (see
 * store.h); false when it could not be queued (the caller frees arg) */
bool
store_defer(struct store *st, store_job_fn *run, store_job_free_fn *fr,
	    void *arg, uint64_t give_up_ms, const char *what)
{
	struct store_job *j;
	const char *why = NULL;
	struct workq *q;

	pthread_mutex_lock(&st->lock);
	if (st->q == NULL && !st->no_writer) {
		st->q = workq_new(STORE_DEFER_MAX, 16, store_handle, store_drop,
				  st, &why);
		st->no_writer = st->q == NULL;
	}
	q = st->q;
	pthread_mutex_unlock(&st->lock);
	if (why != NULL)
		log_warn("store: cannot start the writer of deferred writes: "
			 "%s", why);
	if (q == NULL)
		return false;
	j = xcalloc(1, sizeof(*j));
	j->run = run;
	j->fr = fr;
	j->arg = arg;
	j->until = tspec_ms(CLOCK_MONOTONIC) + give_up_ms;
	j->what = what;
	j->pause_ms = 100;
	if (!workq_put(q, j)) {
		free(j);
		return false;
	}
	return true;
}

/* store_flush - wait until the deferred writes queued so far are done or
 * given up; -1 after timeout_ms */
int
store_flush(struct store *st, unsigned long timeout_ms)
{
	struct workq *q;

	pthread_mutex_lock(&st->lock);
	q = st->q;
	pthread_mutex_unlock(&st->lock);
	return q != NULL ? workq_flush(q, timeout_ms) : 0;
}

/* store_free - release a store nobody refers to (deferred writes get a
 * few seconds) */
static void
store_free(struct store *st)
{
	(void)workq_free(st->q, STORE_STOP_MS);
	pthread_mutex_destroy(&st->lock);
	rconn_free(st->rc);
	free(st->prefix);
	if (st->identity != NULL)
		explicit_bzero(st->identity, strlen(st->identity));
	free(st->identity);
	free(st);
}

/* store_make - a new store for the settings (checked) */
static struct store *
store_make(const struct conf *c, struct err *e)
{
	struct store *st = xcalloc(1, sizeof(*st));
	struct rconn_opts o;
	struct err ce;

	atomic_init(&st->down, 0);
	pthread_mutex_init(&st->lock, NULL);
	st->redis = c->limit_backend == CONF_LIMIT_REDIS;
	st->fail_mode = (enum conf_fail_mode)c->limit_fail_mode;
	st->prefix = xstrdup(c->redis_key_prefix);
	if (!st->redis)
		return st;
	if (c->redis_key_prefix[0] == '\0' ||
	    strpbrk(c->redis_key_prefix, "{} \t") != NULL) {
		err_set(e, "%s: redis_key_prefix: \"%.40s\" may not be empty "
			"nor hold braces or blanks (example: rg)", c->path,
			c->redis_key_prefix);
		goto fail;
	}
	if (rconn_opts_from_conf(c, &o, e) < 0)
		goto fail;
	if (rconn_new(&o, &st->rc, &ce) < 0) {
		err_set(e, "%s: %s: %s", c->path,
			o.mode == RCONN_CLUSTER ? "redis_cluster" :
			o.mode == RCONN_SENTINEL ? "redis_sentinels" :
			"redis_server", ce.text);
		goto fail;
	}
	return st;
fail:
	store_free(st);
	return NULL;
}

/* store_open - the process's store for these settings (see store.h) */
int
store_open(const struct conf *c, struct store **out, struct err *e)
{
	char *id = store_identity(c);
	struct store *st;

	pthread_mutex_lock(&store_registry_lock);
	for (st = store_registry; st != NULL; st = st->next)
		if (strcmp(st->identity, id) == 0)
			break;
	if (st == NULL) {
		st = store_make(c, e);
		if (st == NULL) {
			pthread_mutex_unlock(&store_registry_lock);
			explicit_bzero(id, strlen(id));
			free(id);
			return -1;
		}
		st->identity = id;
		id = NULL;
		st->next = store_registry;
		store_registry = st;
	}
	st->refs++;
	pthread_mutex_unlock(&store_registry_lock);
	if (id != NULL) {
		explicit_bzero(id, strlen(id));
		free(id);
	}
	*out = st;
	return 0;
}

/* store_close - drop a reference; the last one closes the store; NULL is
 * fine */
void
store_close(struct store *st)
{
	struct store **pp;

	if (st == NULL)
		return;
	pthread_mutex_lock(&store_registry_lock);
	if (--st->refs > 0) {
		pthread_mutex_unlock(&store_registry_lock);
		return;
	}
	for (pp = &store_registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	pthread_mutex_unlock(&store_registry_lock);
	store_free(st);
}

/* store_is_redis - is the backend Redis (else memory)? */
bool
store_is_redis(const struct store *st)
{
	return st->redis;
}

/* store_name - "redis" or "memory" */
const char *
store_name(const struct store *st)
{
	return st->redis ? "redis" : "memory";
}

/* store_fail_mode - limit_fail_mode */
enum conf_fail_mode
store_fail_mode(const struct store *st)
{
	return st->fail_mode;
}

/* store_rconn - the Redis handle (NULL for the memory backend) */
struct rconn *
store_rconn(const struct store *st)
{
	return st->rc;
}

/* store_prefix - redis_key_prefix */
const char *
store_prefix(const struct store *st)
{
	return st->prefix;
}

/* store_note - whether the store answered; the change is logged once */
void
store_note(struct store *st, bool ok, const char *why)
{
	if (ok) {
		if (atomic_exchange(&st->down, 0) == 1)
			log_info("store: %s store available again (%s)",
				 store_name(st),
				 st->rc ? rconn_describe(st->rc) : "memory");
		return;
	}
	if (atomic_exchange(&st->down, 1) == 0)
		log_warn("store: %s store unavailable: %s; limit_fail_mode = "
			 "%s until it answers again", store_name(st), why,
			 store_fail_mode_name(st->fail_mode));
}

/* store_is_down - did the last call fail? */
bool
store_is_down(const struct store *st)
{
	return atomic_load(&st->down) != 0;
}

/* store_clock_skew - Redis's clock minus this host's, ms, as last
 * learnt (0 at first) */
int64_t
store_clock_skew(const struct store *st)
{
	return (int64_t)atomic_load_explicit(&st->skew_ms,
					     memory_order_relaxed);
}

/* store_clock_learn - a new measure of Redis's clock against ours; the
 * first one of STORE_SKEW_WARN_MS or more is logged */
void
store_clock_learn(struct store *st, int64_t skew_ms)
{
	long long old = atomic_load_explicit(&st->skew_ms,
					     memory_order_relaxed);

	if (old == skew_ms)
		return;
	atomic_store_explicit(&st->skew_ms, skew_ms, memory_order_relaxed);
	if ((skew_ms >= STORE_SKEW_WARN_MS || skew_ms <= -STORE_SKEW_WARN_MS) &&
	    atomic_exchange(&st->skew_logged, 1) == 0)
		log_warn("store: the Redis server's clock is %lld ms %s this "
			 "host's; the deadlines of calls follow the server's "
			 "clock (keep the clocks in time with NTP)",
			 (long long)(skew_ms < 0 ? -skew_ms : skew_ms),
			 skew_ms < 0 ? "behind" : "ahead of");
}

/* store_probe - can the store answer now?  (PING; in a Cluster the node
 * of slot 0; the memory store always answers) */
int
store_probe(struct store *st, struct err *e)
{
	const char *argv[1] = {"PING"};
	size_t lens[1] = {4};
	redisReply *rep;

	if (st->rc == NULL)
		return 0;
	rep = rconn_call(st->rc, 0, NULL, 1, argv, lens, e);
	if (rep == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/* store_group - parts by slot (see store.h): idx[] the part indexes
 * group after group, in the order each group's first part comes; ends[g]
 * one past group g; the number of groups */
size_t
store_group(const struct store *st, const int *slots, size_t n, size_t *idx,
	    size_t *ends)
{
	bool done[STORE_PARTS_MAX];
	size_t ng = 0;
	size_t k = 0;
	size_t i;
	size_t j;

	if (n > STORE_PARTS_MAX)
		log_panic("store_group: %zu parts", n);
	if (st->rc == NULL || !rconn_is_cluster(st->rc)) {
		for (i = 0; i < n; i++)
			idx[i] = i;
		ends[0] = n;
		return n > 0 ? 1 : 0;
	}
	memset(done, 0, sizeof(done));
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		for (j = i; j < n; j++) {
			if (!done[j] && slots[j] == slots[i]) {
				idx[k++] = j;
				done[j] = true;
			}
		}
		ends[ng++] = k;
	}
	return ng;
}
