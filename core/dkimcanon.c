/* SPDX-License-Identifier: BSD-2-Clause */
#include "dkimcanon.h"

#include <string.h>

/* Output is gathered in small blocks before it reaches SHA-256. */
#define DKIMCANON_BLOCK 4096

struct dkimcanon_out {
	EVP_MD_CTX *md;
	unsigned char buf[DKIMCANON_BLOCK];
	size_t len;
	int rc;
};

/* out_flush - hand the gathered bytes to the digest */
static void
out_flush(struct dkimcanon_out *o)
{
	if (o->len > 0 && o->rc == 0 &&
	    EVP_DigestUpdate(o->md, o->buf, o->len) != 1)
		o->rc = -1;
	o->len = 0;
}

/* out_put - one output byte */
static void
out_put(struct dkimcanon_out *o, unsigned char ch)
{
	if (o->len == sizeof(o->buf))
		out_flush(o);
	o->buf[o->len++] = ch;
}

/* out_crlfs - n line ends */
static void
out_crlfs(struct dkimcanon_out *o, unsigned long n)
{
	while (n-- > 0) {
		out_put(o, '\r');
		out_put(o, '\n');
	}
}

/* dkimcanon_body_init - start a body hash */
int
dkimcanon_body_init(struct dkimcanon *c, enum conf_canon canon)
{
	memset(c, 0, sizeof(*c));
	c->canon = canon;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		return -1;
	return 0;
}

/* body_line_end - a line ended: empty lines wait, others are written */
static void
body_line_end(struct dkimcanon *c, struct dkimcanon_out *o)
{
	c->any = true;
	/*
	 * relaxed: blanks at the end of a line are dropped (RFC 6376 3.4.4),
	 * also on a line of nothing but blanks, which thereby becomes an
	 * empty line; the next line must not start with them.
	 */
	c->pending_wsp = false;
	if (!c->in_line) {
		c->empty_lines++;
		return;
	}
	out_crlfs(o, 1);
	c->in_line = false;
}

/* body_data - one byte of line content */
static void
body_data(struct dkimcanon *c, struct dkimcanon_out *o, unsigned char ch)
{
	if (c->canon == CONF_CANON_RELAXED && (ch == ' ' || ch == '\t')) {
		c->pending_wsp = true;
		return;
	}
	if (!c->in_line) {
		/* the empty lines before this one were not trailing */
		out_crlfs(o, c->empty_lines);
		c->empty_lines = 0;
		c->in_line = true;
	}
	if (c->pending_wsp) {
		out_put(o, ' ');
		c->pending_wsp = false;
	}
	out_put(o, ch);
	c->wrote = true;
}

/* dkimcanon_body - canonicalize and hash one chunk */
int
dkimcanon_body(struct dkimcanon *c, const unsigned char *buf, size_t len)
{
	struct dkimcanon_out o;
	size_t i;

	o.md = c->md;
	o.len = 0;
	o.rc = 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = buf[i];

		if (c->pending_cr) {
			c->pending_cr = false;
			body_line_end(c, &o);	/* CRLF, or a bare CR */
			if (ch == '\n')
				continue;
		}
		if (ch == '\r')
			c->pending_cr = true;
		else if (ch == '\n')
			body_line_end(c, &o);	/* bare LF: a line end */
		else
			body_data(c, &o, ch);
	}
	out_flush(&o);
	return o.rc;
}

/* dkimcanon_body_final - finish the body hash (RFC 6376 3.4.3, 3.4.4) */
int
dkimcanon_body_final(struct dkimcanon *c, unsigned char out[DKIMCANON_HASH_LEN])
{
	struct dkimcanon_out o;
	unsigned int n = 0;

	o.md = c->md;
	o.len = 0;
	o.rc = 0;
	if (c->pending_cr) {
		c->pending_cr = false;
		body_line_end(c, &o);
	}
	/* an unterminated last line is completed with CRLF */
	if (c->in_line)
		body_line_end(c, &o);
	/* simple: an empty body is one CRLF; relaxed: nothing at all */
	if (c->canon == CONF_CANON_SIMPLE && !c->wrote)
		out_crlfs(&o, 1);
	out_flush(&o);
	if (o.rc < 0 || EVP_DigestFinal_ex(c->md, out, &n) != 1 ||
	    n != DKIMCANON_HASH_LEN)
		return -1;
	return 0;
}

/* dkimcanon_body_free - release the digest; the struct may be reused */
void
dkimcanon_body_free(struct dkimcanon *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

/* dkimcanon_header - one header field in canonical form, into md */
int
dkimcanon_header(EVP_MD_CTX *md, enum conf_canon canon, const char *field,
		 size_t len, bool crlf)
{
	struct dkimcanon_out o;
	const char *colon = memchr(field, ':', len);
	size_t i;
	size_t nl;
	bool wsp = false;
	bool started = false;

	o.md = md;
	o.len = 0;
	o.rc = 0;
	if (colon == NULL)
		return -1;
	if (canon == CONF_CANON_SIMPLE) {
		/* as it is, but every line end as CRLF (the MTA writes so) */
		for (i = 0; i < len; i++) {
			if (field[i] == '\n' && (i == 0 || field[i - 1] != '\r'))
				out_put(&o, '\r');
			out_put(&o, (unsigned char)field[i]);
		}
	} else {
		/* RFC 6376 3.4.2: lower-case name, no blanks around ':',
		 * unfold, blanks to one SP, none at the end */
		nl = (size_t)(colon - field);
		while (nl > 0 && (field[nl - 1] == ' ' || field[nl - 1] == '\t'))
			nl--;
		for (i = 0; i < nl; i++) {
			unsigned char ch = (unsigned char)field[i];

			out_put(&o, ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		out_put(&o, ':');
		for (i = (size_t)(colon - field) + 1; i < len; i++) {
			unsigned char ch = (unsigned char)field[i];

			if (ch == '\r' || ch == '\n')
				continue;
			if (ch == ' ' || ch == '\t') {
				wsp = started;
				continue;
			}
			if (wsp)
				out_put(&o, ' ');
			wsp = false;
			started = true;
			out_put(&o, ch);
		}
	}
	if (crlf)
		out_crlfs(&o, 1);
	out_flush(&o);
	return o.rc;
}
