/* SPDX-License-Identifier: BSD-2-Clause */
#include "authres.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "str.h"
#include "strbuf.h"

/* A comment longer than this is cut (a header line stays under 998). */
#define AUTHRES_COMMENT_MAX 200

/* authres_serv_id - authserv_id from the configuration, else host name */
int
authres_serv_id(const struct conf *c, char *out, size_t size)
{
	char host[256];

	if (c != NULL && c->authserv_id != NULL && c->authserv_id[0] != '\0')
		return str_copy(out, size, c->authserv_id);
	if (gethostname(host, sizeof(host)) < 0)
		return -1;
	host[sizeof(host) - 1] = '\0';
	return str_copy(out, size, host);
}

/* authres_is_tspecial - RFC 2045 tspecials, which a token may not hold */
static bool
authres_is_tspecial(unsigned char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* authres_is_token - RFC 2045 token: printable, no space or tspecial */
static bool
authres_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    authres_is_tspecial((unsigned char)*s))
			return false;
	return true;
}

/* authres_is_dot_atom - RFC 5322 dot-atom-text (len bytes) */
static bool
authres_is_dot_atom(const char *s, size_t len)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (s[i + 1] == '.')
				return false;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(atext, c) != NULL) ||
		    c == '\0')
			return false;
	}
	return true;
}

/* authres_put_quoted - s as a quoted-string, '"' and '\' escaped */
static int
authres_put_quoted(struct strbuf *sb, const char *s)
{
	int rc = strbuf_append(sb, "\"", 1);

	for (; *s && rc == 0; s++) {
		if (*s == '"' || *s == '\\')
			rc = strbuf_append(sb, "\\", 1);
		if (rc == 0)
			rc = strbuf_append(sb, s, 1);
	}
	return rc == 0 ? strbuf_append(sb, "\"", 1) : -1;
}

/* authres_put_addr - an address value: bare when local@domain are
 * dot-atoms (RFC 8601 pvalue), a quoted-string otherwise */
static int
authres_put_addr(struct strbuf *sb, const char *s)
{
	const char *at = strrchr(s, '@');

	if (at != NULL && authres_is_dot_atom(s, (size_t)(at - s)) &&
	    authres_is_dot_atom(at + 1, strlen(at + 1)))
		return strbuf_append_str(sb, s);
	if (at == NULL && authres_is_token(s))
		return strbuf_append_str(sb, s);
	return authres_put_quoted(sb, s);
}

/* authres_put_comment - "(text)" with '(' ')' '\' escaped, cut if long */
static int
authres_put_comment(struct strbuf *sb, const char *s)
{
	size_t n = 0;
	int rc = strbuf_append(sb, "(", 1);

	for (; *s && rc == 0; s++, n++) {
		if (n == AUTHRES_COMMENT_MAX) {
			rc = strbuf_append_str(sb, "...");
			break;
		}
		if (*s == '(' || *s == ')' || *s == '\\')
			rc = strbuf_append(sb, "\\", 1);
		if (rc == 0)
			rc = strbuf_append(sb, s, 1);
	}
	return rc == 0 ? strbuf_append(sb, ")", 1) : -1;
}

/* authres_comment - the human part for a result; long text is cut here
 * and marked when it is written (authres_put_comment) */
static void
authres_comment(const struct authres_spf_info *in, char *out, size_t size)
{
	if (in->problem[0] != '\0')
		(void)snprintf(out, size, "%s", in->problem);
	else if (strcmp(in->mechanism, "default") == 0)
		(void)snprintf(out, size, "no mechanism matched %s", in->ip);
	else if (in->mechanism[0] != '\0')
		(void)snprintf(out, size, "%s matched %s", in->mechanism,
			       in->ip);
	else
		(void)snprintf(out, size, "%s", in->ip);
}

/* authres_finish - copy the built value out */
static int
authres_finish(struct strbuf *sb, int rc, char *out, size_t size)
{
	if (rc == 0)
		rc = str_copyn(out, size, sb->data ? sb->data : "", sb->len);
	else if (size > 0)
		out[0] = '\0';
	strbuf_free(sb);
	return rc;
}

/* authres_spf_value - the Authentication-Results value for an SPF result */
int
authres_spf_value(const char *servid, const struct authres_spf_info *in,
		  char *out, size_t size)
{
	bool helo = strcmp(in->identity, "helo") == 0;
	char comment[AUTHRES_COMMENT_MAX + 64];
	struct strbuf sb;
	int rc;

	strbuf_init(&sb, size);
	authres_comment(in, comment, sizeof(comment));
	rc = authres_is_token(servid) ? strbuf_append_str(&sb, servid)
				      : authres_put_quoted(&sb, servid);
	if (rc == 0)
		rc = strbuf_printf(&sb, "; spf=%s ", in->result);
	if (rc == 0)
		rc = authres_put_comment(&sb, comment);
	if (rc == 0)
		rc = strbuf_append_str(&sb, helo ? " smtp.helo="
						 : " smtp.mailfrom=");
	if (rc == 0)
		rc = authres_put_addr(&sb, helo ? in->helo : in->sender);
	return authres_finish(&sb, rc, out, size);
}

/* authres_put_kv - "; key=value" for Received-SPF, value a dot-atom or a
 * quoted-string; empty values are left out */
static int
authres_put_kv(struct strbuf *sb, const char *key, const char *val,
	       bool first)
{
	int rc;

	if (*val == '\0')
		return 0;
	rc = strbuf_printf(sb, "%s%s=", first ? " " : " ", key);
	if (rc == 0)
		rc = authres_is_dot_atom(val, strlen(val))
			     ? strbuf_append_str(sb, val)
			     : authres_put_quoted(sb, val);
	return rc == 0 ? strbuf_append(sb, ";", 1) : -1;
}

/* authres_received_spf_value - the Received-SPF value (RFC 7208 9.1) */
int
authres_received_spf_value(const char *servid,
			   const struct authres_spf_info *in, char *out,
			   size_t size)
{
	char comment[AUTHRES_COMMENT_MAX + 320];
	char what[AUTHRES_COMMENT_MAX + 64];
	struct strbuf sb;
	int rc;

	strbuf_init(&sb, size);
	authres_comment(in, what, sizeof(what));
	(void)snprintf(comment, sizeof(comment), "%s: %s", servid, what);
	rc = strbuf_printf(&sb, "%s ", in->result);
	if (rc == 0)
		rc = authres_put_comment(&sb, comment);
	if (rc == 0)
		rc = authres_put_kv(&sb, "client-ip", in->ip, true);
	if (rc == 0)
		rc = authres_put_kv(&sb, "envelope-from", in->sender, false);
	if (rc == 0)
		rc = authres_put_kv(&sb, "helo", in->helo, false);
	if (rc == 0)
		rc = authres_put_kv(&sb, "receiver", servid, false);
	if (rc == 0)
		rc = authres_put_kv(&sb, "identity", in->identity, false);
	if (rc == 0 && strcmp(in->mechanism, "default") != 0)
		rc = authres_put_kv(&sb, "mechanism", in->mechanism, false);
	if (rc == 0)
		rc = authres_put_kv(&sb, "problem", in->problem, false);
	/* no ';' after the last pair */
	if (rc == 0 && sb.len > 0 && sb.data[sb.len - 1] == ';')
		sb.data[--sb.len] = '\0';
	return authres_finish(&sb, rc, out, size);
}

/* authres_skip_cfws - skip white space, line breaks and (nested)
 * comments; returns the new position, or NULL on an unclosed comment */
static const char *
authres_skip_cfws(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (depth > 0 && *p == '\\') {
			p += p + 1 < end ? 2 : 1;
			continue;
		}
		if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (depth == 0 && *p != ' ' && *p != '\t' &&
			   *p != '\r' && *p != '\n') {
			break;
		}
		p++;
	}
	return depth == 0 ? p : NULL;
}

/* authres_same_id - equal without case and without a trailing dot */
static bool
authres_same_id(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && alen > 0 && strncasecmp(a, b, alen) == 0;
}

/* authres_claims - whose results does an Authentication-Results value
 * claim to be (RFC 8601 2.2)? */
enum authres_claim
authres_claims(const char *value, size_t len, const char *servid)
{
	const char *end = value + len;
	const char *p = authres_skip_cfws(value, end);
	char id[256];
	size_t n = 0;

	if (p == NULL || p == end)
		return AUTHRES_MALFORMED;
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if ((unsigned char)*p < 0x20 || n + 1 >= sizeof(id))
				return AUTHRES_MALFORMED;
			id[n++] = *p;
		}
		if (p == end)
			return AUTHRES_MALFORMED;
		p++;
	} else {
		while (p < end && (unsigned char)*p > 0x20 &&
		       (unsigned char)*p < 0x7f &&
		       !authres_is_tspecial((unsigned char)*p)) {
			if (n + 1 >= sizeof(id))
				return AUTHRES_MALFORMED;
			id[n++] = *p++;
		}
	}
	if (n == 0)
		return AUTHRES_MALFORMED;
	/* what follows the id must be CFWS, ';' or the end: "ours.x/y"
	 * is not an id we could compare */
	p = authres_skip_cfws(p, end);
	if (p == NULL || (p < end && *p != ';' &&
			  !(*p >= '0' && *p <= '9')))
		return AUTHRES_MALFORMED;
	return authres_same_id(id, n, servid) ? AUTHRES_OURS : AUTHRES_OTHER;
}
