/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bodyfp - a fingerprint of a message body that stays the same when a
 * bulk sender personalises each copy, for the fan-out signal (abuse.h):
 * the same text sent to many recipients is one fingerprint.
 *
 * The body is fed in chunks as it arrives (the milter's body callback);
 * memory is constant whatever the size.  Normalisation, in this order:
 *
 *   - a line ending in "=" is joined with the next one (quoted-printable
 *     soft line breaks move when a name of another length is filled in);
 *   - the text is split into words at white space (space, tab, CR, LF,
 *     FF, VT): line breaks and runs of blanks count as one space;
 *   - ASCII letters are lower-cased;
 *   - a word is dropped when it holds '@' (an address), holds at least as
 *     many digits as letters (dates, times, amounts, order and tracking
 *     numbers), starts with "--" (MIME boundaries) or holds "boundary=",
 *     or is longer than BODYFP_WORD_MAX bytes;
 *   - a word holding "://" is cut after the host name: the path and query
 *     of a link (per-recipient tracking) do not count;
 *   - the first non-blank line is dropped when it is a salutation: at
 *     most five words, the last ending in ',' ("Dear Ms Smith,", "Hi
 *     Alice,");
 *   - the words left are joined with single spaces and hashed with
 *     SHA-256; the fingerprint is the first 128 bits in hex.
 *
 * A body with fewer than BODYFP_MIN_WORDS words left gets no fingerprint
 * (bodyfp_final() returns -1): too little text to tell a campaign from
 * "thanks!".  Encoded parts (base64) are hashed as they are sent, not
 * decoded.
 *
 * One struct bodyfp per message; not shared between threads.
 */
#ifndef RG_BODYFP_H
#define RG_BODYFP_H

#include <stddef.h>

#include "strbuf.h"

#define BODYFP_HEX_MAX 33	/* 32 hex digits and the NUL */
#define BODYFP_WORD_MAX 256	/* longer words are dropped */
#define BODYFP_MIN_WORDS 8

struct bodyfp;

struct bodyfp *bodyfp_new(void);
void bodyfp_trace(struct bodyfp *fp, struct strbuf *sb);
void bodyfp_update(struct bodyfp *fp, const void *buf, size_t len);
int bodyfp_final(struct bodyfp *fp, char *hex, size_t size);
void bodyfp_free(struct bodyfp *fp);

#endif
