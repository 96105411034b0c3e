/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * explain - "relayguardctl explain": run a described message through the
 * checks the engine makes, consuming nothing, and print each check with
 * its result and the verdict.
 *
 *	relayguardctl explain --to ADDR [--to ADDR]... [--client IP]
 *	    [--helo NAME] [--login LOGIN] [--from ADDR]
 *	    [--header-from VALUE]... [--header 'NAME: VALUE']...
 *	    [--size BYTES] [--no-spf]
 *
 * Checks, in the daemon's order: who the client is (trust); blocks of
 * every subject of the message and the login's client networks (counted
 * as if this client were added, without adding it); ownership of the
 * envelope sender by the login, or our own domains in it for an outside
 * client; SPF (the system resolver, evaluated here; --no-spf skips it);
 * the per-message caps; every limit with LIMIT_CHECK for the whole
 * message (nothing is reserved); then the header fields given, each a
 * whole field body as the MTA would pass it (--header-from V is --header
 * 'From: V'), through the very reader and judgement the milter runs
 * (engine_header, engine_eoh): From, Sender, Resent-From and Resent-Sender
 * are author fields, other fields change nothing.  The first refusal is
 * the verdict; its text is shown as the MTA would get it (replytext.h).
 *
 * Limits and blocks are read from the store the daemon uses; with
 * limit_backend = memory this process has its own empty store, and the
 * output says so.  Exit: 0 the message would be accepted (or held), 1 it
 * would be refused, 2 usage, 3 a store or DNS did not answer, 78
 * configuration.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "abuse.h"
#include "generation.h"
#include "engine.h"
#include "limit.h"
#include "replytext.h"
#include "spfcheck.h"
#include "str.h"
#include "xalloc.h"

#define EX_RCPTS_MAX 1000
#define EX_HDRS_MAX 100

/* The explanation being built. */
struct ex {
	struct ctl *c;
	const struct generation *cfg;
	struct ctl_table t;
	struct strbuf js;		/* the checks as JSON */
	struct verdict v;		/* the first refusal */
	char refused_by[32];
	bool hold;
	char hold_why[64];
	bool unavailable;
};

/* What explain was told about the message. */
struct ex_opts {
	const char *client;
	const char *helo;
	const char *login;
	const char *from;
	const char *hname[EX_HDRS_MAX];	/* header fields, in order */
	const char *hvalue[EX_HDRS_MAX];
	size_t nhdrs;
	char **rcpts;
	size_t nrcpts;
	unsigned long size;
	bool no_spf;
};

/* ex_row - one check: name, result, detail */
static void
ex_row(struct ex *x, const char *check, const char *result, const char *fmt,
       ...) __attribute__((format(printf, 4, 5)));

static void
ex_row(struct ex *x, const char *check, const char *result, const char *fmt,
       ...)
{
	char detail[1024];
	const char *row[3];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (x->c->json) {
		ctl_json_raw(&x->js, NULL, "{");
		ctl_json_str(&x->js, "check", check);
		ctl_json_str(&x->js, "result", result);
		ctl_json_str(&x->js, "detail", detail);
		(void)strbuf_append_str(&x->js, "}");
		return;
	}
	row[0] = check;
	row[1] = result;
	row[2] = detail;
	ctl_table_add(&x->t, row);
}

/* ex_refuse - the verdict, unless an earlier check refused already */
static void
ex_refuse(struct ex *x, const char *check, const struct verdict *v)
{
	if (v->action == VERDICT_HOLD) {
		if (!x->hold)
			(void)str_copy(x->hold_why, sizeof(x->hold_why), check);
		x->hold = true;
		return;
	}
	if ((v->action != VERDICT_TEMPFAIL && v->action != VERDICT_REJECT) ||
	    x->v.action != VERDICT_CONTINUE)
		return;
	x->v = *v;
	(void)str_copy(x->refused_by, sizeof(x->refused_by), check);
}

/* ex_action - a signal's action as the verdict it would give */
static void
ex_action(struct ex *x, const char *check, enum abuse_action a,
	  bool dry_run, const char *text)
{
	struct verdict v;

	verdict_init(&v);
	if (dry_run)
		return;
	if (a == ABUSE_TEMPFAIL)
		verdict_set(&v, VERDICT_TEMPFAIL, "451", "4.7.1", check, "%s",
			    text);
	else if (a == ABUSE_REJECT)
		verdict_set(&v, VERDICT_REJECT, "550", "5.7.1", check, "%s",
			    text);
	else if (a == ABUSE_HOLD)
		v.action = VERDICT_HOLD;
	ex_refuse(x, check, &v);
}

/* ex_abuse - blocks and the login's networks */
static void
ex_abuse(struct ex *x, const struct txn *t)
{
	const struct conf *cf = x->cfg->conf;
	struct abuse_explain a;
	char text[VERDICT_TEXT_MAX];
	char until[32];

	if (x->cfg->abuse == NULL) {
		ex_row(x, "abuse", "off", "abuse_control = no");
		return;
	}
	if (abuse_explain_mail(x->cfg->abuse, t, &a) < 0) {
		ex_row(x, "block", "unavailable", "%s", a.error);
		x->unavailable = true;
		return;
	}
	if (a.blocked[0] == '\0') {
		ex_row(x, "block", "none", "no subject of the message is "
		       "blocked");
	} else {
		ctl_utc(a.block.until_ms, until, sizeof(until));
		ex_row(x, "block", a.block.dry_run ? "dry-run" : "blocked",
		       "%s until %s by %s (%s): %s", a.blocked, until,
		       a.block.by_admin ? "the administrator"
					: "the penalty box",
		       abuse_action_name(a.block.action), a.block.reason);
		(void)str_format(text, sizeof(text), "%s is %s until %s",
				 a.blocked, a.block.action == ABUSE_REJECT
						    ? "suspended" : "blocked",
				 until);
		ex_action(x, "penalty-box", a.block.action, a.block.dry_run,
			  text);
	}
	if (t->login[0] == '\0' || cf->stolen_login_networks == 0)
		return;
	ex_row(x, "stolen-login", a.stolen ? "suspect" : "ok",
	       "%lu client networks within the window with this one (more "
	       "than %lu is suspect)", a.networks, cf->stolen_login_networks);
	if (a.stolen)
		ex_action(x, "stolen-credentials",
			  (enum abuse_action)cf->stolen_login_action,
			  cf->stolen_login_dry_run,
			  "login used from too many networks");
}

/* ex_owner - may the login send as this address (envelope or From)? */
static void
ex_owner(struct ex *x, const struct txn *t, const char *check,
	 const char *addr)
{
	const struct conf *cf = x->cfg->conf;
	struct verdict v;
	struct addr a;
	struct err e;
	char text[VERDICT_TEXT_MAX];
	enum addr_status st = addr_path_parse(addr, &a, &e);

	if (st == ADDR_NONE && cf->sender_login_null_sender) {
		ex_row(x, check, "ok", "the null sender is allowed");
		return;
	}
	if (st == ADDR_OK &&
	    owner_may_send_as(x->cfg->owners, &x->cfg->owner_opts, t->login,
			      &a)) {
		ex_row(x, check, "ok", "%s may send as <%s>", t->login, addr);
		return;
	}
	conf_reply_expand(&cf->sender_login_reply, text, sizeof(text), addr,
			  t->login);
	verdict_init(&v);
	verdict_set(&v, VERDICT_REJECT, cf->sender_login_reply.code,
		    cf->sender_login_reply.xcode, "sender-not-owned", "%s",
		    text);
	ex_row(x, check, "refused", "<%s> is not owned by %s", addr, t->login);
	ex_refuse(x, check, &v);
}

/* ex_own_domain - an outside client using one of our domains */
static void
ex_own_domain(struct ex *x, const char *check, const char *addr)
{
	const struct conf *cf = x->cfg->conf;
	struct verdict v;
	struct addr a;
	struct err e;
	char text[VERDICT_TEXT_MAX];

	if (addr_path_parse(addr, &a, &e) != ADDR_OK ||
	    cf->own_domain_action == CONF_ACTION_ACCEPT ||
	    !engine_is_own_domain(x->cfg, a.domain)) {
		ex_row(x, check, "ok", "not one of our domains");
		return;
	}
	conf_reply_expand(&cf->own_domain_reply, text, sizeof(text), addr, "");
	verdict_init(&v);
	verdict_set(&v, cf->own_domain_action == CONF_ACTION_TEMPFAIL
				? VERDICT_TEMPFAIL : VERDICT_REJECT,
		    cf->own_domain_reply.code, cf->own_domain_reply.xcode,
		    "own-domain-spoof", "%s", text);
	if (v.action == VERDICT_TEMPFAIL && v.code[0] == '5') {
		(void)str_copy(v.code, sizeof(v.code), "451");
		v.xcode[0] = '4';
	}
	ex_row(x, check, "refused", "%s is one of our domains; an outside "
	       "client may not use it", a.domain);
	ex_refuse(x, check, &v);
}

/* ex_spf - RFC 7208 for the envelope sender, evaluated here */
static void
ex_spf(struct ex *x, const struct txn *t, bool no_spf)
{
	struct spfcheck_req req;
	struct spfcheck_res *res;
	struct verdict v;

	if (!x->cfg->conf->spf_check || t->client_addr[0] == '\0') {
		ex_row(x, "spf", "skipped", "spf_check = no, or no client "
		       "address");
		return;
	}
	if (no_spf) {
		ex_row(x, "spf", "skipped", "--no-spf");
		return;
	}
	res = xcalloc(1, sizeof(*res));
	if (spfcheck_req_init(&req, x->cfg->conf, t->client_addr, t->helo,
			      t->sender, SPFCHECK_ID_MAILFROM) < 0)
		spfcheck_res_error(&req, res, SPFCHECK_PERMERROR,
				   "MAIL FROM address too long");
	else
		spfcheck_run(&req, res);
	verdict_init(&v);
	(void)spfcheck_verdict(x->cfg->conf, res, &v);
	ex_row(x, "spf", spfcheck_result_name(res->result), "%s %s%s%s",
	       spfcheck_identity_name(res->identity), res->sender,
	       res->mechanism[0] ? ", matched " : "",
	       res->mechanism[0] ? res->mechanism : res->reason);
	if (res->result == SPFCHECK_TEMPERROR)
		x->unavailable = true;
	ex_refuse(x, "spf", &v);
	free(res);
}

/* ex_caps - the per-message caps for all recipients */
static void
ex_caps(struct ex *x, char **rcpts, size_t n)
{
	const struct conf *cf = x->cfg->conf;
	struct abusemsg *m = xcalloc(1, sizeof(*m));
	struct verdict v;
	bool over;
	size_t i;

	for (i = 0; i < n; i++)
		abusemsg_add_rcpt(m, rcpts[i]);
	if (x->cfg->abuse != NULL && (cf->max_recipients_per_message > 0 ||
				      cf->max_recipient_domains > 0)) {
		over = (cf->max_recipients_per_message > 0 &&
			n > cf->max_recipients_per_message) ||
		       (cf->max_recipient_domains > 0 &&
			m->ndomains > cf->max_recipient_domains);
		ex_row(x, "caps", over ? "over" : "ok", "%zu recipients (at "
		       "most %lu), %zu domains (at most %lu; 0: no cap)", n,
		       cf->max_recipients_per_message, m->ndomains,
		       cf->max_recipient_domains);
		verdict_init(&v);
		if (over && !cf->message_caps_dry_run) {
			if (cf->message_caps_action == CONF_ABUSE_TEMPFAIL)
				verdict_set(&v, VERDICT_TEMPFAIL, "452",
					    "4.5.3", "caps", "too many "
					    "recipients");
			else if (cf->message_caps_action == CONF_ABUSE_REJECT)
				verdict_set(&v, VERDICT_REJECT, "550", "5.5.3",
					    "caps", "too many recipients");
			else if (cf->message_caps_action == CONF_ABUSE_HOLD)
				v.action = VERDICT_HOLD;
			ex_refuse(x, "caps", &v);
		}
	}
	free(m);
}

/* ex_limits - every limit, checked for the whole message */
static void
ex_limits(struct ex *x, const struct txn *t, size_t nrcpt,
	  unsigned long size)
{
	struct limit_result *res;
	struct limit_req r;
	struct verdict v;
	char check[64];
	char period[16];
	size_t i;

	if (x->cfg->limits == NULL) {
		ex_row(x, "limits", "off", "limits = no");
		return;
	}
	res = xcalloc(1, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.op = LIMIT_CHECK;
	r.login = t->login;
	r.sender = t->sender;
	r.client_addr = t->client_addr;
	r.messages = 1;
	r.recipients = nrcpt;
	r.bytes = size;
	(void)limit_decide(x->cfg->limits, &r, res);
	if (res->outcome == LIMIT_UNAVAILABLE) {
		ex_row(x, "limits", "unavailable", "%s", res->error);
		x->unavailable = true;
	} else if (res->nsubjects == 0) {
		ex_row(x, "limits", "none", "no plan applies to this message");
	}
	for (i = 0; i < res->nhits; i++) {
		const struct limit_hit *h = &res->hits[i];

		(void)str_format(check, sizeof(check), "limit %s", h->name);
		if (h->period_ms > 0)
			limit_period_text(h->period_ms, period, sizeof(period));
		else
			(void)str_copy(period, sizeof(period), "message");
		ex_row(x, check, h->state == LIMIT_STATE_OVER ? "over"
			       : h->state == LIMIT_STATE_DRY_OVER ? "dry-run"
								 : "ok",
		       "%s: %llu of %llu %s per %s%s", res->subjects[h->subject],
		       (unsigned long long)h->used,
		       (unsigned long long)h->amount,
		       limit_counter_name(h->counter), period,
		       h->hard ? " (hard)" : "");
	}
	limit_verdict(x->cfg->limits, res, &v);
	ex_refuse(x, "limits", &v);
	free(res);
}

/* ex_author_row - one author field as engine_header judged it */
static void
ex_author_row(struct ex *x, const struct txn *t, const char *check,
	      const char *field, const struct author_finding *f)
{
	char a[ADDR_TEXT_SIZE] = "";
	const char *res;

	addr_text(&f->addr, a, sizeof(a));
	switch (f->result) {
	case AUTHOR_OK:
		if (t->login[0] != '\0')
			ex_row(x, check, "ok", "%s: %zu address%s, all owned "
			       "by %s", field, f->naddrs,
			       f->naddrs == 1 ? "" : "es", t->login);
		else
			ex_row(x, check, "ok", "%s: %zu address%s, none in our "
			       "domains", field, f->naddrs,
			       f->naddrs == 1 ? "" : "es");
		return;
	case AUTHOR_NOBODY:
		ex_row(x, check, "nobody", "%s names no mailbox (an empty "
		       "group): nothing to check", field);
		return;
	case AUTHOR_NOT_OWNED:
		ex_row(x, check, "refused", "%s: <%s> is not owned by %s",
		       field, a, t->login);
		return;
	case AUTHOR_UNREADABLE:
		if (!f->lenient) {
			ex_row(x, check, "refused", "%s cannot be read (%s): "
			       "a login's author must be readable", field,
			       f->why);
			return;
		}
		ex_row(x, check, "unreadable", "%s cannot be read (%s); as a "
		       "mail client shows it: %zu address%s, none in our "
		       "domains", field, f->why, f->naddrs,
		       f->naddrs == 1 ? "" : "es");
		return;
	case AUTHOR_OURS:
		res = "refused";
		if (f->lenient)
			ex_row(x, check, res, "%s cannot be read (%s); as a "
			       "mail client shows it, <%s> is in %s, one of our "
			       "domains", field, f->why, a, f->addr.domain);
		else
			ex_row(x, check, res, "%s: <%s> is in %s, one of our "
			       "domains; an outside client may not use it",
			       field, a, f->addr.domain);
		return;
	}
}

/* ex_headers - the header fields given, through the milter's own reader
 * and judgement (engine_header, then engine_eoh for the verdict) */
static void
ex_headers(struct ex *x, struct txn *t, const struct ex_opts *o)
{
	enum engine_trust tr = engine_trust(x->cfg, t);
	const char *check = tr == ENGINE_TRUST_SASL ? "from-owner"
						    : "own-domain-from";
	struct author_finding f;
	struct verdict v;
	bool skipped = false;
	size_t i;

	for (i = 0; i < o->nhdrs; i++) {
		const char *field = author_field_name(o->hname[i]);

		if (engine_header(x->cfg, t, o->hname[i], o->hvalue[i],
				  strlen(o->hvalue[i]), &f))
			ex_author_row(x, t, check, field, &f);
		else if (field != NULL)
			skipped = true;
	}
	if (skipped)
		ex_row(x, check, "skipped", "%s",
		       tr == ENGINE_TRUST_INTERNAL
			       ? "client in internal_hosts: author fields "
				 "are not checked"
		       : tr == ENGINE_TRUST_SASL ? "sender_login_check = no"
						 : "own_domain_action = accept");
	engine_eoh(x->cfg, t, &v);
	ex_refuse(x, check, &v);
}

/* ex_verdict - the last row: what the message would get */
static void
ex_verdict(struct ex *x)
{
	char text[REPLYTEXT_MAX + 1];

	(void)replytext_clean(text, sizeof(text), x->v.text);
	if (x->v.action != VERDICT_CONTINUE)
		ex_row(x, "verdict", verdict_action_name(x->v.action),
		       "%s %s %s (%s)", x->v.code, x->v.xcode, text,
		       x->refused_by);
	else if (x->hold)
		ex_row(x, "verdict", "hold", "accepted into the hold queue "
		       "(%s)", x->hold_why);
	else
		ex_row(x, "verdict", "accept", "%s", x->unavailable
		       ? "as far as could be checked" : "every check passed");
}

/* ex_checks - every check of the described message */
static void
ex_checks(struct ex *x, struct txn *t, const struct ex_opts *o)
{
	enum engine_trust tr = engine_trust(x->cfg, t);
	const struct conf *cf = x->cfg->conf;

	ex_row(x, "trust", engine_trust_name(tr), "%s",
	       tr == ENGINE_TRUST_SASL ? "SASL login"
	       : tr == ENGINE_TRUST_INTERNAL ? "client in internal_hosts"
					     : "outside client");
	if (cf->limit_backend != CONF_LIMIT_REDIS &&
	    (x->cfg->limits != NULL || x->cfg->abuse != NULL))
		ex_row(x, "store", "memory", "limit_backend = memory: the "
		       "counters of the running relayguard are not visible "
		       "here; shown as if empty");
	ex_abuse(x, t);
	if (tr == ENGINE_TRUST_SASL && cf->sender_login_check) {
		ex_owner(x, t, "sender-owner", t->sender);
	} else if (tr == ENGINE_UNTRUSTED) {
		ex_own_domain(x, "own-domain", t->sender);
		ex_spf(x, t, o->no_spf);
	}
	ex_caps(x, o->rcpts, o->nrcpts);
	ex_limits(x, t, o->nrcpts, (unsigned long)t->size);
	ex_headers(x, t, o);
	ex_verdict(x);
}

/* ex_opt_header - one header field given: name, or NULL when arg is
 * "NAME: VALUE" (the value as the MTA passes it); -1 when it is not one */
static int
ex_opt_header(struct ex_opts *o, const char *name, char *arg)
{
	char *colon;

	if (o->nhdrs == EX_HDRS_MAX)
		return -1;
	if (name == NULL) {
		colon = strchr(arg, ':');
		if (colon == NULL || colon == arg)
			return -1;
		*colon = '\0';
		name = str_trim(arg);
		arg = colon + 1;
		if (*name == '\0')
			return -1;
	}
	o->hname[o->nhdrs] = name;
	o->hvalue[o->nhdrs++] = arg;
	return 0;
}

/* ex_opts_parse - the options; -1 on a usage error (said on stderr) */
static int
ex_opts_parse(int argc, char **argv, struct ex_opts *o)
{
	static const struct option longopts[] = {
		{"client", required_argument, NULL, 'c'},
		{"helo", required_argument, NULL, 'H'},
		{"login", required_argument, NULL, 'l'},
		{"from", required_argument, NULL, 'f'},
		{"header-from", required_argument, NULL, 'F'},
		{"header", required_argument, NULL, 'X'},
		{"to", required_argument, NULL, 't'},
		{"size", required_argument, NULL, 's'},
		{"no-spf", no_argument, NULL, 'N'},
		{NULL, 0, NULL, 0},
	};
	const char **str = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			str = &o->client;
			break;
		case 'H':
			str = &o->helo;
			break;
		case 'l':
			str = &o->login;
			break;
		case 'f':
			str = &o->from;
			break;
		case 'F':
		case 'X':
			if (ex_opt_header(o, ch == 'F' ? "From" : NULL,
					  optarg) < 0)
				goto usage;
			continue;
		case 'N':
			o->no_spf = true;
			continue;
		case 't':
			if (o->nrcpts == EX_RCPTS_MAX)
				goto usage;
			o->rcpts[o->nrcpts++] = optarg;
			continue;
		case 's':
			if (str_to_ulong(optarg, 10, 1UL << 40, &o->size) < 0)
				goto usage;
			continue;
		default:
			goto usage;
		}
		*str = optarg;
	}
	if (optind == argc && o->nrcpts > 0)
		return 0;
usage:
	ctl_error("usage: relayguardctl explain --to ADDR [--to ADDR]... "
		  "[--client IP] [--helo NAME] [--login LOGIN] [--from ADDR] "
		  "[--header-from VALUE]... [--header 'NAME: VALUE']... "
		  "[--size BYTES] [--no-spf]");
	return -1;
}

/* ex_txn - the described message; -1 when a value does not fit */
static int
ex_txn(struct txn *t, const struct ex_opts *o)
{
	memset(t, 0, sizeof(*t));
	t->via = TXN_VIA_POLICY;	/* checks only, nothing reserved */
	(void)str_copy(t->id, sizeof(t->id), "explain");
	(void)str_copy(t->client_name, sizeof(t->client_name), "explain");
	t->size = o->size;
	if (str_copy(t->client_addr, sizeof(t->client_addr), o->client) < 0 ||
	    str_copy(t->helo, sizeof(t->helo), o->helo) < 0 ||
	    str_copy(t->login, sizeof(t->login), o->login) < 0 ||
	    str_copy(t->sender, sizeof(t->sender), o->from) < 0) {
		ctl_error("explain: a value is too long for an SMTP session");
		return -1;
	}
	return 0;
}

/* ex_print - the checks as a table, or as one JSON document with the
 * verdict */
static void
ex_print(struct ex *x)
{
	const struct verdict *v = &x->v;
	bool refused = v->action != VERDICT_CONTINUE;
	char text[REPLYTEXT_MAX + 1];

	if (!x->c->json) {
		ctl_table_print(&x->t, x->c->out);
		return;
	}
	(void)strbuf_append_str(&x->js, "]");
	ctl_json_str(&x->js, "verdict", refused ? verdict_action_name(v->action)
					       : x->hold ? "hold" : "accept");
	ctl_json_str(&x->js, "reply", refused ? v->code : "");
	ctl_json_str(&x->js, "xcode", v->xcode);
	(void)replytext_clean(text, sizeof(text), v->text);
	ctl_json_str(&x->js, "text", text);
	(void)strbuf_append_str(&x->js, "}");
	ctl_json_print(x->c, &x->js);
}

/* ctl_explain - "relayguardctl explain ..." */
int
ctl_explain(struct ctl *c, int argc, char **argv)
{
	static const char *const heads[] = {"CHECK", "RESULT", "DETAIL"};
	struct ex_opts o;
	struct generation *cfg = NULL;
	struct txn *t = xmalloc(sizeof(*t));
	struct ex x;
	struct err e;
	int rc = CTL_USAGE;

	memset(&o, 0, sizeof(o));
	o.client = o.helo = o.login = o.from = "";
	o.rcpts = xcalloc(EX_RCPTS_MAX, sizeof(*o.rcpts));
	if (ex_opts_parse(argc, argv, &o) < 0 || ex_txn(t, &o) < 0)
		goto out;
	if (generation_load(c->conf_path, &cfg, &e) < 0) {
		ctl_error("%s", e.text);
		rc = CTL_CONFIG;
		goto out;
	}
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.cfg = cfg;
	verdict_init(&x.v);
	ctl_table_init(&x.t, 3, heads);
	strbuf_init(&x.js, 1 << 20);
	(void)strbuf_append_str(&x.js, "{");
	ctl_json_raw(&x.js, "checks", "[");
	ex_checks(&x, t, &o);
	ex_print(&x);
	ctl_table_free(&x.t);
	strbuf_free(&x.js);
	rc = x.unavailable ? CTL_UNAVAILABLE
	     : x.v.action != VERDICT_CONTINUE ? CTL_NEGATIVE : CTL_OK;
out:
	generation_unref(cfg);
	free(t);
	free(o.rcpts);
	return rc;
}
