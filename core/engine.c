/* SPDX-License-Identifier: BSD-2-Clause */
#include "engine.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "abuse.h"
#include "audit.h"
#include "limit.h"
#include "metrics.h"
#include "replytext.h"
#include "spfcheck.h"
#include "spfclient.h"
#include "str.h"
#include "xalloc.h"

/* engine_trust - may this client have its mail signed? */
enum engine_trust
engine_trust(const struct generation *cfg, const struct txn *t)
{
	if (t->login[0] != '\0')
		return ENGINE_TRUST_SASL;
	if (t->client_addr[0] != '\0' &&
	    cidr_list_match_text(&cfg->conf->internal_hosts, t->client_addr))
		return ENGINE_TRUST_INTERNAL;
	return ENGINE_UNTRUSTED;
}

/* engine_trust_name - for log lines */
const char *
engine_trust_name(enum engine_trust tr)
{
	switch (tr) {
	case ENGINE_TRUST_SASL:
		return "sasl";
	case ENGINE_TRUST_INTERNAL:
		return "internal";
	default:
		return "untrusted";
	}
}

/* engine_list_has - is name (any case) in the list? */
static bool
engine_list_has(const struct conf_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (str_eq_nocase(l->items[i], name))
			return true;
	return false;
}

/* engine_header_is_signed - does a signature cover this field name?
 * Only those fields go to the signer: the others cannot change a
 * signature, and some (a malformed old DKIM-Signature, a name with ';')
 * make libopendkim refuse the whole message. */
bool
engine_header_is_signed(const struct generation *cfg, const char *name)
{
	const struct conf *c = cfg->conf;

	if (c->sign_headers.count == 0)
		return true;	/* empty list: the library's default, all */
	return engine_list_has(&c->sign_headers, name) ||
	       engine_list_has(&c->oversign_headers, name);
}

/* engine_sign_plan - the signatures for this message, or why none */
size_t
engine_sign_plan(const struct generation *cfg, const struct txn *t,
		 struct keytable_req *reqs, size_t max, char *why,
		 size_t whylen)
{
	size_t n;

	if (engine_trust(cfg, t) == ENGINE_UNTRUSTED) {
		(void)str_copy(why, whylen, "untrusted client");
		return 0;
	}
	if (cfg->keys == NULL) {
		(void)str_copy(why, whylen, "no key_table configured");
		return 0;
	}
	if (t->headers_truncated) {
		(void)str_copy(why, whylen, "header larger than "
					    "max_header_bytes");
		return 0;
	}
	if (t->long_field[0] != '\0') {
		(void)str_format(why, whylen, "%s header field longer than %d "
				 "bytes", t->long_field, ENGINE_FIELD_MAX);
		return 0;
	}
	if (t->from_count == 0) {
		(void)str_copy(why, whylen, "no From header");
		return 0;
	}
	if (t->from_count > 1) {
		/* RFC 6376 8.15: a second From invites display confusion */
		(void)str_copy(why, whylen, "several From headers");
		return 0;
	}
	if (t->from_status != ADDR_OK) {
		(void)str_format(why, whylen, "%s", t->from_why);
		return 0;
	}
	if (engine_trust(cfg, t) == ENGINE_TRUST_SASL &&
	    !owner_may_send_as(cfg->owners, &cfg->owner_opts, t->login,
			       &t->from)) {
		/* never sign another tenant's domain, even when the
		 * ownership check itself is turned off */
		(void)str_copy(why, whylen, "From not owned by the login");
		return 0;
	}
	n = keytable_lookup(cfg->keys, &t->from,
			    cfg->conf->multiple_signatures, reqs, max);
	if (n == 0)
		(void)str_format(why, whylen, "no key for domain %s",
				 t->from.domain);
	return n;
}


/* The SPF process, set once before threads start (engine_set_spf). */
static struct spfclient *engine_spf_proc;

/* engine_set_spf - the SPF process the checks go to; NULL: none */
void
engine_set_spf(struct spfclient *spf)
{
	engine_spf_proc = spf;
}

/* engine_spf_one - one SPF identity checked; the verdict for its result */
static void
engine_spf_one(const struct generation *cfg, struct txn *t,
	       enum spfcheck_identity id, struct verdict *v)
{
	struct spfcheck_req req;
	struct spfcheck_res res;

	if (spfcheck_req_init(&req, cfg->conf, t->client_addr, t->helo,
			      t->sender, id) < 0)
		spfcheck_res_error(&req, &res, SPFCHECK_PERMERROR,
				   "MAIL FROM address too long");
	else if (engine_spf_proc == NULL)
		spfcheck_res_error(&req, &res, SPFCHECK_TEMPERROR,
				   "the SPF process is not running");
	else
		(void)spfclient_check(engine_spf_proc, &req, &res); /* fills res */
	(void)str_copy(t->spf_result, sizeof(t->spf_result),
		       spfcheck_result_name(res.result));
	metrics_spf(t->spf_result);
	(void)str_copy(t->spf_domain, sizeof(t->spf_domain), res.domain);
	/* a header that does not fit is no reason to refuse the message */
	(void)spfcheck_verdict(cfg->conf, &res, v);
}

/* engine_spf - RFC 7208 for an outside client: the HELO identity when
 * configured (or for <>, inside the MAIL FROM check), then MAIL FROM;
 * the headers of an accepted result are kept for the end of message */
static void
engine_spf(const struct generation *cfg, struct txn *t, struct verdict *v)
{
	if (spfcheck_want_helo(cfg->conf, t->sender, t->helo)) {
		engine_spf_one(cfg, t, SPFCHECK_ID_HELO, v);
		if (v->action != VERDICT_CONTINUE)
			return;
		txn_keep_headers(t, v);
	}
	engine_spf_one(cfg, t, SPFCHECK_ID_MAILFROM, v);
	if (v->action == VERDICT_CONTINUE)
		txn_keep_headers(t, v);
}

/* engine_reply_safe - wire text (an address, a login) made fit for a
 * reply text before it is put into one (replytext.h; the front ends clean
 * the whole text again where it leaves) */
static void
engine_reply_safe(char *dst, size_t size, const char *src)
{
	(void)replytext_clean(dst, size, src);
}

/* engine_refuse - a verdict from a configured reply; a tempfail turns a
 * 5xx reply into its 4xx twin (550 5.7.1 -> 451 4.7.1) */
static void
engine_refuse(struct verdict *v, enum conf_action act,
	      const struct conf_reply *r, const char *reason,
	      const char *addr, const char *login)
{
	char a[TXN_PATH_MAX];
	char u[TXN_LOGIN_MAX];
	char text[VERDICT_TEXT_MAX];
	char code[4];
	char xcode[16];

	engine_reply_safe(a, sizeof(a), addr);
	engine_reply_safe(u, sizeof(u), login);
	conf_reply_expand(r, text, sizeof(text), a, u);
	(void)str_copy(code, sizeof(code), r->code);
	(void)str_copy(xcode, sizeof(xcode), r->xcode);
	if (act == CONF_ACTION_TEMPFAIL && code[0] == '5') {
		(void)str_copy(code, sizeof(code), "451");
		xcode[0] = '4';
	}
	verdict_set(v, act == CONF_ACTION_TEMPFAIL ? VERDICT_TEMPFAIL
						   : VERDICT_REJECT,
		    code, xcode, reason, "%s", text);
}

/* engine_is_own_domain - one of ours: own_domains, or when that is empty
 * a domain the SigningTable names (also for relayguardctl explain) */
bool
engine_is_own_domain(const struct generation *cfg, const char *domain)
{
	const struct conf_list *l = &cfg->conf->own_domains;
	size_t i;

	if (l->count == 0)
		return keytable_names_domain(cfg->keys, domain);
	for (i = 0; i < l->count; i++)
		if (str_eq_nocase(l->items[i], domain))
			return true;
	return false;
}

/* engine_own_domain_check - an outside client using one of our domains */
static bool
engine_own_domain_check(const struct generation *cfg, const struct addr *a,
			struct verdict *v)
{
	char text[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];

	if (cfg->conf->own_domain_action == CONF_ACTION_ACCEPT ||
	    !engine_is_own_domain(cfg, a->domain))
		return false;
	(void)str_format(text, sizeof(text), "%s@%s", a->local, a->domain);
	engine_refuse(v, cfg->conf->own_domain_action,
		      &cfg->conf->own_domain_reply, "own-domain-spoof", text,
		      "");
	return true;
}

/* engine_login_refuses - refuse unless the login owns the address */
static bool
engine_login_refuses(const struct generation *cfg, const struct txn *t,
		     const struct addr *a, const char *text,
		     struct verdict *v)
{
	if (a != NULL &&
	    owner_may_send_as(cfg->owners, &cfg->owner_opts, t->login, a))
		return false;
	engine_refuse(v, CONF_ACTION_REJECT, &cfg->conf->sender_login_reply,
		      "sender-not-owned", text, t->login);
	return true;
}

/* engine_mail - MAIL FROM: the envelope sender */
void
engine_mail(const struct generation *cfg, struct txn *t, struct verdict *v)
{
	enum engine_trust tr = engine_trust(cfg, t);
	struct addr a;
	struct err e;
	enum addr_status st;

	verdict_init(v);
	if (cfg->abuse != NULL) {
		/* blocks first: a blocked subject needs no other check; the
		 * login's network counts even if the sender is refused */
		abuse_mail(cfg->abuse, t, &t->abuse, v);
		if (v->action != VERDICT_CONTINUE)
			return;
	}
	st = addr_path_parse(t->sender, &a, &e);
	if (tr == ENGINE_TRUST_SASL && cfg->conf->sender_login_check) {
		if (st == ADDR_NONE && cfg->conf->sender_login_null_sender)
			return;
		(void)engine_login_refuses(cfg, t, st == ADDR_OK ? &a : NULL,
					   t->sender, v);
		return;
	}
	if (tr != ENGINE_UNTRUSTED)
		return;
	if (st == ADDR_OK && engine_own_domain_check(cfg, &a, v))
		return;
	/* SPF needs the client's IP address (RFC 7208 4.1); a session with
	 * none (e.g. "sendmail -bs") has nothing to check */
	if (cfg->conf->spf_check && t->client_addr[0] != '\0')
		engine_spf(cfg, t, v);
}

/* engine_wants_message - after MAIL FROM, is anything left to check or
 * sign?  When not, the milter accepts at once and the MTA keeps the
 * header and body to itself. */
bool
engine_wants_message(const struct generation *cfg, const struct txn *t)
{
	if (engine_trust(cfg, t) != ENGINE_UNTRUSTED || t->nadd_hdrs > 0 ||
	    cfg->limits != NULL || cfg->abuse != NULL)
		return true;
	/* an outside client: only the header From check of our domains */
	return cfg->conf->own_domain_action != CONF_ACTION_ACCEPT &&
	       (cfg->conf->own_domains.count > 0 || cfg->keys != NULL);
}

/* engine_wants_body - must the front end go on to the end of the message
 * (and feed the body fingerprint) even when nothing is signed?  Yes when
 * abuse control looks at the body or the message's end (fan-out, spike,
 * a hold). */
bool
engine_wants_body(const struct generation *cfg, const struct txn *t)
{
	(void)t;
	return cfg->abuse != NULL;
}

/* engine_rcpt_exempt - a recipient the limits never count nor refuse
 * (limit_exempt_recipients: local parts such as postmaster, or addresses);
 * it is exempt alone, the rest of the message still counts */
static bool
engine_rcpt_exempt(const struct generation *cfg, const char *rcpt)
{
	const struct conf_list *l = &cfg->conf->limit_exempt_recipients;
	struct addr a;
	struct addr x;
	struct err e;
	size_t i;

	if (l->count == 0 || addr_path_parse(rcpt, &a, &e) != ADDR_OK)
		return false;
	for (i = 0; i < l->count; i++) {
		if (strchr(l->items[i], '@') == NULL) {
			if (strcasecmp(l->items[i], a.local) == 0)
				return true;
		} else if (addr_path_parse(l->items[i], &x, &e) == ADDR_OK &&
			   addr_equal(&x, &a, false)) {
			return true;
		}
	}
	return false;
}

/* engine_limit_note - what a limit decision touched: the txn keeps the
 * limits for the audit trail and warnings, and its log fields */
static void
engine_limit_note(struct txn *t, const struct limit_result *res)
{
	const char *m = limit_outcome_name(res->outcome);
	size_t i;

	t->nlimits = 0;
	for (i = 0; i < res->nhits && t->nlimits < TXN_LIMITS_MAX; i++) {
		const struct limit_hit *h = &res->hits[i];
		struct txn_limit *tl = &t->limits[t->nlimits++];

		(void)str_copy(tl->name, sizeof(tl->name), h->name);
		(void)str_copy(tl->subject, sizeof(tl->subject),
			       res->subjects[h->subject]);
		tl->used = (unsigned long)h->used;
		tl->amount = (unsigned long)h->amount;
		tl->over = h->state != LIMIT_STATE_OK;
		if (h->state == LIMIT_STATE_DRY_OVER &&
		    res->outcome == LIMIT_OK)
			m = "dry_run";
	}
	limit_result_log(res, t->limit_log, sizeof(t->limit_log));
	metrics_limit(m);
}

/* engine_limit - one limit decision for the txn, timed for the metrics;
 * the verdict it gives */
static enum limit_outcome
engine_limit(const struct generation *cfg, struct txn *t, struct limit_req *r,
	     struct verdict *v)
{
	struct limit_result res;
	struct timespec t0;
	struct timespec t1;
	enum limit_outcome o;

	r->login = t->login;
	r->sender = t->sender;
	r->client_addr = t->client_addr;
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	o = limit_decide(cfg->limits, r, &res);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	if (cfg->conf->limit_backend == CONF_LIMIT_REDIS && !res.local)
		metrics_redis_latency(
			(unsigned long)((t1.tv_sec - t0.tv_sec) * 1000000L +
					(t1.tv_nsec - t0.tv_nsec) / 1000));
	engine_limit_note(t, &res);
	limit_verdict(cfg->limits, &res, v);
	/* a reservation may exist even when Redis did not answer: the end of
	 * the transaction gives it back */
	if (r->op == LIMIT_RESERVE && (o == LIMIT_OK || res.maybe_held))
		t->limits_reserved = true;
	/* a refusal may put the subject in the penalty box; usage may pass
	 * a quota warning */
	if (r->op != LIMIT_RELEASE && r->op != LIMIT_UNDO &&
	    r->op != LIMIT_SETTLE)
		abuse_limit(cfg->abuse, t, &t->abuse, &res);
	return o;
}

/* engine_rcpt - RCPT TO: one recipient against the limits.  Both front
 * ends reserve (a lease: committed at the end of the message; released on
 * abort by the milter, while the policy service, which never hears of an
 * aborted transaction, lets it run out at limit_lease_time) */
void
engine_rcpt(const struct generation *cfg, struct txn *t, const char *rcpt,
	    struct verdict *v)
{
	struct limit_req r;

	verdict_init(v);
	t->nlimits = 0;
	t->limit_log[0] = '\0';
	/* the per-message caps before the limits: a recipient over a cap
	 * must not take quota */
	if (cfg->abuse != NULL) {
		abuse_rcpt(cfg->abuse, t, &t->abuse, rcpt, v);
		if (v->action != VERDICT_CONTINUE)
			return;
	}
	if (cfg->limits == NULL || engine_rcpt_exempt(cfg, rcpt)) {
		if (cfg->abuse != NULL)	/* its caps and fan-out only */
			abusemsg_add_rcpt(&t->abuse, rcpt);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.messages = 1;
	r.bytes = t->size;
	if (t->id[0] == '\0') {
		/* no transaction to hold a reservation (a policy request
		 * without an instance): only check */
		r.op = LIMIT_CHECK;
		r.recipients = t->nrcpt_counted + 1;
	} else {
		r.op = LIMIT_RESERVE;
		r.txn_id = t->id;
		r.rcpt = rcpt;
		r.recipients = 1;
	}
	(void)engine_limit(cfg, t, &r, v);
	if (v->action != VERDICT_CONTINUE)
		return;
	t->nrcpt_counted++;
	if (cfg->abuse != NULL)
		abusemsg_add_rcpt(&t->abuse, rcpt);
}

/* engine_ours - author_ours_fn for engine_is_own_domain */
static bool
engine_ours(const void *arg, const char *domain)
{
	return engine_is_own_domain(arg, domain);
}

/* engine_author_policy - how this client's author fields are judged;
 * false when they are not (an internal host, the checks turned off) */
static bool
engine_author_policy(const struct generation *cfg, const struct txn *t,
		     struct author_policy *p)
{
	enum engine_trust tr = engine_trust(cfg, t);

	memset(p, 0, sizeof(*p));
	if (tr == ENGINE_TRUST_SASL && cfg->conf->sender_login_check) {
		p->login = t->login;
		p->owners = cfg->owners;
		p->opts = &cfg->owner_opts;
		return true;
	}
	if (tr == ENGINE_UNTRUSTED &&
	    cfg->conf->own_domain_action != CONF_ACTION_ACCEPT) {
		p->is_ours = engine_ours;
		p->ours_arg = cfg;
		return true;
	}
	return false;
}

/* engine_header - one header field: the first From for signing, and
 * every author field (From, Sender, Resent-From, Resent-Sender) judged
 * now, the first one found against the message kept for engine_eoh.
 * True when the field was judged, the finding then in f (may be NULL). */
bool
engine_header(const struct generation *cfg, struct txn *t, const char *name,
	      const char *value, size_t len, struct author_finding *f)
{
	const char *field = author_field_name(name);
	struct author_policy p;
	struct author_finding mine;
	struct err e;

	if (field == NULL)
		return false;
	if (strcmp(field, "From") == 0 && ++t->from_count == 1) {
		t->from_status = addr_from_header(value, len, &t->from, &e);
		if (t->from_status != ADDR_OK)
			(void)str_copy(t->from_why, sizeof(t->from_why),
				       e.text);
	}
	/* after a refusal the milter needs no more findings */
	if ((f == NULL && t->author_field != NULL) ||
	    !engine_author_policy(cfg, t, &p))
		return false;
	if (f == NULL)
		f = &mine;
	author_judge(&p, field, value, len, f);
	if (t->author_field == NULL &&
	    (f->result == AUTHOR_OURS || f->result == AUTHOR_NOT_OWNED ||
	     (f->result == AUTHOR_UNREADABLE && p.login != NULL))) {
		t->author = *f;
		t->author_field = field;
	}
	return true;
}

/* engine_eoh - end of header: the author fields engine_header judged */
void
engine_eoh(const struct generation *cfg, struct txn *t, struct verdict *v)
{
	const struct conf_reply *r = &cfg->conf->sender_login_reply;
	char text[ADDR_TEXT_SIZE];

	verdict_init(v);
	if (t->author_field == NULL)
		return;
	addr_text(&t->author.addr, text, sizeof(text));
	switch (t->author.result) {
	case AUTHOR_NOT_OWNED:
		engine_refuse(v, CONF_ACTION_REJECT, r, "sender-not-owned",
			      text, t->login);
		break;
	case AUTHOR_UNREADABLE:
		/* what we cannot read, we cannot call owned */
		engine_reply_safe(text, sizeof(text), t->author.why);
		verdict_set(v, VERDICT_REJECT, r->code, r->xcode,
			    "sender-unreadable", "%s: the author cannot be "
			    "checked", text);
		break;
	case AUTHOR_OURS:
		engine_refuse(v, cfg->conf->own_domain_action,
			      &cfg->conf->own_domain_reply,
			      "own-domain-spoof", text, "");
		break;
	default:
		break;
	}
}

/* engine_eom - end of message: the counts become final (once per queue
 * id, whichever front end commits first); over a limit only now (bytes),
 * or with the store down, the message is refused and nothing counts */
void
engine_eom(const struct generation *cfg, struct txn *t, struct verdict *v)
{
	struct verdict held;
	struct verdict lv;
	struct limit_req r;

	verdict_init(v);
	/* fan-out and spike first: a refused message must not count */
	abuse_eom(cfg->abuse, t, &t->abuse, &held);
	if (held.action != VERDICT_CONTINUE && held.action != VERDICT_HOLD) {
		verdict_copy(v, &held);
		engine_abort(cfg, t);
		return;
	}
	if (held.action == VERDICT_HOLD)
		verdict_copy(v, &held);	/* a held message counts */
	/* the policy service counts its RCPT requests; asked at the end of
	 * the message only, it has Postfix's recipient_count */
	if (t->via == TXN_VIA_POLICY && t->nrcpt_counted == 0)
		t->nrcpt_counted = t->nrcpt;
	if (cfg->limits == NULL || t->nrcpt_counted == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.op = LIMIT_COMMIT;
	r.txn_id = t->id;
	r.qid = t->qid;
	r.messages = 1;
	r.recipients = t->nrcpt_counted;
	r.bytes = t->size;
	/* the policy service asked at the end of a message it reserved
	 * nothing for: Postfix may be asking again after the service that
	 * answered its RCPTs died (perhaps after this commit ran): when
	 * Redis cannot say, accept and count when it answers (a repeated
	 * commit is a duplicate), never refuse a message that may count */
	r.may_repeat = t->via == TXN_VIA_POLICY && !t->limits_reserved;
	if (engine_limit(cfg, t, &r, &lv) != LIMIT_OK ||
	    lv.action != VERDICT_CONTINUE || held.action != VERDICT_HOLD)
		verdict_copy(v, &lv);
	/* committed, or given back by the refused commit itself */
	t->limits_reserved = false;
}

/* engine_abort - the transaction ended without a message: release what
 * its recipients reserved (idempotent; a no-op for the policy service) */
void
engine_abort(const struct generation *cfg, struct txn *t)
{
	struct limit_req r;
	struct verdict v;

	if (cfg->limits == NULL || !t->limits_reserved)
		return;
	memset(&r, 0, sizeof(r));
	r.op = LIMIT_RELEASE;
	r.txn_id = t->id;
	(void)engine_limit(cfg, t, &r, &v);
	t->limits_reserved = false;
}

/* engine_alg_name - a key's signature algorithm, for metrics and audit */
static const char *
engine_alg_name(const struct keytable_req *r)
{
	return r->key->alg == KEYTABLE_ALG_ED25519 ? "ed25519-sha256"
						   : "rsa-sha256";
}

/* engine_record - a final decision for the metrics, the reputation and
 * the audit trail */
void
engine_record(const struct generation *cfg, const struct txn *t,
	      const char *stage, const struct verdict *v,
	      const struct keytable_req *sigs, size_t nsigs)
{
	const char *act = v->action == VERDICT_CONTINUE
				  ? "accept"
				  : verdict_action_name(v->action);
	struct audit_rec *r;
	size_t i;

	metrics_message(act, v->reason[0] ? v->reason : "none");
	for (i = 0; i < nsigs; i++)
		metrics_signature(engine_alg_name(&sigs[i]));
	/* the reputation of login, sender domain and client (background) */
	abuse_note(cfg->abuse, t, &t->abuse, v);
	if (!audit_enabled())
		return;
	r = xmalloc(sizeof(*r));	/* 14 kB: not on a thread's stack */
	audit_rec_init(r);
	audit_rec_from_txn(r, stage, t, v);
	for (i = 0; i < t->abuse.nsignals; i++)
		(void)audit_rec_add_signal(r, t->abuse.signals[i].name,
					   t->abuse.signals[i].subject,
					   t->abuse.signals[i].action,
					   t->abuse.signals[i].dry_run);
	for (i = 0; i < t->nlimits; i++)
		(void)audit_rec_add_limit(r, t->limits[i].name,
					  t->limits[i].subject,
					  t->limits[i].used,
					  t->limits[i].amount,
					  t->limits[i].over);
	for (i = 0; i < nsigs; i++)
		(void)audit_rec_add_sig(r, sigs[i].domain,
					sigs[i].key->selector,
					engine_alg_name(&sigs[i]));
	audit_submit(r);
	free(r);
}
