/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * owndomain - mail from an outside, unauthenticated client that claims
 * one of our own domains (issue 3: spoofing of our own domains).
 *
 * "Ours" is the list own_domains (exact domain names, any case, with or
 * without a trailing dot) or, when that list is empty, every address the
 * SigningTable would sign: relayguard signs mail for those domains, so
 * such mail must come from an authenticated login or an internal host.
 * owndomain_verdict() checks the envelope sender and the header From
 * address (either may be absent) and applies own_domain_action (default
 * reject, 550 5.7.1 naming the address; tempfail 451 4.7.1; accept).
 * The caller decides that the client is outside (not SASL-authenticated,
 * not in internal_hosts) before calling it.
 *
 * Pure and thread-safe: reads the configuration and the key table only.
 */
#ifndef RG_OWNDOMAIN_H
#define RG_OWNDOMAIN_H

#include <stdbool.h>

#include "addr.h"
#include "conf.h"
#include "keytable.h"
#include "txn.h"

bool owndomain_is_ours(const struct conf *c, const struct keytable *kt,
		       const struct addr *a);
bool owndomain_verdict(const struct conf *c, const struct keytable *kt,
		       const char *mailfrom, const struct addr *from,
		       struct verdict *v);

#endif
