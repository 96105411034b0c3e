/* SPDX-License-Identifier: BSD-2-Clause */
#include "spfrec.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "strbuf.h"
#include "xalloc.h"

#define SPFREC_DELIMS ".-+,/_="

/* spfrec_is_alpha - ASCII letter? */
static bool
spfrec_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* spfrec_is_digit - ASCII digit? */
static bool
spfrec_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* spfrec_is_spf1 - does a TXT record start with the version "v=spf1"?
 * RFC 7208 4.5: exactly "v=spf1", ended by a space or the end. */
bool
spfrec_is_spf1(const char *text, size_t len)
{
	return len >= 6 && strncasecmp(text, "v=spf1", 6) == 0 &&
	       (len == 6 || text[6] == ' ');
}

/* spfrec_mech_name - the name of a mechanism */
const char *
spfrec_mech_name(enum spfrec_mech m)
{
	static const char *const names[] = {
		"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists",
	};

	return (size_t)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

/*
 * One macro-expand "%{...}" after its "%{": letter, transformers,
 * delimiters, "}".  Fills what it found; returns the length consumed up to
 * and including "}", or 0 on a syntax error (reason in e).
 */
struct spfrec_macro {
	char letter;		/* lower case */
	bool upper;		/* URL-escape the result (RFC 7208 7.3) */
	unsigned long keep;	/* rightmost parts to keep, 0: all */
	bool reverse;
	char delims[8];
};

/* spfrec_macro_parse - parse the inside of one %{...}; 0 on error */
static size_t
spfrec_macro_parse(const char *s, bool exp, struct spfrec_macro *mc,
		   struct err *e)
{
	const char *letters = exp ? "slodiphvcrt" : "slodiphv";
	const char *p = s;
	size_t nd = 0;
	bool digits = false;

	memset(mc, 0, sizeof(*mc));
	if (*p == '\0' || !spfrec_is_alpha((unsigned char)*p) ||
	    strchr(letters, *p | 0x20) == NULL) {
		err_set(e, "unknown macro letter in %%{%.1s", p);
		return 0;
	}
	mc->letter = (char)(*p | 0x20);
	mc->upper = *p >= 'A' && *p <= 'Z';
	p++;
	while (spfrec_is_digit((unsigned char)*p)) {
		digits = true;
		/* more parts than any name can have: keep them all */
		if (mc->keep < 1000)
			mc->keep = mc->keep * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (digits && mc->keep == 0) {
		err_set(e, "macro %%{%c0}: a part count must not be zero",
			mc->letter);
		return 0;
	}
	if (*p == 'r' || *p == 'R') {
		mc->reverse = true;
		p++;
	}
	while (*p != '\0' && strchr(SPFREC_DELIMS, *p) != NULL) {
		if (strchr(mc->delims, *p) == NULL)
			mc->delims[nd++] = *p;
		p++;
	}
	if (*p != '}') {
		err_set(e, "malformed macro near \"%%{%.20s\"", s);
		return 0;
	}
	if (nd == 0)
		mc->delims[0] = '.';
	return (size_t)(p - s) + 1;
}

/* spfrec_transform - split value by delims, reverse, keep the rightmost
 * parts, join with '.' (RFC 7208 7.3), URL-escape if asked */
static int
spfrec_transform(const struct spfrec_macro *mc, const char *value,
		 struct strbuf *out)
{
	size_t len = strlen(value);
	size_t nparts = 1;
	size_t first;
	size_t i;
	size_t k;
	const char **starts;
	size_t *lens;
	const char *p;
	int rc = 0;

	for (p = value; *p; p++)
		if (strchr(mc->delims, *p) != NULL)
			nparts++;
	starts = xcalloc(nparts, sizeof(*starts));
	lens = xcalloc(nparts, sizeof(*lens));
	k = 0;
	starts[0] = value;
	for (i = 0; i <= len; i++) {
		if (i == len || strchr(mc->delims, value[i]) != NULL) {
			lens[k] = (size_t)(value + i - starts[k]);
			if (i < len)
				starts[++k] = value + i + 1;
		}
	}
	if (mc->reverse) {
		for (i = 0; i < nparts / 2; i++) {
			const char *ts = starts[i];
			size_t tl = lens[i];

			starts[i] = starts[nparts - 1 - i];
			lens[i] = lens[nparts - 1 - i];
			starts[nparts - 1 - i] = ts;
			lens[nparts - 1 - i] = tl;
		}
	}
	/* fewer parts than asked for: keep them all */
	first = mc->keep == 0 || mc->keep >= nparts ? 0 : nparts - mc->keep;
	for (i = first; i < nparts && rc == 0; i++) {
		if (i > first && strbuf_append(out, ".", 1) < 0)
			rc = -1;
		for (k = 0; k < lens[i] && rc == 0; k++) {
			unsigned char c = (unsigned char)starts[i][k];

			if (mc->upper && !(spfrec_is_alpha(c) ||
					   spfrec_is_digit(c) ||
					   strchr("-._~", c) != NULL))
				rc = strbuf_printf(out, "%%%02X", c);
			else
				rc = strbuf_append(out, &starts[i][k], 1);
		}
	}
	free(starts);
	free(lens);
	return rc;
}

/* spfrec_value - the value a macro letter stands for */
static const char *
spfrec_value(const struct spfrec_macros *m, char letter)
{
	const char *v = NULL;

	switch (letter) {
	case 's': v = m->s; break;
	case 'l': v = m->l; break;
	case 'o': v = m->o; break;
	case 'd': v = m->d; break;
	case 'i': v = m->i; break;
	case 'v': v = m->v; break;
	case 'h': v = m->h; break;
	case 'c': v = m->c; break;
	case 'r': v = m->r; break;
	case 't': v = m->t; break;
	case 'p': v = m->p != NULL ? m->p(m->parg) : NULL; break;
	default: break;
	}
	return v != NULL ? v : "unknown";
}

/*
 * spfrec_walk - check a macro-string (m == NULL) or expand it into out.
 * RFC 7208 7.1: macro-literal is %x21-24 / %x26-7E; exp text (explain-
 * string) also allows SP.  Sets *ends_macro when the last item is a
 * macro-expand, for the domain-end rule.
 */
static int
spfrec_walk(const char *s, const struct spfrec_macros *m, bool exp,
	    struct strbuf *out, bool *ends_macro, struct err *e)
{
	const char *p = s;
	struct spfrec_macro mc;
	size_t n;

	*ends_macro = false;
	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;

		*ends_macro = false;
		if (c != '%') {
			if (!(c >= 0x21 && c <= 0x7e) && !(exp && c == ' ')) {
				err_set(e, "byte 0x%02x is not allowed in a "
					   "macro string", c);
				return -1;
			}
			if (out != NULL && strbuf_append(out, p, 1) < 0)
				goto toolong;
			p++;
			continue;
		}
		*ends_macro = true;
		switch (p[1]) {
		case '%':
			if (out != NULL && strbuf_append(out, "%", 1) < 0)
				goto toolong;
			p += 2;
			continue;
		case '_':
			if (out != NULL && strbuf_append(out, " ", 1) < 0)
				goto toolong;
			p += 2;
			continue;
		case '-':
			if (out != NULL && strbuf_append(out, "%20", 3) < 0)
				goto toolong;
			p += 2;
			continue;
		case '{':
			n = spfrec_macro_parse(p + 2, exp, &mc, e);
			if (n == 0)
				return -1;
			if (out != NULL &&
			    spfrec_transform(&mc, spfrec_value(m, mc.letter),
					     out) < 0)
				goto toolong;
			p += 2 + n;
			continue;
		default:
			err_set(e, "'%%' must be followed by {, %%, _ or - "
				   "(near \"%.20s\")", p);
			return -1;
		}
	}
	return 0;
toolong:
	err_set(e, "macro expansion longer than %zu bytes", out->max);
	return -1;
}

/* spfrec_macro_check - is s a valid macro-string (explain-string if exp)? */
int
spfrec_macro_check(const char *s, bool exp, struct err *e)
{
	bool ends;

	return spfrec_walk(s, NULL, exp, NULL, &ends, e);
}

/* spfrec_toplabel_ok - RFC 7208 7.1 toplabel: letters, digits, '-', not
 * all digits, no '-' at either end */
static bool
spfrec_toplabel_ok(const char *s, size_t len)
{
	bool alpha = false;
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (spfrec_is_alpha(c))
			alpha = true;
		else if (!spfrec_is_digit(c) && c != '-')
			return false;
	}
	/* the second ABNF form, 1*alphanum "-" ... alphanum, may be digits
	 * and dashes only ("1-2"); the first needs a letter */
	return alpha || memchr(s, '-', len) != NULL;
}

/* spfrec_domain_spec_ok - domain-spec = macro-string domain-end, where
 * domain-end = ( "." toplabel [ "." ] ) / macro-expand */
bool
spfrec_domain_spec_ok(const char *s, struct err *e)
{
	size_t len = strlen(s);
	const char *dot;
	bool ends_macro;

	if (len == 0) {
		err_set(e, "empty domain-spec");
		return false;
	}
	if (spfrec_walk(s, NULL, false, NULL, &ends_macro, e) < 0)
		return false;
	if (ends_macro)
		return true;
	if (s[len - 1] == '.')
		len--;
	dot = NULL;
	for (size_t i = len; i > 0; i--) {
		if (s[i - 1] == '.') {
			dot = s + i - 1;
			break;
		}
	}
	if (dot == NULL || !spfrec_toplabel_ok(dot + 1,
					       (size_t)(s + len - dot - 1))) {
		err_set(e, "\"%.80s\" does not end in a valid top label", s);
		return false;
	}
	return true;
}

/* spfrec_expand - expand macro-string s into out (size bytes) */
int
spfrec_expand(const char *s, const struct spfrec_macros *m, bool exp,
	      char *out, size_t size, struct err *e)
{
	struct strbuf sb;
	bool ends;
	int rc;

	strbuf_init(&sb, SPFREC_EXPAND_MAX);
	rc = spfrec_walk(s, m, exp, &sb, &ends, e);
	if (rc == 0 && str_copyn(out, size, sb.data ? sb.data : "",
				 sb.len) < 0) {
		err_set(e, "macro expansion longer than %zu bytes", size - 1);
		rc = -1;
	}
	strbuf_free(&sb);
	return rc;
}

/* spfrec_expand_name - expand a domain-spec for a DNS query: no trailing
 * dot, labels dropped from the left until it fits 253 bytes (RFC 7208
 * 4.8) */
int
spfrec_expand_name(const char *s, const struct spfrec_macros *m,
		   char *out, size_t size, struct err *e)
{
	struct strbuf sb;
	const char *p;
	size_t len;
	bool ends;
	int rc = -1;

	strbuf_init(&sb, SPFREC_EXPAND_MAX);
	if (spfrec_walk(s, m, false, &sb, &ends, e) < 0)
		goto out;
	p = sb.data ? sb.data : "";
	len = sb.len;
	if (len > 0 && p[len - 1] == '.')
		len--;
	while (len > SPFREC_NAME_MAX) {
		const char *dot = memchr(p, '.', len);

		if (dot == NULL) {
			err_set(e, "expanded name has a label over 253 bytes");
			goto out;
		}
		len -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	if (str_copyn(out, size, p, len) < 0) {
		err_set(e, "expanded name too long");
		goto out;
	}
	rc = 0;
out:
	strbuf_free(&sb);
	return rc;
}

/* spfrec_cidr_len - parse "0" / [1-9][0-9]* up to max; -1 if not one */
static int
spfrec_cidr_len(const char *s, size_t len, int max)
{
	int v = 0;
	size_t i;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!spfrec_is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -2;
}

/* spfrec_strip_cidr - cut a trailing "/N" (or "//N" if dual) off s,
 * writing the length; 0 none, 1 cut, -1 out of range */
static int
spfrec_strip_cidr(char *s, bool dual, int max, int *out)
{
	char *slash = strrchr(s, '/');
	int v;

	if (slash == NULL)
		return 0;
	if (dual != (slash > s && slash[-1] == '/'))
		return 0;
	v = spfrec_cidr_len(slash + 1, strlen(slash + 1), max);
	if (v == -1)
		return 0;
	if (v == -2)
		return -1;
	*out = v;
	*(dual ? slash - 1 : slash) = '\0';
	return 1;
}

/* spfrec_ip4_ok - strict dotted quad, no leading zeros (RFC 7208 qnum) */
static bool
spfrec_ip4_ok(const char *s, unsigned char *addr)
{
	int part = 0;

	for (;;) {
		size_t n = 0;
		unsigned v = 0;

		while (spfrec_is_digit((unsigned char)s[n]) && n < 4)
			v = v * 10 + (unsigned)(s[n++] - '0');
		if (n == 0 || n > 3 || v > 255 || (n > 1 && s[0] == '0'))
			return false;
		addr[part++] = (unsigned char)v;
		s += n;
		if (part == 4)
			return *s == '\0';
		if (*s++ != '.')
			return false;
	}
}

/* spfrec_parse_ip - the argument of ip4: or ip6: */
static int
spfrec_parse_ip(struct spfrec_term *t, char *arg, struct err *e)
{
	bool v6 = t->mech == SPFREC_IP6;
	int rc;

	if (arg == NULL || *arg == '\0') {
		err_set(e, "%s needs an address", t->text);
		return -1;
	}
	rc = spfrec_strip_cidr(arg, false, v6 ? 128 : 32,
			       v6 ? &t->cidr6 : &t->cidr4);
	if (rc < 0 || strchr(arg, '/') != NULL) {
		err_set(e, "%s: bad prefix length", t->text);
		return -1;
	}
	if (v6 ? inet_pton(AF_INET6, arg, t->addr) != 1
	       : !spfrec_ip4_ok(arg, t->addr)) {
		err_set(e, "%s: bad %s address", t->text, v6 ? "IPv6" : "IPv4");
		return -1;
	}
	return 0;
}

/* spfrec_parse_mech - one directive: [qualifier] mechanism */
static int
spfrec_parse_mech(struct spfrec_term *t, char *word, struct err *e)
{
	static const struct {
		const char *name;
		enum spfrec_mech mech;
	} mechs[] = {
		{"all", SPFREC_ALL},	 {"include", SPFREC_INCLUDE},
		{"a", SPFREC_A},	 {"mx", SPFREC_MX},
		{"ptr", SPFREC_PTR},	 {"ip4", SPFREC_IP4},
		{"ip6", SPFREC_IP6},	 {"exists", SPFREC_EXISTS},
	};
	char *arg;
	size_t nlen;
	size_t i;
	int rc;

	t->qual = '+';
	t->cidr4 = t->cidr6 = -1;
	if (strchr("+-~?", *word) != NULL)
		t->qual = *word++;
	nlen = strcspn(word, ":/");
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (strlen(mechs[i].name) == nlen &&
		    strncasecmp(word, mechs[i].name, nlen) == 0)
			break;
	if (i == sizeof(mechs) / sizeof(mechs[0])) {
		err_set(e, "unknown mechanism \"%.60s\"", t->text);
		return -1;
	}
	t->mech = mechs[i].mech;
	arg = word + nlen;
	switch (t->mech) {
	case SPFREC_ALL:
		if (*arg != '\0')
			goto junk;
		return 0;
	case SPFREC_IP4:
	case SPFREC_IP6:
		if (*arg != ':')
			goto junk;
		return spfrec_parse_ip(t, arg + 1, e);
	case SPFREC_A:
	case SPFREC_MX:
		/* dual-cidr-length: [ "/" ip4 ] [ "//" ip6 ] at the end */
		rc = spfrec_strip_cidr(arg, true, 128, &t->cidr6);
		if (rc >= 0)
			rc = spfrec_strip_cidr(arg, false, 32, &t->cidr4);
		if (rc < 0) {
			err_set(e, "%s: prefix length out of range", t->text);
			return -1;
		}
		break;
	default:
		break;
	}
	if (*arg == '\0') {
		if (t->mech == SPFREC_INCLUDE || t->mech == SPFREC_EXISTS) {
			err_set(e, "%s needs a domain", t->text);
			return -1;
		}
		return 0;
	}
	if (*arg != ':')
		goto junk;
	t->domain = arg + 1;
	if (!spfrec_domain_spec_ok(t->domain, e)) {
		struct err why = *e;

		err_set(e, "%.80s: %s", t->text, why.text);
		return -1;
	}
	return 0;
junk:
	err_set(e, "malformed mechanism \"%.60s\"", t->text);
	return -1;
}

/* spfrec_modifier_name - length of a modifier name before '=', or 0
 * (name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )) */
static size_t
spfrec_modifier_name(const char *w)
{
	size_t n = 0;

	if (!spfrec_is_alpha((unsigned char)w[0]))
		return 0;
	while (spfrec_is_alpha((unsigned char)w[n]) ||
	       spfrec_is_digit((unsigned char)w[n]) ||
	       (w[n] != '\0' && strchr("-_.", w[n]) != NULL))
		n++;
	return w[n] == '=' ? n : 0;
}

/* spfrec_parse_modifier - redirect=, exp= or an unknown modifier */
static int
spfrec_parse_modifier(struct spfrec *r, char *word, size_t nlen,
		      struct err *e)
{
	const char *val = word + nlen + 1;
	const char **slot = NULL;

	if (nlen == 8 && strncasecmp(word, "redirect", 8) == 0)
		slot = &r->redirect;
	else if (nlen == 3 && strncasecmp(word, "exp", 3) == 0)
		slot = &r->exp;
	if (slot == NULL) {
		/* RFC 7208 6: unknown modifiers are ignored, but their
		 * value must still be a valid macro-string */
		if (spfrec_macro_check(val, false, e) < 0) {
			struct err why = *e;

			err_set(e, "%.60s: %s", word, why.text);
			return -1;
		}
		return 0;
	}
	if (*slot != NULL) {
		err_set(e, "%.*s= appears twice", (int)nlen, word);
		return -1;
	}
	if (!spfrec_domain_spec_ok(val, e)) {
		struct err why = *e;

		err_set(e, "%.60s: %s", word, why.text);
		return -1;
	}
	*slot = val;
	return 0;
}

/* spfrec_parse - parse and check a whole record (with "v=spf1") */
int
spfrec_parse(const char *text, size_t len, struct spfrec *r, struct err *e)
{
	char *p;
	char *word;
	char *scratch;
	size_t nwords = 0;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!spfrec_is_spf1(text, len)) {
		err_set(e, "not an SPF record (no v=spf1)");
		return -1;
	}
	if (len > SPFREC_TEXT_MAX) {
		err_set(e, "record longer than %d bytes", SPFREC_TEXT_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c != ' ' && (c < 0x21 || c > 0x7e)) {
			err_set(e, "byte 0x%02x in the record (only printable "
				   "US-ASCII and spaces are allowed)", c);
			return -1;
		}
		if (c != ' ' && (i == 0 || text[i - 1] == ' '))
			nwords++;
	}
	/* two copies: words as written (for logs), then a scratch area
	 * where each word is parsed and cut up */
	r->buf = xmalloc(2 * (len - 6 + 1));
	memcpy(r->buf, text + 6, len - 6);
	r->buf[len - 6] = '\0';
	scratch = r->buf + len - 6 + 1;
	r->terms = xcalloc(nwords, sizeof(*r->terms));
	for (p = r->buf;;) {
		size_t nlen;
		size_t wlen;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		word = p;
		wlen = strcspn(p, " ");
		p += wlen;
		if (*p != '\0')
			*p++ = '\0';
		memcpy(scratch, word, wlen + 1);
		nlen = spfrec_modifier_name(word);
		if (nlen > 0) {
			if (spfrec_parse_modifier(r, word, nlen, e) < 0)
				goto bad;
			continue;
		}
		r->terms[r->nterms].text = word;
		if (spfrec_parse_mech(&r->terms[r->nterms], scratch, e) < 0)
			goto bad;
		r->nterms++;
		scratch += wlen + 1;
	}
	return 0;
bad:
	spfrec_free(r);
	return -1;
}

/* spfrec_free - release a parsed record; a zeroed one is fine */
void
spfrec_free(struct spfrec *r)
{
	free(r->buf);
	free(r->terms);
	memset(r, 0, sizeof(*r));
}
