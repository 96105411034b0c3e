/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimrec_fuzz - libFuzzer target: dkimrec_parse() on arbitrary TXT
 * text, as a hostile DNS zone could publish it, then dkimrec_matches()
 * against a fixed RSA and a fixed Ed25519 key (made once).
 *
 * Invariants: a parsed record has a key type of at most 15 bytes, p
 * present unless revoked, and a decoded length within the bound; a
 * refused one has a reason and no key; matches() answers -1, 0 or 1 with
 * a reason for anything but 1, and never 1 for random bytes (a record
 * can only match by holding the key's own public half).
 */
#include "dkimrec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *fz_rsa;
static EVP_PKEY *fz_ed;

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* keygen - one key of a type, once */
static EVP_PKEY *
keygen(int type)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	EVP_PKEY *k = NULL;

	check(ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1);
	if (type == EVP_PKEY_RSA)
		check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024) == 1);
	check(EVP_PKEY_keygen(ctx, &k) == 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* LLVMFuzzerTestOneInput - one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkimrec r;
	struct err e;
	int m;

	if (fz_rsa == NULL) {
		fz_rsa = keygen(EVP_PKEY_RSA);
		fz_ed = keygen(EVP_PKEY_ED25519);
	}
	memset(&e, 0, sizeof(e));
	if (dkimrec_parse((const char *)data, size, &r, &e) < 0) {
		check(e.text[0] != '\0' && r.p == NULL);
		return 0;
	}
	check(strlen(r.k) < sizeof(r.k));
	check(r.revoked || (r.p != NULL && r.plen > 0 && r.plen <= 4096));
	m = dkimrec_matches(&r, fz_rsa, &e);
	check(m == 0 || m == -1);
	check(e.text[0] != '\0');
	m = dkimrec_matches(&r, fz_ed, &e);
	check(m == 0 || m == -1);
	dkimrec_free(&r);
	return 0;
}
