/* SPDX-License-Identifier: BSD-2-Clause */
#include "addrscan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "xalloc.h"

/*
 * The lenient reader.  Its scans are bounded so that a hostile field
 * (a megabyte of "@(@(@(") costs linear time: CFWS skipped between the
 * parts of one address, a domain and a local part have caps far above
 * what a real address needs.
 */
#define ADDRSCAN_CFWS_MAX 128	/* white space and comments in one gap */
#define ADDRSCAN_DOMAIN_MAX 1024	/* UTF-8 text of one domain */

/* addrscan_at_len - an at-sign at p: '@', or the full-width and small forms
 * (U+FF20, U+FE6B) a reader takes for one; its length, 0 if none */
static size_t
addrscan_at_len(const unsigned char *p, size_t n)
{
	if (n >= 1 && p[0] == '@')
		return 1;
	if (n >= 3 && p[0] == 0xef &&
	    ((p[1] == 0xbc && p[2] == 0xa0) || (p[1] == 0xb9 && p[2] == 0xab)))
		return 3;
	return 0;
}

/* addrscan_dot_len - a full stop a reader takes for '.': U+3002, U+FF0E,
 * U+FF61 (UTS #46 maps them to '.'); its length, 0 if none */
static size_t
addrscan_dot_len(const unsigned char *p, size_t n)
{
	if (n >= 3 && ((p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x82) ||
		       (p[0] == 0xef && p[1] == 0xbc && p[2] == 0x8e) ||
		       (p[0] == 0xef && p[1] == 0xbd && p[2] == 0xa1)))
		return 3;
	return 0;
}

/* addrscan_utf8_len - a well-formed UTF-8 sequence of 2 to 4 bytes at p
 * (RFC 3629 section 4); its length, 0 if none */
static size_t
addrscan_utf8_len(const unsigned char *p, size_t n)
{
	size_t need;
	size_t i;
	unsigned char lo = 0x80;
	unsigned char hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need;
}

/* addrscan_cfws_end - the index after the white space and comments that
 * start at i; i itself when there are none, or when a comment does not
 * end within ADDRSCAN_CFWS_MAX bytes (white space has no cap: a scan
 * crosses a run of it at most once; long comments are read again without
 * comments, addrscan_uncomment) */
static size_t
addrscan_cfws_end(const char *v, size_t len, size_t i)
{
	size_t start = i;
	size_t in_comments = 0;
	int depth = 0;

	for (; i < len && in_comments < ADDRSCAN_CFWS_MAX; i++) {
		char c = v[i];

		if (depth > 0) {
			in_comments++;
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(') {
			depth = 1;
		} else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			return i;
		}
	}
	return depth == 0 && i < len ? i : start;
}

/* addrscan_uncomment - the field with every whole comment replaced by a
 * space, read as the strict reader reads it (no comments inside quoted
 * strings; quoted pairs); an unterminated comment stays; the length
 * written to out (at most len bytes) */
static size_t
addrscan_uncomment(const char *v, size_t len, char *out)
{
	size_t o = 0;
	size_t i;
	size_t open = 0;	/* where the outer comment began in out */
	int depth = 0;
	bool quoted = false;

	for (i = 0; i < len; i++) {
		char c = v[i];

		if (depth == 0 && !quoted && c == '(') {
			open = o;
			depth = 1;
		} else if (depth > 0 && c == '\\' && i + 1 < len) {
			out[o++] = c;
			c = v[++i];
		} else if (depth > 0 && c == '(') {
			depth++;
		} else if (depth > 0 && c == ')' && --depth == 0) {
			o = open;
			out[o++] = ' ';
			continue;
		} else if (quoted && c == '\\' && i + 1 < len) {
			out[o++] = c;
			c = v[++i];
		} else if (depth == 0 && c == '"') {
			quoted = !quoted;
		}
		out[o++] = c;
	}
	return o;
}

/* addrscan_literal - the content of an address literal "[...]" from i
 * (after '['), white space left out */
static void
addrscan_literal(const char *v, size_t len, size_t i, char *dom, size_t size)
{
	size_t n = 0;

	for (; i < len && v[i] != ']' && v[i] != '[' && v[i] != '\\' &&
	       n + 1 < size; i++)
		if ((unsigned char)v[i] > ' ' && v[i] != 0x7f)
			dom[n++] = v[i];
	dom[n] = '\0';
}

/* addrscan_domain - the domain a reader sees after the at-sign ending at
 * i: CFWS after '@' and around dots skipped, the dot forms read as '.';
 * false when the text does not fit */
static bool
addrscan_domain(const char *v, size_t len, size_t i, char *dom, size_t size)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t n = 0;
	size_t k;

	i = addrscan_cfws_end(v, len, i);
	if (i < len && v[i] == '[') {
		addrscan_literal(v, len, i + 1, dom, size);
		return true;
	}
	while (i < len) {
		unsigned char c = u[i];

		if (c == '.' || (k = addrscan_dot_len(u + i, len - i)) > 0) {
			i += c == '.' ? 1 : k;
			c = '.';
			k = 1;
			if (n + 1 >= size)
				return false;
			dom[n++] = '.';
			i = addrscan_cfws_end(v, len, i);
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			k = 1;
		else if (c >= 0x80 && addrscan_at_len(u + i, len - i) == 0)
			k = addrscan_utf8_len(u + i, len - i);
		else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
			 c == '(')
			k = 0;	/* a gap: part of the domain before a dot */
		else
			break;
		if (k == 0) {
			size_t j = addrscan_cfws_end(v, len, i);

			if (j == i || j >= len || v[j] != '.')
				break;
			i = j;
			continue;
		}
		if (n + k >= size)
			return false;
		memcpy(dom + n, v + i, k);
		n += k;
		i += k;
	}
	dom[n] = '\0';
	return true;
}

/* addrscan_local - a best guess at the local part before the at-sign at
 * i, for messages: the quoted string or the dot-atom just before it */
static void
addrscan_local(const char *v, size_t i, char *local, size_t size)
{
	size_t j = i;
	size_t k;

	while (j > 0 && i - j < ADDRSCAN_CFWS_MAX &&
	       (v[j - 1] == ' ' || v[j - 1] == '\t'))
		j--;
	k = j;
	if (k > 0 && v[k - 1] == '"') {
		for (k--; k > 0 && j - k < ADDR_LOCAL_MAX && v[k - 1] != '"';)
			k--;
		if (k == 0 || v[k - 1] != '"')
			k = j;	/* no opening quote near: no local part */
		else
			k--;
	} else {
		while (k > 0 && j - k < ADDR_LOCAL_MAX &&
		       (v[k - 1] == '.' ||
			addr_is_atext((unsigned char)v[k - 1])))
			k--;
	}
	if (str_copyn(local, size, v + k, j - k) < 0)
		local[0] = '\0';
}

/* addrscan_text - every address token of one text; the count of tokens
 * with a domain (reported to fn when the domain is a host name) */
static size_t
addrscan_text(const char *v, size_t len, addr_each_fn *fn, void *arg)
{
	const unsigned char *u = (const unsigned char *)v;
	char dom[ADDRSCAN_DOMAIN_MAX];
	size_t count = 0;
	size_t i;
	size_t k;

	for (i = 0; i < len; i++) {
		char *d = dom;
		size_t dl;
		struct addr a;
		struct err e;

		if ((k = addrscan_at_len(u + i, len - i)) == 0)
			continue;
		if (!addrscan_domain(v, len, i + k, dom, sizeof(dom))) {
			count++;	/* too long to be any host name */
			continue;
		}
		/* the root's trailing dot, and stray leading dots */
		for (dl = strlen(d); dl > 0 && d[dl - 1] == '.'; dl--)
			d[dl - 1] = '\0';
		while (*d == '.')
			d++;
		if (*d == '\0')
			continue;
		count++;
		memset(&a, 0, sizeof(a));
		addrscan_local(v, i, a.local, sizeof(a.local));
		if (addr_set_domain(&a, "scan", d, &e) == ADDR_OK)
			fn(arg, &a);
		i += k - 1;
	}
	return count;
}

/* addrscan_ew_text - decode the text of one encoded-word (B or Q) into out;
 * the bytes written.  NUL bytes are left out, so that UTF-16 and UTF-32
 * text keeps its ASCII letters. */
static size_t
addrscan_ew_text(char enc, const char *t, size_t tl, char *out)
{
	size_t o = 0;
	size_t i;
	unsigned bits = 0;
	int nbits = 0;

	for (i = 0; i < tl; i++) {
		int x;
		int y;
		char c = t[i];

		if (enc == 'b') {
			if ((x = str_b64val(c)) < 0)
				continue;
			bits = (bits << 6) | (unsigned)x;
			nbits += 6;
			if (nbits < 8)
				continue;
			nbits -= 8;
			c = (char)((bits >> nbits) & 0xff);
		} else if (c == '_') {
			c = ' ';
		} else if (c == '=' && i + 2 < tl &&
			   (x = str_hexval(t[i + 1])) >= 0 &&
			   (y = str_hexval(t[i + 2])) >= 0) {
			c = (char)(x * 16 + y);
			i += 2;
		}
		if (c != '\0')
			out[o++] = c;
	}
	return o;
}

/* addrscan_ew_at - an RFC 2047 encoded-word "=?charset?B|Q?text?=" at i:
 * its end, or 0 when there is none; *enc, *t, *tl describe the text */
static size_t
addrscan_ew_at(const char *v, size_t len, size_t i, char *enc, const char **t,
	   size_t *tl)
{
	size_t j = i + 2;
	size_t k;

	if (i + 1 >= len || v[i] != '=' || v[i + 1] != '?')
		return 0;
	while (j < len && v[j] != '?' && v[j] > ' ' && j - i < 80)
		j++;
	if (j == i + 2 || j + 2 >= len || v[j] != '?' || v[j + 2] != '?')
		return 0;
	*enc = (char)(v[j + 1] | 0x20);
	if (*enc != 'b' && *enc != 'q')
		return 0;
	for (k = j + 3; k < len && v[k] != '?'; k++)
		;
	if (k + 1 >= len || v[k + 1] != '=')
		return 0;
	*t = v + j + 3;
	*tl = k - (j + 3);
	return k + 2;
}

/* addrscan_ew_decode - the field with its encoded-words decoded, as a reader
 * displays it (white space between two encoded-words disappears, RFC 2047
 * section 6.2); the length written to out (at most len bytes) */
static size_t
addrscan_ew_decode(const char *v, size_t len, char *out)
{
	size_t o = 0;
	size_t ws = 0;		/* where white space after a word began */
	bool after_word = false;
	size_t i = 0;

	while (i < len) {
		const char *t;
		size_t tl;
		char enc;
		size_t end = addrscan_ew_at(v, len, i, &enc, &t, &tl);

		if (end > 0) {
			if (after_word)
				o = ws;
			o += addrscan_ew_text(enc, t, tl, out + o);
			i = end;
			after_word = true;
			ws = o;
			continue;
		}
		if (v[i] != ' ' && v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
			after_word = false;
		out[o++] = v[i++];
	}
	return o;
}

/* addrscan_field - every address a reader could see in a field; the
 * number of address tokens with a domain (counted once per reading: the
 * field as it is, without its comments, with its encoded-words decoded) */
size_t
addrscan_field(const char *v, size_t len, addr_each_fn *fn, void *arg)
{
	size_t n = addrscan_text(v, len, fn, arg);
	bool comments = memchr(v, '(', len) != NULL;
	bool words = memmem(v, len, "=?", 2) != NULL;
	char *d;
	size_t dl;

	if (!comments && !words)
		return n;
	d = xmalloc(len + 1);
	if (comments) {
		dl = addrscan_uncomment(v, len, d);
		if (dl != len || memcmp(d, v, len) != 0)
			n += addrscan_text(d, dl, fn, arg);
	}
	if (words) {
		dl = addrscan_ew_decode(v, len, d);
		if (dl != len || memcmp(d, v, len) != 0)
			n += addrscan_text(d, dl, fn, arg);
	}
	free(d);
	return n;
}
