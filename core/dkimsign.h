/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimsign - DKIM signatures with libopendkim; every dkim_ call lives here.
 *
 * A struct dkimsign_lib holds the library handle configured once per
 * configuration generation (signed and oversigned header lists, CRLF
 * repair); it is shared read-only by all threads, as libopendkim allows
 * once configured.  A struct dkimsign is one message: one DKIM handle per
 * requested key (RSA-SHA256 or Ed25519-SHA256, RFC 8463), all fed the same
 * headers and body chunks in one pass, so memory per message stays bounded
 * by libopendkim's own buffers whatever the body size.
 *
 * Headers are passed as complete fields "Name:value" (folding kept, no final
 * CRLF).  dkimsign_finish() hands each DKIM-Signature value, folded with
 * "\n\t" (CRs removed, as milters must), to a callback.  Errors come back as
 * -1 with the library's reason in struct err.
 */
#ifndef RG_DKIMSIGN_H
#define RG_DKIMSIGN_H

#include <stdbool.h>
#include <stddef.h>

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
int dkimsign_header(struct dkimsign *s, char *field, size_t len,
		    struct err *e);
int dkimsign_eoh(struct dkimsign *s, struct err *e);
int dkimsign_body(struct dkimsign *s, unsigned char *buf, size_t len,
		  struct err *e);
int dkimsign_finish(struct dkimsign *s, dkimsign_sig_fn *fn, void *arg,
		    struct err *e);
void dkimsign_free(struct dkimsign *s);

#endif
