/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abuse_mem - the in-process backend of abuse.h: the sections of the Lua
 * script in abuse_redis.c, in C, for one node.
 *
 * Entries are named like the Redis keys without the prefix ("{SUBJECT}:
 * block") and expire like them; an expired entry is dropped when it is
 * next looked up, and a few slots are swept on every call.  Sorted sets
 * (networks, fan-out recipients) hold 64-bit member hashes in order, each
 * with its last-use time; the HyperLogLogs of the reputation are exact
 * sets here, capped at AM_SET_MAX members.  The "top" sections are not
 * kept: only relayguardctl reads them, and it needs Redis.
 *
 * One mutex per store.  The primary and fallback stores live as long as
 * the process (blocks survive a reload); a private store goes with its
 * backend (tests).
 */
#include "abuse.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "abusemsg.h"
#include "memtab.h"
#include "str.h"
#include "xalloc.h"

#define AM_MAX_ENTRIES 2000000
#define AM_SET_MAX 100000
#define AM_BUCKET_TTL (25ULL * 3600 * 1000)

enum am_type {
	AM_BLOCK,
	AM_TRIPS,
	AM_COUNTER,
	AM_ZSET,
	AM_SPIKE,
	AM_MARK,
	AM_REPMETA,
	AM_REPBUCKET,
	AM_SET,
};

struct am_member {
	uint64_t h;
	uint64_t score;
};

/* One entry's value (util/memtab holds the key and the expiry). */
struct am_entry {
	enum am_type type;
	uint64_t v[5];		/* block: until set action dry admin; trips,
				 * counter: n; rep: first last; bucket: a t
				 * r s o */
	char *text;		/* block reason, trips' last txn */
	struct am_member *m;	/* zset and set, sorted by h */
	size_t nm;
	size_t cm;
	double s;		/* spike: recent and long decayed counts */
	double l;
};

struct am_store {
	pthread_mutex_t lock;
	struct memtab *tab;	/* made at first use */
};

struct am_backend {
	struct abuse_backend ops;	/* first: the backend is cast to it */
	struct am_store *store;
	bool own;
};

static struct am_store am_stores[2] = {
	{PTHREAD_MUTEX_INITIALIZER, NULL},
	{PTHREAD_MUTEX_INITIALIZER, NULL},
};

/* --- the table ----------------------------------------------------------- */

/* am_entry_free - memtab_free_fn: what an entry's value owns */
static void
am_entry_free(void *p)
{
	struct am_entry *en = p;

	free(en->text);
	free(en->m);
	en->text = NULL;
	en->m = NULL;
}

/* am_tab - the store's table, made at first use (st->lock held) */
static struct memtab *
am_tab(struct am_store *st)
{
	if (st->tab == NULL)
		st->tab = memtab_new(sizeof(struct am_entry), AM_MAX_ENTRIES,
				     am_entry_free);
	return st->tab;
}

/* am_expire - when an entry goes: ms since the epoch, never 0 here */
static void
am_expire(struct am_store *st, struct am_entry *en, uint64_t when)
{
	memtab_expire_at(am_tab(st), en, when > 0 ? when : 1);
}

/* am_find - the live entry called key, or NULL */
static struct am_entry *
am_find(struct am_store *st, const char *key, uint64_t now)
{
	return memtab_get(am_tab(st), key, now);
}

/* am_get - the entry called key, made empty of type when there is none
 * (or one of another type), expiring ttl ms from now; NULL when the store
 * is full */
static struct am_entry *
am_get(struct am_store *st, const char *key, enum am_type type,
       uint64_t now, uint64_t ttl)
{
	bool made;
	struct am_entry *en = memtab_put(am_tab(st), key, now, &made);

	if (en == NULL)
		return NULL;
	if (!made && en->type != type)
		memtab_reset(am_tab(st), en);
	if (made || en->type != type)
		en->type = type;
	am_expire(st, en, now + (ttl > 0 ? ttl : 1));
	return en;
}

/* am_del - remove the entry called key, if any */
static void
am_del(struct am_store *st, const char *key)
{
	(void)memtab_del(am_tab(st), key);
}

/* --- sets ----------------------------------------------------------------- */

/* am_pos - where member h is, or would go, in the sorted members */
static size_t
am_pos(const struct am_entry *en, uint64_t h)
{
	size_t lo = 0;
	size_t hi = en->nm;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (en->m[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* am_has - the score of member h, 0 when absent */
static uint64_t
am_score(const struct am_entry *en, uint64_t h)
{
	size_t i = en != NULL ? am_pos(en, h) : 0;

	if (en == NULL || i == en->nm || en->m[i].h != h)
		return 0;
	return en->m[i].score;
}

/* am_add - add or refresh member h; false when the set is full */
static bool
am_add(struct am_entry *en, uint64_t h, uint64_t score, size_t cap)
{
	size_t i = am_pos(en, h);

	if (i < en->nm && en->m[i].h == h) {
		en->m[i].score = score;
		return true;
	}
	if (en->nm >= cap)
		return false;
	if (en->nm == en->cm) {
		en->cm = en->cm ? en->cm * 2 : 8;
		en->m = xreallocarray(en->m, en->cm, sizeof(*en->m));
	}
	memmove(&en->m[i + 1], &en->m[i], (en->nm - i) * sizeof(*en->m));
	en->m[i].h = h;
	en->m[i].score = score;
	en->nm++;
	return true;
}

/* am_drop_old - forget members used at or before from */
static void
am_drop_old(struct am_entry *en, uint64_t from)
{
	size_t i;
	size_t o = 0;

	for (i = 0; i < en->nm; i++)
		if (en->m[i].score > from)
			en->m[o++] = en->m[i];
	en->nm = o;
}

/* am_cmp_score - older first, for trimming */
static int
am_cmp_score(const void *a, const void *b)
{
	const struct am_member *x = a;
	const struct am_member *y = b;

	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->h < y->h ? -1 : x->h > y->h;
}

/* am_cmp_h - by member, the set's order */
static int
am_cmp_h(const void *a, const void *b)
{
	const struct am_member *x = a;
	const struct am_member *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

/* am_trim - keep the newest keep members */
static void
am_trim(struct am_entry *en, uint64_t keep)
{
	size_t drop;

	if (en->nm <= keep)
		return;
	drop = en->nm - (size_t)keep;
	qsort(en->m, en->nm, sizeof(*en->m), am_cmp_score);
	memmove(en->m, en->m + drop, (en->nm - drop) * sizeof(*en->m));
	en->nm -= drop;
	qsort(en->m, en->nm, sizeof(*en->m), am_cmp_h);
}

/* --- the sections --------------------------------------------------------- */

/* am_key - "{TAG}:SUFFIX" */
static void
am_key(char *out, size_t size, const char *tag, const char *suffix)
{
	(void)str_format(out, size, "{%s}:%s", tag, suffix);
}

/* am_block_get - ABUSE_OP_BLOCK_GET */
static void
am_block_get(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 32];
	struct am_entry *en;

	am_key(k, sizeof(k), s->subject, "block");
	en = am_find(st, k, now);
	if (en != NULL && en->type == AM_BLOCK) {
		s->r[0] = en->v[0] > now;
		memcpy(&s->r[1], en->v, 5 * sizeof(en->v[0]));
		(void)str_copy(s->text, sizeof(s->text),
			       en->text ? en->text : "");
	}
	am_key(k, sizeof(k), s->subject, "offences");
	en = am_find(st, k, now);
	s->r[6] = en != NULL && en->type == AM_COUNTER ? en->v[0] : 0;
	am_key(k, sizeof(k), s->subject, "trips");
	en = am_find(st, k, now);
	s->r[7] = en != NULL && en->type == AM_TRIPS ? en->v[0] : 0;
}

/* am_nets - ABUSE_OP_NETS */
static int
am_nets(struct am_store *st, uint64_t now, bool peek, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 32];
	uint64_t h = abusemsg_hash(s->arg, strlen(s->arg));
	uint64_t from = now > s->n[0] ? now - s->n[0] : 0;
	struct am_entry *en;

	am_key(k, sizeof(k), s->subject, "nets");
	if (peek) {
		uint64_t c = 0;
		size_t i;

		en = am_find(st, k, now);
		for (i = 0; en != NULL && i < en->nm; i++)
			c += en->m[i].score > from;
		if (am_score(en, h) <= from)
			c++;
		s->r[0] = c > s->n[1] ? s->n[1] : c;
		return 0;
	}
	en = am_get(st, k, AM_ZSET, now, s->n[0]);
	if (en == NULL)
		return -1;
	am_drop_old(en, from);
	if (!am_add(en, h, now, SIZE_MAX))
		return -1;
	am_trim(en, s->n[1]);
	am_expire(st, en, now + s->n[0]);
	s->r[0] = en->nm;
	return 0;
}

/* am_trip - ABUSE_OP_TRIP: n = window, trips, base, growth, max, memory,
 * action, dry */
static int
am_trip(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char kt[ABUSE_SUBJECT_MAX + 32];
	char ko[ABUSE_SUBJECT_MAX + 32];
	char kb[ABUSE_SUBJECT_MAX + 32];
	struct am_entry *t;
	struct am_entry *o;
	struct am_entry *b;
	uint64_t off;
	uint64_t d;
	uint64_t i;
	char reason[64];

	am_key(kt, sizeof(kt), s->subject, "trips");
	am_key(ko, sizeof(ko), s->subject, "offences");
	am_key(kb, sizeof(kb), s->subject, "block");
	o = am_find(st, ko, now);
	off = o != NULL && o->type == AM_COUNTER ? o->v[0] : 0;
	b = am_find(st, kb, now);
	t = am_find(st, kt, now);
	s->r[0] = t != NULL && t->type == AM_TRIPS ? t->v[0] : 0;
	s->r[3] = off;
	if (b != NULL && b->type == AM_BLOCK && b->v[0] > now) {
		s->r[2] = b->v[0];	/* blocked already: not counted */
		return 0;
	}
	if (t != NULL && t->type == AM_TRIPS && t->text != NULL &&
	    strcmp(t->text, s->arg) == 0)
		return 0;		/* this transaction counted */
	if (t == NULL || t->type != AM_TRIPS) {
		t = am_get(st, kt, AM_TRIPS, now, s->n[0]);
		if (t == NULL)
			return -1;
	}
	t->v[0]++;
	free(t->text);
	t->text = xstrdup(s->arg);
	s->r[0] = t->v[0];
	if (t->v[0] < s->n[1])
		return 0;
	for (d = s->n[2], i = 0; i < off && d < s->n[4]; i++)
		d = d > UINT64_MAX / s->n[3] ? s->n[4] : d * s->n[3];
	if (d > s->n[4])
		d = s->n[4];
	b = am_get(st, kb, AM_BLOCK, now, d);
	o = am_get(st, ko, AM_COUNTER, now, d + s->n[5]);
	if (b == NULL || o == NULL)
		return -1;
	b->v[0] = now + d;
	b->v[1] = now;
	b->v[2] = s->n[6];
	b->v[3] = s->n[7];
	b->v[4] = 0;
	(void)str_format(reason, sizeof(reason), "quota refused %llu times",
			 (unsigned long long)t->v[0]);
	free(b->text);
	b->text = xstrdup(reason);
	o->v[0] = off + 1;
	am_del(st, kt);
	s->r[1] = 1;
	s->r[2] = now + d;
	s->r[3] = off + 1;
	return 0;
}

/* am_fanout - ABUSE_OP_FANOUT */
static int
am_fanout(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[2 * ABUSE_SUBJECT_MAX + 32];
	char sfx[ABUSE_SUBJECT_MAX + 16];
	struct am_entry *en;
	size_t i;

	if (s->arg[0] != '\0')
		(void)str_format(sfx, sizeof(sfx), "fanout:%s", s->arg);
	else
		(void)str_copy(sfx, sizeof(sfx), "fanout");
	am_key(k, sizeof(k), s->subject, sfx);
	en = am_get(st, k, AM_ZSET, now, s->n[0]);
	if (en == NULL)
		return -1;
	am_drop_old(en, now > s->n[0] ? now - s->n[0] : 0);
	for (i = 0; i < s->nitems; i++)
		if (!am_add(en, s->items[i], now, SIZE_MAX))
			return -1;
	am_trim(en, s->n[1]);
	am_expire(st, en, now + s->n[0]);
	s->r[0] = en->nm;
	return 0;
}

/* am_spike - ABUSE_OP_SPIKE: n = window, baseline */
static int
am_spike(struct am_store *st, uint64_t now, bool peek, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 32];
	struct am_entry *en;
	double w = (double)s->n[0];
	double b = (double)s->n[1];
	double sv = 0;
	double lv = 0;
	uint64_t t = now;
	uint64_t f = now;
	uint64_t age;

	am_key(k, sizeof(k), s->subject, "spike");
	en = am_find(st, k, now);
	if (en != NULL && en->type == AM_SPIKE) {
		sv = en->s;
		lv = en->l;
		t = en->v[0];
		f = en->v[1];
	}
	sv = sv * exp(-(double)(now > t ? now - t : 0) / w) + 1;
	lv = lv * exp(-(double)(now > t ? now - t : 0) / b) + 1;
	if (now > t)
		t = now;
	if (!peek) {
		en = am_get(st, k, AM_SPIKE, now, 4 * s->n[1]);
		if (en == NULL)
			return -1;
		en->s = sv;
		en->l = lv;
		en->v[0] = t;
		en->v[1] = f;
	}
	age = now > f ? now - f : 0;
	if (age < s->n[0])
		age = s->n[0];
	if (age > s->n[1])
		age = s->n[1];
	s->r[0] = (uint64_t)floor(sv * 1000);
	s->r[1] = (uint64_t)floor(lv * w / (double)age * 1000);
	return 0;
}

/* am_warn - ABUSE_OP_WARN */
static int
am_warn(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[2 * ABUSE_SUBJECT_MAX + 32];
	char sfx[ABUSE_SUBJECT_MAX + 16];

	(void)str_format(sfx, sizeof(sfx), "warn:%s", s->arg);
	am_key(k, sizeof(k), s->subject, sfx);
	if (am_find(st, k, now) != NULL)
		return 0;
	if (am_get(st, k, AM_MARK, now, s->n[0]) == NULL)
		return -1;
	s->r[0] = 1;
	return 0;
}

/* am_set_add - members into a capped set entry that lives ttl */
static int
am_set_add(struct am_store *st, const char *k, uint64_t now, uint64_t ttl,
	   const uint64_t *items, size_t n)
{
	struct am_entry *en = am_get(st, k, AM_SET, now, ttl);
	size_t i;

	if (en == NULL)
		return -1;
	for (i = 0; i < n; i++)
		(void)am_add(en, items[i], now, AM_SET_MAX); /* full: counted */
	am_expire(st, en, now + ttl);
	return 0;
}

/* am_note - ABUSE_OP_NOTE: n = outcome, spf failed, owner refused, ttl,
 * network hash */
static int
am_note(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 48];
	char sfx[40];
	struct am_entry *en;

	(void)str_format(sfx, sizeof(sfx), "rep:%llu",
			 (unsigned long long)(now / ABUSE_BUCKET_MS));
	am_key(k, sizeof(k), s->subject, sfx);
	en = am_get(st, k, AM_REPBUCKET, now, AM_BUCKET_TTL);
	if (en == NULL)
		return -1;
	en->v[s->n[0] < 3 ? s->n[0] : 0]++;
	en->v[3] += s->n[1] != 0;
	en->v[4] += s->n[2] != 0;
	am_expire(st, en, now + AM_BUCKET_TTL);
	am_key(k, sizeof(k), s->subject, "rep");
	en = am_get(st, k, AM_REPMETA, now, s->n[3]);
	if (en == NULL)
		return -1;
	if (en->v[0] == 0)
		en->v[0] = now;
	en->v[1] = now;
	am_expire(st, en, now + s->n[3]);
	am_key(k, sizeof(k), s->subject, "rep:nets");
	if (s->n[4] != 0 && am_set_add(st, k, now, s->n[3], &s->n[4], 1) < 0)
		return -1;
	am_key(k, sizeof(k), s->subject, "rep:domains");
	if (s->nitems > 0 &&
	    am_set_add(st, k, now, s->n[3], s->items, s->nitems) < 0)
		return -1;
	return 0;
}

/* am_block_set - ABUSE_OP_BLOCK_SET: n = until, action, dry, admin */
static int
am_block_set(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 32];
	uint64_t d = s->n[0] > now ? s->n[0] - now : 1;
	struct am_entry *en;

	am_key(k, sizeof(k), s->subject, "block");
	en = am_get(st, k, AM_BLOCK, now, d);
	if (en == NULL)
		return -1;
	en->v[0] = s->n[0];
	en->v[1] = now;
	en->v[2] = s->n[1];
	en->v[3] = s->n[2];
	en->v[4] = s->n[3];
	free(en->text);
	en->text = xstrdup(s->arg);
	s->r[0] = 1;
	return 0;
}

/* am_block_clear - ABUSE_OP_BLOCK_CLEAR: n = forget */
static void
am_block_clear(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 32];
	struct am_entry *en;

	am_key(k, sizeof(k), s->subject, "block");
	en = am_find(st, k, now);
	s->r[0] = en != NULL && en->type == AM_BLOCK && en->v[0] > now;
	am_del(st, k);
	am_key(k, sizeof(k), s->subject, "trips");
	am_del(st, k);
	if (s->n[0]) {
		am_key(k, sizeof(k), s->subject, "offences");
		am_del(st, k);
	}
}

/* am_rep_get - ABUSE_OP_REP_GET */
static void
am_rep_get(struct am_store *st, uint64_t now, struct abuse_sec *s)
{
	char k[ABUSE_SUBJECT_MAX + 48];
	char sfx[40];
	uint64_t bucket = now / ABUSE_BUCKET_MS;
	struct am_entry *en;
	uint64_t i;
	size_t j;

	am_key(k, sizeof(k), s->subject, "rep");
	en = am_find(st, k, now);
	if (en != NULL && en->type == AM_REPMETA) {
		s->r[0] = 1;
		s->r[1] = en->v[0];
		s->r[2] = en->v[1];
	}
	am_key(k, sizeof(k), s->subject, "rep:nets");
	en = am_find(st, k, now);
	s->r[3] = en != NULL && en->type == AM_SET ? en->nm : 0;
	am_key(k, sizeof(k), s->subject, "rep:domains");
	en = am_find(st, k, now);
	s->r[4] = en != NULL && en->type == AM_SET ? en->nm : 0;
	for (i = 0; i < 144 && i <= bucket; i++) {
		(void)str_format(sfx, sizeof(sfx), "rep:%llu",
				 (unsigned long long)(bucket - i));
		am_key(k, sizeof(k), s->subject, sfx);
		en = am_find(st, k, now);
		if (en == NULL || en->type != AM_REPBUCKET)
			continue;
		for (j = 0; j < 5; j++) {
			s->r[10 + j] += en->v[j];
			if (i < 6)
				s->r[5 + j] += en->v[j];
		}
	}
}

/* am_sec - one section; -1 when the store is full */
static int
am_sec(struct am_store *st, const struct abuse_call *c, struct abuse_sec *s)
{
	uint64_t now = c->now_ms;

	memset(s->r, 0, sizeof(s->r));
	s->text[0] = '\0';
	switch (s->op) {
	case ABUSE_OP_BLOCK_GET:
		am_block_get(st, now, s);
		return 0;
	case ABUSE_OP_NETS:
		return am_nets(st, now, c->peek, s);
	case ABUSE_OP_TRIP:
		return am_trip(st, now, s);
	case ABUSE_OP_FANOUT:
		return am_fanout(st, now, s);
	case ABUSE_OP_SPIKE:
		return am_spike(st, now, c->peek, s);
	case ABUSE_OP_WARN:
		return am_warn(st, now, s);
	case ABUSE_OP_NOTE:
		return am_note(st, now, s);
	case ABUSE_OP_TOP:
		return 0;	/* not kept in memory: see the top */
	case ABUSE_OP_BLOCK_SET:
		return am_block_set(st, now, s);
	case ABUSE_OP_BLOCK_CLEAR:
		am_block_clear(st, now, s);
		return 0;
	case ABUSE_OP_REP_GET:
		am_rep_get(st, now, s);
		return 0;
	}
	return 0;
}

/* am_run - abuse_backend.run */
static int
am_run(struct abuse_backend *be, struct abuse_call *c, struct err *e)
{
	struct am_backend *b = (struct am_backend *)be;
	struct am_store *st = b->store;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&st->lock);
	memtab_sweep(am_tab(st), c->now_ms, MEMTAB_SWEEP_STEP);
	for (i = 0; i < c->nsecs && rc == 0; i++)
		rc = am_sec(st, c, &c->secs[i]);
	pthread_mutex_unlock(&st->lock);
	if (rc < 0)
		err_set(e, "abuse memory store full (%d entries)",
			AM_MAX_ENTRIES);
	return rc;
}

/* am_top - abuse_backend.top: not kept in memory */
static int
am_top(struct abuse_backend *be, uint64_t now_ms, enum abuse_top_by by,
       uint64_t window_ms, size_t max, struct abuse_top_row *rows,
       size_t *n, struct err *e)
{
	(void)be;
	(void)now_ms;
	(void)by;
	(void)window_ms;
	(void)max;
	(void)rows;
	*n = 0;
	err_set(e, "the busiest subjects are kept in Redis only "
		"(limit_backend = redis)");
	return -1;
}

/* am_store_clear - forget everything in a store */
static void
am_store_clear(struct am_store *st)
{
	pthread_mutex_lock(&st->lock);
	memtab_free(st->tab);
	st->tab = NULL;
	pthread_mutex_unlock(&st->lock);
}

/* am_free - abuse_backend.free */
static void
am_free(struct abuse_backend *be)
{
	struct am_backend *b = (struct am_backend *)be;

	if (b->own) {
		am_store_clear(b->store);
		pthread_mutex_destroy(&b->store->lock);
		free(b->store);
	}
	free(b);
}

/* abuse_mem_new - a memory backend on one of the stores */
struct abuse_backend *
abuse_mem_new(enum abuse_mem_store which)
{
	struct am_backend *b = xcalloc(1, sizeof(*b));

	if (which == ABUSE_MEM_PRIVATE) {
		b->store = xcalloc(1, sizeof(*b->store));
		pthread_mutex_init(&b->store->lock, NULL);
		b->own = true;
	} else {
		b->store = &am_stores[which == ABUSE_MEM_FALLBACK];
	}
	b->ops.name = "memory";
	b->ops.run = am_run;
	b->ops.top = am_top;
	b->ops.free = am_free;
	return &b->ops;
}

/* abuse_mem_clear - forget the process's primary or fallback store */
void
abuse_mem_clear(enum abuse_mem_store which)
{
	if (which != ABUSE_MEM_PRIVATE)
		am_store_clear(&am_stores[which == ABUSE_MEM_FALLBACK]);
}
