/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * relayguard_redis - a Redis module (Redis 7.0 or later) with one
 * command, RELAYGUARD.LIMIT, that takes a limit decision natively: the
 * work of the Lua script limit_redis_lua (core/limit_redis.c) step for
 * step, without Lua's text parsing, tables and garbage.
 *
 *	RELAYGUARD.LIMIT PROTO NUMKEYS KEY... OP LEASE RCPT NUMBERS NAME...
 *
 * PROTO is the argument layout's version, "4" (the script's v4): a
 * module that speaks another answers "RGPROTO ..." and does nothing, so
 * a client never has its arguments read the wrong way; the client then
 * runs the script.  The rest is the script's KEYS and ARGV as after
 * EVALSHA's sha, and the reply, the fields written and their text, the
 * deletions, the expiry and the tombstone and marker are the script's,
 * byte for byte: limit_redis.c's header comment is the manual.  The
 * numbers are computed in doubles, in the script's order, because that
 * is what Lua computes in; "%d" and the reply cut them as Lua does.
 *
 * Where the module is stricter: every argument is checked before
 * anything is read (the count of keys and names, the numbers argument's
 * exact length, op, counters 0-7, numbers below 2^53, a quantum for
 * every bucket, lease time and ttl at least 1 ms for the ops that end a
 * transaction (the script would fail at its SET), no key twice) and
 * answered with an error; every key's type is checked before anything
 * is written (strings for the tombstone and the marker, hashes for the
 * subjects): WRONGTYPE and nothing changed, where the script could
 * have swept leases of one subject before failing on another.  The
 * recipient's hash is looked for as plain text (the script removes it
 * with a pattern: the same for relayguard's hexadecimal hashes).
 *
 * Replication: every write is sent to replicas and the AOF as a plain
 * command with absolute times (HSET, HDEL, PEXPIREAT, SET ... PXAT),
 * which Redis wraps in MULTI/EXEC: a replica without the module stays
 * identical.  Keys are declared through the getkeys interface (Cluster
 * routing, ACL key patterns); the command is write and deny-oom (like
 * the script's "#!lua": refused before it starts when memory is out),
 * not fast (a sweep walks the hash).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "rmapi.h"

#define RGM_PROTO "4"
#define RGM_SUBJECTS_MAX 16
#define RGM_LIMITS_MAX 256
#define RGM_NUM_MAX 9007199254740992.0	/* 2^53 */
#define RGM_HEAD 56			/* the seven 8-byte numbers */

__attribute__((visibility("default"))) int
RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv,
		       int argc);

/* One subject: its hash and what pass 1 read (the script's G). */
struct rgm_subj {
	RedisModuleString *name;
	RedisModuleKey *key;
	size_t q;		/* its limits in the numbers */
	size_t nl;
	size_t first;		/* its first limit in the call */
	int nb;			/* argv index of its first name */
	double rm, rr, rb, nx, ly, ex;
	bool sw;
	double d, m, r, b;	/* this transaction's lease */
	bool noend;
	double keep;
	RedisModuleString *lease;	/* HMGET's l:TXN */
};

/* One limit (the script's L). */
struct rgm_lim {
	RedisModuleString *bv;	/* the bucket's text, or NULL */
	double s, t, am, pe, un, st, rt;
	int c;
	const char *ov;		/* the override text kept, in bv */
	size_t ovlen;
};

/* One call. */
struct rgm_call {
	RedisModuleCtx *ctx;
	RedisModuleString **argv;
	const unsigned char *n;	/* the numbers */
	size_t nlen;
	char op;
	RedisModuleString *lf;
	const char *rh;
	size_t rhlen;
	double now, dl, lt, ttl, u1, u2, u3;
	size_t ns;
	size_t nlim;
	bool hasq;
	RedisModuleKey *tk;	/* tombstone, marker (the same: no qid) */
	RedisModuleKey *qk;
	struct rgm_subj s[RGM_SUBJECTS_MAX];
	struct rgm_lim l[RGM_LIMITS_MAX];
	/* the sweep's fields to delete */
	RedisModuleString **del;
	size_t ndel;
	size_t cdel;
	const char *hs;		/* the first subject's recipients */
	size_t hslen;
};

static RedisModuleString *rgm_rfield;	/* "R" */
static struct rgm_call rgm_one;		/* the call running */

/* rgm_u64 - the numbers' 8-byte little-endian integer at off */
static uint64_t
rgm_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* rgm_int - a double cut to an integer as Lua's "%d" and the reply do
 * on this machine (x86-64: out of range is LLONG_MIN) */
static long long
rgm_int(double x)
{
	if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
		return LLONG_MIN;
	return (long long)x;
}

/* rgm_tonum - Lua's tonumber of the digits p[0, n) */
static double
rgm_tonum(const char *p, size_t n)
{
	uint64_t v = 0;
	double d;
	char *buf;
	size_t i;

	if (n <= 19) {
		for (i = 0; i < n; i++)
			v = v * 10 + (uint64_t)(p[i] - '0');
		return (double)v;
	}
	buf = rm.Alloc(n + 1);
	memcpy(buf, p, n);
	buf[n] = '\0';
	d = strtod(buf, NULL);
	rm.Free(buf);
	return d;
}

/* rgm_runs - s[0, len) from its start as count runs of digits one space
 * apart (Lua's "^(%d+) (%d+)..."): each run's start and length; where
 * the rest begins, or -1 when it does not match */
static long
rgm_runs(const char *s, size_t len, int count, size_t *at, size_t *n)
{
	size_t i = 0;
	int k;

	for (k = 0; k < count; k++) {
		if (k > 0) {
			if (i >= len || s[i] != ' ')
				return -1;
			i++;
		}
		at[k] = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		n[k] = i - at[k];
		if (n[k] == 0)
			return -1;
	}
	return (long)i;
}

/* rgm_nums - rgm_runs with the runs' values in v */
static long
rgm_nums(const char *s, size_t len, int count, double *v)
{
	size_t at[6];
	size_t n[6];
	long end = rgm_runs(s, len, count, at, n);
	int k;

	if (end < 0)
		return -1;
	for (k = 0; k < count; k++)
		v[k] = rgm_tonum(s + at[k], n[k]);
	return end;
}

/* rgm_fdiv - the script's fdiv (floor division in doubles) */
static double
rgm_fdiv(double a, double b)
{
	double q = floor(a / b);
	double r = a - q * b;

	if (r < 0)
		q = q - 1;
	else if (r >= b)
		q = q + 1;
	return q;
}

/* rgm_cdiv - the script's cdiv (ceiling division) */
static double
rgm_cdiv(double a, double b)
{
	double q = rgm_fdiv(a, b);

	if (q * b < a)
		q = q + 1;
	return q;
}

/* rgm_find - whether " " RH occurs in s[0, len) (plain text) */
static long
rgm_find(const char *s, size_t len, const char *rh, size_t rhlen)
{
	size_t i;

	if (rhlen + 1 > len)
		return -1;
	for (i = 0; i + rhlen + 1 <= len; i++)
		if (s[i] == ' ' && memcmp(s + i + 1, rh, rhlen) == 0)
			return (long)i;
	return -1;
}

/* rgm_put - x in decimal at out (room for 20 characters), as "%lld"
 * writes it; its length */
static size_t
rgm_put(char *out, long long x)
{
	char tmp[20];
	unsigned long long u = x < 0 ? 0 - (unsigned long long)x
				     : (unsigned long long)x;
	size_t n = 0;
	size_t i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (x < 0)
		out[i++] = '-';
	while (n > 0)
		out[i++] = tmp[--n];
	return i;
}

/* rgm_str - a new string of the text "%d %d ..." of v[0, n) followed by
 * tail[0, tlen) */
static RedisModuleString *
rgm_str(RedisModuleCtx *ctx, const double *v, int n, const char *tail,
	size_t tlen)
{
	char buf[256];
	char *big = NULL;
	RedisModuleString *out;
	size_t len = 0;
	int k;

	if (n > 8)	/* 8 numbers of 21 characters at most fit in buf */
		n = 8;
	for (k = 0; k < n; k++) {
		if (k > 0)
			buf[len++] = ' ';
		len += rgm_put(buf + len, rgm_int(v[k]));
	}
	if (tlen == 0)
		return rm.CreateString(ctx, buf, len);
	big = rm.Alloc(len + tlen);
	memcpy(big, buf, len);
	memcpy(big + len, tail, tlen);
	out = rm.CreateString(ctx, big, len + tlen);
	rm.Free(big);
	return out;
}

/* rgm_error - an error reply; the status */
static int
rgm_error(RedisModuleCtx *ctx, const char *text)
{
	rm.ReplyWithError(ctx, text);
	return RMAPI_OK;
}

/* rgm_args - the arguments read and checked (nothing opened yet); NULL,
 * or the error's text */
static const char *
rgm_args(struct rgm_call *c, RedisModuleString **argv, int argc)
{
	const char *p;
	size_t len;
	size_t pos;
	size_t i;
	size_t j;
	long long nk = 0;
	int base;

	p = rm.StringPtrLen(argv[1], &len);
	if (len != strlen(RGM_PROTO) || memcmp(p, RGM_PROTO, len) != 0)
		return "RGPROTO relayguard.limit speaks protocol " RGM_PROTO;
	p = rm.StringPtrLen(argv[2], &len);
	for (i = 0; i < len && i < 4; i++) {
		if (p[i] < '0' || p[i] > '9')
			break;
		nk = nk * 10 + (p[i] - '0');
	}
	if (len == 0 || i != len || nk < 3 || nk > 2 + RGM_SUBJECTS_MAX ||
	    argc < 3 + (int)nk + 4)
		return "ERR relayguard.limit: bad number of keys";
	c->ns = (size_t)nk - 2;
	base = 3 + (int)nk;
	p = rm.StringPtrLen(argv[base], &len);
	if (len != 1 || strchr("CRUMXS", p[0]) == NULL)
		return "ERR relayguard.limit: bad op";
	c->op = p[0];
	c->lf = argv[base + 1];
	c->rh = rm.StringPtrLen(argv[base + 2], &c->rhlen);
	c->n = (const unsigned char *)rm.StringPtrLen(argv[base + 3],
						      &c->nlen);
	if (c->nlen < RGM_HEAD)
		return "ERR relayguard.limit: numbers too short";
	{
		double *h[7] = {&c->now, &c->dl, &c->lt, &c->ttl, &c->u1,
				&c->u2, &c->u3};

		for (i = 0; i < 7; i++) {
			*h[i] = (double)rgm_u64(c->n + 8 * i);
			if (*h[i] >= RGM_NUM_MAX)
				return "ERR relayguard.limit: number out "
				       "of range";
		}
	}
	/* the ops that may end a transaction write a tombstone for them */
	if (strchr("MSX", c->op) != NULL && (c->lt < 1 || c->ttl < 1))
		return "ERR relayguard.limit: lease time or ttl is 0";
	pos = RGM_HEAD;
	c->nlim = 0;
	for (i = 0; i < c->ns; i++) {
		struct rgm_subj *s = &c->s[i];

		if (pos >= c->nlen)
			return "ERR relayguard.limit: numbers too short";
		s->nl = c->n[pos];
		s->q = pos + 1;
		s->first = c->nlim;
		s->nb = base + 4 + (int)c->nlim;
		s->name = argv[5 + i];
		s->key = NULL;
		s->lease = NULL;
		if (c->nlim + s->nl > RGM_LIMITS_MAX)
			return "ERR relayguard.limit: too many limits";
		if (c->nlen - s->q < 25 * s->nl)
			return "ERR relayguard.limit: numbers too short";
		for (j = 0; j < s->nl; j++) {
			const unsigned char *r = c->n + s->q + 25 * j;

			c->l[s->first + j].bv = NULL;
			double am = (double)rgm_u64(r + 1);
			double pe = (double)rgm_u64(r + 9);
			double un = (double)rgm_u64(r + 17);

			if (r[0] > 7)
				return "ERR relayguard.limit: bad counter";
			if (am >= RGM_NUM_MAX || pe >= RGM_NUM_MAX ||
			    un >= RGM_NUM_MAX || (r[0] % 4 != 3 && un < 1))
				return "ERR relayguard.limit: number out "
				       "of range";
		}
		pos = s->q + 25 * s->nl;
		c->nlim += s->nl;
	}
	if (pos != c->nlen)
		return "ERR relayguard.limit: numbers too long";
	if ((size_t)argc != (size_t)base + 4 + c->nlim)
		return "ERR relayguard.limit: wrong number of limit names";
	/* no key twice, but the marker may be the tombstone */
	for (i = 0; i < (size_t)nk; i++) {
		const char *a = rm.StringPtrLen(argv[3 + i], &len);

		for (j = i + 1; j < (size_t)nk; j++) {
			size_t blen;
			const char *b = rm.StringPtrLen(argv[3 + j], &blen);

			if (len == blen && memcmp(a, b, len) == 0 &&
			    !(i == 0 && j == 1))
				return "ERR relayguard.limit: a key given "
				       "twice";
		}
	}
	{
		size_t alen;
		size_t blen;
		const char *a = rm.StringPtrLen(argv[3], &alen);
		const char *b = rm.StringPtrLen(argv[4], &blen);

		c->hasq = alen != blen || memcmp(a, b, alen) != 0;
	}
	return NULL;
}

/* rgm_open - every key opened and its type checked; -1: wrong type */
static int
rgm_open(struct rgm_call *c)
{
	size_t i;
	int t;

	c->tk = rm.OpenKey(c->ctx, c->argv[3], RMAPI_READ | RMAPI_WRITE);
	t = rm.KeyType(c->tk);
	if (t != RMAPI_KEYTYPE_EMPTY && t != RMAPI_KEYTYPE_STRING)
		return -1;
	if (c->hasq) {
		c->qk = rm.OpenKey(c->ctx, c->argv[4],
				   RMAPI_READ | RMAPI_WRITE);
		t = rm.KeyType(c->qk);
		if (t != RMAPI_KEYTYPE_EMPTY && t != RMAPI_KEYTYPE_STRING)
			return -1;
	}
	for (i = 0; i < c->ns; i++) {
		c->s[i].key = rm.OpenKey(c->ctx, c->s[i].name,
					 RMAPI_READ | RMAPI_WRITE);
		t = rm.KeyType(c->s[i].key);
		if (t != RMAPI_KEYTYPE_EMPTY && t != RMAPI_KEYTYPE_HASH)
			return -1;
	}
	return 0;
}

/* Sweep state, for rgm_sweep_field. */
struct rgm_sweep {
	struct rgm_call *c;
	struct rgm_subj *s;
	bool lease_gone;
};

/* rgm_sweep_field - one field of a hash being swept: an open lease
 * summed, an expired or unreadable one noted for deletion */
static void
rgm_sweep_field(RedisModuleKey *key, RedisModuleString *field,
		RedisModuleString *value, void *priv)
{
	struct rgm_sweep *w = priv;
	struct rgm_call *c = w->c;
	struct rgm_subj *s = w->s;
	size_t flen;
	size_t vlen;
	size_t lflen;
	const char *f = rm.StringPtrLen(field, &flen);
	const char *v = rm.StringPtrLen(value, &vlen);
	const char *lf = rm.StringPtrLen(c->lf, &lflen);
	double x[4];

	(void)key;
	if (flen < 2 || f[0] != 'l' || f[1] != ':')
		return;
	if (rgm_nums(v, vlen, 4, x) < 0 || x[0] <= c->now) {
		if (c->ndel == c->cdel) {
			c->cdel = c->cdel ? 2 * c->cdel : 16;
			c->del = rm.Realloc(c->del,
					    c->cdel * sizeof(c->del[0]));
		}
		c->del[c->ndel++] = rm.CreateString(c->ctx, f, flen);
		if (flen == lflen && memcmp(f, lf, flen) == 0)
			w->lease_gone = true;
		return;
	}
	s->rm = s->rm + x[1];
	s->rr = s->rr + x[2];
	s->rb = s->rb + x[3];
	if (s->nx == 0 || x[0] < s->nx)
		s->nx = x[0];
	if (x[0] > s->ly)
		s->ly = x[0];
}

/* rgm_sweep - a lease of the subject ran out: every lease summed again,
 * the dead ones deleted (replicated as HDEL) */
static void
rgm_sweep(struct rgm_call *c, struct rgm_subj *s)
{
	struct rgm_sweep w = {c, s, false};
	RedisModuleScanCursor *cur = rm.ScanCursorCreate();
	size_t i;

	s->rm = s->rr = s->rb = s->nx = s->ly = 0;
	c->ndel = 0;
	while (rm.ScanKey(s->key, cur, rgm_sweep_field, &w))
		;
	rm.ScanCursorDestroy(cur);
	for (i = 0; i < c->ndel; i++)
		rm.HashSet(s->key, RMAPI_HASH_NONE, c->del[i],
			   RMAPI_HASH_DELETE, NULL);
	if (c->ndel > 0)
		rm.Replicate(c->ctx, "HDEL", "sv", s->name, c->del, c->ndel);
	for (i = 0; i < c->ndel; i++)
		rm.FreeString(c->ctx, c->del[i]);
	c->ndel = 0;
	if (w.lease_gone && s->lease != NULL) {
		rm.FreeString(c->ctx, s->lease);
		s->lease = NULL;
	}
	if (s->nx > 0 && s->nx < c->now + c->lt / 8)
		s->nx = c->now + floor(c->lt / 8);
	s->sw = true;
}

/* rgm_pass1 - per subject: R, the lease, the buckets read, leases swept
 * when one ran out, this transaction's lease */
static void
rgm_pass1(struct rgm_call *c)
{
	size_t i;
	size_t j;

	for (i = 0; i < c->ns; i++) {
		struct rgm_subj *s = &c->s[i];
		RedisModuleString *r = NULL;
		double x[6];

		s->lease = NULL;
		rm.HashGet(s->key, RMAPI_HASH_NONE, rgm_rfield, &r, c->lf,
			   &s->lease, NULL);
		for (j = 0; j < s->nl; j++) {
			c->l[s->first + j].bv = NULL;
			rm.HashGet(s->key, RMAPI_HASH_NONE,
				   c->argv[s->nb + (int)j],
				   &c->l[s->first + j].bv, NULL);
		}
		s->rm = s->rr = s->rb = s->nx = s->ly = s->ex = 0;
		s->sw = false;
		if (r != NULL) {
			size_t len;
			const char *p = rm.StringPtrLen(r, &len);

			if (rgm_nums(p, len, 6, x) == (long)len) {
				s->rm = x[0];
				s->rr = x[1];
				s->rb = x[2];
				s->nx = x[3];
				s->ly = x[4];
				s->ex = x[5];
			}
			rm.FreeString(c->ctx, r);
		}
		if (s->nx > 0 && s->nx <= c->now)
			rgm_sweep(c, s);
		s->d = s->m = s->r = s->b = 0;
		if (s->lease != NULL) {
			size_t len;
			const char *p = rm.StringPtrLen(s->lease, &len);
			long end = rgm_nums(p, len, 4, x);

			if (end >= 0 && x[0] > c->now) {
				s->d = x[0];
				s->m = x[1];
				s->r = x[2];
				s->b = x[3];
				if (i == 0) {
					c->hs = p + end;
					c->hslen = len - (size_t)end;
				}
			}
		}
		s->noend = false;
		s->keep = 0;
	}
}

/* rgm_get - a string key's value, or NULL (empty) */
static const char *
rgm_get(RedisModuleKey *k, size_t *len)
{
	if (rm.KeyType(k) != RMAPI_KEYTYPE_STRING)
		return NULL;
	return rm.StringDMA(k, len, RMAPI_READ);
}

/* rgm_is - whether the value v (NULL: none) is the text t */
static bool
rgm_is(const char *v, size_t len, const char *t)
{
	return v != NULL && len == strlen(t) && memcmp(v, t, len) == 0;
}

/* rgm_limit - pass 2 for one limit: its bucket drained to now, the
 * override applied, whether the units fit */
static bool
rgm_limit(struct rgm_call *c, struct rgm_subj *s, size_t j,
	  const double *a, double pm, double hm, double hr, double hb)
{
	struct rgm_lim *l = &c->l[s->first + j];
	const unsigned char *r = c->n + s->q + 25 * j;
	int cn = r[0];
	bool dry = cn >= 4;
	double am = (double)rgm_u64(r + 1);
	double pe = (double)rgm_u64(r + 9);
	double un = (double)rgm_u64(r + 17);
	double s0 = 0;
	double t = c->now;
	double tu = 1;
	double n = 0;
	double h = 0;
	bool bad;
	double x[4];

	if (dry)
		cn -= 4;
	l->ov = NULL;
	l->ovlen = 0;
	if (l->bv != NULL) {
		size_t len;
		size_t at[4];
		size_t nn[4];
		const char *p = rm.StringPtrLen(l->bv, &len);
		long end = rgm_runs(p, len, 4, at, nn);

		if (end >= 0 && (size_t)end < len) {
			const char *o = p + end;
			size_t olen = len - (size_t)end;

			l->ov = o;
			l->ovlen = olen;
			if (olen > 3 && memcmp(o, " o ", 3) == 0 &&
			    rgm_nums(o + 3, olen - 3, 4, x) ==
				    (long)(olen - 3) &&
			    (x[3] == 0 || x[3] > c->now)) {
				am = x[0];
				pe = x[1];
				un = x[2];
				if (x[3] == 0)
					s->noend = true;
				else if (x[3] - c->now > s->keep)
					s->keep = x[3] - c->now;
			}
		}
		if (cn != 3 && end >= 0 && !(nn[1] == 1 && p[at[1]] == '0')) {
			double tu0 = pe / un;
			double stu = rgm_tonum(p + at[3], nn[3]);

			s0 = rgm_tonum(p + at[1], nn[1]);
			t = rgm_tonum(p + at[2], nn[2]);
			if (stu != tu0 && stu > 0)
				s0 = rgm_cdiv(s0 * tu0, stu);
			if (c->now > t) {
				double k = rgm_fdiv(c->now - t, un);

				if (k > 0) {
					double d = k * am;

					if (d >= s0) {
						s0 = 0;
						t = c->now;
					} else {
						s0 = s0 - d;
						t = t + k * un;
					}
				}
			}
			if (s0 == 0)
				t = c->now;
		}
	}
	if (cn != 3)
		tu = pe / un;
	if (cn == 0) {
		n = a[0];
		h = hm;
	} else if (cn == 1) {
		n = a[1];
		h = hr;
	} else if (cn == 2) {
		n = a[2];
		h = hb;
	}
	if (c->op == 'S')
		bad = false;
	else if (cn == 3)
		bad = a[1] > 0 && pm > am;
	else
		bad = n > 0 && s0 + (h + n) * tu > am * tu;
	l->st = 0;
	l->rt = 0;
	if (bad) {
		l->st = dry ? 2 : 1;
		if (cn == 3)
			l->rt = 0;
		else if (n + h > am || am == 0)
			l->rt = pe;
		else {
			double at = t + rgm_cdiv(s0 + (n + h) * tu - am * tu,
						 am) * un;

			l->rt = at > c->now ? at - c->now : 1;
		}
	}
	l->s = s0;
	l->t = t;
	l->c = cn;
	l->am = am;
	l->pe = pe;
	l->un = un;
	return bad && !dry;
}

/* rgm_expire - the key's expiry in ms from now (the server's clock),
 * replicated as PEXPIREAT */
static void
rgm_expire(struct rgm_call *c, RedisModuleKey *k, RedisModuleString *name,
	   double ms)
{
	long long when;

	if (!(ms >= 1 && ms < 4.0e18))
		return;
	when = rm.Milliseconds() + rgm_int(ms);
	rm.SetAbsExpire(k, when);
	rm.Replicate(c->ctx, "PEXPIREAT", "sl", name, when);
}

/* rgm_set - SET key value PX ms (with nx: only when absent), replicated
 * as SET key value PXAT */
static void
rgm_set(struct rgm_call *c, RedisModuleKey *k, RedisModuleString *name,
	const char *v, double ms, bool nx)
{
	RedisModuleString *s;
	long long when;

	if (nx && rm.KeyType(k) != RMAPI_KEYTYPE_EMPTY)
		return;
	s = rm.CreateString(c->ctx, v, strlen(v));
	rm.StringSet(k, s);
	rm.FreeString(c->ctx, s);
	when = rm.Milliseconds() + rgm_int(ms);
	rm.SetAbsExpire(k, when);
	rm.Replicate(c->ctx, "SET", "sccl", name, v, "PXAT", when);
}

/* Pass 2 and the writes' shared state. */
struct rgm_state {
	double a[3];
	double pm;
	bool final;
	bool over;
	bool dup;
	bool stale;
	bool rep;
	bool drop;
};

/* rgm_txn - the transaction: open, finished (tombstone) or new; what
 * the op counts */
static void
rgm_txn(struct rgm_call *c, struct rgm_state *w)
{
	struct rgm_subj *s1 = &c->s[0];
	const char *tomb = NULL;
	size_t tlen = 0;
	bool has_tomb = false;

	memset(w, 0, sizeof(*w));
	if (c->op == 'M' || c->op == 'S') {
		if (s1->d == 0) {
			tomb = rgm_get(c->tk, &tlen);
			if (c->hasq)
				w->dup = rm.KeyType(c->qk) ==
					 RMAPI_KEYTYPE_STRING;
		} else if (c->hasq)
			w->dup = rm.KeyType(c->qk) != RMAPI_KEYTYPE_EMPTY;
		w->dup = w->dup || rgm_is(tomb, tlen, "c");
	} else if (c->op != 'C' && s1->d == 0)
		tomb = rgm_get(c->tk, &tlen);
	has_tomb = tomb != NULL;
	w->pm = s1->r;
	switch (c->op) {
	case 'C':
		w->a[0] = c->u1;
		w->a[1] = c->u2;
		w->a[2] = c->u3;
		w->pm = c->u2;
		break;
	case 'R':
		if (has_tomb)
			w->stale = true;
		else if (c->rhlen > 0 &&
			 rgm_find(c->hs, c->hslen, c->rh, c->rhlen) >= 0)
			w->rep = true;
		else {
			if (s1->m == 0)
				w->a[0] = c->u1;
			w->a[1] = c->u2;
			if (s1->b == 0)
				w->a[2] = c->u3;
			w->pm = s1->r + c->u2;
		}
		break;
	case 'U':
		if (has_tomb)
			w->stale = true;
		else if (s1->d == 0 ||
			 rgm_find(c->hs, c->hslen, c->rh, c->rhlen) < 0)
			w->rep = true;
		else
			w->pm = s1->r - 1;
		break;
	case 'M':
		if (rgm_is(tomb, tlen, "x") && !w->dup)
			w->stale = true;
		else if (!w->dup) {
			w->a[0] = c->u1;
			w->a[1] = c->u2;
			w->a[2] = c->u3;
			w->pm = c->u2;
		}
		break;
	case 'S':
		if (!w->dup) {
			w->a[0] = c->u1;
			w->a[1] = c->u2;
			w->a[2] = c->u3;
			w->pm = c->u2;
		}
		break;
	default:
		break;
	}
	w->final = (c->op == 'M' || c->op == 'S') && !w->dup && !w->stale;
}

/* rgm_hset - HSET of the pairs f[0, n), replicated as one HSET */
static void
rgm_hset(struct rgm_call *c, struct rgm_subj *s, RedisModuleString **f,
	 size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 2)
		rm.HashSet(s->key, RMAPI_HASH_NONE, f[i], f[i + 1], NULL);
	rm.Replicate(c->ctx, "HSET", "sv", s->name, f, n);
}

/* rgm_apply - one subject's writes and reply rows */
static void
rgm_apply(struct rgm_call *c, struct rgm_state *w, struct rgm_subj *s,
	  size_t i, long long *out, size_t *o)
{
	RedisModuleString *f[2 * RGM_LIMITS_MAX + 4];
	RedisModuleString *made[RGM_LIMITS_MAX + 2];
	size_t nf = 0;
	size_t nmade = 0;
	double rm_ = s->rm, rr = s->rr, rb = s->rb, nx = s->nx, ly = s->ly;
	bool dirty = s->sw;
	RedisModuleString *lease = NULL;
	double keep = s->keep;
	bool hset = false;
	size_t j;

	if (w->drop && s->d > 0) {
		rm_ -= s->m;
		rr -= s->r;
		rb -= s->b;
		dirty = true;
	} else if (c->op == 'R' && !w->over && !w->stale && !w->rep) {
		double d = c->now + c->lt;
		double v[4] = {d, s->m + w->a[0], s->r + w->a[1],
			       s->b + w->a[2]};

		if (i == 0 && c->rhlen > 0) {
			char *t = rm.Alloc(c->hslen + c->rhlen + 1);

			memcpy(t, c->hs, c->hslen);
			t[c->hslen] = ' ';
			memcpy(t + c->hslen + 1, c->rh, c->rhlen);
			lease = rgm_str(c->ctx, v, 4, t,
					c->hslen + 1 + c->rhlen);
			rm.Free(t);
		} else
			lease = rgm_str(c->ctx, v, 4, NULL, 0);
		rm_ += w->a[0];
		rr += w->a[1];
		rb += w->a[2];
		if (nx == 0 || d < nx)
			nx = d;
		if (d > ly)
			ly = d;
	} else if (c->op == 'U' && !w->stale && !w->rep && s->d > 0) {
		double v[4] = {s->d, s->m, s->r - 1, s->b};

		if (i == 0) {
			long at = rgm_find(c->hs, c->hslen, c->rh, c->rhlen);
			size_t cut = (size_t)at + 1 + c->rhlen;
			char *t = rm.Alloc(c->hslen + 1);

			memcpy(t, c->hs, (size_t)at);
			memcpy(t + at, c->hs + cut, c->hslen - cut);
			lease = rgm_str(c->ctx, v, 4, t,
					c->hslen - 1 - c->rhlen);
			rm.Free(t);
		} else
			lease = rgm_str(c->ctx, v, 4, NULL, 0);
		rr = rr - 1;
	}
	for (j = 0; j < s->nl; j++) {
		struct rgm_lim *l = &c->l[s->first + j];
		long long *row = out + *o;

		*o += 6;
		if (l->c == 3) {
			row[0] = rgm_int(l->st);
			row[1] = rgm_int(w->pm);
			row[2] = rgm_int(l->am);
			row[3] = row[4] = row[5] = 0;
			continue;
		}
		double tu = l->pe / l->un;
		double n;
		double h;
		double rs = 0;
		double sv = l->s;

		if (l->c == 0) {
			n = w->a[0];
			h = rm_;
		} else if (l->c == 1) {
			n = w->a[1];
			h = rr;
		} else {
			n = w->a[2];
			h = rb;
		}
		if (w->final && n > 0) {
			double v[4];

			sv = sv + n * tu;
			v[0] = rgm_cdiv(sv, tu);
			v[1] = sv;
			v[2] = l->t;
			v[3] = tu;
			f[nf++] = c->argv[s->nb + (int)j];
			made[nmade] = rgm_str(c->ctx, v, 4, l->ov, l->ovlen);
			f[nf++] = made[nmade++];
			hset = true;
		}
		if (sv > 0) {
			if (l->am == 0)
				rs = l->pe;
			else {
				rs = l->t + rgm_cdiv(sv, l->am) * l->un -
				     c->now;
				if (rs < 0)
					rs = 0;
			}
		}
		if (rs > keep)
			keep = rs;
		row[0] = rgm_int(l->st);
		row[1] = rgm_int(rgm_cdiv(sv, tu) + h);
		row[2] = rgm_int(l->am);
		row[3] = rgm_int(l->pe);
		row[4] = rgm_int(l->rt);
		row[5] = rgm_int(rs);
	}
	if (hset || lease != NULL || dirty) {
		double ex = s->ex;
		bool grow;
		double v[6];

		if (rm_ <= 0 && rr <= 0 && rb <= 0)
			rm_ = rr = rb = nx = ly = 0;
		if (ly > c->now && ly - c->now > keep)
			keep = ly - c->now;
		grow = !s->noend && c->now + keep + 1000 > ex;
		if (grow)
			ex = c->now + keep + 1000 + c->lt;
		v[0] = rm_;
		v[1] = rr;
		v[2] = rb;
		v[3] = nx;
		v[4] = ly;
		v[5] = ex;
		if (lease != NULL) {
			f[nf++] = c->lf;
			f[nf++] = lease;
		}
		f[nf++] = rgm_rfield;
		made[nmade] = rgm_str(c->ctx, v, 6, NULL, 0);
		f[nf++] = made[nmade++];
		rgm_hset(c, s, f, nf);
		if (w->drop && s->d > 0) {
			rm.HashSet(s->key, RMAPI_HASH_NONE, c->lf,
				   RMAPI_HASH_DELETE, NULL);
			rm.Replicate(c->ctx, "HDEL", "ss", s->name, c->lf);
		}
		if (grow)
			rgm_expire(c, s->key, s->name, ex - c->now);
	}
	if (lease != NULL)
		rm.FreeString(c->ctx, lease);
	for (j = 0; j < nmade; j++)
		rm.FreeString(c->ctx, made[j]);
}

/* rgm_decide - passes 2 and 3 and the reply, after pass 1 */
static void
rgm_decide(struct rgm_call *c)
{
	struct rgm_state w;
	long long out[2 + 6 * RGM_LIMITS_MAX];
	size_t o = 2;
	size_t i;
	size_t j;

	rgm_txn(c, &w);
	for (i = 0; i < c->ns; i++) {
		struct rgm_subj *s = &c->s[i];
		double hm = s->rm, hr = s->rr, hb = s->rb;

		if (w.final) {
			hm = hm - s->m;
			hr = hr - s->r;
			hb = hb - s->b;
		}
		for (j = 0; j < s->nl; j++)
			if (rgm_limit(c, s, j, w.a, w.pm, hm, hr, hb))
				w.over = true;
	}
	if (w.over)
		w.final = false;
	w.drop = c->op == 'X' || (c->op == 'M' && !w.stale) ||
		 (c->op == 'S' && w.dup) || w.final;
	if (c->op == 'U')
		w.drop = !w.stale && !w.rep && c->s[0].r <= 1;
	for (i = 0; i < c->ns; i++)
		rgm_apply(c, &w, &c->s[i], i, out, &o);
	if (w.final) {
		if (c->hasq) {
			rgm_set(c, c->tk, c->argv[3], "c", c->lt, false);
			rgm_set(c, c->qk, c->argv[4], "1", c->ttl, false);
		} else
			rgm_set(c, c->tk, c->argv[3], "c", c->ttl, false);
	} else if (c->op == 'X' || (c->op == 'M' && w.over && !w.stale))
		rgm_set(c, c->tk, c->argv[3], "x", c->lt, true);
	out[0] = w.over ? 1 : w.dup ? 2 : w.stale ? 3 : 0;
	out[1] = rgm_int(c->now);
	rm.ReplyWithArray(c->ctx, (long)o);
	for (i = 0; i < o; i++)
		rm.ReplyWithLongLong(c->ctx, out[i]);
}

/* rgm_close - every key and value let go */
static void
rgm_close(struct rgm_call *c)
{
	size_t i;
	size_t j;

	for (i = 0; i < c->ns; i++) {
		struct rgm_subj *s = &c->s[i];

		if (s->lease != NULL)
			rm.FreeString(c->ctx, s->lease);
		for (j = 0; j < s->nl; j++)
			if (c->l[s->first + j].bv != NULL)
				rm.FreeString(c->ctx, c->l[s->first + j].bv);
		if (s->key != NULL)
			rm.CloseKey(s->key);
	}
	if (c->qk != NULL)
		rm.CloseKey(c->qk);
	if (c->tk != NULL)
		rm.CloseKey(c->tk);
}

/* rgm_keys - the key positions, for Cluster and ACL */
static void
rgm_keys(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	long long nk = 0;
	size_t len;
	const char *p;
	size_t i;
	int k;

	if (argc < 3)
		return;
	p = rm.StringPtrLen(argv[2], &len);
	for (i = 0; i < len && i < 4; i++) {
		if (p[i] < '0' || p[i] > '9')
			return;
		nk = nk * 10 + (p[i] - '0');
	}
	if (len == 0 || i != len)
		return;
	for (k = 0; k < (int)nk && 3 + k < argc; k++)
		rm.KeyAtPos(ctx, 3 + k);
}

/* rgm_limit_cmd - RELAYGUARD.LIMIT */
static int
rgm_limit_cmd(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	struct rgm_call *c;
	const char *why;

	if (rm.IsKeysPositionRequest(ctx)) {
		rgm_keys(ctx, argv, argc);
		return RMAPI_OK;
	}
	if (argc < 8)
		return rm.WrongArity(ctx);
	/* one call at a time (Redis's main thread): no allocation, and
	 * nothing cleared that rgm_args does not set */
	c = &rgm_one;
	c->ctx = ctx;
	c->argv = argv;
	c->tk = NULL;
	c->qk = NULL;
	c->hs = "";
	c->hslen = 0;
	c->ndel = 0;
	why = rgm_args(c, argv, argc);
	if (why != NULL)
		return rgm_error(ctx, why);
	if (c->now == 0)
		c->now = (double)rm.Milliseconds();
	if (c->dl > 0 && c->now > c->dl) {
		rm.ReplyWithArray(ctx, 2);
		rm.ReplyWithLongLong(ctx, 4);
		rm.ReplyWithLongLong(ctx, rgm_int(c->now));
		return RMAPI_OK;
	}
	if (rgm_open(c) < 0)
		rgm_error(ctx, RMAPI_WRONGTYPE);
	else {
		rgm_pass1(c);
		rgm_decide(c);
	}
	rgm_close(c);
	return RMAPI_OK;
}

/* RedisModule_OnLoad - the module's entry: the command registered */
int
RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	(void)argv;
	(void)argc;
	if (rmapi_init(ctx, "relayguard", 1) < 0)
		return RMAPI_ERR;
	rgm_rfield = rm.CreateString(NULL, "R", 1);
	if (rm.CreateCommand(ctx, "relayguard.limit", rgm_limit_cmd,
			     "write deny-oom getkeys-api", 0, 0, 0) !=
	    RMAPI_OK)
		return RMAPI_ERR;
	return RMAPI_OK;
}
