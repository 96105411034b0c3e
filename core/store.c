/* SPDX-License-Identifier: BSD-2-Clause */
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rconn.h"
#include "str.h"
#include "strbuf.h"
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
};

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

/* store_free - release a store nobody refers to */
static void
store_free(struct store *st)
{
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
