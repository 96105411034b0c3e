/* SPDX-License-Identifier: BSD-2-Clause */
#include "dkimrec.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "str.h"
#include "xalloc.h"

#define DKIMREC_TAGS_MAX 32
#define DKIMREC_KEY_MAX 4096	/* decoded bytes: RSA-16384 SPKI fits */

/* dkimrec_is_ws - FWS/WSP inside a tag list (CRLF folding included) */
static bool
dkimrec_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dkimrec_base64_decode - strict base64 with white space anywhere;
 * -1 on a bad character, bad padding, or when out is too small */
int
dkimrec_base64_decode(const char *in, size_t len, unsigned char *out,
		      size_t size, size_t *outlen)
{
	unsigned long acc = 0;
	size_t nchars = 0;
	size_t pad = 0;
	size_t n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int v;

		if (dkimrec_is_ws(in[i]))
			continue;
		if (in[i] == '=') {
			pad++;
			nchars++;
			if (pad > 2)
				return -1;
			continue;
		}
		v = str_b64val(in[i]);
		if (v < 0 || pad > 0)	/* data after padding */
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		nchars++;
		if (nchars % 4 == 0) {
			if (n + 3 > size)
				return -1;
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (nchars % 4 != 0)
		return -1;
	if (pad > 0) {
		/* the last group held 4 - pad characters: 3 - pad bytes */
		size_t keep = 3 - pad;
		unsigned long bits = acc << (6 * pad);

		if (n + keep > size)
			return -1;
		out[n++] = (unsigned char)(bits >> 16);
		if (keep == 2)
			out[n++] = (unsigned char)(bits >> 8);
	}
	*outlen = n;
	return 0;
}

/* dkimrec_set - store one known tag's value; -1 with e set */
static int
dkimrec_set(struct dkimrec *r, const char *name, const char *v, size_t vlen,
	    size_t index, struct err *e)
{
	if (strcmp(name, "v") == 0) {
		if (index != 0) {
			err_set(e, "v= must be the first tag");
			return -1;
		}
		if (vlen != 5 || memcmp(v, "DKIM1", 5) != 0) {
			err_set(e, "v=%.*s is not DKIM1", (int)(vlen > 20 ? 20
								    : vlen), v);
			return -1;
		}
		r->has_v = true;
	} else if (strcmp(name, "k") == 0) {
		if (str_copyn(r->k, sizeof(r->k), v, vlen) < 0) {
			err_set(e, "k= is too long");
			return -1;
		}
	} else if (strcmp(name, "h") == 0) {
		if (str_copyn(r->h, sizeof(r->h), v, vlen) < 0) {
			err_set(e, "h= is too long");
			return -1;
		}
	} else if (strcmp(name, "t") == 0) {
		if (str_copyn(r->t, sizeof(r->t), v, vlen) < 0) {
			err_set(e, "t= is too long");
			return -1;
		}
	} else if (strcmp(name, "p") == 0) {
		unsigned char *buf;
		size_t n;

		if (vlen == 0) {
			r->revoked = true;
			return 0;
		}
		buf = xmalloc(DKIMREC_KEY_MAX);
		if (dkimrec_base64_decode(v, vlen, buf, DKIMREC_KEY_MAX, &n) <
			    0 ||
		    n == 0) {
			free(buf);
			err_set(e, "p= is not valid base64");
			return -1;
		}
		r->p = buf;
		r->plen = n;
	}
	return 0;
}

/* dkimrec_tag - one "name=value" segment [s, end); -1 with e set */
static int
dkimrec_tag(struct dkimrec *r, const char *s, const char *end, char
	    seen[][16], size_t *nseen, bool *has_p, struct err *e)
{
	char name[16];
	const char *v;
	size_t nlen = 0;
	size_t i;

	while (s < end && dkimrec_is_ws(*s))
		s++;
	while (end > s && dkimrec_is_ws(end[-1]))
		end--;
	if (s == end)
		return 0;	/* empty segment (e.g. after a final ';') */
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
		err_set(e, "a tag name must start with a letter");
		return -1;
	}
	while (s + nlen < end &&
	       ((s[nlen] >= 'a' && s[nlen] <= 'z') ||
		(s[nlen] >= 'A' && s[nlen] <= 'Z') ||
		(s[nlen] >= '0' && s[nlen] <= '9') || s[nlen] == '_'))
		nlen++;
	if (nlen >= sizeof(name)) {
		err_set(e, "tag name too long");
		return -1;
	}
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	v = s + nlen;
	while (v < end && dkimrec_is_ws(*v))
		v++;
	if (v == end || *v != '=') {
		err_set(e, "tag %s has no '='", name);
		return -1;
	}
	v++;
	while (v < end && dkimrec_is_ws(*v))
		v++;
	for (i = 0; v + i < end; i++) {
		unsigned char c = (unsigned char)v[i];

		/* VALCHAR is %x21-3A / %x3C-7E; white space inside */
		if (!dkimrec_is_ws((char)c) && (c < 0x21 || c > 0x7e)) {
			err_set(e, "tag %s: byte 0x%02x is not allowed", name,
				c);
			return -1;
		}
	}
	for (i = 0; i < *nseen; i++) {
		if (strcmp(seen[i], name) == 0) {
			err_set(e, "tag %s appears twice", name);
			return -1;
		}
	}
	if (*nseen == DKIMREC_TAGS_MAX) {
		err_set(e, "more than %d tags", DKIMREC_TAGS_MAX);
		return -1;
	}
	memcpy(seen[(*nseen)++], name, nlen + 1);
	if (strcmp(name, "p") == 0)
		*has_p = true;
	return dkimrec_set(r, name, v, (size_t)(end - v), *nseen - 1, e);
}

/* dkimrec_parse - see the header */
int
dkimrec_parse(const char *txt, size_t len, struct dkimrec *r, struct err *e)
{
	char seen[DKIMREC_TAGS_MAX][16];
	size_t nseen = 0;
	bool has_p = false;
	const char *s = txt;
	const char *end = txt + len;

	memset(r, 0, sizeof(*r));
	memcpy(r->k, "rsa", 4);
	if (len > DKIMREC_TXT_MAX) {
		err_set(e, "record longer than %d bytes", DKIMREC_TXT_MAX);
		return -1;
	}
	if (memchr(txt, '\0', len) != NULL) {
		err_set(e, "record holds a NUL byte");
		return -1;
	}
	for (;;) {
		const char *semi = memchr(s, ';', (size_t)(end - s));

		if (dkimrec_tag(r, s, semi ? semi : end, seen, &nseen,
				&has_p, e) < 0)
			goto bad;
		if (semi == NULL)
			break;
		s = semi + 1;
	}
	if (!has_p) {
		err_set(e, "no p= tag");
		goto bad;
	}
	return 0;
bad:
	dkimrec_free(r);
	return -1;
}

/* dkimrec_free - release the decoded key */
void
dkimrec_free(struct dkimrec *r)
{
	free(r->p);
	r->p = NULL;
	r->plen = 0;
}

/* dkimrec_build - the record to publish for a private key */
int
dkimrec_build(EVP_PKEY *key, struct strbuf *out, struct err *e)
{
	unsigned char raw[64];
	unsigned char *der = NULL;
	unsigned char *b64;
	size_t rawlen = sizeof(raw);
	const unsigned char *pub;
	const char *k;
	size_t publen;
	int n;
	int rc = -1;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		/* RFC 8463 section 4: the raw 32-byte public key */
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1) {
			err_set(e, "cannot get the Ed25519 public key");
			return -1;
		}
		pub = raw;
		publen = rawlen;
		k = "ed25519";
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		/* RFC 6376 section 3.6.1: SubjectPublicKeyInfo, DER */
		n = i2d_PUBKEY(key, &der);
		if (n <= 0) {
			err_set(e, "cannot encode the RSA public key");
			return -1;
		}
		pub = der;
		publen = (size_t)n;
		k = "rsa";
	} else {
		err_set(e, "neither an RSA nor an Ed25519 key");
		return -1;
	}
	b64 = xmalloc(4 * ((publen + 2) / 3) + 1);
	n = EVP_EncodeBlock(b64, pub, (int)publen);
	if (n > 0 && strbuf_printf(out, "v=DKIM1; k=%s; p=", k) == 0 &&
	    strbuf_append(out, b64, (size_t)n) == 0)
		rc = 0;
	else
		err_set(e, "record too long");
	free(b64);
	OPENSSL_free(der);
	return rc;
}

/* dkimrec_rsa_public - p= as an RSA key: SubjectPublicKeyInfo, or the
 * bare RSAPublicKey some tools publish */
static EVP_PKEY *
dkimrec_rsa_public(const struct dkimrec *r)
{
	const unsigned char *q = r->p;
	EVP_PKEY *pub;

	pub = d2i_PUBKEY(NULL, &q, (long)r->plen);
	if (pub != NULL && q == r->p + r->plen &&
	    EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		return pub;
	EVP_PKEY_free(pub);
	q = r->p;
	pub = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)r->plen);
	if (pub != NULL && q == r->p + r->plen)
		return pub;
	EVP_PKEY_free(pub);
	return NULL;
}

/* dkimrec_matches - 1: the record holds key's public half; 0: another
 * key (e says how); -1: the record's key cannot be used (e says why) */
int
dkimrec_matches(const struct dkimrec *r, EVP_PKEY *key, struct err *e)
{
	bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
	const char *have = ed ? "ed25519" : "rsa";
	unsigned char raw[64];
	size_t rawlen = sizeof(raw);
	EVP_PKEY *pub;
	int eq;

	if (strcmp(r->k, "rsa") != 0 && strcmp(r->k, "ed25519") != 0) {
		err_set(e, "unknown key type k=%s", r->k);
		return -1;
	}
	if (r->revoked) {
		err_set(e, "the key was revoked (empty p=)");
		return 0;
	}
	if (strcmp(r->k, have) != 0) {
		err_set(e, "the record says k=%s, the private key is %s", r->k,
			have);
		return 0;
	}
	if (ed) {
		if (r->plen != 32) {
			err_set(e, "p= holds %zu bytes; an Ed25519 key is 32",
				r->plen);
			return -1;
		}
		if (EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1 ||
		    rawlen != 32) {
			err_set(e, "cannot get the Ed25519 public key");
			return -1;
		}
		if (memcmp(raw, r->p, 32) != 0) {
			err_set(e, "the published key is not the private "
				   "key's public half");
			return 0;
		}
		return 1;
	}
	pub = dkimrec_rsa_public(r);
	if (pub == NULL) {
		err_set(e, "p= is not an RSA public key");
		return -1;
	}
	eq = EVP_PKEY_eq(pub, key);
	EVP_PKEY_free(pub);
	if (eq != 1) {
		err_set(e, "the published key is not the private key's public "
			   "half");
		return 0;
	}
	return 1;
}
