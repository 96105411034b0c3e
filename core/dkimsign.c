/* SPDX-License-Identifier: BSD-2-Clause */
#include "dkimsign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <opendkim/dkim.h>
#include <openssl/evp.h>

#include "dkimcanon.h"
#include "str.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * Two signers behind one interface.  RSA-SHA256 is made by libopendkim.
 * Ed25519-SHA256 is made here (dkimcanon.c + OpenSSL): libopendkim 2.11 as
 * built in Debian 12 can sign it, but leaks about 640 bytes per Ed25519
 * signature (the EVP_PKEY it parses from the key text at every dkim_eom,
 * and its 64-byte output buffer: its cleanup handles only RSA keys), which
 * a daemon signing millions of messages cannot afford.  Measured with
 * valgrind and RSS over 2,500 messages (tests/milter/many_messages.sh).
 */

/* Longest DKIM-Signature text we build (h= of many fields, b= of 64 B). */
#define DKIMSIGN_SIG_MAX 8192

struct dkimsign_lib {
	DKIM_LIB *lib;
	dkim_canon_t hcanon;
	dkim_canon_t bcanon;
	bool ed25519;
	char **sign_hdrs;	/* NULL-terminated copies for the library */
	char **oversign_hdrs;
};

struct dkimsign {
	struct dkimsign_lib *lib;
	DKIM *dkim[KEYTABLE_MAX_SIGS];		/* RSA: libopendkim */
	struct dkimcanon body[KEYTABLE_MAX_SIGS]; /* Ed25519: our own */
	bool own[KEYTABLE_MAX_SIGS];
	bool any_own;			/* keep fields only if needed */
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	size_t n;
	struct strbuf fields;		/* own signer: "Name:value\0"... */
	size_t nfields;
	time_t now;
};

/* dkimsign_strv - NULL-terminated array of copies of a config list */
static char **
dkimsign_strv(const struct conf_list *l)
{
	char **v = xcalloc(l->count + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < l->count; i++)
		v[i] = xstrdup(l->items[i]);
	return v;
}

/* dkimsign_strv_free - release such an array */
static void
dkimsign_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* dkimsign_why - the library's reason for a failed call */
static const char *
dkimsign_why(DKIM *d, DKIM_STAT st)
{
	const char *why = d != NULL ? dkim_geterror(d) : NULL;

	return why != NULL && *why != '\0' ? why : dkim_getresultstr(st);
}

/* dkimsign_lib_new - a library handle set up from the config */
struct dkimsign_lib *
dkimsign_lib_new(const struct conf *c, struct err *e)
{
	struct dkimsign_lib *l = xcalloc(1, sizeof(*l));
	u_int flags = DKIM_LIBFLAGS_FIXCRLF;
	DKIM_STAT st;

	l->lib = dkim_init(NULL, NULL);
	if (l->lib == NULL) {
		err_set(e, "libopendkim: dkim_init failed");
		goto fail;
	}
	l->hcanon = c->header_canon == CONF_CANON_RELAXED ? DKIM_CANON_RELAXED
							   : DKIM_CANON_SIMPLE;
	l->bcanon = c->body_canon == CONF_CANON_RELAXED ? DKIM_CANON_RELAXED
							 : DKIM_CANON_SIMPLE;
	l->ed25519 = dkim_libfeature(l->lib, DKIM_FEATURE_ED25519);
	l->sign_hdrs = dkimsign_strv(&c->sign_headers);
	l->oversign_hdrs = dkimsign_strv(&c->oversign_headers);

	/*
	 * FIXCRLF: Postfix passes body lines with CRLF, but bare LF in a
	 * header value must not break the hash.  The list options need
	 * len == sizeof(char **) or libopendkim silently keeps its defaults.
	 */
	st = dkim_options(l->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
			  sizeof(flags));
	if (st == DKIM_STAT_OK && c->sign_headers.count > 0)
		st = dkim_options(l->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
				  l->sign_hdrs, sizeof(char **));
	if (st == DKIM_STAT_OK && c->oversign_headers.count > 0)
		st = dkim_options(l->lib, DKIM_OP_SETOPT,
				  DKIM_OPTS_OVERSIGNHDRS, l->oversign_hdrs,
				  sizeof(char **));
	if (st != DKIM_STAT_OK) {
		err_set(e, "libopendkim: setting options: %s",
			dkim_getresultstr(st));
		goto fail;
	}
	return l;
fail:
	dkimsign_lib_free(l);
	return NULL;
}

/* dkimsign_lib_free - release the library handle; NULL is fine */
void
dkimsign_lib_free(struct dkimsign_lib *l)
{
	if (l == NULL)
		return;
	if (l->lib != NULL)
		dkim_close(l->lib);
	dkimsign_strv_free(l->sign_hdrs);
	dkimsign_strv_free(l->oversign_hdrs);
	free(l);
}

/* dkimsign_lib_has_ed25519 - can this libopendkim sign Ed25519? */
bool
dkimsign_lib_has_ed25519(const struct dkimsign_lib *l)
{
	return l->ed25519;
}

/* dkimsign_new - one signing handle per requested key */
struct dkimsign *
dkimsign_new(struct dkimsign_lib *l, const char *id,
	     const struct keytable_req *reqs, size_t n, struct err *e)
{
	struct dkimsign *s;
	size_t i;

	if (n == 0 || n > KEYTABLE_MAX_SIGS) {
		err_set(e, "bad number of signatures: %zu", n);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->lib = l;
	s->now = time(NULL);
	/* bounded by max_header_bytes upstream; this is a second fence */
	strbuf_init(&s->fields, 64UL << 20);
	for (i = 0; i < n; i++) {
		const struct keytable_key *k = reqs[i].key;
		dkim_alg_t alg = k->alg == KEYTABLE_ALG_ED25519
					 ? DKIM_SIGN_ED25519SHA256
					 : DKIM_SIGN_RSASHA256;
		DKIM_STAT st = DKIM_STAT_OK;

		s->reqs[i] = reqs[i];
		if (alg == DKIM_SIGN_ED25519SHA256) {
			s->own[i] = true;
			s->any_own = true;
			s->n = i + 1;
			if (dkimcanon_body_init(&s->body[i], l->bcanon ==
					DKIM_CANON_RELAXED ? CONF_CANON_RELAXED
							   : CONF_CANON_SIMPLE) < 0) {
				err_set(e, "OpenSSL: no SHA-256 digest");
				goto fail;
			}
			continue;
		}
		/* libopendkim copies the key text; it does not change it */
		s->dkim[i] = dkim_sign(l->lib, (const unsigned char *)id, NULL,
				       (dkim_sigkey_t)k->pem,
				       (const unsigned char *)k->selector,
				       (const unsigned char *)s->reqs[i].domain,
				       l->hcanon, l->bcanon, alg, -1, &st);
		s->n = i + 1;
		if (s->dkim[i] == NULL || st != DKIM_STAT_OK) {
			err_set(e, "dkim_sign d=%s s=%s: %s",
				s->reqs[i].domain, k->selector,
				dkim_getresultstr(st));
			goto fail;
		}
		if (s->reqs[i].signer[0] != '\0' &&
		    dkim_set_signer(s->dkim[i],
				    (const u_char *)s->reqs[i].signer) !=
			    DKIM_STAT_OK) {
			err_set(e, "dkim_set_signer %s refused",
				s->reqs[i].signer);
			goto fail;
		}
	}
	return s;
fail:
	dkimsign_free(s);
	return NULL;
}

/* dkimsign_header - one complete header field to every handle */
int
dkimsign_header(struct dkimsign *s, char *field, size_t len, struct err *e)
{
	size_t i;

	if (s->any_own) {
		if (strbuf_append(&s->fields, field, len) < 0 ||
		    strbuf_append(&s->fields, "", 1) < 0) {
			err_set(e, "header too large");
			return -1;
		}
		s->nfields++;
	}
	for (i = 0; i < s->n; i++) {
		DKIM_STAT st;

		if (s->own[i])
			continue;
		st = dkim_header(s->dkim[i], (u_char *)field, len);

		if (st != DKIM_STAT_OK) {
			err_set(e, "dkim_header: %s",
				dkimsign_why(s->dkim[i], st));
			return -1;
		}
	}
	return 0;
}

/* dkimsign_eoh - end of the header */
int
dkimsign_eoh(struct dkimsign *s, struct err *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		DKIM_STAT st;

		if (s->own[i])
			continue;
		st = dkim_eoh(s->dkim[i]);

		if (st != DKIM_STAT_OK) {
			err_set(e, "dkim_eoh: %s",
				dkimsign_why(s->dkim[i], st));
			return -1;
		}
	}
	return 0;
}

/* dkimsign_body - one body chunk to every handle, no copy */
int
dkimsign_body(struct dkimsign *s, unsigned char *buf, size_t len,
	      struct err *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		DKIM_STAT st;

		if (s->own[i]) {
			if (dkimcanon_body(&s->body[i], buf, len) < 0) {
				err_set(e, "OpenSSL: SHA-256 update failed");
				return -1;
			}
			continue;
		}
		st = dkim_body(s->dkim[i], buf, len);

		if (st != DKIM_STAT_OK) {
			err_set(e, "dkim_body: %s",
				dkimsign_why(s->dkim[i], st));
			return -1;
		}
	}
	return 0;
}

/* dkimsign_strip_cr - remove CRs from the folded signature in place */
static void
dkimsign_strip_cr(char *p)
{
	char *o = p;

	for (; *p; p++)
		if (*p != '\r')
			*o++ = *p;
	*o = '\0';
}

/* dkimsign_in_list - is the field name (len bytes) in a list? */
static bool
dkimsign_in_list(char **list, const char *name, size_t len)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], name, len) == 0)
			return true;
	return false;
}

/* dkimsign_name_len - length of a field's name, blanks before ':' cut */
static size_t
dkimsign_name_len(const char *field)
{
	const char *colon = strchr(field, ':');
	size_t n = colon != NULL ? (size_t)(colon - field) : 0;

	while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\t'))
		n--;
	return n;
}

/* dkimsign_h_add - one name to the h= list, folding long lines */
static int
dkimsign_h_add(struct strbuf *h, size_t *col, const char *name, size_t len)
{
	if (h->len > 0) {
		if (strbuf_append(h, ":", 1) < 0)
			return -1;
		(*col)++;
		if (*col + len > 72) {	/* FWS is allowed after ':' */
			if (strbuf_append(h, "\r\n\t ", 4) < 0)
				return -1;
			*col = 2;
		}
	}
	*col += len;
	return strbuf_append(h, name, len);
}

/*
 * dkimsign_own_headers - choose h= and hash the fields it names (RFC 6376
 * 5.4.2: for each name, the last instance not used yet).  With the
 * fields in message order and oversigned names once more at the end, as
 * libopendkim does.
 */
static int
dkimsign_own_headers(struct dkimsign *s, EVP_MD_CTX *md, enum conf_canon hc,
		     struct strbuf *h)
{
	const char **field = xcalloc(s->nfields + 1, sizeof(*field));
	bool *used = xcalloc(s->nfields + 1, sizeof(*used));
	char **sign = s->lib->sign_hdrs;
	char **over = s->lib->oversign_hdrs;
	size_t col = 4;
	size_t off = 0;
	size_t i;
	size_t j;
	int rc = -1;

	for (i = 0; i < s->nfields; i++) {
		field[i] = s->fields.data + off;
		off += strlen(field[i]) + 1;
	}
	for (i = 0; i < s->nfields; i++) {
		size_t nl = dkimsign_name_len(field[i]);

		if (nl == 0 || !((sign == NULL || sign[0] == NULL) ||
				 dkimsign_in_list(sign, field[i], nl) ||
				 dkimsign_in_list(over, field[i], nl)))
			continue;
		if (dkimsign_h_add(h, &col, field[i], nl) < 0)
			goto out;
		/* hash the last unused instance of this name */
		for (j = s->nfields; j-- > 0;) {
			if (used[j] || dkimsign_name_len(field[j]) != nl ||
			    strncasecmp(field[j], field[i], nl) != 0)
				continue;
			used[j] = true;
			if (dkimcanon_header(md, hc, field[j], strlen(field[j]),
					     true) < 0)
				goto out;
			break;
		}
	}
	/* oversigning: one more entry per name, matching no field */
	for (i = 0; over != NULL && over[i] != NULL; i++)
		if (dkimsign_h_add(h, &col, over[i], strlen(over[i])) < 0)
			goto out;
	rc = 0;
out:
	free(field);
	free(used);
	return rc;
}

/* dkimsign_b64_folded - base64 of sig into sb, folded every 72 chars */
static int
dkimsign_b64_folded(struct strbuf *sb, const unsigned char *sig, size_t len)
{
	char b64[256];
	int n;
	int i;

	if (len > 180)
		return -1;
	n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)len);
	for (i = 0; i < n; i += 72) {
		if (i > 0 && strbuf_append(sb, "\r\n\t ", 4) < 0)
			return -1;
		if (strbuf_append(sb, b64 + i, (size_t)(n - i < 72 ? n - i : 72)) < 0)
			return -1;
	}
	return 0;
}

/* dkimsign_own - make one Ed25519-SHA256 signature (RFC 8463) */
static int
dkimsign_own(struct dkimsign *s, size_t i, dkimsign_sig_fn *fn, void *arg,
	     struct err *e)
{
	const struct keytable_req *r = &s->reqs[i];
	enum conf_canon hc = s->lib->hcanon == DKIM_CANON_RELAXED
				     ? CONF_CANON_RELAXED : CONF_CANON_SIMPLE;
	unsigned char bh[DKIMCANON_HASH_LEN];
	unsigned char hash[DKIMCANON_HASH_LEN];
	unsigned char sig[64];
	char bh64[64];
	size_t siglen = sizeof(sig);
	unsigned int hl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_MD_CTX *sc = EVP_MD_CTX_new();
	struct strbuf h;
	struct strbuf text;
	int rc = -1;

	strbuf_init(&h, DKIMSIGN_SIG_MAX);
	strbuf_init(&text, DKIMSIGN_SIG_MAX);
	if (md == NULL || sc == NULL ||
	    dkimcanon_body_final(&s->body[i], bh) < 0 ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		err_set(e, "Ed25519 d=%s s=%s: digest failed", r->domain,
			r->key->selector);
		goto out;
	}
	(void)EVP_EncodeBlock((unsigned char *)bh64, bh, sizeof(bh));
	if (dkimsign_own_headers(s, md, hc, &h) < 0)
		goto toolong;
	/* The field as the MTA will write it, b= empty, is hashed last
	 * (RFC 6376 3.7), without its final CRLF. */
	if (strbuf_printf(&text, "DKIM-Signature: v=1; a=ed25519-sha256; "
			  "c=%s/%s; d=%s; s=%s;\r\n\t",
			  hc == CONF_CANON_RELAXED ? "relaxed" : "simple",
			  s->lib->bcanon == DKIM_CANON_RELAXED ? "relaxed"
							       : "simple",
			  r->domain, r->key->selector) < 0 ||
	    (r->signer[0] != '\0' &&
	     strbuf_printf(&text, "i=%s; ", r->signer) < 0) ||
	    strbuf_printf(&text, "t=%lld; bh=%s;\r\n\th=", (long long)s->now,
			  bh64) < 0 ||
	    strbuf_append(&text, h.data, h.len) < 0 ||
	    strbuf_append_str(&text, ";\r\n\tb=") < 0)
		goto toolong;
	if (dkimcanon_header(md, hc, text.data, text.len, false) < 0 ||
	    EVP_DigestFinal_ex(md, hash, &hl) != 1 ||
	    EVP_DigestSignInit(sc, NULL, NULL, NULL, r->key->pkey) != 1 ||
	    EVP_DigestSign(sc, sig, &siglen, hash, sizeof(hash)) != 1) {
		err_set(e, "Ed25519 d=%s s=%s: signing failed", r->domain,
			r->key->selector);
		goto out;
	}
	if (dkimsign_b64_folded(&text, sig, siglen) < 0)
		goto toolong;
	dkimsign_strip_cr(text.data);
	if (fn(arg, r, text.data + sizeof("DKIM-Signature: ") - 1) < 0) {
		err_set(e, "adding the signature header failed");
		goto out;
	}
	rc = 0;
	goto out;
toolong:
	err_set(e, "Ed25519 d=%s s=%s: signature header too long", r->domain,
		r->key->selector);
out:
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(sc);
	strbuf_free(&h);
	strbuf_free(&text);
	return rc;
}

/* dkimsign_finish - compute every signature and hand each to fn */
int
dkimsign_finish(struct dkimsign *s, dkimsign_sig_fn *fn, void *arg,
		struct err *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		u_char *hdr = NULL;
		size_t hlen = 0;
		DKIM_STAT st;

		if (s->own[i]) {
			if (dkimsign_own(s, i, fn, arg, e) < 0)
				return -1;
			continue;
		}
		st = dkim_eom(s->dkim[i], NULL);

		if (st == DKIM_STAT_OK)
			st = dkim_getsighdr_d(s->dkim[i],
					      sizeof("DKIM-Signature: ") - 1,
					      &hdr, &hlen);
		if (st != DKIM_STAT_OK || hdr == NULL) {
			err_set(e, "signing d=%s s=%s: %s", s->reqs[i].domain,
				s->reqs[i].key->selector,
				dkimsign_why(s->dkim[i], st));
			return -1;
		}
		dkimsign_strip_cr((char *)hdr);
		if (fn(arg, &s->reqs[i], (const char *)hdr) < 0) {
			err_set(e, "adding the signature header failed");
			return -1;
		}
	}
	return 0;
}

/* dkimsign_free - release every handle; NULL is fine */
void
dkimsign_free(struct dkimsign *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->own[i])
			dkimcanon_body_free(&s->body[i]);
		else if (s->dkim[i] != NULL)
			(void)dkim_free(s->dkim[i]); /* only frees memory */
	}
	strbuf_free(&s->fields);
	free(s);
}
