/* SPDX-License-Identifier: BSD-2-Clause */
#include "addr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "str.h"

/* Longest mailbox text we collect: local 64 + '@' + domain 255 + slack. */
#define ADDR_TEXT_MAX 512

struct addr_scan {
	char text[ADDR_TEXT_MAX];	/* current mailbox, comments removed */
	size_t tlen;
	char angle[ADDR_TEXT_MAX];	/* content of <...> when present */
	size_t alen;
	int has_angle;
	int nonempty;
	int text_overflow;		/* a long display name is harmless */
	int angle_overflow;		/* when <...> gives the address */
};

/* addr_put - append one byte to the current mailbox text */
static void
addr_put(struct addr_scan *s, char c, int in_angle)
{
	char *buf = in_angle ? s->angle : s->text;
	size_t *len = in_angle ? &s->alen : &s->tlen;

	if (*len + 1 >= ADDR_TEXT_MAX) {
		if (in_angle)
			s->angle_overflow = 1;
		else
			s->text_overflow = 1;
		return;
	}
	buf[(*len)++] = c;
	s->nonempty = 1;
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
static int
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
static enum addr_status
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

/* addr_finish - turn one collected mailbox into local part and domain */
static enum addr_status
addr_finish(const struct addr_scan *s, const char *what, struct addr *out,
	    struct err *e)
{
	char spec[ADDR_TEXT_MAX];
	const char *src = s->has_angle ? s->angle : s->text;
	size_t len = s->has_angle ? s->alen : s->tlen;
	char *colon;
	char *p;

	if (s->has_angle ? s->angle_overflow : s->text_overflow) {
		err_set(e, "%s address too long", what);
		return ADDR_BAD;
	}
	/* white space outside quoted strings was dropped while scanning */
	memcpy(spec, src, len);
	spec[len] = '\0';
	p = spec;
	/* obsolete source route: <@a,@b:user@example.com> */
	if (*p == '@' && (colon = strchr(p, ':')) != NULL)
		p = colon + 1;
	if (*p == '\0') {
		err_set(e, "no address in %s", what);
		return ADDR_NONE;
	}
	return addr_split(p, what, out, e);
}

/* addr_list_parse - every mailbox of an address-list field body, at most
 * max of them; more is ADDR_SEVERAL, none ADDR_NONE */
enum addr_status
addr_list_parse(const char *what, const char *v, size_t len, struct addr *out,
		size_t max, size_t *n, struct err *e)
{
	struct addr_scan s;
	size_t i;
	int depth = 0;		/* comment nesting */
	int quoted = 0;
	int in_angle = 0;
	enum addr_status st;

	*n = 0;
	memset(&s, 0, sizeof(s));
	err_set(e, "no address in %s", what);
	for (i = 0; i <= len; i++) {
		char c = i < len ? v[i] : ',';	/* a final separator */

		if (i < len && c == '\0')
			goto nul;
		if (depth > 0) {
			if (c == '\\' && i + 1 < len && v[i + 1] == '\0')
				goto nul;
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (quoted) {
			if (c == '\\' && i + 1 < len && v[i + 1] == '\0')
				goto nul;
			if (c == '\\' && i + 1 < len) {
				addr_put(&s, c, in_angle);
				addr_put(&s, v[++i], in_angle);
				continue;
			}
			if (c == '"')
				quoted = 0;
			addr_put(&s, c, in_angle);
			continue;
		}
		switch (c) {
		case '(':
			depth = 1;
			continue;
		case '"':
			quoted = 1;
			addr_put(&s, c, in_angle);
			continue;
		case '<':
			if (in_angle || s.has_angle) {
				err_set(e, "malformed %s address", what);
				return ADDR_BAD;
			}
			in_angle = 1;
			s.has_angle = 1;
			continue;
		case '>':
			if (!in_angle) {
				err_set(e, "malformed %s address", what);
				return ADDR_BAD;
			}
			in_angle = 0;
			continue;
		case ':':
			/* group "name: a@b, c@d;" - the name is no mailbox */
			if (!in_angle) {
				s.tlen = 0;
				s.nonempty = 0;
				continue;
			}
			break;
		case ';':
		case ',':
			if (in_angle)
				break;
			if (s.nonempty || s.has_angle) {
				if (*n >= max) {
					err_set(e, "several addresses in %s",
						what);
					return ADDR_SEVERAL;
				}
				st = addr_finish(&s, what, &out[*n], e);
				if (st != ADDR_OK)
					return st;
				(*n)++;
			}
			memset(&s, 0, sizeof(s));
			continue;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			/* folding and obsolete "a @ b": not part of it */
			continue;
		default:
			break;
		}
		addr_put(&s, c, in_angle);
	}
	if (depth > 0 || quoted || in_angle) {
		err_set(e, "unterminated comment, quote or <> in %s", what);
		return ADDR_BAD;
	}
	if (*n == 0) {
		err_set(e, "no address in %s", what);
		return ADDR_NONE;
	}
	return ADDR_OK;
nul:
	err_set(e, "NUL byte in %s", what);
	return ADDR_BAD;
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
