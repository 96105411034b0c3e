/* SPDX-License-Identifier: BSD-2-Clause */
#include "spfcheck.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authres.h"
#include "spfrec.h"
#include "str.h"
#include "tspec.h"

/* RFC 7208 4.6.4 */
#define SPFCHECK_MAX_TERMS 10
#define SPFCHECK_MAX_VOID 2
#define SPFCHECK_MAX_NAMES 10
/* include/redirect nesting: the term limit stops it first */
#define SPFCHECK_MAX_DEPTH 20

struct spfcheck_ctx {
	struct spfdns *dns;
	const struct spfcheck_req *req;
	struct spfcheck_res *res;
	bool v6;
	unsigned char ip[16];
	char mi[80];			/* %{i} */
	char local[SPFCHECK_SENDER_MAX];	/* %{l} */
	char pname[SPFCHECK_HOST_MAX];	/* %{p}, once computed */
	bool pdone;
	char now[32];			/* %{t} */
	struct timespec deadline;
	struct err err;			/* reason of an error result */
};

/* spfcheck_result_name - RFC 7208 name of a result */
const char *
spfcheck_result_name(enum spfcheck_result r)
{
	static const char *const names[SPFCHECK_NRESULTS] = {
		"none", "neutral", "pass", "fail", "softfail", "temperror",
		"permerror",
	};

	return (size_t)r < SPFCHECK_NRESULTS ? names[r] : "?";
}

/* spfcheck_identity_name - "mailfrom" or "helo" (RFC 7208 9.1) */
const char *
spfcheck_identity_name(enum spfcheck_identity id)
{
	return id == SPFCHECK_ID_HELO ? "helo" : "mailfrom";
}

/* spfcheck_helo_ok - is a HELO argument a domain SPF can check?  Not an
 * address literal, not empty, a valid multi-label name (D10). */
bool
spfcheck_helo_ok(const char *helo)
{
	size_t len = strlen(helo);

	if (len > 0 && helo[len - 1] == '.')
		len--;
	if (len == 0 || len > SPFREC_NAME_MAX || helo[0] == '[' ||
	    memchr(helo, '.', len) == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)helo[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* spfcheck_want_helo - does the configuration ask for a HELO check
 * before the MAIL FROM check of this transaction? */
bool
spfcheck_want_helo(const struct conf *c, const char *sender,
		   const char *helo)
{
	if (!spfcheck_helo_ok(helo))
		return false;
	switch (c->spf_helo_check) {
	case CONF_SPF_HELO_ALWAYS:
		return true;
	case CONF_SPF_HELO_NULL_SENDER:
		return sender[0] == '\0';
	default:
		return false;
	}
}

/* spfcheck_req_init - fill a request from a transaction's values; -1
 * when the address or MAIL FROM does not fit (no valid one is that long) */
int
spfcheck_req_init(struct spfcheck_req *req, const struct conf *c,
		  const char *ip, const char *helo, const char *sender,
		  enum spfcheck_identity id)
{
	memset(req, 0, sizeof(*req));
	req->identity = id;
	req->timeout_ms = c->spf_timeout * 1000;
	req->dns_timeout_ms = c->spf_dns_timeout * 1000;
	if (authres_serv_id(c, req->receiver, sizeof(req->receiver)) < 0)
		(void)str_copy(req->receiver, sizeof(req->receiver),
			       "unknown");	/* fits */
	/* a HELO too long to be a domain name is not checked (D10): keep
	 * it empty rather than refuse the request */
	if (str_copy(req->helo, sizeof(req->helo), helo) < 0)
		req->helo[0] = '\0';
	if (str_copy(req->ip, sizeof(req->ip), ip) < 0 ||
	    str_copy(req->sender, sizeof(req->sender), sender) < 0)
		return -1;
	return 0;
}

/* spfcheck_ms_left - time left before the deadline */
static long
spfcheck_ms_left(const struct spfcheck_ctx *x)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(x->deadline.tv_sec - now.tv_sec) * 1000 +
	       (x->deadline.tv_nsec - now.tv_nsec) / 1000000;
}

/* spfcheck_error - record the reason of an error and give its result;
 * the last one wins: the error that ends an evaluation comes last */
static enum spfcheck_result
spfcheck_error(struct spfcheck_ctx *x, enum spfcheck_result r,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum spfcheck_result
spfcheck_error(struct spfcheck_ctx *x, enum spfcheck_result r,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(x->err.text, sizeof(x->err.text), fmt, ap);
	va_end(ap);
	return r;
}

/* spfcheck_query - one lookup within the deadline; counts void lookups.
 * Returns OK, NONE, or TEMP; sets *r to the error result when the caller
 * must stop (temperror, or permerror at the third void lookup). */
static enum spfdns_status
spfcheck_query(struct spfcheck_ctx *x, const char *name,
	       enum spfdns_type type, bool count_void,
	       struct spfdns_answer *ans, enum spfcheck_result *r)
{
	long left = spfcheck_ms_left(x);
	long tmo = (long)x->req->dns_timeout_ms;
	enum spfdns_status st;
	struct err e;

	*r = SPFCHECK_NONE;
	if (left <= 0) {
		ans->rr = NULL;
		ans->n = 0;
		*r = spfcheck_error(x, SPFCHECK_TEMPERROR,
				    "SPF evaluation took longer than %lu ms",
				    x->req->timeout_ms);
		return SPFDNS_TEMP;
	}
	if (tmo <= 0 || tmo > left)
		tmo = left;
	st = spfdns_lookup(x->dns, name, type, tmo, ans, &e);
	if (st == SPFDNS_TEMP) {
		/* the query ends at the deadline at the latest: its own
		 * reason (timeout, SERVFAIL) tells more than the clock */
		*r = spfcheck_error(x, SPFCHECK_TEMPERROR, "%.120s: %s", name,
				    e.text);
	} else if (st == SPFDNS_NONE && count_void &&
		   ++x->res->void_lookups > SPFCHECK_MAX_VOID) {
		*r = spfcheck_error(x, SPFCHECK_PERMERROR,
				    "more than %d void lookups (at %.120s)",
				    SPFCHECK_MAX_VOID, name);
	}
	return st;
}

/* spfcheck_count_term - one more DNS-querying term; false over the limit */
static bool
spfcheck_count_term(struct spfcheck_ctx *x)
{
	if (++x->res->lookups > SPFCHECK_MAX_TERMS) {
		(void)spfcheck_error(x, SPFCHECK_PERMERROR,
				     "more than %d DNS-querying terms",
				     SPFCHECK_MAX_TERMS);
		return false;
	}
	return true;
}

/* spfcheck_cidr_match - is the client inside addr/prefix? */
static bool
spfcheck_cidr_match(const struct spfcheck_ctx *x, const unsigned char *addr,
		    int prefix)
{
	int full = prefix / 8;
	int rest = prefix % 8;

	if (memcmp(x->ip, addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((x->ip[full] ^ addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* spfcheck_addr_match - any address of name within the prefix?  Returns
 * 1 match, 0 none, -1 when *r holds an error result */
static int
spfcheck_addr_match(struct spfcheck_ctx *x, const char *name, int prefix,
		    bool count_void, enum spfcheck_result *r)
{
	struct spfdns_answer ans;
	enum spfdns_status st;
	int match = 0;
	size_t i;

	st = spfcheck_query(x, name, x->v6 ? SPFDNS_AAAA : SPFDNS_A,
			    count_void, &ans, r);
	if (*r != SPFCHECK_NONE)
		return -1;
	for (i = 0; st == SPFDNS_OK && i < ans.n && !match; i++)
		match = spfcheck_cidr_match(x, ans.rr[i].addr, prefix);
	spfdns_answer_free(&ans);
	return match;
}

/* spfcheck_macro_p - %{p}: a validated name of the client, or "unknown"
 * (RFC 7208 7.3); errors are not errors here */
static const char *spfcheck_macro_p(void *arg);

/* spfcheck_macros - the macro values for the current domain */
static void
spfcheck_macros(struct spfcheck_ctx *x, const char *domain,
		struct spfrec_macros *m)
{
	memset(m, 0, sizeof(*m));
	m->s = x->res->sender;
	m->l = x->local;
	m->o = strrchr(x->res->sender, '@') + 1;
	m->d = domain;
	m->i = x->mi;
	m->v = x->v6 ? "ip6" : "in-addr";
	m->h = x->req->helo[0] ? x->req->helo : "unknown";
	m->c = x->res->ip;
	m->r = x->req->receiver[0] ? x->req->receiver : "unknown";
	m->t = x->now;
	m->p = spfcheck_macro_p;
	m->parg = x;
}

/* spfcheck_validated_names - RFC 7208 5.5: PTR names of the client whose
 * own addresses include it; calls fn(name) for each until fn returns
 * true: 1 when it did, 0 not.  DNS errors only drop names.  For the ptr
 * mechanism (perr set) void lookups count, and going over the limit is
 * -1 with *perr permerror; for %{p} (perr NULL) they do not. */
static int
spfcheck_validated_names(struct spfcheck_ctx *x,
			 bool (*fn)(const char *name, const void *arg),
			 const void *arg, enum spfcheck_result *perr)
{
	struct spfdns_answer ptr;
	enum spfcheck_result r;
	bool count = perr != NULL;
	char rev[80];
	int found = 0;
	size_t i;

	if (x->v6) {
		/* %{i} reversed is the ip6.arpa name */
		size_t n = strlen(x->mi);

		for (i = 0; i < n; i++)
			rev[i] = x->mi[n - 1 - i];
		rev[n] = '\0';
		if (str_format(rev + n, sizeof(rev) - n, ".ip6.arpa") < 0)
			return 0;
	} else if (str_format(rev, sizeof(rev), "%u.%u.%u.%u.in-addr.arpa",
			      x->ip[3], x->ip[2], x->ip[1], x->ip[0]) < 0) {
		return 0;
	}
	if (spfcheck_query(x, rev, SPFDNS_PTR, count, &ptr, &r) !=
	    SPFDNS_OK) {
		if (r != SPFCHECK_PERMERROR)
			return 0;
		*perr = r;
		return -1;
	}
	for (i = 0; i < ptr.n && i < SPFCHECK_MAX_NAMES && !found; i++) {
		char *name = ptr.rr[i].text;
		size_t len = strlen(name);

		if (len > 0 && name[len - 1] == '.')
			name[len - 1] = '\0';
		if (spfcheck_addr_match(x, name, x->v6 ? 128 : 32, count,
					&r) == 1)
			found = fn(name, arg) ? 1 : 0;
		if (r == SPFCHECK_PERMERROR) {
			*perr = r;
			found = -1;
			break;
		}
		if (r == SPFCHECK_TEMPERROR && spfcheck_ms_left(x) <= 0)
			break;
	}
	spfdns_answer_free(&ptr);
	return found;
}

/* spfcheck_is_within - name equal to, or below, the domain arg */
static bool
spfcheck_is_within(const char *name, const void *arg)
{
	const char *dom = arg;
	size_t nl = strlen(name);
	size_t dl = strlen(dom);

	if (dl > 0 && dom[dl - 1] == '.')
		dl--;
	if (nl == dl)
		return strncasecmp(name, dom, dl) == 0;
	return nl > dl && name[nl - dl - 1] == '.' &&
	       strncasecmp(name + nl - dl, dom, dl) == 0;
}

/* spfcheck_take_p - keep the first validated name for %{p} */
static bool
spfcheck_take_p(const char *name, const void *arg)
{
	struct spfcheck_ctx *x = (struct spfcheck_ctx *)(uintptr_t)arg;

	return str_copy(x->pname, sizeof(x->pname), name) == 0;
}

static const char *
spfcheck_macro_p(void *arg)
{
	struct spfcheck_ctx *x = arg;

	if (!x->pdone) {
		x->pdone = true;
		if (spfcheck_validated_names(x, spfcheck_take_p, x, NULL) !=
		    1)
			(void)str_copy(x->pname, sizeof(x->pname), "unknown");
	}
	return x->pname;
}

/* spfcheck_target - expand the domain-spec of a term (or take the current
 * domain); false with *r permerror when it cannot be expanded */
static bool
spfcheck_target(struct spfcheck_ctx *x, const char *spec,
		const char *domain, char *out, size_t size,
		enum spfcheck_result *r)
{
	struct spfrec_macros m;
	struct err e;

	if (spec == NULL)
		return str_copy(out, size, domain) == 0;
	spfcheck_macros(x, domain, &m);
	if (spfrec_expand_name(spec, &m, out, size, &e) < 0) {
		*r = spfcheck_error(x, SPFCHECK_PERMERROR, "%s", e.text);
		return false;
	}
	return true;
}

static enum spfcheck_result spfcheck_domain(struct spfcheck_ctx *x,
					    const char *domain, int depth,
					    bool top);

/* spfcheck_mx - the mx mechanism: 1 match, 0 none, -1 error in *r */
static int
spfcheck_mx(struct spfcheck_ctx *x, const char *target, int prefix,
	    enum spfcheck_result *r)
{
	struct spfdns_answer mx;
	enum spfdns_status st;
	int match = 0;
	size_t i;

	st = spfcheck_query(x, target, SPFDNS_MX, true, &mx, r);
	if (*r != SPFCHECK_NONE)
		return -1;
	if (st == SPFDNS_OK && mx.n > SPFCHECK_MAX_NAMES) {
		*r = spfcheck_error(x, SPFCHECK_PERMERROR,
				    "%s has more than %d MX records", target,
				    SPFCHECK_MAX_NAMES);
		match = -1;
	}
	for (i = 0; st == SPFDNS_OK && i < mx.n && match == 0; i++) {
		char *name = mx.rr[i].text;
		size_t len = strlen(name);

		if (len > 0 && name[len - 1] == '.')
			name[--len] = '\0';
		if (len == 0)
			continue;	/* null MX (RFC 7505) */
		match = spfcheck_addr_match(x, name, prefix, true, r);
	}
	spfdns_answer_free(&mx);
	return match;
}

/* spfcheck_term - evaluate one mechanism: 1 match, 0 not, -1 error */
static int
spfcheck_term(struct spfcheck_ctx *x, const struct spfrec_term *t,
	      const char *domain, int depth, enum spfcheck_result *r)
{
	char target[SPFREC_NAME_MAX + 1];
	int prefix = x->v6 ? (t->cidr6 < 0 ? 128 : t->cidr6)
			   : (t->cidr4 < 0 ? 32 : t->cidr4);
	struct spfdns_answer ans;
	enum spfcheck_result ir;
	enum spfdns_status st;

	*r = SPFCHECK_NONE;
	switch (t->mech) {
	case SPFREC_ALL:
		return 1;
	case SPFREC_IP4:
		return !x->v6 && spfcheck_cidr_match(x, t->addr, t->cidr4 < 0
							? 32 : t->cidr4);
	case SPFREC_IP6:
		return x->v6 && spfcheck_cidr_match(x, t->addr, t->cidr6 < 0
						       ? 128 : t->cidr6);
	default:
		break;
	}
	if (!spfcheck_count_term(x)) {
		*r = SPFCHECK_PERMERROR;
		return -1;
	}
	if (!spfcheck_target(x, t->domain, domain, target, sizeof(target), r))
		return -1;
	switch (t->mech) {
	case SPFREC_INCLUDE:
		ir = spfcheck_domain(x, target, depth + 1, false);
		switch (ir) {
		case SPFCHECK_PASS:
			return 1;
		case SPFCHECK_FAIL:
		case SPFCHECK_SOFTFAIL:
		case SPFCHECK_NEUTRAL:
			return 0;
		case SPFCHECK_TEMPERROR:
		case SPFCHECK_PERMERROR:
			*r = ir;
			return -1;
		default:	/* none is permerror here (RFC 7208 5.2) */
			*r = spfcheck_error(x, SPFCHECK_PERMERROR,
					    "include:%.100s has no SPF record",
					    target);
			return -1;
		}
	case SPFREC_A:
		return spfcheck_addr_match(x, target, prefix, true, r);
	case SPFREC_MX:
		return spfcheck_mx(x, target, prefix, r);
	case SPFREC_PTR:
		return spfcheck_validated_names(x, spfcheck_is_within,
						target, r);
	case SPFREC_EXISTS:
		/* always an A query, whatever the client (RFC 7208 5.7) */
		st = spfcheck_query(x, target, SPFDNS_A, true, &ans, r);
		spfdns_answer_free(&ans);
		if (*r != SPFCHECK_NONE)
			return -1;
		return st == SPFDNS_OK ? 1 : 0;
	default:
		return 0;
	}
}

/* spfcheck_explain - RFC 7208 6.2: the exp= text for a fail; any problem
 * just leaves the explanation empty */
static void
spfcheck_explain(struct spfcheck_ctx *x, const char *spec,
		 const char *domain)
{
	char target[SPFREC_NAME_MAX + 1];
	struct spfrec_macros m;
	struct spfdns_answer ans;
	enum spfcheck_result r;
	struct err e;
	struct err saved = x->err;
	size_t i;

	spfcheck_macros(x, domain, &m);
	if (spfrec_expand_name(spec, &m, target, sizeof(target), &e) < 0)
		return;
	/* exp lookups are outside the limits (RFC 7208 4.6.4) */
	if (spfcheck_query(x, target, SPFDNS_TXT, false, &ans, &r) ==
	    SPFDNS_OK && ans.n == 1) {
		for (i = 0; i < ans.rr[0].len; i++)
			if ((unsigned char)ans.rr[0].text[i] < 0x20 ||
			    (unsigned char)ans.rr[0].text[i] > 0x7e)
				break;
		if (i == ans.rr[0].len &&
		    spfrec_expand(ans.rr[0].text, &m, true,
				  x->res->explanation,
				  sizeof(x->res->explanation), &e) < 0)
			x->res->explanation[0] = '\0';
	}
	spfdns_answer_free(&ans);
	x->err = saved;	/* a failed exp is not the result's reason */
}

/* spfcheck_record - fetch and select the one SPF record of domain;
 * 1 found (parsed into rec), 0 none, -1 error in *r */
static int
spfcheck_record(struct spfcheck_ctx *x, const char *domain, bool count_void,
		struct spfrec *rec, enum spfcheck_result *r)
{
	struct spfdns_answer ans;
	enum spfdns_status st;
	struct err e;
	size_t found = SIZE_MAX;
	size_t n = 0;
	size_t i;

	st = spfcheck_query(x, domain, SPFDNS_TXT, count_void, &ans, r);
	if (*r != SPFCHECK_NONE)
		return -1;
	for (i = 0; st == SPFDNS_OK && i < ans.n; i++) {
		if (spfrec_is_spf1(ans.rr[i].text, ans.rr[i].len)) {
			found = i;
			n++;
		}
	}
	if (n > 1) {
		spfdns_answer_free(&ans);
		*r = spfcheck_error(x, SPFCHECK_PERMERROR,
				    "%.100s has %zu SPF records", domain, n);
		return -1;
	}
	if (n == 0) {
		spfdns_answer_free(&ans);
		return 0;
	}
	if (spfrec_parse(ans.rr[found].text, ans.rr[found].len, rec, &e) < 0) {
		spfdns_answer_free(&ans);
		*r = spfcheck_error(x, SPFCHECK_PERMERROR,
				    "SPF record of %.100s: %s", domain, e.text);
		return -1;
	}
	spfdns_answer_free(&ans);
	return 1;
}

/* spfcheck_domain - check_host() for one domain (RFC 7208 4); top is true
 * for the domain asked about and its redirects, false inside include */
static enum spfcheck_result
spfcheck_domain(struct spfcheck_ctx *x, const char *domain, int depth,
		bool top)
{
	static const enum spfcheck_result quals[128] = {
		['+'] = SPFCHECK_PASS, ['-'] = SPFCHECK_FAIL,
		['~'] = SPFCHECK_SOFTFAIL, ['?'] = SPFCHECK_NEUTRAL,
	};
	char target[SPFREC_NAME_MAX + 1];
	enum spfcheck_result r = SPFCHECK_NONE;
	struct spfrec rec;
	size_t i;
	int m;

	if (depth > SPFCHECK_MAX_DEPTH)
		return spfcheck_error(x, SPFCHECK_PERMERROR,
				      "include/redirect nested too deep");
	m = spfcheck_record(x, domain, depth > 0, &rec, &r);
	if (m < 0)
		return r;
	if (m == 0)
		return spfcheck_error(x, SPFCHECK_NONE,
				      "no SPF record at %.100s", domain);
	for (i = 0; i < rec.nterms; i++) {
		const struct spfrec_term *t = &rec.terms[i];

		m = spfcheck_term(x, t, domain, depth, &r);
		if (m < 0)
			goto out;
		if (m == 1)
			break;
	}
	if (i < rec.nterms) {
		r = quals[(unsigned char)rec.terms[i].qual];
		if (top) {
			(void)str_copy(x->res->mechanism,
				       sizeof(x->res->mechanism),
				       rec.terms[i].text);
			if (r == SPFCHECK_FAIL && rec.exp != NULL)
				spfcheck_explain(x, rec.exp, domain);
		}
	} else if (rec.redirect != NULL) {
		/* RFC 7208 6.1: counts as a lookup; no record is permerror;
		 * the exp= of this record no longer applies */
		if (!spfcheck_count_term(x)) {
			r = SPFCHECK_PERMERROR;
			goto out;
		}
		if (!spfcheck_target(x, rec.redirect, domain, target,
				     sizeof(target), &r))
			goto out;
		r = spfcheck_domain(x, target, depth + 1, top);
		if (r == SPFCHECK_NONE) {
			r = spfcheck_error(x, SPFCHECK_PERMERROR,
					   "redirect=%.100s has no SPF record",
					   target);
		}
	} else {
		r = SPFCHECK_NEUTRAL;
		if (top)
			(void)str_copy(x->res->mechanism,
				       sizeof(x->res->mechanism), "default");
	}
out:
	spfrec_free(&rec);
	return r;
}

/* spfcheck_res_error - a result without evaluation (bad input, worker
 * trouble), with the identity filled in from req as far as it can be */
void
spfcheck_res_error(const struct spfcheck_req *req, struct spfcheck_res *res,
		   enum spfcheck_result r, const char *reason)
{
	const char *at;

	memset(res, 0, sizeof(*res));
	res->result = r;
	res->identity = req->sender[0] == '\0' ? SPFCHECK_ID_HELO
					       : req->identity;
	(void)str_copyn(res->ip, sizeof(res->ip), req->ip,
			strnlen(req->ip, sizeof(req->ip) - 1));
	(void)str_copyn(res->helo, sizeof(res->helo), req->helo,
			strnlen(req->helo, sizeof(req->helo) - 1));
	if (res->identity == SPFCHECK_ID_MAILFROM) {
		(void)str_copyn(res->sender, sizeof(res->sender), req->sender,
				strnlen(req->sender, sizeof(req->sender) - 1));
		at = strrchr(res->sender, '@');
		(void)str_copy(res->domain, sizeof(res->domain),
			       at ? at + 1 : "");
	} else {
		(void)str_format(res->sender, sizeof(res->sender),
				 "postmaster@%s", res->helo);
		(void)str_copy(res->domain, sizeof(res->domain), res->helo);
	}
	(void)str_copy(res->reason, sizeof(res->reason), reason);
	spfcheck_res_sanitize(res);
}

/* spfcheck_clean - NUL-terminate a field and replace bytes outside
 * lo..0x7e by '?' */
static void
spfcheck_clean(char *s, size_t size, unsigned char lo)
{
	size_t i;

	s[size - 1] = '\0';
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < lo || (unsigned char)s[i] > 0x7e)
			s[i] = '?';
}

/* spfcheck_res_sanitize - make a result safe for logs, headers and SMTP
 * replies whoever wrote it (the client checks the worker's answers too):
 * known enum values, terminated strings, printable US-ASCII only */
void
spfcheck_res_sanitize(struct spfcheck_res *res)
{
	if ((unsigned)res->result >= SPFCHECK_NRESULTS)
		res->result = SPFCHECK_TEMPERROR;
	if (res->identity != SPFCHECK_ID_HELO)
		res->identity = SPFCHECK_ID_MAILFROM;
	spfcheck_clean(res->ip, sizeof(res->ip), 0x21);
	spfcheck_clean(res->helo, sizeof(res->helo), 0x21);
	spfcheck_clean(res->sender, sizeof(res->sender), 0x21);
	spfcheck_clean(res->domain, sizeof(res->domain), 0x21);
	spfcheck_clean(res->mechanism, sizeof(res->mechanism), 0x20);
	spfcheck_clean(res->reason, sizeof(res->reason), 0x20);
	spfcheck_clean(res->explanation, sizeof(res->explanation), 0x20);
}

/* spfcheck_client - parse the client address; IPv4-mapped IPv6 becomes
 * IPv4 (RFC 7208 5: "::ffff:192.0.2.1" is checked as 192.0.2.1) */
static bool
spfcheck_client(struct spfcheck_ctx *x)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
						 0, 0, 0, 0, 0xff, 0xff};
	unsigned char a6[16];
	const char *ip = x->req->ip;
	size_t i;

	if (strncasecmp(ip, "ipv6:", 5) == 0)	/* Postfix/milter form */
		ip += 5;
	if (inet_pton(AF_INET, ip, x->ip) == 1) {
		x->v6 = false;
	} else if (inet_pton(AF_INET6, ip, a6) == 1) {
		if (memcmp(a6, mapped, 12) == 0) {
			memcpy(x->ip, a6 + 12, 4);
			x->v6 = false;
		} else {
			memcpy(x->ip, a6, 16);
			x->v6 = true;
		}
	} else {
		return false;
	}
	(void)inet_ntop(x->v6 ? AF_INET6 : AF_INET, x->ip, x->res->ip,
			sizeof(x->res->ip));
	if (!x->v6) {
		(void)str_copy(x->mi, sizeof(x->mi), x->res->ip);
		return true;
	}
	for (i = 0; i < 32; i++) {
		static const char hex[] = "0123456789abcdef";
		unsigned v = (x->ip[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;

		x->mi[2 * i] = hex[v];
		x->mi[2 * i + 1] = '.';
	}
	x->mi[63] = '\0';
	return true;
}

/* spfcheck_identity - who is checked: sender and domain (RFC 7208 4.3,
 * 2.4: MAIL FROM <> is postmaster@HELO; no local part is postmaster;
 * the domain is what follows the last '@', so "a@b@example.com" is in
 * example.com) */
static bool
spfcheck_identity(struct spfcheck_ctx *x)
{
	const struct spfcheck_req *req = x->req;
	struct spfcheck_res *res = x->res;
	const char *at;
	size_t len;

	if (req->identity == SPFCHECK_ID_HELO || req->sender[0] == '\0') {
		res->identity = SPFCHECK_ID_HELO;
		if (!spfcheck_helo_ok(req->helo)) {
			(void)spfcheck_error(x, SPFCHECK_NONE,
					     "HELO is not a domain name");
			return false;
		}
		(void)str_copy(x->local, sizeof(x->local), "postmaster");
		(void)str_copy(res->domain, sizeof(res->domain), req->helo);
	} else {
		res->identity = SPFCHECK_ID_MAILFROM;
		at = strrchr(req->sender, '@');
		if (at == NULL) {
			(void)spfcheck_error(x, SPFCHECK_NONE,
					     "MAIL FROM has no domain");
			return false;
		}
		if (at == req->sender)
			(void)str_copy(x->local, sizeof(x->local),
				       "postmaster");
		else if (str_copyn(x->local, sizeof(x->local), req->sender,
				   (size_t)(at - req->sender)) < 0)
			return false;
		if (str_copy(res->domain, sizeof(res->domain), at + 1) < 0)
			return false;
	}
	len = strlen(res->domain);
	if (len > 0 && res->domain[len - 1] == '.')
		res->domain[len - 1] = '\0';
	if (str_format(res->sender, sizeof(res->sender), "%s@%s", x->local,
		       res->domain) < 0)
		return false;
	/* RFC 7208 4.3: a malformed or single-label domain gives none */
	if (!spfdns_name_ok(res->domain) || strchr(res->domain, '.') == NULL) {
		(void)spfcheck_error(x, SPFCHECK_NONE,
				     "\"%.100s\" is not a domain name",
				     res->domain);
		return false;
	}
	return true;
}

/* spfcheck_host - evaluate SPF for req over dns into res */
void
spfcheck_host(struct spfdns *dns, const struct spfcheck_req *req,
	      struct spfcheck_res *res)
{
	struct spfcheck_ctx x;
	struct timespec t0;
	struct timespec t1;
	unsigned long tmo = req->timeout_ms ? req->timeout_ms : 10000;

	memset(&x, 0, sizeof(x));
	spfcheck_res_error(req, res, SPFCHECK_NONE, "");
	x.dns = dns;
	x.req = req;
	x.res = res;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	x.deadline = tspec_after(CLOCK_MONOTONIC, tmo);
	(void)str_format(x.now, sizeof(x.now), "%lld", (long long)time(NULL));
	if (!spfcheck_client(&x)) {
		res->result = SPFCHECK_NONE;
		(void)str_copy(res->reason, sizeof(res->reason),
			       "no usable client IP address");
		return;
	}
	if (!spfcheck_identity(&x)) {
		res->result = SPFCHECK_NONE;
		if (x.err.text[0] == '\0')
			(void)str_copy(x.err.text, sizeof(x.err.text),
				       "identity too long");
	} else {
		res->result = spfcheck_domain(&x, res->domain, 0, true);
	}
	if (res->result == SPFCHECK_NONE || res->result ==
	    SPFCHECK_TEMPERROR || res->result == SPFCHECK_PERMERROR)
		(void)str_copy(res->reason, sizeof(res->reason), x.err.text);
	if (res->result != SPFCHECK_FAIL)
		res->explanation[0] = '\0';
	res->queries = spfdns_queries(dns);
	spfcheck_res_sanitize(res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->ms = (unsigned long)((t1.tv_sec - t0.tv_sec) * 1000 +
				  (t1.tv_nsec - t0.tv_nsec) / 1000000);
}

/* spfcheck_run - evaluate with the system resolver */
void
spfcheck_run(const struct spfcheck_req *req, struct spfcheck_res *res)
{
	struct err e;
	struct spfdns *dns = spfdns_resolver_new(&e);

	if (dns == NULL) {
		spfcheck_res_error(req, res, SPFCHECK_TEMPERROR, e.text);
		return;
	}
	spfcheck_host(dns, req, res);
	spfdns_free(dns);
}

/* spfcheck_action - the configured action for a result */
static enum conf_spf_action
spfcheck_action(const struct conf *c, enum spfcheck_result r)
{
	switch (r) {
	case SPFCHECK_PASS: return c->spf_action_pass;
	case SPFCHECK_FAIL: return c->spf_action_fail;
	case SPFCHECK_SOFTFAIL: return c->spf_action_softfail;
	case SPFCHECK_NEUTRAL: return c->spf_action_neutral;
	case SPFCHECK_NONE: return c->spf_action_none;
	case SPFCHECK_TEMPERROR: return c->spf_action_temperror;
	case SPFCHECK_PERMERROR: return c->spf_action_permerror;
	}
	return CONF_SPF_TEMPFAIL;
}

/*
 * spfcheck_verdict - the verdict for one result: the configured action,
 * RFC 7372 codes (x.7.23 SPF validation failed, x.7.24 SPF validation
 * error), an Authentication-Results header always and a Received-SPF
 * header for action "header" or spf_received_header.  Returns -1 when a
 * header does not fit (the verdict is still set).
 */
int
spfcheck_verdict(const struct conf *c, const struct spfcheck_res *res,
		 struct verdict *v)
{
	enum conf_spf_action a = spfcheck_action(c, res->result);
	bool err = res->result == SPFCHECK_TEMPERROR ||
		   res->result == SPFCHECK_PERMERROR;
	char value[VERDICT_HDR_VALUE_MAX];
	char servid[SPFCHECK_HOST_MAX];
	struct authres_spf_info info;
	char reason[64];
	int rc = 0;

	verdict_init(v);
	(void)str_format(reason, sizeof(reason), "spf-%s",
			 spfcheck_result_name(res->result));
	if (a == CONF_SPF_TEMPFAIL && err)
		verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.24", reason,
			    "SPF %s for %s: %s, try again later",
			    spfcheck_result_name(res->result), res->domain,
			    res->reason);
	else if (a == CONF_SPF_TEMPFAIL)
		verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.23", reason,
			    "SPF %s: %s is not allowed to send mail for %s",
			    spfcheck_result_name(res->result), res->ip,
			    res->domain);
	else if (a == CONF_SPF_REJECT && err)
		verdict_set(v, VERDICT_REJECT, "550", "5.7.24", reason,
			    "SPF %s for %s: %s",
			    spfcheck_result_name(res->result), res->domain,
			    res->reason);
	else if (a == CONF_SPF_REJECT)
		verdict_set(v, VERDICT_REJECT, "550", "5.7.23", reason,
			    "SPF %s: %s is not allowed to send mail for %s%s%s",
			    spfcheck_result_name(res->result), res->ip,
			    res->domain, res->explanation[0] ? ": " : "",
			    res->explanation);
	else
		verdict_set(v, VERDICT_CONTINUE, "", "", reason, "SPF %s",
			    spfcheck_result_name(res->result));
	info.result = spfcheck_result_name(res->result);
	info.identity = spfcheck_identity_name(res->identity);
	info.sender = res->sender;
	info.helo = res->helo;
	info.ip = res->ip;
	info.mechanism = res->mechanism;
	info.problem = res->reason;
	if (authres_serv_id(c, servid, sizeof(servid)) < 0)
		(void)str_copy(servid, sizeof(servid), "localhost"); /* fits */
	if (authres_spf_value(servid, &info, value, sizeof(value)) < 0 ||
	    verdict_add_header(v, "Authentication-Results", value) < 0)
		rc = -1;
	if ((a == CONF_SPF_HEADER || c->spf_received_header) &&
	    (authres_received_spf_value(servid, &info, value,
					sizeof(value)) < 0 ||
	     verdict_add_header(v, "Received-SPF", value) < 0))
		rc = -1;
	return rc;
}
