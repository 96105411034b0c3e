/* SPDX-License-Identifier: BSD-2-Clause */
#include "dkimsign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkimcanon.h"
#include "str.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * Why not libopendkim, which made the RSA signatures before: it keeps the
 * private key as PEM text and decodes it again in every dkim_eom(), and a
 * freshly decoded RSA key sets up its blinding again; together about 60 %
 * of the filter's instructions per message (measured with callgrind,
 * tests/bench/filter_cost.sh).  For Ed25519 it also loses about 640 bytes
 * per signature (the EVP_PKEY it decodes, and its output buffer).
 */

/* Longest DKIM-Signature text we build (h= of many fields, b= of 4096-bit
 * RSA); the header itself is bounded by the signed field list. */
#define DKIMSIGN_SIG_MAX 16384
/* libopendkim's DKIM_HDRMARGIN: fold before this column */
#define DKIMSIGN_MARGIN 75
/* "DKIM-Signature: ", the column the value starts in */
#define DKIMSIGN_PREFIX "DKIM-Signature: "
#define DKIMSIGN_PREFIX_LEN (sizeof(DKIMSIGN_PREFIX) - 1)
/* largest signature we make: RSA up to 8192 bits */
#define DKIMSIGN_RAW_MAX 1024

struct dkimsign_lib {
	enum conf_canon hcanon;
	enum conf_canon bcanon;
	char **sign_hdrs;	/* NULL-terminated copies of the lists */
	char **oversign_hdrs;
};

struct dkimsign {
	struct dkimsign_lib *lib;
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	size_t n;
	struct dkimcanon body;		/* one body hash for all */
	bool body_ok;
	struct strbuf fields;		/* "Name:value\0"... */
	size_t nfields;
	time_t now;
};

/* The folding state of one DKIM-Signature value (libopendkim's layout). */
struct dkimsign_fold {
	struct strbuf *out;
	size_t col;		/* libopendkim's "len": column reached */
	bool first;
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

/* dkimsign_canon_name - c= spelling of a canonicalization */
static const char *
dkimsign_canon_name(enum conf_canon c)
{
	return c == CONF_CANON_RELAXED ? "relaxed" : "simple";
}

/* dkimsign_lib_new - what every message of a generation shares */
struct dkimsign_lib *
dkimsign_lib_new(const struct conf *c, struct err *e)
{
	struct dkimsign_lib *l = xcalloc(1, sizeof(*l));

	(void)e;
	l->hcanon = c->header_canon;
	l->bcanon = c->body_canon;
	l->sign_hdrs = dkimsign_strv(&c->sign_headers);
	l->oversign_hdrs = dkimsign_strv(&c->oversign_headers);
	return l;
}

/* dkimsign_lib_free - release it; NULL is fine */
void
dkimsign_lib_free(struct dkimsign_lib *l)
{
	if (l == NULL)
		return;
	dkimsign_strv_free(l->sign_hdrs);
	dkimsign_strv_free(l->oversign_hdrs);
	free(l);
}

/* dkimsign_lib_has_ed25519 - can we sign Ed25519?  (OpenSSL 3 always) */
bool
dkimsign_lib_has_ed25519(const struct dkimsign_lib *l)
{
	(void)l;
	return true;
}

/* dkimsign_signer_ok - may i= go with d=?  Its domain must be d= or a
 * subdomain of it (RFC 6376 3.5); libopendkim refuses the others too. */
static bool
dkimsign_signer_ok(const char *signer, const char *domain)
{
	const char *d = strrchr(signer, '@');
	size_t dl = strlen(domain);
	size_t sl;

	if (d == NULL)
		return false;
	d++;
	sl = strlen(d);
	if (strcasecmp(d, domain) == 0)
		return true;
	return sl > dl && d[sl - dl - 1] == '.' &&
	       strcasecmp(d + sl - dl, domain) == 0;
}

/* dkimsign_new - one message to sign with n keys */
struct dkimsign *
dkimsign_new(struct dkimsign_lib *l, const char *id,
	     const struct keytable_req *reqs, size_t n, struct err *e)
{
	struct dkimsign *s;
	size_t i;

	(void)id;
	if (n == 0 || n > KEYTABLE_MAX_SIGS) {
		err_set(e, "bad number of signatures: %zu", n);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (reqs[i].key == NULL || reqs[i].key->pkey == NULL) {
			err_set(e, "d=%s: no key loaded", reqs[i].domain);
			return NULL;
		}
		if (reqs[i].signer[0] != '\0' &&
		    !dkimsign_signer_ok(reqs[i].signer, reqs[i].domain)) {
			err_set(e, "signer i=%s is not in d=%s",
				reqs[i].signer, reqs[i].domain);
			return NULL;
		}
	}
	s = xcalloc(1, sizeof(*s));
	s->lib = l;
	s->now = time(NULL);
	memcpy(s->reqs, reqs, n * sizeof(*reqs));
	s->n = n;
	/* bounded by max_header_bytes upstream; this is a second fence */
	strbuf_init(&s->fields, 64UL << 20);
	if (dkimcanon_body_init(&s->body, l->bcanon) < 0) {
		err_set(e, "OpenSSL: no SHA-256 digest");
		dkimsign_free(s);
		return NULL;
	}
	s->body_ok = true;
	return s;
}

/* dkimsign_set_time - the signature time t= (default: when made) */
void
dkimsign_set_time(struct dkimsign *s, time_t t)
{
	s->now = t;
}

/* dkimsign_header - keep one complete header field */
int
dkimsign_header(struct dkimsign *s, char *field, size_t len, struct err *e)
{
	const char *colon = memchr(field, ':', len);
	size_t i;

	if (colon == NULL) {
		err_set(e, "header field without a colon");
		return -1;
	}
	/* RFC 5322 2.2: a name is printable ASCII (blanks before the colon
	 * tolerated); a ';' cannot be written in h= (RFC 6376 3.2 tag
	 * values): such a field cannot be signed, as libopendkim says too */
	for (i = 0; field + i < colon; i++) {
		if ((unsigned char)field[i] < 32 ||
		    (unsigned char)field[i] > 126) {
			err_set(e, "a header field name with a control or "
				"8-bit character cannot be signed");
			return -1;
		}
		if (field[i] == ';') {
			err_set(e, "header field \"%.*s\" cannot be signed: "
				"';' in its name", (int)(colon - field), field);
			return -1;
		}
	}
	if (strbuf_append(&s->fields, field, len) < 0 ||
	    strbuf_append(&s->fields, "", 1) < 0) {
		err_set(e, "header too large");
		return -1;
	}
	s->nfields++;
	return 0;
}

/* dkimsign_eoh - end of the header (nothing to do until the end) */
int
dkimsign_eoh(struct dkimsign *s, struct err *e)
{
	(void)s;
	(void)e;
	return 0;
}

/* dkimsign_body - one body chunk, hashed as it comes, no copy */
int
dkimsign_body(struct dkimsign *s, unsigned char *buf, size_t len,
	      struct err *e)
{
	if (dkimcanon_body(&s->body, buf, len) < 0) {
		err_set(e, "OpenSSL: SHA-256 update failed");
		return -1;
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

/*
 * dkimsign_headers - choose h= and hash the fields it names (RFC 6376
 * 5.4.2: for each name, the last instance not used yet), as libopendkim
 * does: every field whose name is signed or oversigned, in message order,
 * then each oversigned name once more (matching no field).  h gets the
 * names joined by ':', unfolded.
 */
static int
dkimsign_headers(struct dkimsign *s, EVP_MD_CTX *md, struct strbuf *h)
{
	const char **field = xcalloc(s->nfields + 1, sizeof(*field));
	size_t *nlen = xcalloc(s->nfields + 1, sizeof(*nlen));
	bool *used = xcalloc(s->nfields + 1, sizeof(*used));
	char **sign = s->lib->sign_hdrs;
	char **over = s->lib->oversign_hdrs;
	bool all = sign == NULL || sign[0] == NULL;
	size_t off = 0;
	size_t i;
	size_t j;
	int rc = -1;

	for (i = 0; i < s->nfields; i++) {
		field[i] = s->fields.data + off;
		nlen[i] = dkimsign_name_len(field[i]);
		off += strlen(field[i]) + 1;
	}
	for (i = 0; i < s->nfields; i++) {
		if (nlen[i] == 0 ||
		    !(all || dkimsign_in_list(sign, field[i], nlen[i]) ||
		      dkimsign_in_list(over, field[i], nlen[i])))
			continue;
		if ((h->len > 0 && strbuf_append(h, ":", 1) < 0) ||
		    strbuf_append(h, field[i], nlen[i]) < 0)
			goto out;
		/* hash the last unused instance of this name */
		for (j = s->nfields; j-- > 0;) {
			if (used[j] || nlen[j] != nlen[i] ||
			    strncasecmp(field[j], field[i], nlen[i]) != 0)
				continue;
			used[j] = true;
			if (dkimcanon_header(md, s->lib->hcanon, field[j],
					     strlen(field[j]), true) < 0)
				goto out;
			break;
		}
	}
	for (i = 0; over != NULL && over[i] != NULL; i++) {
		if (over[i][0] == '\0')
			continue;
		if ((h->len > 0 && strbuf_append(h, ":", 1) < 0) ||
		    strbuf_append_str(h, over[i]) < 0)
			goto out;
	}
	rc = 0;
out:
	free(field);
	free(nlen);
	free(used);
	return rc;
}

/*
 * dkimsign_fold_value - a tag whose value breaks at the margin (bh=, b=)
 * after a line break: name, '=', the first character, then as much as
 * fits on each line, continued with "\r\n\t ".  Without a value (the b=
 * of the text that is hashed) only "b=" is written.
 */
static int
dkimsign_fold_value(struct dkimsign_fold *f, const char *tag,
		    const char *v, size_t vlen)
{
	struct strbuf *o = f->out;
	size_t n;

	if (strbuf_append_str(o, tag) < 0 || strbuf_append(o, "=", 1) < 0)
		return -1;
	f->col += strlen(tag) + 2;	/* '=' and the first character */
	if (vlen == 0)
		return 0;
	if (strbuf_append(o, v, 1) < 0)
		return -1;
	v++;
	vlen--;
	while (vlen > 0) {
		if (f->col == DKIMSIGN_MARGIN) {
			if (strbuf_append(o, "\r\n\t ", 4) < 0)
				return -1;
			f->col = 9;
		}
		n = f->col < DKIMSIGN_MARGIN ? DKIMSIGN_MARGIN - f->col : vlen;
		if (n > vlen)
			n = vlen;
		if (strbuf_append(o, v, n) < 0)
			return -1;
		v += n;
		vlen -= n;
		f->col += n;
	}
	return 0;
}

/* dkimsign_fold_h - h= after a line break: names joined by ':', a new
 * line ("\r\n\t ") after the colon before a name that would pass the
 * margin; empty names are skipped (libopendkim splits with strtok) */
static int
dkimsign_fold_h(struct dkimsign_fold *f, const char *pv)
{
	struct strbuf *o = f->out;
	bool first = true;
	const char *tok;
	const char *end;
	size_t tl;

	for (tok = pv; *tok != '\0'; tok = *end != '\0' ? end + 1 : end) {
		end = strchr(tok, ':');
		if (end == NULL)
			end = tok + strlen(tok);
		tl = (size_t)(end - tok);
		if (tl == 0)
			continue;
		if (first) {
			first = false;
		} else {
			if (strbuf_append(o, ":", 1) < 0)
				return -1;
			f->col++;
			if (f->col + tl > DKIMSIGN_MARGIN) {
				if (strbuf_append(o, "\r\n\t ", 4) < 0)
					return -1;
				f->col = 9;
			}
		}
		if (strbuf_append(o, tok, tl) < 0)
			return -1;
		f->col += tl;
	}
	return 0;
}

/*
 * dkimsign_fold_tag - append one "tag=value;" piece, folded as
 * libopendkim's dkim_getsighdr_d() does with its 75-column margin: after
 * a blank when it fits, else on a new line ("\r\n\t"), where a long h=
 * breaks after colons and a long bh= at the margin.  Its column count is
 * kept as it is (the blank is counted after the test), so that the lines
 * break where libopendkim breaks them.  force: start a new line anyway.
 */
static int
dkimsign_fold_tag(struct dkimsign_fold *f, const char *pv, size_t pvlen,
		  bool force)
{
	struct strbuf *o = f->out;

	if (f->first) {
		f->first = false;
		f->col += pvlen;
		return strbuf_append(o, pv, pvlen);
	}
	if (!force && f->col + pvlen <= DKIMSIGN_MARGIN) {
		f->col += 1 + pvlen;
		if (strbuf_append(o, " ", 1) < 0)
			return -1;
		return strbuf_append(o, pv, pvlen);
	}
	if (strbuf_append(o, "\r\n\t", 3) < 0)
		return -1;
	f->col = 8;
	if (strncmp(pv, "h=", 2) == 0)
		return dkimsign_fold_h(f, pv);
	if (strncmp(pv, "bh=", 3) == 0)
		return dkimsign_fold_value(f, "bh", pv + 3, pvlen - 3);
	if (strncmp(pv, "b=", 2) == 0)
		return dkimsign_fold_value(f, "b", pv + 2, pvlen - 2);
	f->col += pvlen;
	return strbuf_append(o, pv, pvlen);
}

/*
 * dkimsign_text - the DKIM-Signature field of request r: tags in
 * libopendkim's order (v a c d s t [i] bh h b), folded as it folds them.
 * b64: the signature, or NULL for the text that is hashed, which ends in
 * "b=" (RFC 6376 3.7); b64len: its length either way, for the layout, so
 * both texts are equal up to "b=".  A too-long text is an error.
 */
static int
dkimsign_text(const struct dkimsign *s, const struct keytable_req *r,
	      const char *bh64, const char *h, const char *b64,
	      size_t b64len, struct strbuf *out)
{
	struct dkimsign_fold f = {out, DKIMSIGN_PREFIX_LEN, true};
	bool rsa = r->key->alg == KEYTABLE_ALG_RSA;
	char piece[512];
	struct strbuf hp;
	bool force;
	int rc = -1;

	strbuf_init(&hp, DKIMSIGN_SIG_MAX);
	strbuf_reset(out);
	if (strbuf_append_str(out, DKIMSIGN_PREFIX) < 0 ||
	    dkimsign_fold_tag(&f, "v=1;", 4, false) < 0)
		goto out;
#define PIECE(...)                                                             \
	(str_format(piece, sizeof(piece), __VA_ARGS__) < 0 ||                  \
	 dkimsign_fold_tag(&f, piece, strlen(piece), false) < 0)
	if (PIECE("a=%s;", rsa ? "rsa-sha256" : "ed25519-sha256") ||
	    PIECE("c=%s/%s;", dkimsign_canon_name(s->lib->hcanon),
		  dkimsign_canon_name(s->lib->bcanon)) ||
	    PIECE("d=%s;", r->domain) || PIECE("s=%s;", r->key->selector) ||
	    PIECE("t=%llu;", (unsigned long long)s->now) ||
	    (r->signer[0] != '\0' && PIECE("i=%s;", r->signer)) ||
	    PIECE("bh=%s;", bh64))
		goto out;
#undef PIECE
	if (strbuf_printf(&hp, "h=%s;", h) < 0 ||
	    dkimsign_fold_tag(&f, hp.data, hp.len, false) < 0)
		goto out;
	/* libopendkim starts an RSA b= on a new line unless all of it fits
	 * (it never does: 344 characters for 2048 bits) */
	force = rsa && f.col + 1 + b64len + 1 >= DKIMSIGN_MARGIN;
	strbuf_reset(&hp);
	if (strbuf_append(&hp, "b=", 2) < 0 ||
	    (b64 != NULL && strbuf_append(&hp, b64, b64len) < 0))
		goto out;
	/* the layout is decided with the signature's length */
	if (!force && !f.first && f.col + 2 + b64len > DKIMSIGN_MARGIN)
		force = true;
	if (dkimsign_fold_tag(&f, hp.data, hp.len, force) < 0)
		goto out;
	rc = 0;
out:
	strbuf_free(&hp);
	return rc;
}

/* dkimsign_pkey_sign - sign the 32-byte hash with the request's key:
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 3.3.1: RSA_sign's DigestInfo),
 * or PureEdDSA over the hash (RFC 8463 3).  A context per signature: one
 * EVP_PKEY may be used by several threads at once this way. */
static int
dkimsign_pkey_sign(const struct keytable_key *k, const unsigned char *hash,
		   unsigned char *sig, size_t *siglen)
{
	int rc = -1;

	if (k->alg == KEYTABLE_ALG_RSA) {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey,
							      NULL);

		if (pc != NULL && EVP_PKEY_sign_init(pc) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		    EVP_PKEY_sign(pc, sig, siglen, hash,
				  DKIMCANON_HASH_LEN) == 1)
			rc = 0;
		EVP_PKEY_CTX_free(pc);
	} else {
		EVP_MD_CTX *sc = EVP_MD_CTX_new();

		if (sc != NULL &&
		    EVP_DigestSignInit(sc, NULL, NULL, NULL, k->pkey) == 1 &&
		    EVP_DigestSign(sc, sig, siglen, hash,
				   DKIMCANON_HASH_LEN) == 1)
			rc = 0;
		EVP_MD_CTX_free(sc);
	}
	return rc;
}

/* dkimsign_one - make signature i: the header hash so far (base), its
 * own DKIM-Signature field, the key; the value goes to fn */
static int
dkimsign_one(struct dkimsign *s, size_t i, EVP_MD_CTX *base,
	     const char *bh64, const char *h, struct strbuf *text,
	     dkimsign_sig_fn *fn, void *arg, struct err *e)
{
	const struct keytable_req *r = &s->reqs[i];
	unsigned char hash[DKIMCANON_HASH_LEN];
	unsigned char sig[DKIMSIGN_RAW_MAX];
	char b64[DKIMSIGN_RAW_MAX / 3 * 4 + 8];
	size_t siglen = (size_t)EVP_PKEY_get_size(r->key->pkey);
	size_t b64len = (siglen + 2) / 3 * 4;
	unsigned int hl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	if (siglen == 0 || siglen > sizeof(sig)) {
		err_set(e, "d=%s s=%s: key of %zu bytes not supported",
			r->domain, r->key->selector, siglen);
		goto out;
	}
	if (dkimsign_text(s, r, bh64, h, NULL, b64len, text) < 0) {
		err_set(e, "d=%s s=%s: signature header too long", r->domain,
			r->key->selector);
		goto out;
	}
	/* The field as the MTA will write it, b= empty, is hashed last
	 * (RFC 6376 3.7), without its final CRLF. */
	if (md == NULL || EVP_MD_CTX_copy_ex(md, base) != 1 ||
	    dkimcanon_header(md, s->lib->hcanon, text->data, text->len,
			     false) < 0 ||
	    EVP_DigestFinal_ex(md, hash, &hl) != 1 ||
	    dkimsign_pkey_sign(r->key, hash, sig, &siglen) < 0) {
		err_set(e, "d=%s s=%s: %s signing failed", r->domain,
			r->key->selector, keytable_alg_name(r->key->alg));
		goto out;
	}
	b64len = (size_t)EVP_EncodeBlock((unsigned char *)b64, sig,
					 (int)siglen);
	if (dkimsign_text(s, r, bh64, h, b64, b64len, text) < 0) {
		err_set(e, "d=%s s=%s: signature header too long", r->domain,
			r->key->selector);
		goto out;
	}
	dkimsign_strip_cr(text->data);
	if (fn(arg, r, text->data + DKIMSIGN_PREFIX_LEN) < 0) {
		err_set(e, "adding the signature header failed");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

/* dkimsign_finish - compute every signature and hand each to fn */
int
dkimsign_finish(struct dkimsign *s, dkimsign_sig_fn *fn, void *arg,
		struct err *e)
{
	unsigned char bh[DKIMCANON_HASH_LEN];
	char bh64[64];
	EVP_MD_CTX *base = EVP_MD_CTX_new();
	struct strbuf h;
	struct strbuf text;
	size_t i;
	int rc = -1;

	strbuf_init(&h, DKIMSIGN_SIG_MAX);
	strbuf_init(&text, DKIMSIGN_SIG_MAX);
	if (base == NULL || !s->body_ok ||
	    dkimcanon_body_final(&s->body, bh) < 0 ||
	    EVP_DigestInit_ex(base, EVP_sha256(), NULL) != 1) {
		err_set(e, "OpenSSL: SHA-256 failed");
		goto out;
	}
	s->body_ok = false;	/* finalized */
	(void)EVP_EncodeBlock((unsigned char *)bh64, bh, sizeof(bh));
	if (dkimsign_headers(s, base, &h) < 0) {
		err_set(e, "signed header fields too long");
		goto out;
	}
	for (i = 0; i < s->n; i++)
		if (dkimsign_one(s, i, base, bh64, h.data ? h.data : "", &text,
				 fn, arg, e) < 0)
			goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(base);
	strbuf_free(&h);
	strbuf_free(&text);
	return rc;
}

/* dkimsign_free - release the message; NULL is fine */
void
dkimsign_free(struct dkimsign *s)
{
	if (s == NULL)
		return;
	dkimcanon_body_free(&s->body);
	strbuf_free(&s->fields);
	free(s);
}
