/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimcanon - DKIM canonicalization and hashing (RFC 6376 3.4, 3.7), for
 * the signatures relayguard computes itself (Ed25519-SHA256, see
 * dkimsign.c for why).
 *
 * Body: dkimcanon_body() takes the body in chunks of any size and feeds
 * the canonical form into SHA-256 as it goes, with O(1) state: a run of
 * empty lines is only counted until a non-empty line follows it, so memory
 * does not depend on the body.  A bare LF or a bare CR ends a line, as with
 * libopendkim's FIXCRLF, so both signers hash the same body.
 *
 * Header: dkimcanon_header() appends one field ("Name:value", folded with
 * LF or CRLF) in canonical form, CRLF-terminated, to a SHA-256 context.
 *
 * One struct per signature in progress; not shared between threads.
 */
#ifndef RG_DKIMCANON_H
#define RG_DKIMCANON_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "conf.h"

#define DKIMCANON_HASH_LEN 32	/* SHA-256 */

struct dkimcanon {
	EVP_MD_CTX *md;
	enum conf_canon canon;
	unsigned long empty_lines;	/* deferred CRLFs of empty lines */
	bool in_line;			/* bytes seen on the current line */
	bool pending_cr;		/* a CR waiting for its LF */
	bool pending_wsp;		/* relaxed: blank(s) inside a line */
	bool any;			/* any line seen */
	bool wrote;			/* any content written */
};

int dkimcanon_body_init(struct dkimcanon *c, enum conf_canon canon);
int dkimcanon_body(struct dkimcanon *c, const unsigned char *buf,
		   size_t len);
int dkimcanon_body_final(struct dkimcanon *c,
			 unsigned char out[DKIMCANON_HASH_LEN]);
void dkimcanon_body_free(struct dkimcanon *c);

int dkimcanon_header(EVP_MD_CTX *md, enum conf_canon canon,
		     const char *field, size_t len, bool crlf);

#endif
