/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimrec - the DKIM public key record published in DNS (RFC 6376
 * section 3.6.1, RFC 8463 for Ed25519): parse it, and build it for a key.
 *
 * dkimrec_parse() reads the TXT text (the character-strings already
 * joined) as a tag list (RFC 6376 3.2): "tag=value" separated by ';',
 * white space allowed around tags, values and '='; tag names start with
 * a letter; duplicate tags are an error; unknown tags are ignored.  Then
 * the key rules: v=, when present, is the first tag and exactly "DKIM1";
 * p= is required; an empty p= means the key was revoked; k= is "rsa"
 * (the default) or "ed25519"; p= is base64 (white space inside allowed),
 * decoded strictly.  The text comes from whoever controls the DNS zone:
 * nothing is trusted, every length is checked (a fuzz target).
 *
 * dkimrec_build() makes the record for a private key: "v=DKIM1; k=rsa;
 * p=<base64 SubjectPublicKeyInfo>" or "v=DKIM1; k=ed25519; p=<base64 of
 * the raw 32-byte key>".  dkimrec_matches() compares a parsed record with
 * a private key.
 *
 * Thread-safe; a struct dkimrec owns its decoded key (dkimrec_free()).
 */
#ifndef RG_DKIMREC_H
#define RG_DKIMREC_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "err.h"
#include "strbuf.h"

#define DKIMREC_TXT_MAX 4096	/* longer records are refused */

struct dkimrec {
	char k[16];		/* key type, "rsa" when absent */
	bool has_v;
	bool revoked;		/* p= empty */
	unsigned char *p;	/* decoded key bytes */
	size_t plen;
	char h[64];		/* acceptable hashes, "" when absent */
	char t[32];		/* flags, "" when absent */
};

int dkimrec_parse(const char *txt, size_t len, struct dkimrec *r,
		  struct err *e);
void dkimrec_free(struct dkimrec *r);
int dkimrec_build(EVP_PKEY *key, struct strbuf *out, struct err *e);
int dkimrec_matches(const struct dkimrec *r, EVP_PKEY *key, struct err *e);
int dkimrec_base64_decode(const char *in, size_t len, unsigned char *out,
			  size_t size, size_t *outlen);

#endif
