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

#include "config.h"
#include "keytable.h"
#include "txn.h"

enum engine_trust {
	ENGINE_UNTRUSTED,
	ENGINE_TRUST_SASL,
	ENGINE_TRUST_INTERNAL,
};

enum engine_trust engine_trust(const struct config *cfg,
			       const struct txn *t);
const char *engine_trust_name(enum engine_trust tr);
/* Longest header field (name, colon, value) libopendkim signs whole:
 * it copies each field into a 65,536-byte buffer and drops the rest. */
#define ENGINE_FIELD_MAX 65535

bool engine_header_is_signed(const struct config *cfg, const char *name);
size_t engine_sign_plan(const struct config *cfg, const struct txn *t,
			struct keytable_req *reqs, size_t max, char *why,
			size_t whylen);

#endif
