/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addr - mail addresses: header address lists and envelope paths.
 *
 * Two readers for an RFC 5322 address-list field body (From:, Sender:,
 * Resent-From:, Resent-Sender:), one strict and one lenient:
 *
 * addr_list_each() is the strict one.  It reads display names, quoted
 * strings, comments, angle addresses, groups, folding and the obsolete
 * forms of RFC 5322 section 4 (CFWS around '.' and '@', source routes,
 * empty list elements) and reports every mailbox.  ADDR_NONE means the
 * field names no mailbox at all: it is empty, or holds only empty groups
 * ("undisclosed-recipients:;").  Anything else that is not a list of whole
 * mailboxes is ADDR_BAD: an empty mailbox ("<>", "<@route:>") anywhere in
 * the list, an unterminated comment, quote or <>, text after an <address>,
 * two words run together ("a@x b@y"), an unquoted '@' in a local part, a
 * domain that is not a host name (a trailing dot, an address literal),
 * ';' outside a group, nested groups, a group name holding an '@'.  The
 * callback sees each mailbox as it is read; when the field turns out
 * ADDR_BAD later, what it saw must not be trusted.  addr_list_parse()
 * collects the mailboxes into an array (more than max: ADDR_SEVERAL);
 * addr_from_header() is the same for the one author mailbox a signer needs.
 *
 * The lenient reader of the same fields, for what a mail client would
 * show, is addrscan.h.
 *
 * addr_path_parse() reads an RFC 5321 reverse-path or forward-path as an
 * MTA passes it ("<a@b>", "a@b", "<>", source routes).
 *
 * Every address comes back normalised for comparison: the domain in lower
 * case, an internationalised domain as its IDNA A-label (xn--..., after
 * UTS #46 mapping, so a full-width letter is its ASCII twin), a quoted
 * local part whose content is a plain dot-atom without its quotes
 * ("alice"@x is alice@x, RFC 5321 4.1.2).  Local parts keep their case.
 * An address over the RFC 5321 limits (local part 64, domain 255 octets),
 * a NUL byte, or a domain that is not a host name is an error with a
 * reason fit for a log line.  addr_set_domain() is that normalisation
 * alone (what names the field in the reason).  No allocation outside
 * libidn2; thread-safe.
 */
#ifndef RG_ADDR_H
#define RG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define ADDR_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX 255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_LIST_MAX 16	/* mailboxes kept from one header field */
/* "local@domain" as text, with its NUL */
#define ADDR_TEXT_SIZE (ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX + 1)

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

/* One mailbox found by a reader; a is valid during the call only. */
typedef void addr_each_fn(void *arg, const struct addr *a);

enum addr_status addr_list_each(const char *what, const char *value,
				size_t len, addr_each_fn *fn, void *arg,
				struct err *e);
enum addr_status addr_list_parse(const char *what, const char *value,
				 size_t len, struct addr *out, size_t max,
				 size_t *n, struct err *e);
enum addr_status addr_from_header(const char *value, size_t len,
				  struct addr *out, struct err *e);
enum addr_status addr_path_parse(const char *path, struct addr *out,
				 struct err *e);
int addr_domain_is_valid(const char *domain);
enum addr_status addr_set_domain(struct addr *out, const char *what,
				 const char *domain, struct err *e);
bool addr_is_atext(unsigned char c);
bool addr_equal(const struct addr *a, const struct addr *b,
		bool exact_local);
void addr_text(const struct addr *a, char *buf, size_t size);

#endif
