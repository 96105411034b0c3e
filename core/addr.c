/* SPDX-License-Identifier: BSD-2-Clause */
#include "addr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "str.h"

/* Longest mailbox text we collect: local 64 + '@' + domain 255 + slack. */
#define ADDR_TEXT_MAX 512

/* One side of a mailbox being read: the text outside <> (a display name
 * or an addr-spec) or the content of <>, comments and folding removed. */
struct addr_buf {
	char text[ADDR_TEXT_MAX];
	size_t len;
	bool overflow;		/* a long display name is harmless */
	bool gap;		/* white space or a comment since the last byte */
	bool words;		/* two words with only a gap between: "a b" */
	bool at;		/* an '@' outside quoted strings */
};

struct addr_scan {
	struct addr_buf text;	/* outside <> */
	struct addr_buf angle;	/* inside <> */
	bool has_angle;		/* "<" seen */
	bool after_angle;	/* ">" seen: only CFWS may follow */
	bool nonempty;		/* anything but CFWS */
};

/* addr_put - append one byte to the current side of the mailbox; a gap
 * between two words that no '.' or '@' joins is noted (RFC 5322 allows
 * CFWS only around the dots and the at-sign of an addr-spec) */
static void
addr_put(struct addr_scan *s, char c, bool in_angle, bool quoted)
{
	struct addr_buf *b = in_angle ? &s->angle : &s->text;

	s->nonempty = true;
	if (b->gap && b->len > 0 && b->text[b->len - 1] != '.' &&
	    b->text[b->len - 1] != '@' && c != '.' && c != '@')
		b->words = true;
	b->gap = false;
	if (c == '@' && !quoted)
		b->at = true;
	if (b->len + 1 >= ADDR_TEXT_MAX) {
		b->overflow = true;
		return;
	}
	b->text[b->len++] = c;
}

/* addr_gap - white space or a comment on the current side */
static void
addr_gap(struct addr_scan *s, bool in_angle)
{
	struct addr_buf *b = in_angle ? &s->angle : &s->text;

	b->gap = true;
}

/* addr_domain_is_valid - letters, digits, '-', '_', '.', UTF-8; not empty */
int
addr_domain_is_valid(const char *d)
{
	const unsigned char *p = (const unsigned char *)d;

	if (*p == '\0' || *p == '.')
		return 0;
	for (; *p; p++) {
		if (*p >= 0x80)
			continue;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.')
			continue;
		return 0;
	}
	return p[-1] != '.' && strstr(d, "..") == NULL;
}

/* addr_is_atext - RFC 5322 atext, plus UTF-8 (RFC 6531) */
bool
addr_is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* addr_is_dot_atom - RFC 5322 dot-atom-text: atoms joined by single dots */
static int
addr_is_dot_atom(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
			continue;
		}
		if (!addr_is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* addr_set_local - the local part, without needless quotes: "a.b"@x is
 * a.b@x (RFC 5321 4.1.2: the quoted and unquoted forms are the same) */
static int
addr_set_local(struct addr *out, const char *lp)
{
	size_t len = strlen(lp);

	if (len >= 2 && lp[0] == '"' && lp[len - 1] == '"' &&
	    memchr(lp + 1, '\\', len - 2) == NULL &&
	    addr_is_dot_atom(lp + 1, len - 2))
		return str_copyn(out->local, sizeof(out->local), lp + 1,
				 len - 2);
	return str_copy(out->local, sizeof(out->local), lp);
}

/* addr_set_domain - lower case; an internationalised name becomes its
 * IDNA2008 A-label so that U-label and A-label forms compare equal */
enum addr_status
addr_set_domain(struct addr *out, const char *what, const char *d,
		struct err *e)
{
	const unsigned char *p;
	char *ace = NULL;
	int rc;

	if (str_copy(out->domain, sizeof(out->domain), d) < 0) {
		err_set(e, "%s address over the RFC 5321 length limits", what);
		return ADDR_BAD;
	}
	str_lower(out->domain);
	if (!addr_domain_is_valid(out->domain)) {
		err_set(e, "%s domain is not a domain name", what);
		return ADDR_BAD;
	}
	for (p = (const unsigned char *)out->domain; *p && *p < 0x80; p++)
		;
	if (*p == '\0')
		return ADDR_OK;
	rc = idn2_to_ascii_8z(out->domain, &ace,
			      IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		err_set(e, "%s domain is not a valid internationalised name "
			   "(%s)", what, idn2_strerror(rc));
		return ADDR_BAD;
	}
	rc = str_copy(out->domain, sizeof(out->domain), ace);
	idn2_free(ace);
	if (rc < 0) {
		err_set(e, "%s address over the RFC 5321 length limits", what);
		return ADDR_BAD;
	}
	str_lower(out->domain);
	/* NFC may turn a character into ASCII punctuation (U+037E is ';') */
	if (!addr_domain_is_valid(out->domain)) {
		err_set(e, "%s domain is not a domain name", what);
		return ADDR_BAD;
	}
	return ADDR_OK;
}

/* addr_split - "local@domain" (source route already dropped) into out */
static enum addr_status
addr_split(char *spec, const char *what, struct addr *out, struct err *e)
{
	char *at = strrchr(spec, '@');

	if (at == NULL || at == spec || at[1] == '\0') {
		err_set(e, "%s address has no domain", what);
		return ADDR_BAD;
	}
	*at = '\0';
	if (addr_set_local(out, spec) < 0) {
		err_set(e, "%s address over the RFC 5321 length limits", what);
		return ADDR_BAD;
	}
	return addr_set_domain(out, what, at + 1, e);
}

/* addr_local_is_valid - an RFC 5322 local-part with its CFWS removed:
 * words (atoms or quoted strings) joined by single dots (obs-local-part;
 * a dot-atom is one of these) */
static bool
addr_local_is_valid(const char *lp, size_t len)
{
	size_t i = 0;

	for (;;) {
		if (i < len && lp[i] == '"') {
			for (i++; i < len && lp[i] != '"'; i++)
				if (lp[i] == '\\')
					i++;
			if (i >= len)
				return false;	/* unterminated */
			i++;
		} else {
			size_t start = i;

			while (i < len && addr_is_atext((unsigned char)lp[i]))
				i++;
			if (i == start)
				return false;	/* empty word or a special */
		}
		if (i == len)
			return true;
		if (lp[i] != '.')
			return false;	/* "a"b, a"b" */
		i++;
	}
}

/* addr_local_misleads - a local part a reader takes for more than it is:
 * a full-width or small at-sign (U+FF20, U+FE6B: "ceo\uff20a.example@
 * b.example" shows as an address at a.example), or an RFC 2047
 * encoded-word, which must not appear in an addr-spec (RFC 2047 section
 * 5) and which some clients decode anyway; true with e set */
static bool
addr_local_misleads(const char *lp, const char *what, struct err *e)
{
	const char *ew;

	if (strstr(lp, "\xef\xbc\xa0") != NULL ||
	    strstr(lp, "\xef\xb9\xab") != NULL) {
		err_set(e, "look-alike at-sign in %s address", what);
		return true;
	}
	if ((ew = strstr(lp, "=?")) != NULL && strstr(ew + 2, "?=") != NULL) {
		err_set(e, "encoded-word in %s address", what);
		return true;
	}
	return false;
}

/* addr_finish - turn one collected mailbox into local part and domain */
static enum addr_status
addr_finish(struct addr_scan *s, const char *what, struct addr *out,
	    struct err *e)
{
	struct addr_buf *b = s->has_angle ? &s->angle : &s->text;
	char *p = b->text;
	char *at;
	char *colon;

	if (b->overflow) {
		err_set(e, "%s address too long", what);
		return ADDR_BAD;
	}
	b->text[b->len] = '\0';
	/* obsolete source route: <@a,@b:user@example.com> */
	if (*p == '@' && (colon = strchr(p, ':')) != NULL)
		p = colon + 1;
	if (*p == '\0') {
		err_set(e, "empty address in %s", what);
		return ADDR_BAD;
	}
	at = strrchr(p, '@');
	if (at == NULL || at == p || at[1] == '\0') {
		err_set(e, "%s address has no domain", what);
		return ADDR_BAD;
	}
	/* "ceo@a.example bob@b.example" is no single addr-spec, and an
	 * unquoted '@' in the local part ("a@b@c") hides where it ends */
	if (b->words || !addr_local_is_valid(p, (size_t)(at - p))) {
		err_set(e, "malformed %s address", what);
		return ADDR_BAD;
	}
	*at = '\0';
	if (addr_local_misleads(p, what, e))
		return ADDR_BAD;
	if (addr_set_local(out, p) < 0) {
		err_set(e, "%s address over the RFC 5321 length limits", what);
		return ADDR_BAD;
	}
	return addr_set_domain(out, what, at + 1, e);
}

/* The state of addr_list_each between bytes. */
struct addr_list_state {
	int depth;		/* comment nesting */
	bool quoted;
	bool in_angle;
	bool in_group;
	size_t n;		/* mailboxes reported */
};

/* addr_list_special - one byte outside comments and quoted strings that
 * is a delimiter; 1 when handled, 0 when it is mailbox text, -1 with e
 * set when the list is malformed */
static int
addr_list_special(struct addr_scan *s, struct addr_list_state *st, char c,
		  const char *what, addr_each_fn *fn, void *arg,
		  struct err *e)
{
	struct addr a;

	switch (c) {
	case '<':
		if (st->in_angle || s->has_angle)
			goto malformed;
		st->in_angle = true;
		s->has_angle = true;
		s->nonempty = true;
		return 1;
	case '>':
		if (!st->in_angle)
			goto malformed;
		st->in_angle = false;
		s->after_angle = true;
		return 1;
	case ':':
		if (st->in_angle)
			return 0;	/* source route */
		/* group "name: a@b, c@d;" - the name is a phrase: no '@',
		 * no nesting */
		if (st->in_group || s->has_angle || s->text.at) {
			err_set(e, "malformed group in %s", what);
			return -1;
		}
		st->in_group = true;
		memset(s, 0, sizeof(*s));
		return 1;
	case ';':
	case ',':
		if (st->in_angle)
			return 0;
		if (c == ';' && !st->in_group) {
			err_set(e, "';' outside a group in %s", what);
			return -1;
		}
		/* an empty element (obs-mbox-list) names nobody */
		if (s->nonempty) {
			if (addr_finish(s, what, &a, e) != ADDR_OK)
				return -1;
			st->n++;
			fn(arg, &a);
		}
		if (c == ';')
			st->in_group = false;
		memset(s, 0, sizeof(*s));
		return 1;
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		/* folding and obsolete "a @ b" */
		addr_gap(s, st->in_angle);
		return 1;
	default:
		return 0;
	}
malformed:
	err_set(e, "malformed %s address", what);
	return -1;
}

/* addr_list_each - every mailbox of an address-list field body, strictly
 * (see addr.h); fn is called for each */
enum addr_status
addr_list_each(const char *what, const char *v, size_t len, addr_each_fn *fn,
	       void *arg, struct err *e)
{
	struct addr_list_state st;
	struct addr_scan s;
	size_t i;
	int r;

	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	err_set(e, "no address in %s", what);	/* e is always a string */
	for (i = 0; i <= len; i++) {
		char c = i < len ? v[i] : ',';	/* a final separator */

		if (i < len && c == '\0')
			goto nul;
		if (st.depth > 0 || st.quoted) {
			if (c == '\\' && i + 1 < len && v[i + 1] == '\0')
				goto nul;
			if (i == len)
				break;	/* unterminated, said below */
		}
		if (st.depth > 0) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				st.depth++;
			else if (c == ')')
				st.depth--;
			continue;
		}
		if (st.quoted) {
			if (c == '\\' && i + 1 < len) {
				addr_put(&s, c, st.in_angle, true);
				addr_put(&s, v[++i], st.in_angle, true);
				continue;
			}
			if (c == '"')
				st.quoted = false;
			addr_put(&s, c, st.in_angle, true);
			continue;
		}
		if (i == len && st.in_angle)
			break;
		if (c == '(') {
			st.depth = 1;
			addr_gap(&s, st.in_angle);
			continue;
		}
		r = addr_list_special(&s, &st, c, what, fn, arg, e);
		if (r < 0)
			return ADDR_BAD;
		if (r > 0)
			continue;
		if (s.after_angle) {
			err_set(e, "text after <address> in %s", what);
			return ADDR_BAD;
		}
		if (c == '"')
			st.quoted = true;
		addr_put(&s, c, st.in_angle, c == '"');
	}
	if (st.depth > 0 || st.quoted || st.in_angle) {
		err_set(e, "unterminated comment, quote or <> in %s", what);
		return ADDR_BAD;
	}
	if (st.n == 0) {
		err_set(e, "no address in %s", what);
		return ADDR_NONE;
	}
	return ADDR_OK;
nul:
	err_set(e, "NUL byte in %s", what);
	return ADDR_BAD;
}

/* The array addr_list_parse fills. */
struct addr_collect {
	struct addr *out;
	size_t max;
	size_t n;
};

/* addr_collect_one - keep a mailbox while there is room, count all */
static void
addr_collect_one(void *arg, const struct addr *a)
{
	struct addr_collect *c = arg;

	if (c->n < c->max)
		c->out[c->n] = *a;
	c->n++;
}

/* addr_list_parse - every mailbox of an address-list field body, at most
 * max of them; more is ADDR_SEVERAL, none ADDR_NONE */
enum addr_status
addr_list_parse(const char *what, const char *v, size_t len, struct addr *out,
		size_t max, size_t *n, struct err *e)
{
	struct addr_collect c = {out, max, 0};
	enum addr_status st;

	st = addr_list_each(what, v, len, addr_collect_one, &c, e);
	*n = c.n < max ? c.n : max;
	if (st == ADDR_OK && c.n > max) {
		err_set(e, "several addresses in %s", what);
		return ADDR_SEVERAL;
	}
	if (st != ADDR_OK)
		*n = 0;
	return st;
}

/* addr_from_header - the single author mailbox of a From field */
enum addr_status
addr_from_header(const char *v, size_t len, struct addr *out, struct err *e)
{
	size_t n;

	return addr_list_parse("From", v, len, out, 1, &n, e);
}

/* addr_path_parse - an SMTP path as the MTA passes it: "<a@b>" or "a@b";
 * "<>" and "" are the null path (ADDR_NONE) */
enum addr_status
addr_path_parse(const char *path, struct addr *out, struct err *e)
{
	char spec[ADDR_TEXT_MAX];
	size_t len = strlen(path);
	size_t i;
	char *p;
	char *colon;
	int quoted = 0;

	while (len > 0 && (path[0] == ' ' || path[0] == '\t')) {
		path++;
		len--;
	}
	while (len > 0 && (path[len - 1] == ' ' || path[len - 1] == '\t'))
		len--;
	if (len >= 2 && path[0] == '<' && path[len - 1] == '>') {
		path++;
		len -= 2;
	}
	if (len == 0) {
		err_set(e, "null sender");
		return ADDR_NONE;
	}
	if (len >= sizeof(spec)) {
		err_set(e, "address too long");
		return ADDR_BAD;
	}
	memcpy(spec, path, len);
	spec[len] = '\0';
	/* RFC 5321 4.1.2: only quoted strings may hold specials or spaces */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)spec[i];

		if (c < 0x20 || c == 0x7f) {
			err_set(e, "control character in address");
			return ADDR_BAD;
		}
		if (quoted) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (c == '"')
			quoted = 1;
		else if (c == ' ' || c == '<' || c == '>' || c == '(' ||
			 c == ')' || c == '\\' || c == ';')
			goto bad;
	}
	if (quoted)
		goto bad;
	p = spec;
	/* obsolete source route: @a,@b:user@example.com */
	if (*p == '@' && (colon = strchr(p, ':')) != NULL)
		p = colon + 1;
	/* the local part is a quoted string or a dot-string: an unquoted
	 * '@' before the last one (a@b@example.com) is malformed */
	colon = strrchr(p, '@');
	if (colon != NULL && colon > p && *p != '"' &&
	    !addr_is_dot_atom(p, (size_t)(colon - p)))
		goto bad;
	if (colon != NULL && *p == '"' && colon[-1] != '"')
		goto bad;
	return addr_split(p, "sender", out, e);
bad:
	err_set(e, "malformed address");
	return ADDR_BAD;
}

/* addr_text - "local@domain", cut to fit */
void
addr_text(const struct addr *a, char *buf, size_t size)
{
	if (str_format(buf, size, "%s@%s", a->local, a->domain) < 0 &&
	    size > 0)
		buf[size - 1] = '\0';
}

/* addr_equal - same mailbox? domains are normalised; local parts compare
 * exactly or ignoring ASCII case */
bool
addr_equal(const struct addr *a, const struct addr *b, bool exact_local)
{
	if (strcmp(a->domain, b->domain) != 0)
		return false;
	return exact_local ? strcmp(a->local, b->local) == 0
			   : strcasecmp(a->local, b->local) == 0;
}
