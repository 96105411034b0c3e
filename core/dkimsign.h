/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimsign - DKIM signatures (RFC 6376), RSA-SHA256 and Ed25519-SHA256
 * (RFC 8463), made here with dkimcanon.c and OpenSSL.
 *
 * The keys are the EVP_PKEYs keytable.c parsed once per configuration
 * generation: nothing is parsed per message, and OpenSSL keeps an RSA
 * key's blinding and Montgomery values in the key, set up at its first
 * use.  One EVP_PKEY is shared by all threads; every signature gets its
 * own EVP_PKEY_CTX, which is how OpenSSL allows concurrent use of one key
 * (openssl-threads(7)).  The generation owns the keys: a connection keeps
 * its generation, so a key lives until the last message signed with it.
 *
 * The DKIM-Signature field is laid out and folded exactly as libopendkim
 * 2.11 does (tag order, 75-column margin, where h= and b= break), so a
 * site moving from OpenDKIM sees the same headers, and an RSA signature is
 * byte for byte the one libopendkim makes for the same message and t=
 * (PKCS#1 v1.5 is deterministic): tests/unit/dkimsign_test.c checks this
 * with libopendkim as the oracle.
 *
 * A struct dkimsign_lib holds what a generation decides once (the
 * canonicalizations, the signed and oversigned field lists); it is
 * read-only and shared by all threads.  A struct dkimsign is one message:
 * all its signatures share one body hash (the body canonicalization is
 * the same for all) and one header hash up to their own DKIM-Signature
 * field, so a second signature costs only its private-key operation.
 * Memory per message is bounded by the header fields kept (the caller's
 * max_header_bytes) whatever the body size.
 *
 * Headers are passed as complete fields "Name:value" (folding kept, no final
 * CRLF).  dkimsign_finish() hands each DKIM-Signature value, folded with
 * "\n\t" (CRs removed, as milters must), to a callback.  Errors come back as
 * -1 with the reason in struct err.  Not thread-safe per message.
 */
#ifndef RG_DKIMSIGN_H
#define RG_DKIMSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "keytable.h"

struct dkimsign_lib;
struct dkimsign;

typedef int dkimsign_sig_fn(void *arg, const struct keytable_req *req,
			    const char *value);

struct dkimsign_lib *dkimsign_lib_new(const struct conf *c, struct err *e);
void dkimsign_lib_free(struct dkimsign_lib *l);
bool dkimsign_lib_has_ed25519(const struct dkimsign_lib *l);

struct dkimsign *dkimsign_new(struct dkimsign_lib *l, const char *id,
			      const struct keytable_req *reqs, size_t n,
			      struct err *e);
void dkimsign_set_time(struct dkimsign *s, time_t t);
int dkimsign_header(struct dkimsign *s, char *field, size_t len,
		    struct err *e);
int dkimsign_eoh(struct dkimsign *s, struct err *e);
int dkimsign_body(struct dkimsign *s, unsigned char *buf, size_t len,
		  struct err *e);
int dkimsign_finish(struct dkimsign *s, dkimsign_sig_fn *fn, void *arg,
		    struct err *e);
void dkimsign_free(struct dkimsign *s);

#endif
