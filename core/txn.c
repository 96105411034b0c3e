/* SPDX-License-Identifier: BSD-2-Clause */
#include "txn.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

/* txn_reset_message - forget the message, keep the connection facts */
void
txn_reset_message(struct txn *t)
{
	t->id[0] = '\0';
	t->qid[0] = '\0';
	t->login[0] = '\0';
	t->sender[0] = '\0';
	t->nrcpt = 0;
	t->nrcpt_counted = 0;
	t->limits_reserved = false;
	t->nlimits = 0;
	t->limit_log[0] = '\0';
	abusemsg_reset(&t->abuse);
	t->size = 0;
	t->spf_result[0] = '\0';
	t->spf_domain[0] = '\0';
	t->nadd_hdrs = 0;
	t->author.result = AUTHOR_OK;
	t->author_field = NULL;
	t->from_count = 0;
	t->from_status = ADDR_NONE;
	memset(&t->from, 0, sizeof(t->from));
	t->from_why[0] = '\0';
	t->headers_truncated = false;
	t->long_field[0] = '\0';
}

/* txn_keep_headers - a verdict's headers, to be added at end of message
 * (milters may change headers only then); what does not fit is dropped */
void
txn_keep_headers(struct txn *t, const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nhdrs && t->nadd_hdrs < TXN_ADD_HDRS_MAX; i++)
		t->add_hdrs[t->nadd_hdrs++] = v->hdrs[i];
}

/* verdict_init - "nothing against it" */
void
verdict_init(struct verdict *v)
{
	/* field by field: the struct is some 5 kB, mostly header buffers
	 * read only up to nhdrs, and a decision makes several */
	v->action = VERDICT_CONTINUE;
	v->code[0] = '\0';
	v->xcode[0] = '\0';
	v->text[0] = '\0';
	v->reason[0] = '\0';
	v->nhdrs = 0;
}

/* verdict_copy - *dst = *src without the unused parts of its buffers
 * (the struct is some 5 kB; a decision copies several) */
void
verdict_copy(struct verdict *dst, const struct verdict *src)
{
	size_t tlen = strnlen(src->text, sizeof(src->text) - 1);
	size_t i;

	if (dst == src)
		return;
	dst->action = src->action;
	memcpy(dst->code, src->code, sizeof(dst->code));
	memcpy(dst->xcode, src->xcode, sizeof(dst->xcode));
	memcpy(dst->text, src->text, tlen);
	dst->text[tlen] = '\0';
	memcpy(dst->reason, src->reason, sizeof(dst->reason));
	dst->nhdrs = src->nhdrs;
	for (i = 0; i < src->nhdrs && i < VERDICT_HDR_MAX; i++)
		dst->hdrs[i] = src->hdrs[i];
}

/* verdict_set - action, reply codes, reason tag and reply text; the text
 * is cut (marked "...") when it does not fit */
void
verdict_set(struct verdict *v, enum verdict_action a, const char *code,
	    const char *xcode, const char *reason, const char *fmt, ...)
{
	va_list ap;
	int n;

	v->action = a;
	(void)str_copy(v->code, sizeof(v->code), code ? code : "");
	(void)str_copy(v->xcode, sizeof(v->xcode), xcode ? xcode : "");
	(void)str_copy(v->reason, sizeof(v->reason), reason ? reason : "");
	va_start(ap, fmt);
	n = vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
	if (n < 0)
		v->text[0] = '\0';
	else if ((size_t)n >= sizeof(v->text))
		memcpy(v->text + sizeof(v->text) - 4, "...", 4);
}

/* verdict_add_header - one more header to prepend; -1 when full or too
 * long (the caller decides whether that matters) */
int
verdict_add_header(struct verdict *v, const char *name, const char *value)
{
	struct verdict_header *h;

	if (v->nhdrs >= VERDICT_HDR_MAX)
		return -1;
	h = &v->hdrs[v->nhdrs];
	if (str_copy(h->name, sizeof(h->name), name) < 0 ||
	    str_copy(h->value, sizeof(h->value), value) < 0)
		return -1;
	v->nhdrs++;
	return 0;
}

/* verdict_action_name - for log lines and the audit trail */
const char *
verdict_action_name(enum verdict_action a)
{
	switch (a) {
	case VERDICT_CONTINUE:
		return "continue";
	case VERDICT_ACCEPT:
		return "accept";
	case VERDICT_TEMPFAIL:
		return "tempfail";
	case VERDICT_REJECT:
		return "reject";
	case VERDICT_HOLD:
		return "hold";
	case VERDICT_DISCARD:
		return "discard";
	}
	return "?";
}
