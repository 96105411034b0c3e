/* SPDX-License-Identifier: BSD-2-Clause */
#include "limit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fiber.h"
#include "log.h"
#include "store.h"
#include "str.h"
#include "tspec.h"
#include "xalloc.h"

/* A parsed reply setting: "451 4.7.1 text with $variables". */
struct limit_reply {
	char code[4];
	char xcode[16];
	char text[VERDICT_TEXT_MAX];
};

struct limiter {
	struct limitmap *map;
	struct store *st;		/* backend choice, fail mode, state */
	struct limit_backend *store;
	struct limit_backend *fallback;	/* limit_fail_mode = local */
	enum conf_fail_mode fail_mode;
	unsigned local_percent;
	uint64_t ttl_ms;		/* limit_txn_ttl */
	uint64_t lease_ms;		/* limit_lease_time */
	uint64_t deadline_ms;		/* redis_timeout: a call's deadline */
	uint64_t commit_wait_ms;	/* limit_commit_wait */
	struct limit_reply tempfail;
	struct limit_reply reject;
	struct limit_reply unavailable;
	uint64_t (*now_ms)(void *arg);
	void *now_arg;
};

static const char *const limit_reply_vars[] = {
	"limit", "subject", "retry", "used", "amount", "period", "counter",
};

/* limit_outcome_name - "ok", "over", "unavailable" */
const char *
limit_outcome_name(enum limit_outcome o)
{
	switch (o) {
	case LIMIT_OK:
		return "ok";
	case LIMIT_OVER:
		return "over";
	case LIMIT_UNAVAILABLE:
		return "unavailable";
	}
	return "?";
}

/* limit_escape - in as key text: printable ASCII other than % { } # kept,
 * everything else %XX; lower-cased first when asked; -1 when too long.
 * '#' is escaped so that no escaped text looks like a digest ("#HEX") */
int
limit_escape(const char *in, bool lower, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in; in++) {
		unsigned char ch = (unsigned char)*in;

		if (lower && ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		if (ch > 0x20 && ch < 0x7f && ch != '%' && ch != '{' &&
		    ch != '}' && ch != '#') {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= size)
				return -1;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

/* limit_digest - "#" and the SHA-256 of s in hex, for values too long
 * to be keys themselves (still one key per value) */
static void
limit_digest(const char *s, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) != 1)
		log_panic("limit: SHA-256 failed");
	(void)str_copy(out, size, "#");
	for (i = 0; i < mdlen && 2 * i + 3 < size; i++)
		(void)str_format(out + 1 + 2 * i, size - 1 - 2 * i, "%02x",
				 md[i]);
}

/* limit_join - a, b and c one after the other into out (size bytes); -1
 * (out empty) when they do not fit; the hot paths' snprintf */
int
limit_join(char *out, size_t size, const char *a, const char *b,
	   const char *c)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t lc = strlen(c);

	if (size == 0)
		return -1;
	if (la + lb + lc >= size) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return 0;
}

/* limit_normal_digest - the digest of in's key text (lower-cased when
 * asked, escaped): one value, one digest, whatever its case */
static void
limit_normal_digest(const char *in, bool lower, char *out, size_t size)
{
	size_t n = strlen(in);
	char *esc;

	if (n > (SIZE_MAX - 1) / 3)
		log_panic("limit: a value of %zu bytes", n);
	esc = xmalloc(3 * n + 1);
	if (limit_escape(in, lower, esc, 3 * n + 1) < 0)
		log_panic("limit: escaping into %zu bytes failed", 3 * n + 1);
	limit_digest(esc, out, size);
	free(esc);
}

/* limit_subject_key - "kind:value" with value lower-cased and escaped; a
 * value too long for a key is its digest, "#" and 64 hex digits, taken
 * of the normalised value (so case does not make two subjects of one) */
void
limit_subject_key(enum limit_kind kind, const char *value, char *out,
		  size_t size)
{
	char esc[LIMIT_SUBJECT_MAX];

	if (limit_escape(value, true, esc, sizeof(esc) - 16) < 0)
		limit_normal_digest(value, true, esc, sizeof(esc));
	if (limit_join(out, size, limit_kind_name(kind), ":", esc) < 0)
		out[0] = '\0';
}

/* limit_id - a txn id, queue id or recipient as key text (escaped; a
 * digest when long) */
static void
limit_id(const char *in, bool lower, char *out, size_t size)
{
	if (in == NULL)
		in = "";
	if (limit_escape(in, lower, out, size) < 0)
		limit_normal_digest(in, lower, out, size);
}

/* limit_boot - this process's mark, added to every transaction id: an id
 * another process used (same host and pid after a restart, say) never
 * meets that process's leases or tombstones */
static pthread_once_t limit_boot_once = PTHREAD_ONCE_INIT;
static char limit_boot[12];

/* limit_boot_init - 8 hex digits from getrandom */
static void
limit_boot_init(void)
{
	unsigned char b[4] = {0, 0, 0, 0};
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		log_warn("limits: getrandom failed; transaction ids are not "
			 "marked with a random process id");
	limit_boot[0] = '~';
	for (i = 0; i < sizeof(b); i++)
		(void)str_format(limit_boot + 1 + 2 * i,
				 sizeof(limit_boot) - 1 - 2 * i, "%02x", b[i]);
}

/* limit_txn - a transaction id as key text, with the process's mark */
static void
limit_txn(const char *in, char *out, size_t size)
{
	size_t n;

	pthread_once(&limit_boot_once, limit_boot_init);
	limit_id(in, false, out, size - sizeof(limit_boot));
	n = strlen(out);
	(void)str_copy(out + n, size - n, limit_boot);
}

/* limit_rcpt_hash - a recipient as 8 hex digits (FNV-1a of its key text):
 * enough to tell the recipients of one transaction apart ("" for none) */
static void
limit_rcpt_hash(const char *rcpt, char *out, size_t size)
{
	char id[LIMIT_ID_MAX];
	uint32_t h = 2166136261u;
	const char *p;

	out[0] = '\0';
	if (rcpt == NULL || rcpt[0] == '\0')
		return;
	limit_id(rcpt, true, id, sizeof(id));
	for (p = id; *p; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	if (size > LIMIT_RCPT_HASH) {
		static const char hex[] = "0123456789abcdef";
		int i;

		for (i = LIMIT_RCPT_HASH - 1; i >= 0; i--) {
			out[i] = hex[h & 15];
			h >>= 4;
		}
		out[LIMIT_RCPT_HASH] = '\0';
	}
}

/* limit_reply_parse - "NNN N.N.N text" with known $variables */
static int
limit_reply_parse(const struct conf *c, const char *key, const char *v,
		  char klass, struct limit_reply *r, struct err *e)
{
	const char *p;
	size_t n;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (strlen(v) < 5 || v[0] != klass || !isdigit((unsigned char)v[1]) ||
	    !isdigit((unsigned char)v[2]) || v[3] != ' ')
		goto bad;
	memcpy(r->code, v, 3);
	p = v + 4;
	n = strspn(p, "0123456789.");
	if (n < 5 || n >= sizeof(r->xcode) || p[0] != klass || p[1] != '.' ||
	    (p[n] != ' ' && p[n] != '\0'))
		goto bad;
	memcpy(r->xcode, p, n);
	p += n;
	while (*p == ' ')
		p++;
	if (*p == '\0' || str_copy(r->text, sizeof(r->text), p) < 0)
		goto bad;
	for (p = r->text; *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			goto bad;
		if (*p != '$')
			continue;
		for (i = 0; i < sizeof(limit_reply_vars) /
				    sizeof(limit_reply_vars[0]); i++) {
			const char *w = limit_reply_vars[i];

			if (strncmp(p + 1, w, strlen(w)) == 0 ||
			    (p[1] == '{' && strncmp(p + 2, w, strlen(w)) == 0 &&
			     p[2 + strlen(w)] == '}'))
				break;
		}
		if (i == sizeof(limit_reply_vars) / sizeof(limit_reply_vars[0])) {
			err_set(e, "%s: %s: unknown variable in \"%.60s\" "
				"(known: $limit $subject $retry $used $amount "
				"$period $counter)", c->path, key, p);
			return -1;
		}
	}
	return 0;
bad:
	err_set(e, "%s: %s: \"%.80s\" is not a %cxx reply (example: %s)",
		c->path, key, v, klass,
		klass == '4' ? "451 4.7.1 $limit quota exceeded for $subject, "
			       "retry in $retry s"
			     : "550 5.7.1 $limit quota exceeded for $subject");
	return -1;
}

/* limit_new - build a limiter from the settings (and the map file) */
int
limit_new(const struct conf *c, const struct limit_opts *o,
	  struct limiter **out, struct err *e)
{
	struct limiter *l = xcalloc(1, sizeof(*l));
	struct err me;

	l->fail_mode = (enum conf_fail_mode)c->limit_fail_mode;
	l->local_percent = (unsigned)c->limit_local_percent;
	l->ttl_ms = (uint64_t)c->limit_txn_ttl * 1000;
	l->lease_ms = (uint64_t)c->limit_lease_time * 1000;
	l->commit_wait_ms = (uint64_t)c->limit_commit_wait * 1000;
	l->deadline_ms = c->limit_backend == CONF_LIMIT_REDIS
				 ? c->redis_timeout : 0;
	if (o != NULL) {
		l->now_ms = o->now_ms;
		l->now_arg = o->now_arg;
	}
	if (limit_reply_parse(c, "limit_tempfail_reply",
			      c->limit_tempfail_reply, '4', &l->tempfail,
			      e) < 0 ||
	    limit_reply_parse(c, "limit_reject_reply", c->limit_reject_reply,
			      '5', &l->reject, e) < 0 ||
	    limit_reply_parse(c, "limit_unavailable_reply",
			      c->limit_unavailable_reply, '4',
			      &l->unavailable, e) < 0)
		goto fail;
	if (o != NULL && o->map_text != NULL) {
		if (limitmap_parse(o->map_text, strlen(o->map_text), "(inline)",
				   &l->map, e) < 0)
			goto fail;
	} else if (c->limit_map[0] == '\0') {
		err_set(e, "%s: limits = yes needs limit_map (example: "
			"limit_map = /etc/relayguard/limits)", c->path);
		goto fail;
	} else if (limitmap_load(c->limit_map, &l->map, &me) < 0) {
		err_set(e, "%s: limit_map: %s", c->path, me.text);
		goto fail;
	}
	if (store_open(c, &l->st, e) < 0)
		goto fail;
	if (store_is_redis(l->st)) {
		if (limit_redis_new(l->st, c->limit_redis_module ==
					    CONF_MODULE_AUTO, &l->store,
				    e) < 0)
			goto fail;
	} else {
		l->store = limit_mem_new(o != NULL && o->private_memory
					 ? LIMIT_MEM_PRIVATE
					 : LIMIT_MEM_PRIMARY);
	}
	if (l->fail_mode == CONF_FAIL_LOCAL)
		l->fallback = limit_mem_new(o != NULL && o->private_memory
					    ? LIMIT_MEM_PRIVATE
					    : LIMIT_MEM_FALLBACK);
	*out = l;
	return 0;
fail:
	limit_free(l);
	return -1;
}

/* limit_free - release a limiter; NULL is fine */
void
limit_free(struct limiter *l)
{
	if (l == NULL)
		return;
	if (l->store != NULL)
		l->store->free(l->store);
	if (l->fallback != NULL)
		l->fallback->free(l->fallback);
	limitmap_free(l->map);
	store_close(l->st);
	free(l);
}

/* limit_summary - "limits: N plans, N assignments, backend B" */
void
limit_summary(const struct limiter *l, char *buf, size_t size)
{
	(void)str_format(buf, size, "%zu plan%s, %zu assignment%s, %s "
			 "backend, limit_fail_mode %s",
			 limitmap_plan_count(l->map),
			 limitmap_plan_count(l->map) == 1 ? "" : "s",
			 limitmap_assign_count(l->map),
			 limitmap_assign_count(l->map) == 1 ? "" : "s",
			 l->store->name, store_fail_mode_name(l->fail_mode));
}

/* --- which subjects a message has ---------------------------------------- */

/* limit_ipv4_text - dotted quad of b into out (at least 16 bytes), what
 * inet_ntop writes, without its formatting (every decision makes two) */
static void
limit_ipv4_text(const unsigned char *b, char *out)
{
	size_t o = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i > 0)
			out[o++] = '.';
		if (v >= 100)
			out[o++] = (char)('0' + v / 100);
		if (v >= 10)
			out[o++] = (char)('0' + v / 10 % 10);
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
}

/* limit_client_net - the /24 (IPv4) or /64 (IPv6) of an address, as
 * "192.0.2.0/24"; the address itself normalised into addr; -1 if not IP */
int
limit_client_net(const char *in, char *addr, size_t asize, char *net,
		 size_t nsize)
{
	unsigned char b[16];
	char text[INET6_ADDRSTRLEN];

	if (in == NULL || in[0] == '\0')
		return -1;
	if (inet_pton(AF_INET, in, b) == 1) {
		if (asize < INET_ADDRSTRLEN)
			return -1;
		limit_ipv4_text(b, addr);
		b[3] = 0;
		limit_ipv4_text(b, text);
		return limit_join(net, nsize, text, "/24", "");
	}
	if (inet_pton(AF_INET6, in, b) != 1)
		return -1;
	/* an IPv4-mapped client is an IPv4 client, as in Postfix */
	if (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		if (asize < INET_ADDRSTRLEN)
			return -1;
		limit_ipv4_text(b + 12, addr);
		b[15] = 0;
		limit_ipv4_text(b + 12, text);
		return limit_join(net, nsize, text, "/24", "");
	}
	if (inet_ntop(AF_INET6, b, addr, (socklen_t)asize) == NULL)
		return -1;
	memset(b + 8, 0, 8);
	if (inet_ntop(AF_INET6, b, text, sizeof(text)) == NULL)
		return -1;
	return limit_join(net, nsize, text, "/64", "");
}

/* limit_add_subject - one more subject for the call */
static void
limit_add_subject(struct limit_call *c, enum limit_kind kind,
		  const char *value, const struct limit_plan *p)
{
	struct limit_call_subject *s;

	if (p == NULL || c->nsubjects == LIMIT_SUBJECTS_MAX)
		return;
	s = &c->subjects[c->nsubjects++];
	limit_subject_key(kind, value, s->key, sizeof(s->key));
	s->defs = p->defs;
	s->ndefs = p->count;
}

/* limit_account - the one account subject, by precedence: login, sender,
 * domain assignment, customer (login member, then domain member), then
 * the "*" defaults of login, sender, domain */
static void
limit_account(const struct limitmap *m, const char *login,
	      const char *sender, struct limit_call *c)
{
	const struct limitmap_customer *cu = NULL;
	const struct limit_plan *p = NULL;
	const char *domain = NULL;
	enum limit_kind kind = LIMIT_KIND_LOGIN;
	const char *value = NULL;

	if (sender != NULL && sender[0] != '\0') {
		domain = strrchr(sender, '@');
		domain = (domain != NULL && domain[1] != '\0') ? domain + 1
							       : NULL;
	} else {
		sender = NULL;
	}
	if (login != NULL && login[0] == '\0')
		login = NULL;
	if (login && (p = limitmap_assigned(m, LIMIT_KIND_LOGIN, login))) {
		kind = LIMIT_KIND_LOGIN;
		value = login;
	} else if (sender &&
		   (p = limitmap_assigned(m, LIMIT_KIND_SENDER, sender))) {
		kind = LIMIT_KIND_SENDER;
		value = sender;
	} else if (domain &&
		   (p = limitmap_assigned(m, LIMIT_KIND_DOMAIN, domain))) {
		kind = LIMIT_KIND_DOMAIN;
		value = domain;
	} else if (login &&
		   (cu = limitmap_member_of(m, LIMIT_KIND_LOGIN, login))) {
		kind = cu->pooled ? LIMIT_KIND_CUSTOMER : LIMIT_KIND_LOGIN;
		value = cu->pooled ? cu->name : login;
		p = cu->plan;
	} else if (domain &&
		   (cu = limitmap_member_of(m, LIMIT_KIND_DOMAIN, domain))) {
		kind = cu->pooled ? LIMIT_KIND_CUSTOMER : LIMIT_KIND_DOMAIN;
		value = cu->pooled ? cu->name : domain;
		p = cu->plan;
	} else if (login && (p = limitmap_default(m, LIMIT_KIND_LOGIN))) {
		kind = LIMIT_KIND_LOGIN;
		value = login;
	} else if (sender && (p = limitmap_default(m, LIMIT_KIND_SENDER))) {
		kind = LIMIT_KIND_SENDER;
		value = sender;
	} else if (domain && (p = limitmap_default(m, LIMIT_KIND_DOMAIN))) {
		kind = LIMIT_KIND_DOMAIN;
		value = domain;
	}
	if (p != NULL)
		limit_add_subject(c, kind, value, p);
}

/* limit_subjects - every subject of a request, in a fixed order */
static void
limit_subjects(const struct limiter *l, const struct limit_req *r,
	       struct limit_call *c)
{
	char addr[INET6_ADDRSTRLEN];
	char net[INET6_ADDRSTRLEN + 8];
	const struct limit_plan *p;

	limit_account(l->map, r->login, r->sender, c);
	if (limit_client_net(r->client_addr, addr, sizeof(addr), net,
			     sizeof(net)) < 0)
		return;
	p = limitmap_assigned(l->map, LIMIT_KIND_IP, addr);
	if (p == NULL)
		p = limitmap_default(l->map, LIMIT_KIND_IP);
	limit_add_subject(c, LIMIT_KIND_IP, addr, p);
	p = limitmap_assigned(l->map, LIMIT_KIND_NET, addr);
	if (p == NULL)
		p = limitmap_default(l->map, LIMIT_KIND_NET);
	limit_add_subject(c, LIMIT_KIND_NET, net, p);
}

/* --- decisions ---------------------------------------------------------- */

/* limit_scaled - the stricter limits of limit_fail_mode = local */
static void
limit_scaled(const struct limiter *l, struct limit_call *c,
	     struct limit_def *defs)
{
	size_t n = 0;
	size_t i;
	size_t j;
	struct err e;

	for (i = 0; i < c->nsubjects; i++) {
		struct limit_call_subject *s = &c->subjects[i];
		struct limit_def *first = &defs[n];

		for (j = 0; j < s->ndefs; j++) {
			struct limit_def *d = &defs[n++];
			uint64_t a;

			*d = s->defs[j];
			a = d->amount * l->local_percent / 100;
			if (a == 0 && d->amount > 0)
				a = 1;
			if (limit_def_set(d, d->counter, a, d->period_ms,
					  &e) < 0)
				log_panic("limit_scaled: %s", e.text);
		}
		s->defs = first;
	}
}

/* limit_pick_over - the hit that refuses: a hard one first, else the one
 * the client must wait for longest */
static int
limit_pick_over(const struct limit_result *res)
{
	int best = -1;
	size_t i;

	for (i = 0; i < res->nhits; i++) {
		const struct limit_hit *h = &res->hits[i];

		if (h->state != LIMIT_STATE_OVER)
			continue;
		if (best < 0 || (h->hard && !res->hits[best].hard) ||
		    (h->hard == res->hits[best].hard &&
		     h->retry_ms > res->hits[best].retry_ms))
			best = (int)i;
	}
	return best;
}

/* limit_fill - copy a backend answer into the result */
static void
limit_fill(const struct limit_call *c, const struct limit_answer *a,
	   struct limit_result *res)
{
	size_t i;
	size_t j;

	res->nhits = 0;
	for (i = 0; i < c->nsubjects; i++) {
		for (j = 0; j < c->subjects[i].ndefs; j++) {
			const struct limit_def *d = &c->subjects[i].defs[j];
			const struct limit_row *row = &a->rows[res->nhits];
			struct limit_hit *h = &res->hits[res->nhits++];

			h->subject = (unsigned)i;
			memcpy(h->name, d->name, sizeof(h->name));
			h->counter = d->counter;
			h->dry_run = d->dry_run;
			h->hard = d->hard;
			h->state = row->state;
			h->used = row->used;
			h->amount = row->amount;
			h->period_ms = row->period_ms;
			h->retry_ms = row->retry_ms;
			h->reset_ms = row->reset_ms;
		}
	}
	res->duplicate = a->code == LIMIT_CODE_DUPLICATE;
	res->stale = a->code == LIMIT_CODE_STALE;
	res->outcome = a->code == LIMIT_CODE_OVER ? LIMIT_OVER : LIMIT_OK;
	res->over = res->outcome == LIMIT_OVER ? limit_pick_over(res) : -1;
}

/* limit_now - the limiter's clock (the test's, or the real one) */
static uint64_t
limit_now(const struct limiter *l)
{
	return l->now_ms ? l->now_ms(l->now_arg) : tspec_ms(CLOCK_REALTIME);
}

/* limit_deadline - when the call must have run (redis_timeout from now,
 * the time this client stops waiting): later, it changes nothing */
static void
limit_deadline(const struct limiter *l, struct limit_call *c)
{
	if (l->deadline_ms == 0)
		c->deadline_ms = 0;
	else
		c->deadline_ms = (c->now_ms ? c->now_ms : tspec_ms(CLOCK_REALTIME)) +
				 l->deadline_ms;
}

/* limit_call_init - the op, ids and units of a request */
static void
limit_call_init(const struct limiter *l, const struct limit_req *r,
		struct limit_call *c)
{
	/* field by field: most of the call is its subjects' key buffers,
	 * read only up to nsubjects and each key's end */
	c->op = r->op;
	c->may_repeat = r->may_repeat;
	c->nsubjects = 0;
	c->now_ms = l->now_ms ? l->now_ms(l->now_arg) : 0;
	c->ttl_ms = l->ttl_ms;
	c->lease_ms = l->lease_ms;
	limit_deadline(l, c);
	limit_txn(r->txn_id, c->txn, sizeof(c->txn));
	limit_id(r->qid, false, c->qid, sizeof(c->qid));
	limit_rcpt_hash(r->rcpt, c->rcpt, sizeof(c->rcpt));
	c->units[0] = r->messages;
	c->units[1] = r->recipients;
	c->units[2] = r->bytes;
}

/* limit_prepare - the backend call for a request (subjects resolved) and
 * the result's subjects; see limit.h for asynchronous callers */
size_t
limit_prepare(struct limiter *l, const struct limit_req *r,
	      struct limit_call *c, struct limit_result *res)
{
	size_t i;

	res->outcome = LIMIT_OK;
	res->nsubjects = 0;
	res->nhits = 0;
	res->over = -1;
	res->local = false;
	res->duplicate = false;
	res->stale = false;
	res->unsettled = false;
	res->maybe_held = false;
	res->error[0] = '\0';
	limit_call_init(l, r, c);
	limit_subjects(l, r, c);
	res->nsubjects = c->nsubjects;
	for (i = 0; i < c->nsubjects; i++)
		memcpy(res->subjects[i], c->subjects[i].key,
		       strlen(c->subjects[i].key) + 1);
	res->outcome = LIMIT_OK;	/* no subject: no limit applies */
	return c->nsubjects;
}

/* A deferred write of a limit call: the call with its own copy of the
 * limits (the limiter may go with its generation before it is done). */
struct limit_job {
	struct limit_call c;
	struct limit_def defs[LIMIT_HITS_MAX];
	uint64_t deadline_ms;	/* redis_timeout, for each attempt */
};

/* limit_job_run - store_job_fn: the call again, with a fresh deadline */
static int
limit_job_run(struct store *st, void *arg, struct err *e)
{
	struct limit_job *j = arg;
	struct limit_answer a;

	j->c.deadline_ms = (j->c.now_ms ? j->c.now_ms : tspec_ms(CLOCK_REALTIME)) +
			   j->deadline_ms;
	if (limit_redis_call(st, &j->c, &a, e) < 0)
		return -1;
	if (a.code == LIMIT_CODE_LATE) {
		err_set(e, "Redis ran it after its deadline");
		return -1;
	}
	return 0;
}

/* limit_defer - run op for this call later, when Redis answers: SETTLE
 * (count a message that was accepted) or RELEASE (give a lease back) */
static void
limit_defer(struct limiter *l, const struct limit_call *c, enum limit_op op)
{
	struct limit_job *j;
	size_t n = 0;
	size_t i;

	if (!store_is_redis(l->st))
		return;
	j = xcalloc(1, sizeof(*j));
	j->c = *c;
	j->c.op = op;
	j->c.now_ms = c->now_ms;
	j->deadline_ms = l->deadline_ms;
	for (i = 0; i < c->nsubjects; i++) {
		memcpy(&j->defs[n], c->subjects[i].defs,
		       c->subjects[i].ndefs * sizeof(j->defs[0]));
		j->c.subjects[i].defs = &j->defs[n];
		n += c->subjects[i].ndefs;
	}
	/* a count matters as long as the tombstones fence it; a lease is
	 * gone by itself at its deadline */
	if (!store_defer(l->st, limit_job_run, free, j,
			 op == LIMIT_SETTLE ? l->ttl_ms : l->lease_ms,
			 op == LIMIT_SETTLE ? "a limit count (a message "
			 "accepted while Redis did not answer)"
			 : "the release of a reservation")) {
		log_warn("limits: deferred writes queue full: %s lost",
			 op == LIMIT_SETTLE ? "a message's count"
					    : "a reservation's release");
		free(j);
	}
}

/* limit_settle_now - count a message whose COMMIT got no answer before
 * the MTA hears of it: SETTLE again and again for limit_commit_wait
 * (each try with its own deadline: a late one changes nothing); -1 when
 * Redis did not answer meanwhile */
static int
limit_settle_now(struct limiter *l, const struct limit_call *c)
{
	uint64_t until = tspec_ms(CLOCK_MONOTONIC) + l->commit_wait_ms;
	struct limit_answer a;
	struct limit_call s = *c;
	struct err e;

	s.op = LIMIT_SETTLE;
	while (tspec_ms(CLOCK_MONOTONIC) < until) {
		fiber_sleep_ms(100);	/* at a worker when in a fiber */
		limit_deadline(l, &s);
		if (l->store->decide(l->store, &s, &a, &e) == 0 &&
		    a.code != LIMIT_CODE_LATE) {
			store_note(l->st, true, NULL);
			return 0;
		}
	}
	return -1;
}

/* limit_fail - the store did not answer (why); maybe_ran: the call may run
 * there all the same.  A COMMIT that may have counted is accepted, its
 * count made sure of later (never refused and counted); a lease that may
 * exist is given back later (and ends by itself at its deadline);
 * otherwise limit_fail_mode applies */
static enum limit_outcome
limit_fail(struct limiter *l, struct limit_call *c, bool maybe_ran,
	   const char *why, struct limit_result *res)
{
	struct limit_def scaled[LIMIT_HITS_MAX];
	struct limit_answer la;
	struct err e;

	store_note(l->st, false, why);
	(void)str_copy(res->error, sizeof(res->error), why);
	if (c->op == LIMIT_COMMIT && (maybe_ran || c->may_repeat)) {
		/* counted now if Redis comes back soon, else later */
		uint64_t t0 = tspec_ms(CLOCK_MONOTONIC);
		char id[LOG_SAFE_MAX];

		log_safe(id, sizeof(id), c->txn, strlen(c->txn));
		if (limit_settle_now(l, c) < 0) {
			limit_defer(l, c, LIMIT_SETTLE);
			res->unsettled = true;
			log_warn("limits: txn %s: the commit got no answer (%s); "
				 "the message is accepted and counted when "
				 "Redis answers", id, why);
		} else {
			log_info("limits: txn %s: the commit got no answer "
				 "(%s); counted after %llu ms", id, why,
				 (unsigned long long)(tspec_ms(CLOCK_MONOTONIC) - t0));
		}
		res->outcome = LIMIT_OK;
		return LIMIT_OK;
	}
	if (c->op == LIMIT_RESERVE)
		res->maybe_held = maybe_ran;
	if (c->op == LIMIT_RELEASE)
		limit_defer(l, c, LIMIT_RELEASE);
	if (l->fail_mode == CONF_FAIL_LOCAL && l->fallback != NULL) {
		struct limit_call orig = *c;

		limit_scaled(l, c, scaled);
		if (l->fallback->decide(l->fallback, c, &la, &e) == 0) {
			limit_fill(c, &la, res);
			res->local = true;
			/* a message let through here counts in Redis too,
			 * once it answers: the quota stays right after */
			if (c->op == LIMIT_COMMIT && res->outcome == LIMIT_OK &&
			    !res->duplicate && !res->stale)
				limit_defer(l, &orig, LIMIT_SETTLE);
			else if (c->op == LIMIT_COMMIT)
				limit_defer(l, &orig, LIMIT_RELEASE);
			return res->outcome;
		}
		*c = orig;
	}
	/* a commit let through unchecked (accept) counts once Redis answers;
	 * a refused one gives its lease back */
	if (c->op == LIMIT_COMMIT)
		limit_defer(l, c, l->fail_mode == CONF_FAIL_ACCEPT
				  ? LIMIT_SETTLE : LIMIT_RELEASE);
	res->outcome = LIMIT_UNAVAILABLE;
	return LIMIT_UNAVAILABLE;
}

/* limit_finish - the result of a call: the store's answer, or (a NULL) the
 * store failed, why, and limit_fail_mode applies (see limit_fail; an
 * asynchronous caller cannot tell whether a failed call may have run, so
 * it is taken to) */
enum limit_outcome
limit_finish(struct limiter *l, struct limit_call *c,
	     const struct limit_answer *a, const char *why,
	     struct limit_result *res)
{
	if (a == NULL)
		return limit_fail(l, c, true, why, res);
	if (a->code == LIMIT_CODE_LATE)
		return limit_fail(l, c, false, "Redis ran the call after its "
				  "deadline (it was too slow; nothing done)",
				  res);
	store_note(l->st, true, NULL);
	limit_fill(c, a, res);
	return res->outcome;
}

/* limit_decide - one decision over every limit of the request */
enum limit_outcome
limit_decide(struct limiter *l, const struct limit_req *r,
	     struct limit_result *res)
{
	struct limit_answer a;
	struct limit_call c;
	struct err e;

	if (limit_prepare(l, r, &c, res) == 0)
		return LIMIT_OK;
	if (l->store->decide(l->store, &c, &a, &e) == 0)
		return limit_finish(l, &c, &a, NULL, res);
	return limit_fail(l, &c, a.maybe_ran, e.text, res);
}

/* limit_key_prefix - redis_key_prefix, for limit_redis_args() */
const char *
limit_key_prefix(const struct limiter *l)
{
	return store_prefix(l->st);
}

/* limit_expand - a reply text with its $variables filled in */
static void
limit_expand(const struct limit_reply *rp, const struct limit_result *res,
	     char *out, size_t size)
{
	const struct limit_hit *h = res->over >= 0 ? &res->hits[res->over]
						  : NULL;
	char val[LIMIT_SUBJECT_MAX];
	const char *p = rp->text;
	size_t o = 0;

	while (*p && o + 1 < size) {
		size_t i;
		size_t wl = 0;
		bool brace = false;

		if (*p != '$') {
			out[o++] = *p++;
			continue;
		}
		for (i = 0; i < sizeof(limit_reply_vars) /
				    sizeof(limit_reply_vars[0]); i++) {
			const char *w = limit_reply_vars[i];

			wl = strlen(w);
			brace = p[1] == '{';
			if (strncmp(p + 1 + brace, w, wl) == 0 &&
			    (!brace || p[1 + brace + wl] == '}'))
				break;
		}
		if (i == sizeof(limit_reply_vars) / sizeof(limit_reply_vars[0])) {
			out[o++] = *p++;
			continue;
		}
		val[0] = '\0';
		if (h != NULL) {
			switch (i) {
			case 0:
				(void)str_copy(val, sizeof(val), h->name);
				break;
			case 1:
				(void)str_copy(val, sizeof(val),
					       res->subjects[h->subject]);
				break;
			case 2:
				(void)str_format(val, sizeof(val), "%llu",
						 (unsigned long long)
						 ((h->retry_ms + 999) / 1000));
				break;
			case 3:
				(void)str_format(val, sizeof(val), "%llu",
						 (unsigned long long)h->used);
				break;
			case 4:
				(void)str_format(val, sizeof(val), "%llu",
						 (unsigned long long)h->amount);
				break;
			case 5:
				limit_period_text(h->period_ms, val,
						  sizeof(val));
				break;
			default:
				(void)str_copy(val, sizeof(val),
					       limit_counter_name(h->counter));
				break;
			}
		}
		for (i = 0; val[i] && o + 1 < size; i++)
			out[o++] = val[i];
		p += 1 + brace + wl + brace;
	}
	out[o] = '\0';
}

/* limit_verdict - the reply for a result: continue, the tempfail or
 * reject reply of the refusing limit, or the store-down answer of
 * limit_fail_mode (accept: continue, reason "limit-store-unavailable") */
void
limit_verdict(const struct limiter *l, const struct limit_result *res,
	      struct verdict *v)
{
	char text[VERDICT_TEXT_MAX];
	const struct limit_reply *rp;

	verdict_init(v);
	switch (res->outcome) {
	case LIMIT_OK:
		return;
	case LIMIT_OVER:
		rp = (res->over >= 0 && res->hits[res->over].hard)
			     ? &l->reject : &l->tempfail;
		limit_expand(rp, res, text, sizeof(text));
		verdict_set(v, rp == &l->reject ? VERDICT_REJECT
						: VERDICT_TEMPFAIL,
			    rp->code, rp->xcode, "quota", "%s", text);
		return;
	case LIMIT_UNAVAILABLE:
		if (l->fail_mode == CONF_FAIL_ACCEPT) {
			(void)str_copy(v->reason, sizeof(v->reason),
				       "limit-store-unavailable");
			return;
		}
		verdict_set(v, VERDICT_TEMPFAIL, l->unavailable.code,
			    l->unavailable.xcode, "limit-store-unavailable",
			    "%s", l->unavailable.text);
		return;
	}
}

/* limit_result_log - the fields of a decision for its log line:
 * "limit=hour subject=login:a@b used=100/100 retry=36s", dry-run hits,
 * "limits=local" or the store error */
void
limit_result_log(const struct limit_result *res, char *buf, size_t size)
{
	size_t o = 0;
	size_t i;

	buf[0] = '\0';
	if (res->over >= 0) {
		const struct limit_hit *h = &res->hits[res->over];

		(void)str_format(buf, size, "limit=%s subject=%s used=%llu/%llu"
				 " retry=%llus", h->name,
				 res->subjects[h->subject],
				 (unsigned long long)h->used,
				 (unsigned long long)h->amount,
				 (unsigned long long)((h->retry_ms + 999) /
						      1000));
		o = strlen(buf);
	}
	for (i = 0; i < res->nhits && o + 1 < size; i++) {
		const struct limit_hit *h = &res->hits[i];

		if (h->state != LIMIT_STATE_DRY_OVER)
			continue;
		(void)str_format(buf + o, size - o, "%sdry_run=%s:%s", o ? " " : "",
				 h->name, res->subjects[h->subject]);
		o = strlen(buf);
	}
	if (res->unsettled && o + 1 < size)
		(void)str_format(buf + o, size - o, "%slimits=unsettled "
				 "limit_store=\"%s\"", o ? " " : "", res->error);
	else if (res->local && o + 1 < size)
		(void)str_format(buf + o, size - o, "%slimits=local",
				 o ? " " : "");
	else if (res->outcome == LIMIT_UNAVAILABLE && o + 1 < size)
		(void)str_format(buf + o, size - o, "%slimit_store=\"%s\"",
				 o ? " " : "", res->error);
}

/* limit_flush - wait until the deferred writes queued so far are done
 * (tests, shutdown); -1 after timeout_ms */
int
limit_flush(struct limiter *l, unsigned long timeout_ms)
{
	return store_flush(l->st, timeout_ms);
}

/* limit_probe - can the store answer now? */
int
limit_probe(struct limiter *l, struct err *e)
{
	return store_probe(l->st, e);
}

/* --- admin operations --------------------------------------------------- */

/* limit_subject_plan - key and plan of "kind:value" (see limit.h) */
static int
limit_subject_plan(const struct limiter *l, const char *subject, char *key,
		   size_t keysize, const struct limit_plan **plan,
		   struct err *e)
{
	const struct limitmap *m = l->map;
	const struct limitmap_customer *cu = NULL;
	const struct limit_plan *p = NULL;
	char kind_name[16];
	char addr[INET6_ADDRSTRLEN];
	char net[INET6_ADDRSTRLEN + 8];
	char buf[LIMIT_SUBJECT_MAX];
	const char *colon = strchr(subject, ':');
	const char *value;
	enum limit_kind kind;

	if (colon == NULL || (size_t)(colon - subject) >= sizeof(kind_name) ||
	    colon[1] == '\0' ||
	    str_copyn(kind_name, sizeof(kind_name), subject,
		      (size_t)(colon - subject)) < 0 ||
	    limit_kind_parse(kind_name, &kind) < 0) {
		err_set(e, "\"%.80s\" is not a subject (examples: "
			"login:alice@example.com, domain:example.com, "
			"customer:acme, ip:192.0.2.7, net:192.0.2.0/24)",
			subject);
		return -1;
	}
	value = colon + 1;
	switch (kind) {
	case LIMIT_KIND_IP:
	case LIMIT_KIND_NET:
		if (str_copy(buf, sizeof(buf), value) < 0)
			goto bad_addr;
		if (kind == LIMIT_KIND_NET && strchr(buf, '/') != NULL)
			*strchr(buf, '/') = '\0';
		if (limit_client_net(buf, addr, sizeof(addr), net,
				     sizeof(net)) < 0)
			goto bad_addr;
		p = limitmap_assigned(m, kind, addr);
		if (p == NULL)
			p = limitmap_default(m, kind);
		value = kind == LIMIT_KIND_IP ? addr : net;
		break;
	case LIMIT_KIND_CUSTOMER:
		cu = limitmap_customer(m, value);
		if (cu == NULL) {
			err_set(e, "no customer %.80s in the limit map", value);
			return -1;
		}
		if (!cu->pooled) {
			err_set(e, "customer %s counts each member on its own: "
				"ask for a member (login:... or domain:...)",
				cu->name);
			return -1;
		}
		p = cu->plan;
		break;
	default:
		p = limitmap_assigned(m, kind, value);
		if (p == NULL && kind != LIMIT_KIND_SENDER)
			cu = limitmap_member_of(m, kind, value);
		if (p == NULL && cu != NULL) {
			if (cu->pooled) {
				err_set(e, "%.80s counts toward customer:%s "
					"(pooled)", subject, cu->name);
				return -1;
			}
			p = cu->plan;
		}
		if (p == NULL)
			p = limitmap_default(m, kind);
		break;
	}
	if (p == NULL) {
		err_set(e, "no limits apply to %.80s", subject);
		return -1;
	}
	limit_subject_key(kind, value, key, keysize);
	*plan = p;
	return 0;
bad_addr:
	err_set(e, "\"%.80s\" is not an IP address", value);
	return -1;
}

/* limit_show - usage of every limit of a subject (nothing consumed) */
int
limit_show(struct limiter *l, const char *subject, struct limit_usage *out,
	   size_t max, size_t *n, char *key, size_t keysize, struct err *e)
{
	const struct limit_plan *p;
	struct limit_answer a;
	struct limit_call c;
	size_t i;

	*n = 0;
	memset(&c, 0, sizeof(c));
	if (limit_subject_plan(l, subject, c.subjects[0].key,
			       sizeof(c.subjects[0].key), &p, e) < 0)
		return -1;
	if (key != NULL)
		(void)str_copy(key, keysize, c.subjects[0].key);
	c.op = LIMIT_CHECK;
	c.now_ms = l->now_ms ? l->now_ms(l->now_arg) : 0;
	c.ttl_ms = l->ttl_ms;
	(void)str_copy(c.txn, sizeof(c.txn), "show");
	c.nsubjects = 1;
	c.subjects[0].defs = p->defs;
	c.subjects[0].ndefs = p->count;
	if (l->store->decide(l->store, &c, &a, e) < 0)
		return -1;
	for (i = 0; i < p->count && i < max; i++) {
		const struct limit_def *d = &p->defs[i];
		const struct limit_row *row = &a.rows[i];
		struct limit_usage *u = &out[i];

		memset(u, 0, sizeof(*u));
		memcpy(u->name, d->name, sizeof(u->name));
		u->counter = d->counter;
		u->amount = row->amount;
		u->period_ms = row->period_ms;
		u->used = row->used;
		u->remaining = row->used < row->amount ? row->amount - row->used
						       : 0;
		u->reset_ms = row->reset_ms;
		u->overridden = row->amount != d->amount ||
				row->period_ms != d->period_ms;
		u->dry_run = d->dry_run;
		u->hard = d->hard;
	}
	*n = i;
	return 0;
}

/* limit_named - the plan's limit called name; NULL name is fine */
static int
limit_named(const struct limit_plan *p, const char *name,
	    const struct limit_def **d, struct err *e)
{
	size_t i;

	*d = NULL;
	if (name == NULL)
		return 0;
	for (i = 0; i < p->count; i++) {
		if (strcmp(p->defs[i].name, name) == 0) {
			*d = &p->defs[i];
			return 0;
		}
	}
	err_set(e, "plan %s has no limit named %.40s", p->name, name);
	return -1;
}

/* limit_reset - forget the counters of one or all limits of a subject */
int
limit_reset(struct limiter *l, const char *subject, const char *name,
	    struct err *e)
{
	const struct limit_plan *p;
	const struct limit_def *d;
	char key[LIMIT_SUBJECT_MAX];

	if (limit_subject_plan(l, subject, key, sizeof(key), &p, e) < 0 ||
	    limit_named(p, name, &d, e) < 0)
		return -1;
	return l->store->reset(l->store, key, p->defs, p->count, name, e);
}

/* limit_override_set - a run-time amount/period for one subject's limit */
int
limit_override_set(struct limiter *l, const char *subject, const char *name,
		   uint64_t amount, uint64_t period_ms, uint64_t ttl_ms,
		   struct err *e)
{
	const struct limit_plan *p;
	const struct limit_def *d;
	struct limit_def nd;
	char key[LIMIT_SUBJECT_MAX];
	struct err de;

	if (limit_subject_plan(l, subject, key, sizeof(key), &p, e) < 0 ||
	    limit_named(p, name, &d, e) < 0)
		return -1;
	if (d == NULL) {
		err_set(e, "an override needs a limit name");
		return -1;
	}
	nd = *d;
	if (d->counter == LIMIT_PER_MESSAGE)
		period_ms = 0;
	if (limit_def_set(&nd, d->counter, amount, period_ms, &de) < 0) {
		err_set(e, "%s: %s", name, de.text);
		return -1;
	}
	return l->store->override_set(l->store, key, &nd,
				      ttl_ms ? limit_now(l) + ttl_ms : 0, ttl_ms,
				      e);
}

/* limit_override_clear - back to the plan's values */
int
limit_override_clear(struct limiter *l, const char *subject, const char *name,
		     struct err *e)
{
	const struct limit_plan *p;
	const struct limit_def *d;
	char key[LIMIT_SUBJECT_MAX];

	if (limit_subject_plan(l, subject, key, sizeof(key), &p, e) < 0 ||
	    limit_named(p, name, &d, e) < 0)
		return -1;
	return l->store->override_clear(l->store, key, p->defs, p->count,
					name, e);
}
