/* SPDX-License-Identifier: BSD-2-Clause */
#include "addr.h"

#include <string.h>

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

/* addr_finish - turn one collected mailbox into local part and domain */
static enum addr_status
addr_finish(const struct addr_scan *s, struct addr *out, struct err *e)
{
	char spec[ADDR_TEXT_MAX];
	const char *src = s->has_angle ? s->angle : s->text;
	size_t len = s->has_angle ? s->alen : s->tlen;
	char *at;
	char *colon;
	char *p;

	if (s->has_angle ? s->angle_overflow : s->text_overflow) {
		err_set(e, "From address too long");
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
		err_set(e, "no address in From");
		return ADDR_NONE;
	}
	at = strrchr(p, '@');
	if (at == NULL || at == p || at[1] == '\0') {
		err_set(e, "From address has no domain");
		return ADDR_BAD;
	}
	*at = '\0';
	if (str_copy(out->local, sizeof(out->local), p) < 0 ||
	    str_copy(out->domain, sizeof(out->domain), at + 1) < 0) {
		err_set(e, "From address over the RFC 5321 length limits");
		return ADDR_BAD;
	}
	str_lower(out->domain);
	if (!addr_domain_is_valid(out->domain)) {
		err_set(e, "From domain is not a domain name");
		return ADDR_BAD;
	}
	return ADDR_OK;
}

/* addr_from_header - the single author mailbox of a From field */
enum addr_status
addr_from_header(const char *v, size_t len, struct addr *out, struct err *e)
{
	struct addr_scan s;
	size_t i;
	int depth = 0;		/* comment nesting */
	int quoted = 0;
	int in_angle = 0;
	int count = 0;
	enum addr_status st = ADDR_NONE;

	memset(&s, 0, sizeof(s));
	err_set(e, "no address in From");
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
				err_set(e, "malformed From address");
				return ADDR_BAD;
			}
			in_angle = 1;
			s.has_angle = 1;
			continue;
		case '>':
			if (!in_angle) {
				err_set(e, "malformed From address");
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
				if (++count > 1) {
					err_set(e, "several addresses in From");
					return ADDR_SEVERAL;
				}
				st = addr_finish(&s, out, e);
				if (st != ADDR_OK)
					return st;
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
		err_set(e, "unterminated comment, quote or <> in From");
		return ADDR_BAD;
	}
	if (count == 0)
		err_set(e, "no address in From");
	return count == 1 ? ADDR_OK : ADDR_NONE;
nul:
	err_set(e, "NUL byte in From");
	return ADDR_BAD;
}
