/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_mem - the in-process backend of limit.h: the same counting as the
 * Lua script of limit_redis.c, in C, for one node.
 *
 * State, as in Redis, per subject S: per limit NAME a bucket (level s in
 * units * tu, time t of the last drain, tu = period / quantum) and maybe
 * an override (amount, period, quantum, until when); the open leases of
 * the transactions that reserved (txn id, deadline, units, and for the
 * first subject of a call the hashes of its recipients); per transaction
 * a tombstone once it is finished (committed 'c' or released 'x'); per
 * queue id a "counted" marker.  Each entry expires like its Redis key: a
 * bucket when it would be empty, a lease at its deadline, tombstones and
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
#include "tspec.h"
#include "xalloc.h"

#define MEM_MAX_ENTRIES 2000000	/* then the store answers "full" */

enum mem_type {
	MEM_BUCKET,
	MEM_LEASES,
	MEM_TOMB,
	MEM_MARK,
	MEM_OVERRIDE,
};

/* One transaction's reservation on one subject. */
struct mem_lease {
	char *txn;
	uint64_t deadline;	/* ms; it counts until then */
	uint64_t u[3];		/* messages, recipients, bytes */
	char *hashes;		/* " h1 h2": its recipients (first subject) */
};

/* One entry's value (util/memtab holds the key and the expiry). */
struct mem_entry {
	enum mem_type type;
	/* bucket */
	uint64_t s;
	uint64_t t;
	uint64_t tu;
	/* a subject's leases */
	struct mem_lease *leases;
	size_t nleases;
	/* tombstone */
	char st;		/* 'c' committed, 'x' released */
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

	for (i = 0; i < en->nleases; i++) {
		free(en->leases[i].txn);
		free(en->leases[i].hashes);
	}
	free(en->leases);
	en->leases = NULL;
	en->nleases = 0;
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
	uint64_t n;		/* units this call adds */
	uint64_t retry;		/* refused: ms until they would fit */
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

/* lim_row - the answer row for one limit: used is what counts against
 * it, the bucket plus the open leases (per message: the recipients) */
static void
lim_row(const struct mem_lim *l, uint64_t pm, uint64_t leased, uint64_t now,
	struct limit_row *row)
{
	row->state = l->state;
	row->amount = l->amount;
	row->period_ms = l->period;
	if (l->def->counter == LIMIT_PER_MESSAGE) {
		row->used = pm;
		row->retry_ms = 0;
		row->reset_ms = 0;
		return;
	}
	row->used = sat_add(l->tu ? ceil_div(l->s, l->tu) : 0, leased);
	row->retry_ms = l->state != LIMIT_STATE_OK ? l->retry : 0;
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

/* What one subject brings to a call. */
struct mem_subj {
	char lkey[LIMIT_SUBJECT_MAX + 4];	/* its leases' entry */
	struct mem_entry *ls;			/* NULL: no lease */
	uint64_t sum[3];			/* every open lease */
	struct mem_lease *own;			/* this transaction's */
	uint64_t held[3];			/* own's units (0: none) */
};

/* mem_now - the call's clock, or the real one */
static uint64_t
mem_now(const struct limit_call *c)
{
	return c->now_ms != 0 ? c->now_ms : tspec_ms(CLOCK_REALTIME);
}

/* lease_drop - remove lease i of a subject's entry */
static void
lease_drop(struct mem_entry *ls, size_t i)
{
	free(ls->leases[i].txn);
	free(ls->leases[i].hashes);
	ls->leases[i] = ls->leases[--ls->nleases];
}

/* subj_load - a subject's open leases (expired ones swept) and this
 * transaction's among them */
static void
subj_load(struct mem_store *st, const char *subject, const char *txn,
	  uint64_t now, struct mem_subj *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	(void)str_format(s->lkey, sizeof(s->lkey), "R%s", subject);
	s->ls = mem_get(st, s->lkey, now);
	for (i = 0; s->ls != NULL && i < s->ls->nleases;) {
		struct mem_lease *l = &s->ls->leases[i];

		if (l->deadline <= now) {	/* its transaction is gone */
			lease_drop(s->ls, i);
			continue;
		}
		s->sum[0] += l->u[0];
		s->sum[1] += l->u[1];
		s->sum[2] += l->u[2];
		i++;
	}
	for (i = 0; s->ls != NULL && i < s->ls->nleases; i++) {
		if (strcmp(s->ls->leases[i].txn, txn) == 0) {
			s->own = &s->ls->leases[i];
			memcpy(s->held, s->own->u, sizeof(s->held));
		}
	}
}

/* subj_keep - the leases' entry lives until its last deadline */
static void
subj_keep(struct mem_store *st, struct mem_subj *s)
{
	uint64_t last = 0;
	size_t i;

	if (s->ls == NULL)
		return;
	for (i = 0; i < s->ls->nleases; i++)
		if (s->ls->leases[i].deadline > last)
			last = s->ls->leases[i].deadline;
	if (last == 0)
		mem_del(st, s->lkey);
	else
		mem_expire(st, s->ls, last);
}

/* subj_lease - this transaction's lease after a RESERVE that added a
 * (units), its deadline moved on; -1 when the store is full */
static int
subj_lease(struct mem_store *st, const struct limit_call *c,
	   struct mem_subj *s, const uint64_t a[3], bool first, uint64_t now)
{
	struct mem_lease *l;
	size_t i;

	if (s->ls == NULL) {
		s->ls = mem_put(st, s->lkey, MEM_LEASES, now);
		if (s->ls == NULL)
			return -1;
	}
	if (s->own == NULL) {
		s->ls->leases = xreallocarray(s->ls->leases,
					      s->ls->nleases + 1,
					      sizeof(*s->ls->leases));
		l = &s->ls->leases[s->ls->nleases++];
		memset(l, 0, sizeof(*l));
		l->txn = xstrdup(c->txn);
		l->hashes = xstrdup("");
		s->own = l;
	}
	l = s->own;
	l->deadline = now + c->lease_ms;
	for (i = 0; i < 3; i++)
		l->u[i] += a[i];
	if (first && c->rcpt[0] != '\0') {
		size_t n = strlen(l->hashes);
		char *h = xmalloc(n + strlen(c->rcpt) + 2);

		memcpy(h, l->hashes, n);
		h[n] = ' ';
		memcpy(h + n + 1, c->rcpt, strlen(c->rcpt) + 1);
		free(l->hashes);
		l->hashes = h;
	}
	return 0;
}

/* hash_at - where the recipient hash is among a lease's (" h1 h2"), the
 * blank before it; NULL when it is not there */
static char *
hash_at(const struct mem_subj *s, const char *rcpt)
{
	size_t n = strlen(rcpt);
	char *h;

	if (s->own == NULL || n == 0)
		return NULL;
	for (h = strstr(s->own->hashes, rcpt); h != NULL;
	     h = strstr(h + 1, rcpt))
		if (h > s->own->hashes && h[-1] == ' ' &&
		    (h[n] == ' ' || h[n] == '\0'))
			return h - 1;
	return NULL;
}

/* has_hash - is the recipient hash among a lease's hashes? */
static bool
has_hash(const struct mem_subj *s, const char *rcpt)
{
	return hash_at(s, rcpt) != NULL;
}

/* subj_unreserve - one recipient fewer in this transaction's lease (the
 * whole lease when it was the last) */
static void
subj_unreserve(struct mem_subj *s, const char *rcpt, bool first)
{
	char *h;

	if (s->own == NULL)
		return;
	if (s->own->u[1] <= 1) {
		lease_drop(s->ls, (size_t)(s->own - s->ls->leases));
		s->own = NULL;
		return;
	}
	s->own->u[1]--;
	if (first && (h = hash_at(s, rcpt)) != NULL) {
		const char *rest = h + 1 + strlen(rcpt);

		memmove(h, rest, strlen(rest) + 1);
	}
}

/* What a call does, decided from the first subject's transaction. */
struct mem_plan {
	uint64_t add[3];	/* units that count now */
	uint64_t pm;		/* recipients of the message (caps) */
	bool stale;
	bool dup;
	bool rep;		/* a recipient reserved before */
	bool final;		/* the message counts in the buckets */
	char tomb;		/* 0, 'c', 'x' */
};

/* mem_plan - what this op adds, from the state of the transaction */
static void
mem_plan(const struct limit_call *c, const struct mem_subj *s0,
	 struct mem_plan *p)
{
	memset(p->add, 0, sizeof(p->add));
	p->pm = s0->held[1];
	switch (c->op) {
	case LIMIT_CHECK:
		memcpy(p->add, c->units, sizeof(p->add));
		p->pm = c->units[1];
		break;
	case LIMIT_RESERVE:
		if (p->tomb) {
			p->stale = true;
		} else if (has_hash(s0, c->rcpt)) {
			p->rep = true;
		} else {
			p->add[0] = s0->held[0] ? 0 : c->units[0];
			p->add[1] = c->units[1];
			p->add[2] = s0->held[2] ? 0 : c->units[2];
			p->pm = s0->held[1] + c->units[1];
		}
		break;
	case LIMIT_UNDO:
		if (p->tomb)
			p->stale = true;
		else if (!has_hash(s0, c->rcpt))
			p->rep = true;
		else
			p->pm = s0->held[1] - 1;
		break;
	case LIMIT_COMMIT:
		if (p->tomb == 'x' && !p->dup) {
			p->stale = true;
		} else if (!p->dup) {
			memcpy(p->add, c->units, sizeof(p->add));
			p->pm = c->units[1];
		}
		break;
	case LIMIT_SETTLE:
		if (!p->dup) {
			memcpy(p->add, c->units, sizeof(p->add));
			p->pm = c->units[1];
		}
		break;
	case LIMIT_RELEASE:
		break;
	}
	p->final = (c->op == LIMIT_COMMIT || c->op == LIMIT_SETTLE) &&
		   !p->dup && !p->stale;
}

/* mem_finish_txn - the tombstone and the queue id marker of the call */
static int
mem_finish_txn(struct mem_store *st, const struct limit_call *c,
	       const struct mem_plan *p, bool over, uint64_t now)
{
	char key[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 4];
	struct mem_entry *en;
	bool made;

	if (!p->final && c->op != LIMIT_RELEASE &&
	    !(c->op == LIMIT_COMMIT && over && !p->stale))
		return 0;
	(void)str_format(key, sizeof(key), "T%s@%s", c->subjects[0].key,
			 c->txn);
	en = memtab_put(mem_tab(st), key, now, &made);
	if (en == NULL)
		return -1;
	if (made || p->final) {		/* a release never hides a commit */
		en->type = MEM_TOMB;
		en->st = p->final ? 'c' : 'x';
		/* a lease time: the fence for late commands (the ttl for a
		 * commit without a queue id: its marker is the tombstone) */
		mem_expire(st, en, now + (p->final && c->qid[0] == '\0'
					  ? c->ttl_ms : c->lease_ms));
	}
	if (p->final && c->qid[0] != '\0') {
		(void)str_format(key, sizeof(key), "Q%s@%s",
				 c->subjects[0].key, c->qid);
		en = mem_put(st, key, MEM_MARK, now);
		if (en == NULL)
			return -1;
		mem_expire(st, en, now + c->ttl_ms);
	}
	return 0;
}

/* mem_decide_locked - one call, all subjects, under the store's lock */
static int
mem_decide_locked(struct mem_store *st, const struct limit_call *c,
		  struct limit_answer *a, struct err *e)
{
	struct mem_subj subj[LIMIT_SUBJECTS_MAX];
	struct mem_lim lims[LIMIT_HITS_MAX];
	uint64_t now = mem_now(c);
	struct mem_plan p;
	char key[LIMIT_SUBJECT_MAX + LIMIT_ID_MAX + 4];
	struct mem_entry *en;
	bool over = false;
	bool drop;
	size_t nl = 0;
	size_t i;
	size_t j;

	if (c->deadline_ms != 0 && now > c->deadline_ms) {
		a->code = LIMIT_CODE_LATE;	/* too late: nothing done */
		return 0;
	}
	memset(&p, 0, sizeof(p));
	for (i = 0; i < c->nsubjects; i++)
		subj_load(st, c->subjects[i].key, c->txn, now, &subj[i]);
	if (c->op != LIMIT_CHECK && subj[0].own == NULL) {
		(void)str_format(key, sizeof(key), "T%s@%s",
				 c->subjects[0].key, c->txn);
		en = mem_get(st, key, now);
		p.tomb = en != NULL ? en->st : 0;
	}
	if (c->op == LIMIT_COMMIT || c->op == LIMIT_SETTLE) {
		(void)str_format(key, sizeof(key), "Q%s@%s",
				 c->subjects[0].key, c->qid);
		p.dup = p.tomb == 'c' ||
			(c->qid[0] != '\0' && mem_get(st, key, now) != NULL);
	}
	mem_plan(c, &subj[0], &p);
	/* every limit: drained, checked against the buckets and every open
	 * lease (this one's too, unless it becomes final now) */
	for (i = 0; i < c->nsubjects; i++) {
		struct mem_subj *s = &subj[i];
		uint64_t others[3];

		for (j = 0; j < 3; j++)
			others[j] = p.final ? s->sum[j] - s->held[j]
					    : s->sum[j];
		for (j = 0; j < c->subjects[i].ndefs; j++) {
			struct mem_lim *l = &lims[nl++];
			const struct limit_def *d = &c->subjects[i].defs[j];
			uint64_t h;
			bool bad;

			if (lim_load(st, c->subjects[i].key, d, now, l) < 0) {
				err_set(e, "memory store: key too long");
				return -1;
			}
			l->n = lim_units(d, p.add);
			h = lim_units(d, others);
			if (c->op == LIMIT_SETTLE)
				bad = false;
			else if (d->counter == LIMIT_PER_MESSAGE)
				bad = p.add[1] > 0 && p.pm > l->amount;
			else
				bad = !lim_fits(l, sat_add(l->n, h)) && l->n > 0;
			if (bad) {
				l->state = d->dry_run ? LIMIT_STATE_DRY_OVER
						      : LIMIT_STATE_OVER;
				over = over || !d->dry_run;
				if (d->counter != LIMIT_PER_MESSAGE)
					l->retry = lim_retry(l, sat_add(l->n, h),
							     now);
			}
		}
	}
	/* apply, all or nothing: a refused commit gives its lease back */
	if (over)
		p.final = false;
	drop = c->op == LIMIT_RELEASE ||
	       (c->op == LIMIT_COMMIT && !p.stale) ||
	       (c->op == LIMIT_SETTLE && p.dup) || p.final;
	if (c->op == LIMIT_UNDO)
		drop = false;
	nl = 0;
	for (i = 0; i < c->nsubjects; i++) {
		struct mem_subj *s = &subj[i];

		if (drop && s->own != NULL) {
			lease_drop(s->ls, (size_t)(s->own - s->ls->leases));
			s->own = NULL;
		} else if (c->op == LIMIT_RESERVE && !over && !p.stale &&
			   !p.rep) {
			if (subj_lease(st, c, s, p.add, i == 0, now) < 0)
				goto full;
		} else if (c->op == LIMIT_UNDO && !p.stale && !p.rep) {
			subj_unreserve(s, c->rcpt, i == 0);
		}
		memset(s->sum, 0, sizeof(s->sum));
		for (j = 0; s->ls != NULL && j < s->ls->nleases; j++) {
			s->sum[0] += s->ls->leases[j].u[0];
			s->sum[1] += s->ls->leases[j].u[1];
			s->sum[2] += s->ls->leases[j].u[2];
		}
		subj_keep(st, s);
		for (j = 0; j < c->subjects[i].ndefs; j++) {
			struct mem_lim *l = &lims[nl++];
			uint64_t take = lim_units(l->def, p.add);

			if (p.final && take > 0 &&
			    l->def->counter != LIMIT_PER_MESSAGE) {
				l->s = sat_add(l->s, sat_mul(take, l->tu));
				if (lim_store(st, l, now) < 0)
					goto full;
			}
			lim_row(l, p.pm, lim_units(l->def, s->sum), now,
				&a->rows[a->nrows++]);
		}
	}
	if (mem_finish_txn(st, c, &p, over, now) < 0)
		goto full;
	a->code = over ? LIMIT_CODE_OVER
		       : p.dup ? LIMIT_CODE_DUPLICATE
			       : p.stale ? LIMIT_CODE_STALE : LIMIT_CODE_OK;
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

/* mem_override_set - limit_backend.override_set (until: epoch ms, 0:
 * kept until cleared) */
static int
mem_override_set(struct limit_backend *b, const char *subject,
		 const struct limit_def *d, uint64_t until_ms, uint64_t ttl_ms,
		 struct err *e)
{
	struct mem_store *st = ((struct mem_backend *)b)->store;
	char key[LIMIT_SUBJECT_MAX + LIMIT_NAME_MAX + 4];
	struct limit_call c;
	struct mem_entry *ov;
	int rc = 0;

	(void)ttl_ms;
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
		mem_expire(st, ov, until_ms);
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
