/* SPDX-License-Identifier: BSD-2-Clause */
#include "bodyfp.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "str.h"
#include "xalloc.h"

#define BODYFP_SALUTATION_WORDS 5

struct bodyfp {
	EVP_MD_CTX *md;
	struct strbuf *trace;		/* the normalised text, for tests */
	char word[BODYFP_WORD_MAX + 1];	/* the word being read, lower case */
	size_t wlen;
	bool wlong;			/* it is over BODYFP_WORD_MAX */
	int eq;				/* 1: after '=', 2: after "=\r" */
	bool first_line;		/* no line with words ended yet */
	char sal[BODYFP_SALUTATION_WORDS][BODYFP_WORD_MAX + 1];
	size_t sallen[BODYFP_SALUTATION_WORDS];	/* a word may hold NUL */
	size_t nsal;			/* words of the first line held */
	unsigned long nkept;
	bool done;
};

/* bodyfp_new - a fingerprint of an empty body so far */
struct bodyfp *
bodyfp_new(void)
{
	struct bodyfp *fp = xcalloc(1, sizeof(*fp));

	fp->md = EVP_MD_CTX_new();
	if (fp->md == NULL || EVP_DigestInit_ex(fp->md, EVP_sha256(), NULL) != 1)
		log_panic("bodyfp: cannot set up SHA-256");
	fp->first_line = true;
	return fp;
}

/* bodyfp_trace - also append the normalised text to sb (tests) */
void
bodyfp_trace(struct bodyfp *fp, struct strbuf *sb)
{
	fp->trace = sb;
}

/* bodyfp_emit - one kept word into the hash, after a space */
static void
bodyfp_emit(struct bodyfp *fp, const char *w, size_t len)
{
	if (fp->nkept > 0 && EVP_DigestUpdate(fp->md, " ", 1) != 1)
		log_panic("bodyfp: SHA-256 update failed");
	if (EVP_DigestUpdate(fp->md, w, len) != 1)
		log_panic("bodyfp: SHA-256 update failed");
	if (fp->trace != NULL) {
		/* a trace that is full is only a shorter trace */
		if (fp->nkept > 0)
			(void)strbuf_append(fp->trace, " ", 1);
		(void)strbuf_append(fp->trace, w, len);
	}
	fp->nkept++;
}

/* bodyfp_word - apply the rules of bodyfp.h to one whole word */
static void
bodyfp_word(struct bodyfp *fp, const char *w, size_t len)
{
	const char *scheme;
	size_t digits = 0;
	size_t letters = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c == '@')
			return;
		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'z') || c >= 0x80)
			letters++;
	}
	if (digits > 0 && digits >= letters)
		return;
	if (len >= 2 && w[0] == '-' && w[1] == '-')
		return;
	if (memmem(w, len, "boundary=", 9) != NULL)
		return;
	scheme = memmem(w, len, "://", 3);
	if (scheme != NULL) {
		size_t host = (size_t)(scheme - w) + 3;

		/* keep scheme and host: tracking lives in path and query */
		while (host < len && w[host] != '/' && w[host] != '?' &&
		       w[host] != '#')
			host++;
		len = host;
	}
	bodyfp_emit(fp, w, len);
}

/* bodyfp_flush_salutation - the held first-line words, as ordinary words */
static void
bodyfp_flush_salutation(struct bodyfp *fp)
{
	size_t i;

	for (i = 0; i < fp->nsal; i++)
		bodyfp_word(fp, fp->sal[i], fp->sallen[i]);
	fp->nsal = 0;
}

/* bodyfp_word_end - the word being read is complete */
static void
bodyfp_word_end(struct bodyfp *fp)
{
	if (fp->wlen == 0 && !fp->wlong)
		return;
	fp->word[fp->wlen] = '\0';
	if (fp->wlong) {
		/* dropped; a first line holding one is no salutation */
		if (fp->first_line) {
			bodyfp_flush_salutation(fp);
			fp->first_line = false;
		}
	} else if (fp->first_line && fp->nsal < BODYFP_SALUTATION_WORDS) {
		memcpy(fp->sal[fp->nsal], fp->word, fp->wlen + 1);
		fp->sallen[fp->nsal++] = fp->wlen;
	} else {
		if (fp->first_line) {
			/* a sixth word: the first line is no salutation */
			bodyfp_flush_salutation(fp);
			fp->first_line = false;
		}
		bodyfp_word(fp, fp->word, fp->wlen);
	}
	fp->wlen = 0;
	fp->wlong = false;
}

/* bodyfp_line_end - a line ended; decide on a held salutation */
static void
bodyfp_line_end(struct bodyfp *fp)
{
	if (!fp->first_line || fp->nsal == 0)
		return;		/* a blank line keeps us on the first one */
	if (fp->sal[fp->nsal - 1][fp->sallen[fp->nsal - 1] - 1] == ',')
		fp->nsal = 0;	/* "Dear Alice," is dropped */
	else
		bodyfp_flush_salutation(fp);
	fp->first_line = false;
}

/* bodyfp_char - one byte of a word, lower-cased */
static void
bodyfp_char(struct bodyfp *fp, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (fp->wlen == BODYFP_WORD_MAX)
		fp->wlong = true;
	else
		fp->word[fp->wlen++] = (char)c;
}

/* bodyfp_is_blank - white space between words */
static bool
bodyfp_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

/* bodyfp_update - the next chunk of the body */
void
bodyfp_update(struct bodyfp *fp, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	if (fp->done)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (fp->eq == 1) {
			fp->eq = 0;
			if (c == '\n')
				continue;	/* soft line break: joined */
			if (c == '\r') {
				fp->eq = 2;
				continue;
			}
			bodyfp_char(fp, '=');
		} else if (fp->eq == 2) {
			fp->eq = 0;
			if (c == '\n')
				continue;
			bodyfp_char(fp, '=');
			bodyfp_word_end(fp);	/* the CR was a blank */
		}
		if (c == '=') {
			fp->eq = 1;
			continue;
		}
		if (bodyfp_is_blank(c)) {
			bodyfp_word_end(fp);
			if (c == '\n')
				bodyfp_line_end(fp);
			continue;
		}
		bodyfp_char(fp, c);
	}
}

/* bodyfp_final - the fingerprint in hex; -1 when too little text is left
 * (hex is then ""); call once */
int
bodyfp_final(struct bodyfp *fp, char *hex, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;

	if (size > 0)
		hex[0] = '\0';
	if (fp->done)
		return -1;
	if (fp->eq != 0)
		bodyfp_char(fp, '=');
	bodyfp_word_end(fp);
	bodyfp_line_end(fp);
	fp->done = true;
	if (EVP_DigestFinal_ex(fp->md, md, &mdlen) != 1 || mdlen < 16)
		log_panic("bodyfp: SHA-256 final failed");
	if (fp->nkept < BODYFP_MIN_WORDS || size < BODYFP_HEX_MAX)
		return -1;
	for (i = 0; i < 16; i++)
		(void)str_format(hex + 2 * i, size - 2 * i, "%02x", md[i]);
	return 0;
}

/* bodyfp_free - release; NULL is fine */
void
bodyfp_free(struct bodyfp *fp)
{
	if (fp == NULL)
		return;
	EVP_MD_CTX_free(fp->md);
	free(fp);
}
