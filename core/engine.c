/* SPDX-License-Identifier: BSD-2-Clause */
#include "engine.h"

#include <stdio.h>

#include "str.h"

/* engine_trust - may this client have its mail signed? */
enum engine_trust
engine_trust(const struct config *cfg, const struct txn *t)
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
engine_header_is_signed(const struct config *cfg, const char *name)
{
	const struct conf *c = cfg->conf;

	if (c->sign_headers.count == 0)
		return true;	/* empty list: the library's default, all */
	return engine_list_has(&c->sign_headers, name) ||
	       engine_list_has(&c->oversign_headers, name);
}

/* engine_sign_plan - the signatures for this message, or why none */
size_t
engine_sign_plan(const struct config *cfg, const struct txn *t,
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
	n = keytable_lookup(cfg->keys, &t->from,
			    cfg->conf->multiple_signatures, reqs, max);
	if (n == 0)
		(void)str_format(why, whylen, "no key for domain %s",
				 t->from.domain);
	return n;
}

/* engine_mail - MAIL FROM: the envelope sender */
void
engine_mail(const struct config *cfg, struct txn *t, struct verdict *v)
{
	(void)cfg;
	(void)t;
	verdict_init(v);
}

/* engine_rcpt - RCPT TO: one recipient */
void
engine_rcpt(const struct config *cfg, struct txn *t, const char *rcpt,
	    struct verdict *v)
{
	(void)cfg;
	(void)t;
	(void)rcpt;
	verdict_init(v);
}

/* engine_eoh - end of header: the header From and Sender */
void
engine_eoh(const struct config *cfg, struct txn *t, struct verdict *v)
{
	(void)cfg;
	(void)t;
	verdict_init(v);
}

/* engine_eom - end of message */
void
engine_eom(const struct config *cfg, struct txn *t, struct verdict *v)
{
	(void)cfg;
	(void)t;
	verdict_init(v);
}

/* engine_abort - the transaction ended without a message */
void
engine_abort(const struct config *cfg, struct txn *t)
{
	(void)cfg;
	(void)t;
}
