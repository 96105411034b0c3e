/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_mem - the in-process backend of limit.h: the same counting as the
 * Lua script of limit_redis.c, in C, for one node.
 *
 * State, as in Redis, per subject S and limit NAME: a bucket (level s in
 * units * tu, time t of the last drain, tu = period / quantum); per subject
 * and transaction: the units reserved, per recipient and in all, and the
 * state (open, committed, released); per subject and queue id: a "counted"
 * marker; per subject and limit name: an override.  Each entry expires
 * like its Redis key: a bucket when it would be empty, reservations and
 * markers after the call's ttl.
 *
 * One mutex per store guards everything: a decision is a few hash lookups.
 * The primary and fallback stores live as long as the process, so a
 * configuration reload keeps the counters; a private store (tests) goes
 * with its backend.
 */
#include "limit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memtab.h"
#include "str.h"
#include "xalloc.h"

#define MEM_MAX_ENTRIES 2000000	/* then the store answers "full" */

enum mem_type {
	MEM_BUCKET,
	MEM_TXN,
	MEM_MARK,
	MEM_OVERRIDE,
};

struct mem_rcpt {
	char *id;
	uint64_t units[3];
};

/* One entry's value (util/memtab holds the key and the expiry). */
struct mem_entry {
	enum mem_type type;
	/* bucket */
	uint64_t s;
	uint64_t t;
	uint64_t tu;
	/* transaction */
	char st;		/* 0 open, 'c' committed, 'x' released */
	uint64_t held[3];	/* units reserved: messages, rcpts, bytes */
	struct mem_rcpt *rcpts;
	size_t nrcpts;
	/* override */
	uint64_t amount;
	uint64_t period;
	uint64_t unit;
};

struct mem_store {
	pthread_mutex_t lock;
	struct memtab *tab;	/* made at first use */
};

struct mem_backend {
	struct limit_backend ops;	/* first: the backend is cast to it */
	struct mem_store *store;
	bool own;
};

static struct mem_store mem_stores[2] = {
	{PTHREAD_MUTEX_INITIALIZER, NULL},
	{PTHREAD_MUTEX_INITIALIZER, NULL},
};

/* --- arithmetic that saturates instead of wrapping ---------------------- */

/* sat_mul - a * b, or UINT64_MAX */
static uint64_t
sat_mul(uint64_t a, uint64_t b)
{
	if (b != 0 && a > UINT64_MAX / b)
		return UINT64_MAX;
	return a * b;
}

/* sat_add - a + b, or UINT64_MAX */
static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ceil_div - a / b rounded up; b > 0 */
static uint64_t
ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* --- the table (util/memtab) --------------------------------------------- */

/* mem_entry_free - memtab_free_fn: what an entry's value owns */
static void
mem_entry_free(void *p)
{
	struct mem_entry *en = p;
	size_t i;

	for (i = 0; i < en->nrcpts; i++)
		free(en->rcpts[i].id);
	free(en->rcpts);
	en->rcpts = NULL;
	en->nrcpts = 0;
}

/* mem_tab - the store's table, made at first use (st->lock held) */
static struct memtab *
mem_tab(struct mem_store *st)
{
	if (st->tab == NULL)
		st->tab = memtab_new(sizeof(struct mem_entry), MEM_MAX_ENTRIES,
				     mem_entry_free);
	return st->tab;
}

/* mem_get - the live entry for key, NULL when absent or expired */
static struct mem_entry *
mem_get(struct mem_store *st, const char *key, uint64_t now)
{
	return memtab_get(mem_tab(st), key, now);
}

/* mem_put - the entry for key, made (zeroed) when absent; NULL when full */
static struct mem_entry *
mem_put(struct mem_store *st, const char *key, enum mem_type type,
	uint64_t now)
{
	bool made;
	struct mem_entry *en = memtab_put(mem_tab(st), key, now, &made);

	if (en != NULL && made)
		en->type = type;
	return en;
}

/* mem_del - remove key */
static void
mem_del(struct mem_store *st, const char *key)
{
	(void)memtab_del(mem_tab(st), key);
}

/* mem_expire - when an entry goes (ms since the epoch; 0: never) */
static void
mem_expire(struct mem_store *st, struct mem_entry *en, uint64_t when)
{
	memtab_expire_at(mem_tab(st), en, when);
}

/* --- one limit of one subject during a call ----------------------------- */

struct mem_lim {
	const struct limit_def *def;
	char key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 4];
	uint64_t amount;
	uint64_t period;
	uint64_t unit;
	uint64_t tu;
	uint64_t s;
	uint64_t t;
	uint64_t n;		/* units this call adds (or gives back) */
	enum limit_state state;
};

/* lim_load - the bucket drained up to now, with any override applied */
static int
lim_load(struct mem_store *st, const char *subject, const struct limit_def *d,
	 uint64_t now, struct mem_lim *l)
{
	char okey[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 4];
	struct mem_entry *ov;
	struct mem_entry *b;
	uint64_t k;

	memset(l, 0, sizeof(*l));
	l->def = d;
	l->amount = d->amount;
	l->period = d->period_ms;
	l->unit = d->unit_ms;
	if (str_format(okey, sizeof(okey), "O%s:%s", subject, d->name) < 0 ||
	    str_format(l->key, sizeof(l->key), "L%s:%s", subject, d->name) < 0)
		return -1;
	ov = mem_get(st, okey, now);
	if (ov != NULL) {
		l->amount = ov->amount;
		l->period = ov->period;
		l->unit = ov->unit;
	}
	if (d->counter == LIMIT_PER_MESSAGE) {
		l->period = 0;
		return 0;
	}
	l->tu = l->period / l->unit;
	l->t = now;
	b = mem_get(st, l->key, now);
	if (b == NULL)
		return 0;
	l->s = b->s;
	l->t = b->t;
	if (b->tu != l->tu && b->tu > 0)	/* the period changed */
		l->s = (uint64_t)(((unsigned __int128)l->s * l->tu + b->tu - 1) /
				  b->tu);
	if (now > l->t) {
		k = (now - l->t) / l->unit;
		if (k > 0) {
			uint64_t drain = sat_mul(k, l->amount);

			if (drain >= l->s) {
				l->s = 0;
				l->t = now;
			} else {
				l->s -= drain;
				l->t += k * l->unit;
			}
		}
	}
	if (l->s == 0)
		l->t = now;
	return 0;
}

/* lim_fits - would n more units fit in the bucket? */
static bool
lim_fits(const struct mem_lim *l, uint64_t n)
{
	if (n == 0)
		return true;
	return sat_add(l->s, sat_mul(n, l->tu)) <= sat_mul(l->amount, l->tu);
}

/* lim_retry - ms until n units would fit (a period if they never will) */
static uint64_t
lim_retry(const struct mem_lim *l, uint64_t n, uint64_t now)
{
	uint64_t need;
	uint64_t k;
	uint64_t at;

	if (n > l->amount || l->amount == 0)
		return l->period;
	need = sat_add(l->s, sat_mul(n, l->tu)) - l->amount * l->tu;
	k = ceil_div(need, l->amount);
	at = sat_add(l->t, sat_mul(k, l->unit));
	return at > now ? at - now : 1;
}

/* lim_reset - ms until the bucket is empty */
static uint64_t
lim_reset(const struct mem_lim *l, uint64_t now)
{
	uint64_t at;

	if (l->s == 0)
		return 0;
	if (l->amount == 0)
		return l->period;
	at = sat_add(l->t, sat_mul(ceil_div(l->s, l->amount), l->unit));
	return at > now ? at - now : 0;
}

/* lim_store - write the bucket back (or forget it when empty) */
static int
lim_store(struct mem_store *st, struct mem_lim *l, uint64_t now)
{
	struct mem_entry *b;

	if (l->def->counter == LIMIT_PER_MESSAGE)
		return 0;
	if (l->s == 0) {
		mem_del(st, l->key);
		return 0;
	}
	b = mem_put(st, l->key, MEM_BUCKET, now);
	if (b == NULL)
		return -1;
	b->s = l->s;
	b->t = l->t;
	b->tu = l->tu;
	mem_expire(st, b, now + (lim_reset(l, now) ? lim_reset(l, now) : 1));
	return 0;
}

/* lim_row - the answer row for one limit */
static void
lim_row(const struct mem_lim *l, uint64_t held_rcpts, uint64_t now,
	struct limit_row *row)
{
	row->state = l->state;
	row->amount = l->amount;
	row->period_ms = l->period;
	if (l->def->counter == LIMIT_PER_MESSAGE) {
		row->used = held_rcpts;
		row->retry_ms = 0;
		row->reset_ms = 0;
		return;
	}
	row->used = l->tu ? ceil_div(l->s, l->tu) : 0;
	row->retry_ms = l->state != LIMIT_STATE_OK ? lim_retry(l, l->n, now)
						   : 0;
	row->reset_ms = lim_reset(l, now);
}

/* lim_units - the units of d's counter among m, r, b */
static uint64_t
lim_units(const struct limit_def *d, const uint64_t u[3])
{
	switch (d->counter) {
	case LIMIT_MESSAGES:
		return u[0];
	case LIMIT_RECIPIENTS:
		return u[1];
	case LIMIT_BYTES:
		return u[2];
	default:
		return 0;
	}
}

/* --- a whole call ------------------------------------------------------ */

struct mem_subj {
	struct mem_entry *txn;		/* NULL when none yet */
	char tkey[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 4];
	char qkey[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 4];
	uint64_t held[3];		/* reserved units (0 when closed) */
	char st;
	struct mem_rcpt *rec;		/* this recipient's reservation */
	uint64_t add[3];		/* units to add (consume) */
	uint64_t sub[3];		/* units to give back */
	uint64_t pm;			/* recipients of the message, caps */
	bool stale;
	bool dup;
};

/* txn_find_rcpt - the reservation of one recipient */
static struct mem_rcpt *
txn_find_rcpt(struct mem_entry *t, const char *id)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->nrcpts; i++)
		if (strcmp(t->rcpts[i].id, id) == 0)
			return &t->rcpts[i];
	return NULL;
}

/* subj_plan - what this op adds and gives back for one subject */
static void
subj_plan(const struct limit_call *c, struct mem_subj *s)
{
	size_t i;

	if (s->txn != NULL) {
		s->st = s->txn->st;
		if (s->st == 0)
			memcpy(s->held, s->txn->held, sizeof(s->held));
	}
	s->pm = s->held[1];
	switch (c->op) {
	case LIMIT_CHECK:
		memcpy(s->add, c->units, sizeof(s->add));
		s->pm = c->units[1];
		break;
	case LIMIT_RESERVE:
		if (s->st != 0) {
			s->stale = true;
			break;
		}
		s->rec = txn_find_rcpt(s->txn, c->rcpt);
		if (s->rec != NULL)
			break;	/* reserved before: nothing more */
		s->add[0] = s->held[0] ? 0 : c->units[0];
		s->add[1] = c->units[1];
		s->add[2] = s->held[2] ? 0 : c->units[2];
		s->pm = s->held[1] + s->add[1];
		break;
	case LIMIT_UNDO:
		if (s->st != 0) {
			s->stale = true;
			break;
		}
		s->rec = txn_find_rcpt(s->txn, c->rcpt);
		if (s->rec != NULL)
			memcpy(s->sub, s->rec->units, sizeof(s->sub));
		s->pm = s->held[1] - s->sub[1];
		break;
	case LIMIT_COMMIT:
		if (s->dup || s->st == 'c') {
			s->dup = true;
			memcpy(s->sub, s->held, sizeof(s->sub));
			break;
		}
		for (i = 0; i < 3; i++) {
			if (c->units[i] > s->held[i])
				s->add[i] = c->units[i] - s->held[i];
			else
				s->sub[i] = s->held[i] - c->units[i];
		}
		s->pm = c->units[1];
		break;
	case LIMIT_RELEASE:
		memcpy(s->sub, s->held, sizeof(s->sub));
		break;
	}
}

/* subj_finish - record the op in the subject's transaction and marker */
static int
subj_finish(struct mem_store *st, const struct limit_call *c,
	    struct mem_subj *s, bool refused, uint64_t now)
{
	struct mem_entry *t;
	struct mem_entry *q;
	size_t i;

	if (s->stale)
		return 0;
	switch (c->op) {
	case LIMIT_CHECK:
		return 0;
	case LIMIT_RESERVE:
		if (refused || s->rec != NULL)
			return 0;
		t = mem_put(st, s->tkey, MEM_TXN, now);
		if (t == NULL)
			return -1;
		t->rcpts = xreallocarray(t->rcpts, t->nrcpts + 1,
					 sizeof(*t->rcpts));
		t->rcpts[t->nrcpts].id = xstrdup(c->rcpt);
		memcpy(t->rcpts[t->nrcpts].units, s->add, sizeof(s->add));
		t->nrcpts++;
		for (i = 0; i < 3; i++)
			t->held[i] += s->add[i];
		mem_expire(st, t, now + c->ttl_ms);
		return 0;
	case LIMIT_UNDO:
		if (s->rec == NULL)
			return 0;
		t = s->txn;
		for (i = 0; i < 3; i++)
			t->held[i] -= s->rec->units[i];
		free(s->rec->id);
		*s->rec = t->rcpts[--t->nrcpts];
		return 0;
	case LIMIT_COMMIT:
	case LIMIT_RELEASE:
		t = mem_put(st, s->tkey, MEM_TXN, now);
		if (t == NULL)
			return -1;
		if (t->st == 0)
			t->st = (c->op == LIMIT_COMMIT && !refused) ? 'c' : 'x';
		memset(t->held, 0, sizeof(t->held));
		mem_expire(st, t, now + c->ttl_ms);
		if (c->op == LIMIT_COMMIT && !refused && !s->dup) {
			q = mem_put(st, s->qkey, MEM_MARK, now);
			if (q == NULL)
				return -1;
			mem_expire(st, q, now + c->ttl_ms);
		}
		return 0;
	}
	return 0;
}

/* mem_now - the call's clock, or the real one */
static uint64_t
mem_now(const struct limit_call *c)
{
	struct timespec ts;

	if (c->now_ms != 0)
		return c->now_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* mem_decide - one call, all subjects, under the store's lock */
static int
mem_decide_locked(struct mem_store *st, const struct limit_call *c,
		  struct limit_answer *a, struct err *e)
{
	struct mem_subj subj[LIMIT_SUBJECTS_MAX];
	struct mem_lim lims[LIMIT_HITS_MAX];
	uint64_t now = mem_now(c);
	bool over = false;
	bool stale = false;
	bool dup = false;
	size_t nl = 0;
	size_t i;
	size_t j;

	memset(subj, 0, sizeof(subj));
	for (i = 0; i < c->nsubjects; i++) {
		struct mem_subj *s = &subj[i];
		const char *key = c->subjects[i].key;

		if (str_format(s->tkey, sizeof(s->tkey), "T%s@%s", key,
			       c->txn) < 0 ||
		    str_format(s->qkey, sizeof(s->qkey), "Q%s@%s", key,
			       c->qid[0] ? c->qid : c->txn) < 0) {
			err_set(e, "memory store: key too long");
			return -1;
		}
		s->txn = mem_get(st, s->tkey, now);
		if (c->op == LIMIT_COMMIT && mem_get(st, s->qkey, now) != NULL)
			s->dup = true;
		subj_plan(c, s);
		stale = stale || (i == 0 && s->stale);
		dup = dup || s->dup;
		for (j = 0; j < c->subjects[i].ndefs; j++) {
			struct mem_lim *l = &lims[nl++];
			const struct limit_def *d = &c->subjects[i].defs[j];

			if (lim_load(st, key, d, now, l) < 0) {
				err_set(e, "memory store: key too long");
				return -1;
			}
			l->n = lim_units(d, s->add);
			if (d->counter == LIMIT_PER_MESSAGE ?
				    (s->add[1] > 0 && s->pm > l->amount) :
				    !lim_fits(l, l->n)) {
				l->state = d->dry_run ? LIMIT_STATE_DRY_OVER
						      : LIMIT_STATE_OVER;
				over = over || !d->dry_run;
			}
		}
	}
	/* A refused COMMIT gives the reservation back: the message is not
	 * sent.  A refused RESERVE or CHECK changes nothing. */
	nl = 0;
	for (i = 0; i < c->nsubjects; i++) {
		struct mem_subj *s = &subj[i];

		if (over && c->op == LIMIT_COMMIT) {
			memcpy(s->sub, s->held, sizeof(s->sub));
			memset(s->add, 0, sizeof(s->add));
		} else if (over) {
			memset(s->add, 0, sizeof(s->add));
			memset(s->sub, 0, sizeof(s->sub));
		}
		for (j = 0; j < c->subjects[i].ndefs; j++) {
			struct mem_lim *l = &lims[nl++];
			uint64_t give = lim_units(l->def, s->sub);
			uint64_t take = lim_units(l->def, s->add);
			bool dirty = false;

			if (c->op != LIMIT_CHECK && take > 0 &&
			    l->state == LIMIT_STATE_OK) {
				l->s = sat_add(l->s, sat_mul(take, l->tu));
				dirty = true;
			}
			if (give > 0) {
				uint64_t g = sat_mul(give, l->tu);

				l->s = l->s > g ? l->s - g : 0;
				dirty = true;
			}
			if (dirty && lim_store(st, l, now) < 0)
				goto full;
			lim_row(l, s->pm, now, &a->rows[a->nrows++]);
		}
		if (subj_finish(st, c, s, over, now) < 0)
			goto full;
	}
	a->code = over ? LIMIT_CODE_OVER
		       : dup ? LIMIT_CODE_DUPLICATE
			     : stale ? LIMIT_CODE_STALE : LIMIT_CODE_OK;
	return 0;
full:
	err_set(e, "memory store full (%d entries)", MEM_MAX_ENTRIES);
	return -1;
}

/* mem_decide - limit_backend.decide */
static int
mem_decide(struct limit_backend *b, const struct limit_call *c,
	   struct limit_answer *a, struct err *e)
{
	struct mem_store *st = ((struct mem_backend *)b)->store;
	int rc;

	memset(a, 0, sizeof(*a));
	pthread_mutex_lock(&st->lock);
	rc = mem_decide_locked(st, c, a, e);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* mem_reset - limit_backend.reset */
static int
mem_reset(struct limit_backend *b, const char *subject,
	  const struct limit_def *defs, size_t ndefs, const char *name,
	  struct err *e)
{
	struct mem_store *st = ((struct mem_backend *)b)->store;
	char key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 4];
	size_t i;

	pthread_mutex_lock(&st->lock);
	for (i = 0; i < ndefs; i++) {
		if (name != NULL && strcmp(name, defs[i].name) != 0)
			continue;
		if (str_format(key, sizeof(key), "L%s:%s", subject,
			       defs[i].name) == 0)
			mem_del(st, key);
	}
	pthread_mutex_unlock(&st->lock);
	(void)e;
	return 0;
}

/* mem_override_set - limit_backend.override_set */
static int
mem_override_set(struct limit_backend *b, const char *subject,
		 const struct limit_def *d, uint64_t ttl_ms, struct err *e)
{
	struct mem_store *st = ((struct mem_backend *)b)->store;
	char key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 4];
	struct limit_call c;
	struct mem_entry *ov;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	if (str_format(key, sizeof(key), "O%s:%s", subject, d->name) < 0) {
		err_set(e, "memory store: key too long");
		return -1;
	}
	pthread_mutex_lock(&st->lock);
	ov = mem_put(st, key, MEM_OVERRIDE, mem_now(&c));
	if (ov == NULL) {
		err_set(e, "memory store full");
		rc = -1;
	} else {
		ov->amount = d->amount;
		ov->period = d->period_ms;
		ov->unit = d->unit_ms;
		mem_expire(st, ov, ttl_ms ? mem_now(&c) + ttl_ms : 0);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* mem_override_clear - limit_backend.override_clear */
static int
mem_override_clear(struct limit_backend *b, const char *subject,
		   const struct limit_def *defs, size_t ndefs,
		   const char *name, struct err *e)
{
	struct mem_store *st = ((struct mem_backend *)b)->store;
	char key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 4];
	size_t i;

	pthread_mutex_lock(&st->lock);
	for (i = 0; i < ndefs; i++) {
		if (name != NULL && strcmp(name, defs[i].name) != 0)
			continue;
		if (str_format(key, sizeof(key), "O%s:%s", subject,
			       defs[i].name) == 0)
			mem_del(st, key);
	}
	pthread_mutex_unlock(&st->lock);
	(void)e;
	return 0;
}

/* mem_store_clear - forget every entry of a store */
static void
mem_store_clear(struct mem_store *st)
{
	memtab_free(st->tab);
	st->tab = NULL;
}

/* limit_mem_clear - forget the counters of a process-wide store (tests) */
void
limit_mem_clear(enum limit_mem_store which)
{
	struct mem_store *st;

	if (which == LIMIT_MEM_PRIVATE)
		return;
	st = &mem_stores[which == LIMIT_MEM_FALLBACK];
	pthread_mutex_lock(&st->lock);
	mem_store_clear(st);
	pthread_mutex_unlock(&st->lock);
}

/* mem_free - limit_backend.free; a private store goes with it */
static void
mem_free(struct limit_backend *b)
{
	struct mem_backend *mb = (struct mem_backend *)b;

	if (mb == NULL)
		return;
	if (mb->own) {
		mem_store_clear(mb->store);
		pthread_mutex_destroy(&mb->store->lock);
		free(mb->store);
	}
	free(mb);
}

/* limit_mem_new - a memory backend on the given store */
struct limit_backend *
limit_mem_new(enum limit_mem_store which)
{
	struct mem_backend *mb = xcalloc(1, sizeof(*mb));

	mb->ops.name = "memory";
	mb->ops.decide = mem_decide;
	mb->ops.reset = mem_reset;
	mb->ops.override_set = mem_override_set;
	mb->ops.override_clear = mem_override_clear;
	mb->ops.free = mem_free;
	if (which == LIMIT_MEM_PRIVATE) {
		mb->store = xcalloc(1, sizeof(*mb->store));
		pthread_mutex_init(&mb->store->lock, NULL);
		mb->own = true;
	} else {
		mb->store = &mem_stores[which == LIMIT_MEM_FALLBACK];
	}
	return &mb->ops;
}
