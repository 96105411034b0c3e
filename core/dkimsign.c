/* SPDX-License-Identifier: BSD-2-Clause */
#include "dkimsign.h"

#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

#include "str.h"
#include "xalloc.h"

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
	DKIM *dkim[KEYTABLE_MAX_SIGS];
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	size_t n;
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
	for (i = 0; i < n; i++) {
		const struct keytable_key *k = reqs[i].key;
		dkim_alg_t alg = k->alg == KEYTABLE_ALG_ED25519
					 ? DKIM_SIGN_ED25519SHA256
					 : DKIM_SIGN_RSASHA256;
		DKIM_STAT st = DKIM_STAT_OK;

		s->reqs[i] = reqs[i];
		if (alg == DKIM_SIGN_ED25519SHA256 && !l->ed25519) {
			err_set(e, "libopendkim was built without Ed25519");
			goto fail;
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

	for (i = 0; i < s->n; i++) {
		DKIM_STAT st = dkim_header(s->dkim[i], (u_char *)field, len);

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
		DKIM_STAT st = dkim_eoh(s->dkim[i]);

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
		DKIM_STAT st = dkim_body(s->dkim[i], buf, len);

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

/* dkimsign_finish - compute every signature and hand each to fn */
int
dkimsign_finish(struct dkimsign *s, dkimsign_sig_fn *fn, void *arg,
		struct err *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		u_char *hdr = NULL;
		size_t hlen = 0;
		DKIM_STAT st = dkim_eom(s->dkim[i], NULL);

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
	for (i = 0; i < s->n; i++)
		if (s->dkim[i] != NULL)
			(void)dkim_free(s->dkim[i]); /* only frees memory */
	free(s);
}
