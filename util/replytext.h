/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replytext - the text of an SMTP reply, made safe for the MTA that sends
 * it: the one filter every reply text passes before it leaves us (the
 * milter's smfi_setreply and smfi_quarantine, the policy service's
 * "action=" line).  Callers build texts freely, from configuration, SPF
 * explanations, addresses, login names; only this module decides what
 * may reach the MTA.
 *
 * replytext_clean() copies src into dst as one line of printable ASCII
 * (RFC 5321 4.2: textstring is HT, SP and printable US-ASCII):
 *   - '%' becomes '?'.  Sendmail does not pass on a milter reply whose
 *     text holds a single '%' (libmilter asks for '%%'): 8.17 answers its
 *     default "550 5.7.1 Command rejected" instead, and the reason and code
 *     are lost; Postfix turns "%%" into '%' and drops a single '%'.  The
 *     one text both pass on unchanged has no '%' at all.
 *   - CR, LF and TAB become a space (one line: libmilter refuses CR and
 *     LF, a policy action line ends at LF); other control bytes, DEL and
 *     bytes over 0x7f become '?'.
 *   - white space at either end is dropped.
 *   - at most REPLYTEXT_MAX bytes (and size - 1): the reply line "553
 *     5.7.1 TEXT" then stays within the 512 octets of RFC 5321 4.5.3.1.5
 *     (and far below libmilter's 980-byte limit); a cut text ends in
 *     "...".
 * Returns the length written.  No allocation; thread-safe.
 */
#ifndef RG_REPLYTEXT_H
#define RG_REPLYTEXT_H

#include <stddef.h>

/* 512 octets - "553 " - the longest enhanced code "5.999.999 " - CRLF */
#define REPLYTEXT_MAX 480

size_t replytext_clean(char *dst, size_t size, const char *src);

#endif
