/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addr - mail addresses: the author address of a From header field.
 *
 * addr_from_header() reads an RFC 5322 From field body (display names,
 * quoted strings, comments, angle addresses, groups, folding) and returns the
 * one mailbox it names, split into local part and domain; the domain is
 * lower-cased.  A field with no mailbox, several mailboxes, or an address
 * over the RFC 5321 limits (local part 64, domain 255 octets) is an error
 * with a reason fit for a log line.  No allocation; thread-safe.
 */
#ifndef RG_ADDR_H
#define RG_ADDR_H

#include <stddef.h>

#include "err.h"

#define ADDR_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255	/* RFC 5321 4.5.3.1.2 */

struct addr {
	char local[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1];
};

enum addr_status {
	ADDR_OK = 0,
	ADDR_NONE = -1,		/* no mailbox at all */
	ADDR_SEVERAL = -2,	/* more than one mailbox */
	ADDR_BAD = -3,		/* malformed or too long */
};

enum addr_status addr_from_header(const char *value, size_t len,
				  struct addr *out, struct err *e);
int addr_domain_is_valid(const char *domain);

#endif
