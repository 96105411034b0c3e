/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimcanon_fuzz - differential libFuzzer target: relayguard's body
 * canonicalizer (core/dkimcanon.c, used for every signature relayguard
 * computes itself) against libopendkim's, for simple and for relaxed.
 *
 * Input: the low four bits of the first byte are a number n of cut
 * points, the next 2n bytes the cut points (16 bits each, little-endian,
 * taken modulo the body length + 1), the rest is the body: any bytes.
 * The body goes through dkimcanon in the chunks the cuts make (empty
 * chunks included) and, whole, through dkimcanon again; both hashes must
 * be equal.  Then it goes through a libopendkim signing handle with the
 * library flags relayguard uses (FIXCRLF), chunked at the same cuts, and
 * libopendkim's body hash (dkim_sig_gethashes) must be equal to ours.
 *
 * Documented libopendkim quirks (found by this target; README "DKIM
 * signing" lists them too), kept out of the comparison narrowly:
 *  1. An unterminated last line.  RFC 6376 3.4.3 and 3.4.4 complete it
 *     with CRLF, as dkimcanon does.  libopendkim 2.11 does not do so
 *     consistently: in relaxed, the empty lines before that line are lost
 *     when it holds no blank ("x\r\n\r\nend" hashes as "x\r\nend\r\n"),
 *     and no CRLF is added when it ends in a blank ("a " hashes as "a");
 *     in simple, the CRLF is missing when the line arrives in a chunk of
 *     its own ("a\r\n" + "b" hashes as "a\r\nb").  So libopendkim is given
 *     the body with its last line ended ("\r\n", or "\n" after a final
 *     CR), which is the same canonical body by the RFC.  (An earlier note
 *     blamed a bare LF for the first case; it is the unterminated line.)
 *  2. A CR at the end of a chunk whose next chunk does not start with LF
 *     (a bare CR across a chunk boundary): libopendkim's FIXCRLF pass
 *     sees the chunk alone, so relaxed then drops the next byte after an
 *     empty line, or keeps an empty line at the end; simple keeps an empty
 *     line at the end.  libopendkim is not cut at such a point (its
 *     neighbour chunks are joined); dkimcanon still is.
 *  Empty chunks are not given to libopendkim (dkim_body on zero bytes
 *  is not defined), and nothing else is excluded.  Postfix passes CRLF
 *  lines only, so neither quirk changes what it signs: the RSA signature
 *  (libopendkim) and the Ed25519 one (dkimcanon) agree for mail it sends.
 *
 * Speed: libopendkim decodes the PEM key of every handle (about half a
 * millisecond with OpenSSL 3).  The key is not what is tested, so this
 * program defines PEM_read_bio_PrivateKey itself, which takes precedence
 * over libcrypto's for libopendkim's call, and returns the key made at
 * start-up (a 512-bit RSA key, allowed with DKIM_OPTS_MINKEYBITS; its
 * size does not change the body hash).
 */
#include "dkimcanon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <dkim.h>

#define MAX_CUTS 15

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static DKIM_LIB *lib;
static EVP_PKEY *key;
static char *key_pem;

/* PEM_read_bio_PrivateKey - libopendkim's key decoder: the key made once */
EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	(void)bp;
	(void)cb;
	(void)u;
	if (EVP_PKEY_up_ref(key) != 1)
		return NULL;
	if (x != NULL)
		*x = key;
	return key;
}

/* die - report a broken invariant and abort (a libFuzzer crash) */
static void
die(const char *what, int relaxed, size_t ncut)
{
	fprintf(stderr, "dkimcanon_fuzz: %s (%s, %zu cut points)\n", what,
		relaxed ? "relaxed" : "simple", ncut);
	abort();
}

/* LLVMFuzzerInitialize - one RSA key, one library handle */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	u_int flags = DKIM_LIBFLAGS_FIXCRLF;	/* as core/dkimsign.c */
	u_int bits = 512;
	BIO *b;
	char *p;
	long n;

	(void)argc;
	(void)argv;
	key = EVP_RSA_gen(512);
	b = BIO_new(BIO_s_mem());
	if (key == NULL || b == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL,
					  NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0 ||
	    (key_pem = calloc(1, (size_t)n + 1)) == NULL)
		die("no key", 0, 0);
	memcpy(key_pem, p, (size_t)n);
	BIO_free(b);
	lib = dkim_init(NULL, NULL);
	if (lib == NULL ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
			 sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits,
			 sizeof(bits)) != DKIM_STAT_OK)
		die("dkim_init", 0, 0);
	return 0;
}

/* ours - dkimcanon's hash of body cut at cut[0..ncut) */
static void
ours(int relaxed, const uint8_t *body, size_t len, const size_t *cut,
     size_t ncut, unsigned char out[DKIMCANON_HASH_LEN])
{
	struct dkimcanon c;
	size_t prev = 0;
	size_t i;

	if (dkimcanon_body_init(&c, relaxed ? CONF_CANON_RELAXED
					    : CONF_CANON_SIMPLE) < 0)
		die("dkimcanon_body_init", relaxed, ncut);
	for (i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cut[i] : len;

		if (dkimcanon_body(&c, body + prev, end - prev) < 0)
			die("dkimcanon_body", relaxed, ncut);
		prev = end;
	}
	if (dkimcanon_body_final(&c, out) < 0)
		die("dkimcanon_body_final", relaxed, ncut);
	dkimcanon_body_free(&c);
}

/* theirs - libopendkim's body hash of body cut at cut[0..ncut) */
static void
theirs(int relaxed, const uint8_t *body, size_t len, const size_t *cut,
       size_t ncut, unsigned char out[DKIMCANON_HASH_LEN])
{
	unsigned char from[] = "From: a@example.com";
	DKIM_STAT st = DKIM_STAT_OK;
	DKIM *d;
	DKIM_SIGINFO *sig;
	void *hh;
	void *bh;
	size_t hl;
	size_t bl;
	size_t prev = 0;
	size_t i;

	d = dkim_sign(lib, (const unsigned char *)"fuzz", NULL,
		      (dkim_sigkey_t)key_pem, (const unsigned char *)"s",
		      (const unsigned char *)"example.com", DKIM_CANON_SIMPLE,
		      relaxed ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
		      DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL || st != DKIM_STAT_OK ||
	    dkim_header(d, from, sizeof(from) - 1) != DKIM_STAT_OK ||
	    dkim_eoh(d) != DKIM_STAT_OK)
		die("libopendkim: no signing handle", relaxed, ncut);
	for (i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cut[i] : len;
		unsigned char *chunk;

		if (end == prev)
			continue;	/* no empty chunks for libopendkim */
		chunk = malloc(end - prev);
		if (chunk == NULL)
			die("out of memory", relaxed, ncut);
		memcpy(chunk, body + prev, end - prev);
		st = dkim_body(d, chunk, end - prev);
		free(chunk);
		if (st != DKIM_STAT_OK)
			die("libopendkim: dkim_body", relaxed, ncut);
		prev = end;
	}
	if (dkim_eom(d, NULL) != DKIM_STAT_OK ||
	    (sig = dkim_getsignature(d)) == NULL ||
	    dkim_sig_gethashes(sig, &hh, &hl, &bh, &bl) != DKIM_STAT_OK ||
	    bl != DKIMCANON_HASH_LEN)
		die("libopendkim: no body hash", relaxed, ncut);
	memcpy(out, bh, DKIMCANON_HASH_LEN);
	dkim_free(d);
}

/* sort_cuts - cut points in ascending order (at most MAX_CUTS) */
static void
sort_cuts(size_t *cut, size_t n)
{
	size_t i;
	size_t j;

	for (i = 1; i < n; i++) {
		size_t v = cut[i];

		for (j = i; j > 0 && cut[j - 1] > v; j--)
			cut[j] = cut[j - 1];
		cut[j] = v;
	}
}

/* quirk_free_cuts - the cuts libopendkim gets: none after a bare CR
 * (quirk 2); the line end added for quirk 1 completes a final CR */
static size_t
quirk_free_cuts(const uint8_t *body, size_t len, const size_t *cut,
		size_t n, size_t *out)
{
	size_t i;
	size_t k = 0;

	for (i = 0; i < n; i++) {
		size_t c = cut[i];

		if (c > 0 && c < len && body[c - 1] == '\r' && body[c] != '\n')
			continue;
		out[k++] = c;
	}
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut[MAX_CUTS];
	size_t ocut[MAX_CUTS];
	size_t ncut;
	size_t nocut;
	size_t len;
	size_t i;
	const uint8_t *body;
	uint8_t *ended;
	size_t elen;
	unsigned char a[DKIMCANON_HASH_LEN];
	unsigned char b[DKIMCANON_HASH_LEN];
	unsigned char o[DKIMCANON_HASH_LEN];
	int relaxed;

	if (size < 1)
		return 0;
	ncut = data[0] & 15;
	if (size < 1 + 2 * ncut)
		return 0;
	body = data + 1 + 2 * ncut;
	len = size - 1 - 2 * ncut;
	for (i = 0; i < ncut; i++)
		cut[i] = ((size_t)data[1 + 2 * i] |
			  (size_t)data[2 + 2 * i] << 8) % (len + 1);
	sort_cuts(cut, ncut);

	/* quirk 1: libopendkim gets the last line ended */
	ended = malloc(len + 2);
	if (ended == NULL)
		die("out of memory", 0, ncut);
	memcpy(ended, body, len);
	elen = len;
	if (len > 0 && body[len - 1] == '\r')
		ended[elen++] = '\n';
	else if (len > 0 && body[len - 1] != '\n') {
		ended[elen++] = '\r';
		ended[elen++] = '\n';
	}
	nocut = quirk_free_cuts(body, len, cut, ncut, ocut);

	for (relaxed = 0; relaxed < 2; relaxed++) {
		ours(relaxed, body, len, cut, ncut, a);
		ours(relaxed, body, len, NULL, 0, b);
		if (memcmp(a, b, sizeof(a)) != 0)
			die("dkimcanon depends on the chunks", relaxed, ncut);
		theirs(relaxed, ended, elen, ocut, nocut, o);
		if (memcmp(a, o, sizeof(a)) != 0)
			die("dkimcanon and libopendkim differ", relaxed, ncut);
	}
	free(ended);
	return 0;
}
