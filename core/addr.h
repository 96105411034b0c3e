/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addr - mail addresses: header address lists and envelope paths.
 *
 * addr_list_parse() reads an RFC 5322 address-list field body (From:,
 * Sender:; display names, quoted strings, comments, angle addresses, groups,
 * folding) and returns every mailbox it names, split into local part and
 * domain.  addr_from_header() is the same for the one author mailbox a
 * signer needs: several mailboxes are an error there.  addr_path_parse()
 * reads an RFC 5321 reverse-path or forward-path as an MTA passes it
 * ("<a@b>", "a@b", "<>", source routes).
 *
 * Every address comes back normalised for comparison: the domain in lower
 * case, an internationalised domain as its IDNA A-label (xn--...), a quoted
 * local part whose content is a plain dot-atom without its quotes
 * ("alice"@x is alice@x, RFC 5321 4.1.2).  Local parts keep their case.
 * An address over the RFC 5321 limits (local part 64, domain 255 octets),
 * a NUL byte, or a domain that is not a host name is an error with a
 * reason fit for a log line.  No allocation outside libidn2; thread-safe.
 */
#ifndef RG_ADDR_H
#define RG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define ADDR_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_LIST_MAX 16	/* mailboxes kept from one header field */

struct addr {
	char local[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1];
};

enum addr_status {
	ADDR_OK = 0,
	ADDR_NONE = -1,		/* no mailbox at all (or the null path) */
	ADDR_SEVERAL = -2,	/* more than one (or more than max) mailbox */
	ADDR_BAD = -3,		/* malformed or too long */
};

enum addr_status addr_from_header(const char *value, size_t len,
				  struct addr *out, struct err *e);
enum addr_status addr_list_parse(const char *what, const char *value,
				 size_t len, struct addr *out, size_t max,
				 size_t *n, struct err *e);
enum addr_status addr_path_parse(const char *path, struct addr *out,
				 struct err *e);
int addr_domain_is_valid(const char *domain);
bool addr_equal(const struct addr *a, const struct addr *b,
		bool exact_local);

#endif
