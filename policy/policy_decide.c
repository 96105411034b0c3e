/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_decide.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "log.h"
#include "replytext.h"
#include "str.h"
#include "tspec.h"

/* Defaults for a verdict that brings no codes or text of its own. */
#define POLICY_TEMP_CODE "451"
#define POLICY_TEMP_XCODE "4.7.1"
#define POLICY_TEMP_TEXT "try again later"
#define POLICY_PERM_CODE "550"
#define POLICY_PERM_XCODE "5.7.1"
#define POLICY_PERM_TEXT "rejected by policy"

/* A message is counted at DATA or END-OF-MESSAGE: a service asked only at
 * RCPT (smtpd_end_of_data_restrictions missing) reserves and never
 * counts, every lease running out after limit_lease_time.  Transactions
 * that reserved since the last end of a message, and since when; a
 * warning at most once an hour while it lasts. */
#define POLICY_UNENDED_MIN 20
#define POLICY_UNENDED_EVERY_MS 3600000u
static atomic_uint pd_unended;
static _Atomic uint64_t pd_unended_since;
static _Atomic uint64_t pd_unended_warned;

/* policy_decide_ended - a DATA or END-OF-MESSAGE request came */
static void
policy_decide_ended(void)
{
	if (atomic_load_explicit(&pd_unended, memory_order_relaxed) != 0)
		atomic_store_explicit(&pd_unended, 0, memory_order_relaxed);
}

/* policy_decide_unended - a transaction reserved at RCPT: warn when none
 * has ended for a lease time and many reserved meanwhile */
static void
policy_decide_unended(const struct conf *c)
{
	unsigned n = atomic_fetch_add_explicit(&pd_unended, 1,
					       memory_order_relaxed);
	uint64_t now;
	uint64_t since;
	uint64_t last;

	if (n == 0) {
		atomic_store_explicit(&pd_unended_since,
				      tspec_ms(CLOCK_MONOTONIC),
				      memory_order_relaxed);
		return;
	}
	if (n + 1 < POLICY_UNENDED_MIN)
		return;		/* the usual case: no clock read */
	now = tspec_ms(CLOCK_MONOTONIC);
	since = atomic_load_explicit(&pd_unended_since, memory_order_relaxed);
	last = atomic_load_explicit(&pd_unended_warned, memory_order_relaxed);
	if (since == 0 || now - since < c->limit_lease_time * 1000 ||
	    (last != 0 && now - last < POLICY_UNENDED_EVERY_MS) ||
	    !atomic_compare_exchange_strong(&pd_unended_warned, &last, now))
		return;
	log_warn("limits: %u transactions reserved at RCPT in %llu s and no "
		 "DATA or END-OF-MESSAGE request came: no message is counted "
		 "(each reservation only lasts limit_lease_time); ask this "
		 "service in smtpd_end_of_data_restrictions too", n + 1,
		 (unsigned long long)((now - since) / 1000));
}

/* policy_decide_state_init - no message in progress.  Field by field, not
 * one memset: the txn is some 30 kB, mostly arrays (header addresses,
 * recipient hashes) read only up to their counts, and an idle connection
 * should not make all of it resident (RSS per connection stays small) */
void
policy_decide_state_init(struct policy_decide_state *s)
{
	s->mail_done = false;
	s->eom_done = false;
	s->eom_now = false;
	s->rcpt_ok = 0;
	s->nhdrs = 0;
	s->nsent = 0;
	/* read only once engine_mail has filled it (mail_done) */
	s->mail.action = VERDICT_CONTINUE;
	s->mail.nhdrs = 0;
	s->txn.client_addr[0] = '\0';
	s->txn.client_name[0] = '\0';
	s->txn.helo[0] = '\0';
	s->txn.via = TXN_VIA_POLICY;
	txn_reset_message(&s->txn);
}

/* policy_decide_new_message - forget the last message, start this one */
static void
policy_decide_new_message(struct policy_decide_state *s, const char *id)
{
	txn_reset_message(&s->txn);
	s->txn.via = TXN_VIA_POLICY;
	s->mail_done = false;
	s->eom_done = false;
	s->rcpt_ok = 0;
	s->nhdrs = 0;
	s->nsent = 0;
	(void)str_copy(s->txn.id, sizeof(s->txn.id), id);
}

/* policy_decide_stage - Postfix's protocol_state as a stage */
enum policy_stage
policy_decide_stage(const char *protocol_state)
{
	if (protocol_state == NULL)
		return POLICY_STAGE_OTHER;
	if (strcmp(protocol_state, "RCPT") == 0)
		return POLICY_STAGE_RCPT;
	if (strcmp(protocol_state, "END-OF-MESSAGE") == 0)
		return POLICY_STAGE_EOM;
	if (strcmp(protocol_state, "DATA") == 0)
		return POLICY_STAGE_DATA;
	if (strcmp(protocol_state, "MAIL") == 0)
		return POLICY_STAGE_MAIL;
	return POLICY_STAGE_OTHER;
}

/* policy_decide_value - an attribute's value, "" when absent */
static const char *
policy_decide_value(const struct policy_req *req, enum policy_attr a)
{
	return req->value[a] != NULL ? req->value[a] : "";
}

/* policy_decide_number - a numeric attribute; 0 when absent or bad */
static unsigned long
policy_decide_number(const struct policy_req *req, enum policy_attr a)
{
	unsigned long n;

	if (req->value[a] == NULL ||
	    str_to_ulong(req->value[a], 10, (unsigned long)-1, &n) < 0)
		return 0;
	return n;
}

/* policy_decide_fill - the request's facts into the txn.  Over-long
 * values are treated as the milter treats them: a sender that cannot be
 * an address becomes "(too long)" (no login owns it), a login, HELO or
 * queue id that does not fit is left out. */
static void
policy_decide_fill(struct txn *t, const struct policy_req *req)
{
	const char *addr = policy_decide_value(req, POLICY_ATTR_CLIENT_ADDRESS);
	unsigned char bin[sizeof(struct in6_addr)];

	/* only an address goes where the engine matches networks */
	if ((inet_pton(AF_INET, addr, bin) != 1 &&
	     inet_pton(AF_INET6, addr, bin) != 1) ||
	    str_copy(t->client_addr, sizeof(t->client_addr), addr) < 0)
		t->client_addr[0] = '\0';
	if (str_copy(t->client_name, sizeof(t->client_name),
		     policy_decide_value(req, POLICY_ATTR_CLIENT_NAME)) < 0 ||
	    t->client_name[0] == '\0')
		(void)str_copy(t->client_name, sizeof(t->client_name),
			       "unknown");
	if (str_copy(t->helo, sizeof(t->helo),
		     policy_decide_value(req, POLICY_ATTR_HELO_NAME)) < 0)
		t->helo[0] = '\0';
	if (str_copy(t->qid, sizeof(t->qid),
		     policy_decide_value(req, POLICY_ATTR_QUEUE_ID)) < 0)
		t->qid[0] = '\0';
	if (str_copy(t->login, sizeof(t->login),
		     policy_decide_value(req, POLICY_ATTR_SASL_USERNAME)) < 0)
		t->login[0] = '\0';
	if (str_copy(t->sender, sizeof(t->sender),
		     policy_decide_value(req, POLICY_ATTR_SENDER)) < 0)
		(void)str_copy(t->sender, sizeof(t->sender), "(too long)");
	t->size = policy_decide_number(req, POLICY_ATTR_SIZE);
	t->nrcpt = policy_decide_number(req, POLICY_ATTR_RECIPIENT_COUNT);
}

/* policy_decide_text - header text fit for a PREPEND action: printable
 * ASCII on one line ('?' for anything else), or the fallback when empty
 * (reply texts go through policy_decide_reply) */
static void
policy_decide_text(char *dst, size_t size, const char *src,
		   const char *fallback)
{
	size_t i;

	if (src == NULL || src[0] == '\0')
		src = fallback;
	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (size > 0)
		dst[i] = '\0';
}

/* policy_decide_code_ok - a reply code "4xx"/"5xx" of class cls, and an
 * enhanced code "c.x.y" of the same class */
static bool
policy_decide_code_ok(const char *code, const char *xcode, char cls)
{
	size_t i;

	if (strlen(code) != 3 || code[0] != cls ||
	    strspn(code, "0123456789") != 3)
		return false;
	if (xcode[0] != cls || xcode[1] != '.')
		return false;
	for (i = 2; xcode[i] != '\0'; i++)
		if (!((xcode[i] >= '0' && xcode[i] <= '9') || xcode[i] == '.'))
			return false;
	return i > 2;
}

/* policy_decide_reply - a verdict's text as it may go into an action:
 * the reply text filter every MTA-bound text passes (replytext.h), or the
 * fallback when nothing is left */
static void
policy_decide_reply(char *dst, size_t size, const char *src,
		    const char *fallback)
{
	if (replytext_clean(dst, size, src) == 0)
		(void)replytext_clean(dst, size, fallback);
}

/* policy_decide_action - the "action=" value of a verdict (no headers) */
void
policy_decide_action(const struct conf *c, const struct verdict *v,
		     char *buf, size_t size)
{
	char text[REPLYTEXT_MAX + 1];
	bool temp = v->action == VERDICT_TEMPFAIL;
	const char *code = v->code;
	const char *xcode = v->xcode;

	switch (v->action) {
	case VERDICT_TEMPFAIL:
	case VERDICT_REJECT:
		policy_decide_reply(text, sizeof(text), v->text,
				    temp ? POLICY_TEMP_TEXT : POLICY_PERM_TEXT);
		if (temp && c->policy_defer_if_permit) {
			(void)str_format(buf, size, "DEFER_IF_PERMIT %s", text);
			return;
		}
		/* never a permanent reply for a temporary verdict, and the
		 * reverse: the verdict's codes only when of its class */
		if (!policy_decide_code_ok(code, xcode, temp ? '4' : '5')) {
			code = temp ? POLICY_TEMP_CODE : POLICY_PERM_CODE;
			xcode = temp ? POLICY_TEMP_XCODE : POLICY_PERM_XCODE;
		}
		(void)str_format(buf, size, "%s %s %s", code, xcode, text);
		return;
	case VERDICT_HOLD:
	case VERDICT_DISCARD:
		policy_decide_reply(text, sizeof(text), v->text, "");
		(void)str_format(buf, size, "%s%s%s",
				 v->action == VERDICT_HOLD ? "HOLD" : "DISCARD",
				 text[0] ? " " : "", text);
		return;
	case VERDICT_CONTINUE:
	case VERDICT_ACCEPT:
		break;
	}
	(void)str_copy(buf, size, "DUNNO");
}

/* policy_decide_collect - keep the verdict's headers for PREPEND, each
 * name and value once per message */
static void
policy_decide_collect(struct policy_decide_state *s, const struct verdict *v)
{
	size_t i;
	size_t j;

	for (i = 0; i < v->nhdrs && i < VERDICT_HDR_MAX; i++) {
		for (j = 0; j < s->nhdrs; j++)
			if (strcmp(s->hdrs[j].name, v->hdrs[i].name) == 0 &&
			    strcmp(s->hdrs[j].value, v->hdrs[i].value) == 0)
				break;
		if (j == s->nhdrs && s->nhdrs < VERDICT_HDR_MAX)
			s->hdrs[s->nhdrs++] = v->hdrs[i];
	}
}

/* policy_decide_prepend - the next header not yet sent, as a PREPEND
 * action; false when none is left */
static bool
policy_decide_prepend(struct policy_decide_state *s, char *buf, size_t size)
{
	char name[VERDICT_HDR_NAME_MAX];
	char value[VERDICT_HDR_VALUE_MAX];

	while (s->nsent < s->nhdrs) {
		const struct verdict_header *h = &s->hdrs[s->nsent++];

		policy_decide_text(name, sizeof(name), h->name, "");
		policy_decide_text(value, sizeof(value), h->value, "");
		/* a field name is printable ASCII without ':' or space */
		if (name[0] == '\0' || strpbrk(name, ": ?") != NULL)
			continue;
		if (str_format(buf, size, "PREPEND %s: %s", name, value) == 0)
			return true;
	}
	return false;
}

/* policy_decide_engine - the engine calls of a stage; the verdict */
static void
policy_decide_engine(const struct generation *cfg, struct policy_decide_state *s,
		     enum policy_stage stage, const char *rcpt,
		     struct verdict *v)
{
	verdict_init(v);
	if (stage == POLICY_STAGE_OTHER)
		return;
	if (!s->mail_done) {
		engine_mail(cfg, &s->txn, &s->mail);
		s->mail_done = s->txn.id[0] != '\0';
		policy_decide_collect(s, &s->mail);
		if (s->mail.action != VERDICT_CONTINUE &&
		    s->mail.action != VERDICT_ACCEPT) {
			verdict_copy(v, &s->mail);
			return;
		}
	} else if (s->mail.action != VERDICT_CONTINUE &&
		   s->mail.action != VERDICT_ACCEPT) {
		verdict_copy(v, &s->mail);	/* the same for every rcpt */
		return;
	}
	switch (stage) {
	case POLICY_STAGE_RCPT: {
		bool held = s->txn.limits_reserved;

		s->txn.nrcpt = s->rcpt_ok;	/* Postfix sends 0 at RCPT */
		engine_rcpt(cfg, &s->txn, rcpt, v);
		if (!held && s->txn.limits_reserved)
			policy_decide_unended(cfg->conf);
		if (v->action == VERDICT_CONTINUE ||
		    v->action == VERDICT_ACCEPT)
			s->rcpt_ok++;
		break;
	}
	case POLICY_STAGE_DATA:
	case POLICY_STAGE_EOM:
		policy_decide_ended();
		if (s->eom_done)
			return;
		engine_eom(cfg, &s->txn, v);
		s->eom_now = true;
		s->eom_done = s->txn.id[0] != '\0';
		break;
	default:
		return;
	}
	policy_decide_collect(s, v);
}

/* policy_decide_log - the decision line, in the milter's shape:
 * QID|NOQUEUE: WHAT: STATE from NAME[ADDR]: ACTION; key=value... */
static void
policy_decide_log(const struct policy_decide_state *s,
		  const struct policy_req *req, const struct verdict *v,
		  struct policy_decision *d)
{
	const struct txn *t = &s->txn;
	char state[32];
	char name[LOG_SAFE_MAX];
	char from[LOG_SAFE_MAX];
	char to[LOG_SAFE_MAX];
	char helo[LOG_SAFE_MAX];
	char login[LOG_SAFE_MAX];
	char inst[LOG_SAFE_MAX];
	char proto[32];
	char action[LOG_SAFE_MAX];
	const char *rcpt = policy_decide_value(req, POLICY_ATTR_RECIPIENT);
	const char *ps = policy_decide_value(req, POLICY_ATTR_PROTOCOL_STATE);
	const char *pn = policy_decide_value(req, POLICY_ATTR_PROTOCOL_NAME);

	log_safe(state, sizeof(state), ps[0] ? ps : "?", ps[0] ? strlen(ps) : 1);
	log_safe(name, sizeof(name), t->client_name, strlen(t->client_name));
	log_safe(from, sizeof(from), t->sender, strlen(t->sender));
	log_safe(to, sizeof(to), rcpt, strlen(rcpt));
	log_safe(helo, sizeof(helo), t->helo, strlen(t->helo));
	log_safe(login, sizeof(login), t->login, strlen(t->login));
	log_safe(inst, sizeof(inst), t->id, strlen(t->id));
	log_safe(proto, sizeof(proto), pn, strlen(pn));
	log_safe(action, sizeof(action), d->action, strlen(d->action));
	(void)str_format(
		d->log, sizeof(d->log),
		"%s: %s: %s from %s[%s]: %s; from=<%s> to=<%s>%s%s "
		"helo=<%s>%s%s instance=%s%s%s",
		t->qid[0] ? t->qid : "NOQUEUE", verdict_action_name(v->action),
		state, name, t->client_addr[0] ? t->client_addr : "unknown",
		action, from, to, proto[0] ? " proto=" : "", proto, helo,
		login[0] ? " sasl_username=" : "", login,
		inst[0] ? inst : "none", v->reason[0] ? " reason=" : "",
		v->reason);
}

/* policy_decide - answer one request */
void
policy_decide(const struct generation *cfg, struct policy_decide_state *s,
	      const struct policy_req *req, struct policy_decision *d)
{
	const char *inst = policy_decide_value(req, POLICY_ATTR_INSTANCE);
	struct verdict v;

	/* a new instance, or none (or one too long to keep): new message */
	if (inst[0] == '\0' || strcmp(inst, s->txn.id) != 0 ||
	    strlen(inst) >= sizeof(s->txn.id))
		policy_decide_new_message(s, inst);
	policy_decide_fill(&s->txn, req);
	d->stage = policy_decide_stage(req->value[POLICY_ATTR_PROTOCOL_STATE]);
	s->eom_now = false;
	policy_decide_engine(cfg, s, d->stage,
			     policy_decide_value(req, POLICY_ATTR_RECIPIENT),
			     &v);
	/* a refusal, or the end of a message: metrics, reputation, audit */
	if (s->eom_now || (v.action != VERDICT_CONTINUE &&
			   v.action != VERDICT_ACCEPT))
		engine_record(cfg, &s->txn,
			      d->stage == POLICY_STAGE_RCPT ? "RCPT"
			      : s->eom_now ? "END-OF-MESSAGE" : "MAIL",
			      &v, NULL, 0);
	d->verdict = v.action;
	policy_decide_action(cfg->conf, &v, d->action, sizeof(d->action));
	if (strcmp(d->action, "DUNNO") == 0 &&
	    cfg->conf->policy_prepend_headers &&
	    d->stage != POLICY_STAGE_EOM && d->stage != POLICY_STAGE_OTHER)
		(void)policy_decide_prepend(s, d->action, sizeof(d->action));
	d->level = v.action == VERDICT_CONTINUE || v.action == VERDICT_ACCEPT
			   ? LOG_LEVEL_DEBUG
			   : LOG_LEVEL_INFO;
	d->log[0] = '\0';
	if (log_level_enabled(d->level))
		policy_decide_log(s, req, &v, d);
}
