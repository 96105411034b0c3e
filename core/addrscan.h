/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addrscan - the lenient reader of an address-list field body (From:,
 * Sender:, Resent-From:, Resent-Sender:): every address a mail client
 * could show, for a field the strict reader (addr.h) cannot read or finds
 * no mailbox in.
 *
 * addrscan_field() reports every token that looks like an address,
 * wherever it stands: in display names, comments and quoted strings, in
 * RFC 2047 encoded-words (decoded; NUL bytes dropped, so UTF-16 text keeps
 * its ASCII letters; white space between two encoded-words removed, as
 * readers do), and after any syntax error.  A token is an at-sign followed
 * by a domain: folding, white space and comments after the at-sign and
 * around dots are skipped, an address literal's content ("[a.example]")
 * is taken as the domain, leading and trailing dots are dropped, and the
 * full-width and small at-signs (U+FF20, U+FE6B) and the ideographic,
 * full-width and half-width full stops (U+3002, U+FF0E, U+FF61) count as
 * '@' and '.'.  The domain is normalised as addr.h does (lower case, IDNA
 * A-label after UTS #46 mapping); a token whose domain is no host name is
 * counted but not reported.  The local part is a best guess, for messages.
 *
 * Every domain the strict reader reports for a field, this one reports
 * too (tests/fuzz/author_fuzz.c checks it).  The scans are bounded: a
 * hostile field costs time linear in its length.  Allocates a copy of a
 * field that holds encoded-words; thread-safe.
 */
#ifndef RG_ADDRSCAN_H
#define RG_ADDRSCAN_H

#include <stddef.h>

#include "addr.h"

size_t addrscan_field(const char *value, size_t len, addr_each_fn *fn,
		      void *arg);

#endif
