/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * engine - the decisions, protocol-free: who is trusted, what to sign.
 *
 * engine_trust() says whether a client may have mail signed at all: a SASL
 * login, or a client address inside internal_hosts.  engine_sign_plan()
 * picks the signatures for a message from its single From address and the
 * SigningTable, or says in a few words why none is made (untrusted client,
 * no From, several From, no key for the domain, ...), for the one log line
 * every unsigned message gets.  Read-only on config; thread-safe.
 */
#ifndef RG_ENGINE_H
#define RG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "generation.h"
#include "keytable.h"
#include "txn.h"

enum engine_trust {
	ENGINE_UNTRUSTED,
	ENGINE_TRUST_SASL,
	ENGINE_TRUST_INTERNAL,
};

enum engine_trust engine_trust(const struct generation *cfg,
			       const struct txn *t);
const char *engine_trust_name(enum engine_trust tr);
/* Longest header field (name, colon, value) libopendkim signs whole:
 * it copies each field into a 65,536-byte buffer and drops the rest. */
#define ENGINE_FIELD_MAX 65535

bool engine_header_is_signed(const struct generation *cfg, const char *name);
bool engine_is_own_domain(const struct generation *cfg, const char *domain);
size_t engine_sign_plan(const struct generation *cfg, const struct txn *t,
			struct keytable_req *reqs, size_t max, char *why,
			size_t whylen);

/*
 * Decision stages, in SMTP order.  Each reads the txn (and may note facts
 * in it for later stages, e.g. the SPF result) and writes a verdict;
 * VERDICT_CONTINUE means nothing against the message at this stage.
 * engine_mail: envelope sender (ownership, SPF, blocks); engine_rcpt: one
 * recipient (limits, per-message caps); engine_header: one header field
 * (the author fields From, Sender, Resent-From and Resent-Sender are read
 * and judged, author.h, the finding given back when asked for; the front
 * end passes every field, or at least those author_field_name() names);
 * engine_eoh: the verdict on them;
 * engine_eom: the whole message (commit counts); engine_abort: the
 * transaction ended without a message (release what was reserved).
 * Thread-safe; the config is read-only.  engine_set_spf() names the SPF
 * process (spfclient.h) once, before any thread starts; without one, SPF
 * checks answer temperror.
 */
void engine_mail(const struct generation *cfg, struct txn *t, struct verdict *v);
struct spfclient;
void engine_set_spf(struct spfclient *spf);
bool engine_wants_message(const struct generation *cfg, const struct txn *t);
bool engine_wants_body(const struct generation *cfg, const struct txn *t);
void engine_rcpt(const struct generation *cfg, struct txn *t, const char *rcpt,
		 struct verdict *v);
bool engine_header(const struct generation *cfg, struct txn *t,
		   const char *name, const char *value, size_t len,
		   struct author_finding *f);
void engine_eoh(const struct generation *cfg, struct txn *t, struct verdict *v);
void engine_eom(const struct generation *cfg, struct txn *t, struct verdict *v);
void engine_abort(const struct generation *cfg, struct txn *t);

/*
 * engine_record - a final decision (a refusal at any stage, or the end of
 * a message) for the metrics, the reputation (abuse.h) and the audit
 * trail: the txn's SPF result, limits and signals, and sigs, the
 * signatures made (NULL, 0 when none).  Never waits for I/O.
 */
void engine_record(const struct generation *cfg, const struct txn *t,
		   const char *stage, const struct verdict *v,
		   const struct keytable_req *sigs, size_t nsigs);

#endif
