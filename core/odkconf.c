/* SPDX-License-Identifier: BSD-2-Clause */
#include "odkconf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "str.h"
#include "xalloc.h"

/* --- the file ------------------------------------------------------------ */

/* odk_conf_init - an empty configuration */
void
odk_conf_init(struct odk_conf *c)
{
	memset(c, 0, sizeof(*c));
}

/* odk_conf_free - release everything; the object may be reused after
 * odk_conf_init */
void
odk_conf_free(struct odk_conf *c)
{
	size_t i;

	for (i = 0; i < c->count; i++) {
		free(c->items[i].name);
		free(c->items[i].value);
		free(c->items[i].where);
	}
	for (i = 0; i < c->nproblems; i++)
		free(c->problems[i]);
	free(c->items);
	free(c->problems);
	memset(c, 0, sizeof(*c));
}

/* odk_problem - remember one "FILE:LINE: text" */
static void __attribute__((format(printf, 2, 3)))
odk_problem(struct odk_conf *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->problems = xreallocarray(c->problems, c->nproblems + 1,
				    sizeof(*c->problems));
	c->problems[c->nproblems++] = xstrdup(buf);
}

/* odk_where - "FILE:LINE" */
static char *
odk_where(const char *file, unsigned line)
{
	char buf[1100];

	(void)snprintf(buf, sizeof(buf), "%s:%u", file, line);
	return xstrdup(buf);
}

/* odk_add - one item */
static void
odk_add(struct odk_conf *c, char *name, char *value, char *where)
{
	if (c->count == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->items = xreallocarray(c->items, c->cap, sizeof(*c->items));
	}
	c->items[c->count].name = name;
	c->items[c->count].value = value;
	c->items[c->count].where = where;
	c->count++;
}

/* odk_is_blank - space or tab, the separators of a line */
static bool
odk_is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int odk_parse_level(struct odk_conf *c, const char *text, size_t len,
			   const char *file, odk_read_fn *rd, void *ctx,
			   int depth);

/* odk_include - "Include PATH": the file in place of the line */
static void
odk_include(struct odk_conf *c, const char *path, const char *where,
	    odk_read_fn *rd, void *ctx, int depth)
{
	struct strbuf sb;
	struct err e;

	if (depth >= ODK_INCLUDE_DEPTH) {
		odk_problem(c, "%s: Include %s: nested more than %d deep "
			    "(OpenDKIM refuses that too)", where, path,
			    ODK_INCLUDE_DEPTH);
		return;
	}
	strbuf_init(&sb, ODK_FILE_MAX);
	if (rd == NULL || rd(ctx, path, &sb, &e) < 0) {
		odk_problem(c, "%s: Include %s: %s", where, path,
			    rd == NULL ? "not read" : e.text);
	} else {
		(void)odk_parse_level(c, sb.data != NULL ? sb.data : "",
				      sb.len, path, rd, ctx, depth + 1);
	}
	strbuf_free(&sb);
}

/* odk_line - one line (without its newline) into an item */
static void
odk_line(struct odk_conf *c, const char *s, size_t n, const char *file,
	 unsigned line, odk_read_fn *rd, void *ctx, int depth)
{
	size_t i = 0;
	size_t k;
	size_t v;
	size_t end;
	char *where;

	/* '#', CR and NUL end the line (OpenDKIM's config_load) */
	for (end = 0; end < n; end++)
		if (s[end] == '#' || s[end] == '\r' || s[end] == '\0')
			break;
	while (i < end && odk_is_blank(s[i]))
		i++;
	if (i == end)
		return;
	for (k = i; k < end && !odk_is_blank(s[k]); k++)
		;
	for (v = k; v < end && odk_is_blank(s[v]); v++)
		;
	while (end > v && odk_is_blank(s[end - 1]))
		end--;
	where = odk_where(file, line);
	if (k - i == 7 && strncasecmp(s + i, "Include", 7) == 0) {
		char *path = xstrndup(s + v, end - v);

		if (path[0] == '\0')
			odk_problem(c, "%s: Include without a file", where);
		else
			odk_include(c, path, where, rd, ctx, depth);
		free(path);
		free(where);
		return;
	}
	odk_add(c, xstrndup(s + i, k - i), xstrndup(s + v, end - v), where);
}

/* odk_parse_level - every line of one file */
static int
odk_parse_level(struct odk_conf *c, const char *text, size_t len,
		const char *file, odk_read_fn *rd, void *ctx, int depth)
{
	size_t at = 0;
	unsigned line = 0;

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;

		line++;
		odk_line(c, text + at, n, file, line, rd, ctx, depth);
		at += n + 1;
	}
	return 0;
}

/* odk_conf_parse - add the settings of one file's text (Include read
 * through rd; rd may be NULL) */
int
odk_conf_parse(struct odk_conf *c, const char *text, size_t len,
	       const char *file, odk_read_fn *rd, void *ctx)
{
	return odk_parse_level(c, text, len, file, rd, ctx, 0);
}

/* odk_conf_last - the item that counts for a name: the last one */
const struct odk_item *
odk_conf_last(const struct odk_conf *c, const char *name)
{
	size_t i;

	for (i = c->count; i > 0; i--)
		if (strcasecmp(c->items[i - 1].name, name) == 0)
			return &c->items[i - 1];
	return NULL;
}

/* odk_bool - 1 true, 0 false, -1 neither (first byte, as OpenDKIM) */
int
odk_bool(const char *v)
{
	switch (v[0]) {
	case 't': case 'T': case 'y': case 'Y': case '1':
		return 1;
	case 'f': case 'F': case 'n': case 'N': case '0':
		return 0;
	default:
		return -1;
	}
}

/* --- data sets ------------------------------------------------------------ */

/* odk_dataset - the kind of a data set specification; *rest: what follows
 * the prefix */
enum odk_ds_kind
odk_dataset(const char *v, const char **rest)
{
	static const char *const dbs[] = {
		"db:", "dsn:", "ldap:", "ldaps:", "ldapi:", "lua:",
		"memcache:", "mdb:", "erlang:", "redis:",
	};
	size_t i;

	*rest = v;
	if (strncmp(v, "file:", 5) == 0) {
		*rest = v + 5;
		return ODK_DS_FILE;
	}
	if (strncmp(v, "refile:", 7) == 0) {
		*rest = v + 7;
		return ODK_DS_REFILE;
	}
	if (strncmp(v, "csl:", 4) == 0) {
		*rest = v + 4;
		return ODK_DS_LIST;
	}
	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if (strncmp(v, dbs[i], strlen(dbs[i])) == 0)
			return ODK_DS_DATABASE;
	if (str_has_suffix_nocase(v, ".db"))
		return ODK_DS_DATABASE;
	if (v[0] == '/')
		return ODK_DS_FILE;
	return ODK_DS_LIST;
}

/* odk_entry_add - one entry */
static void
odk_entry_add(struct odk_entries *l, const char *s, size_t n,
	      char *where)
{
	l->v = xreallocarray(l->v, l->count + 1, sizeof(*l->v));
	l->v[l->count].text = xstrndup(s, n);
	l->v[l->count].where = where;
	l->count++;
}

/* odk_file_entries - the first word of each line of a flat file */
static void
odk_file_entries(const char *path, const char *text, size_t len,
		 struct odk_entries *out)
{
	size_t at = 0;
	unsigned line = 0;

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
		const char *s = text + at;
		size_t i = 0;
		size_t k;

		line++;
		at += n + 1;
		while (i < n && (odk_is_blank(s[i]) || s[i] == '\r'))
			i++;
		for (k = i; k < n && !odk_is_blank(s[k]) && s[k] != '#' &&
			    s[k] != '\r' && s[k] != '\0';
		     k++)
			;
		if (k > i)
			odk_entry_add(out, s + i, k - i, odk_where(path, line));
	}
}

/* odk_dataset_entries - the entries of a data set: the list's elements
 * or the first word of each file line; -1 for a database (not read) or a
 * file rd cannot read */
int
odk_dataset_entries(const char *value, const char *where, odk_read_fn *rd,
		    void *ctx, struct odk_entries *out, struct err *e)
{
	const char *rest;
	struct strbuf sb;
	const char *p;

	memset(out, 0, sizeof(*out));
	switch (odk_dataset(value, &rest)) {
	case ODK_DS_DATABASE:
		err_set(e, "%s is a database: only files and lists are read",
			value);
		return -1;
	case ODK_DS_FILE:
	case ODK_DS_REFILE:
		strbuf_init(&sb, ODK_FILE_MAX);
		if (rd == NULL || rd(ctx, rest, &sb, e) < 0) {
			if (rd == NULL)
				err_set(e, "%s: not read", rest);
			strbuf_free(&sb);
			return -1;
		}
		odk_file_entries(rest, sb.data != NULL ? sb.data : "", sb.len,
				 out);
		strbuf_free(&sb);
		return 0;
	case ODK_DS_LIST:
		break;
	}
	for (p = rest; *p != '\0';) {
		const char *c = strchr(p, ',');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);
		size_t i = 0;

		while (i < n && odk_is_blank(p[i]))
			i++;
		while (n > i && odk_is_blank(p[n - 1]))
			n--;
		if (n > i)
			odk_entry_add(out, p + i, n - i, xstrdup(where));
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 0;
}

/* odk_entries_free - release a list of entries */
void
odk_entries_free(struct odk_entries *l)
{
	size_t i;

	for (i = 0; i < l->count; i++) {
		free(l->v[i].text);
		free(l->v[i].where);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* --- Socket ------------------------------------------------------------ */

/* odk_socket_parse - OpenDKIM's socket syntax into its parts */
int
odk_socket_parse(const char *v, struct odk_socket *s, struct err *e)
{
	const char *rest = NULL;
	const char *at;
	char port[16];
	unsigned long p;

	memset(s, 0, sizeof(*s));
	if (strncmp(v, "local:", 6) == 0 || strncmp(v, "unix:", 5) == 0 ||
	    v[0] == '/') {
		rest = v[0] == '/' ? v : strchr(v, ':') + 1;
		if (rest[0] != '/' ||
		    str_copy(s->path, sizeof(s->path), rest) < 0) {
			err_set(e, "\"%s\": a unix socket needs an absolute "
				   "path of at most %zu bytes", v,
				sizeof(s->path) - 1);
			return -1;
		}
		s->is_unix = true;
		return 0;
	}
	if (strncmp(v, "inet:", 5) == 0)
		rest = v + 5;
	else if (strncmp(v, "inet6:", 6) == 0) {
		rest = v + 6;
		s->inet6 = true;
	} else {
		err_set(e, "\"%s\" is not an OpenDKIM socket (local:PATH, "
			   "inet:PORT@HOST, inet6:PORT@HOST)", v);
		return -1;
	}
	at = strchr(rest, '@');
	if (str_copyn(port, sizeof(port), rest,
		      at != NULL ? (size_t)(at - rest) : strlen(rest)) < 0 ||
	    str_to_ulong(port, 10, 65535, &p) < 0 || p == 0) {
		err_set(e, "\"%s\": the port must be a number from 1 to "
			   "65535", v);
		return -1;
	}
	s->port = (unsigned)p;
	if (at == NULL)
		return 0;
	at++;
	if (at[0] == '[') {
		const char *close = strchr(at, ']');

		if (close == NULL || close[1] != '\0' ||
		    str_copyn(s->host, sizeof(s->host), at + 1,
			      (size_t)(close - at - 1)) < 0) {
			err_set(e, "\"%s\": an unclosed '[' in the address", v);
			return -1;
		}
	} else if (str_copy(s->host, sizeof(s->host), at) < 0) {
		err_set(e, "\"%s\": host name too long", v);
		return -1;
	}
	if (s->host[0] == '\0') {
		err_set(e, "\"%s\": nothing after '@'", v);
		return -1;
	}
	return 0;
}

/* --- networks ------------------------------------------------------------ */

/* odk_net_mask - clear the host bits below plen */
static void
odk_net_mask(struct odk_net *n)
{
	unsigned bytes = n->family == AF_INET ? 4 : 16;
	unsigned i;

	for (i = 0; i < bytes; i++) {
		unsigned lo = i * 8;

		if (n->plen <= lo)
			n->addr[i] = 0;
		else if (n->plen < lo + 8)
			n->addr[i] &= (unsigned char)(0xff <<
						      (lo + 8 - n->plen));
	}
	for (i = bytes; i < 16; i++)
		n->addr[i] = 0;
}

/* odk_net_parse - "addr", "addr/len", "[addr]", "!..." into a network;
 * an IPv4-mapped IPv6 network becomes the IPv4 one; -1 when the text is
 * no address (a host or domain name) */
int
odk_net_parse(const char *text, struct odk_net *n, bool *exclude)
{
	char buf[128];
	char *slash;
	char *a;
	unsigned long len;
	size_t l;

	memset(n, 0, sizeof(*n));
	*exclude = text[0] == '!';
	if (str_copy(buf, sizeof(buf), text + (*exclude ? 1 : 0)) < 0)
		return -1;
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	a = buf;
	l = strlen(a);
	if (l >= 2 && a[0] == '[' && a[l - 1] == ']') {
		a[l - 1] = '\0';
		a++;
	}
	if (inet_pton(AF_INET, a, n->addr) == 1) {
		n->family = AF_INET;
		n->plen = 32;
	} else if (inet_pton(AF_INET6, a, n->addr) == 1) {
		n->family = AF_INET6;
		n->plen = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		if (str_to_ulong(slash, 10, n->plen, &len) < 0)
			return -1;
		n->plen = (unsigned)len;
	}
	if (n->family == AF_INET6 && n->plen >= 96) {
		static const unsigned char mapped[12] = {
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(n->addr, mapped, sizeof(mapped)) == 0) {
			memmove(n->addr, n->addr + 12, 4);
			n->family = AF_INET;
			n->plen -= 96;
		}
	}
	odk_net_mask(n);
	return 0;
}

/* odk_net_pattern - an IPv4 refile pattern whose '*' stand for whole
 * trailing octets ("10.*", "192.168.1.*", "172.16.*.*") as a network;
 * -1 for any other pattern */
int
odk_net_pattern(const char *pattern, struct odk_net *n)
{
	const char *p = pattern;
	unsigned octets = 0;
	bool star = false;

	memset(n, 0, sizeof(*n));
	n->family = AF_INET;
	while (octets < 4) {
		if (*p == '*') {
			star = true;
			p++;
		} else {
			unsigned long v;
			char num[4];
			size_t k = 0;

			if (star)
				return -1;
			while (p[k] >= '0' && p[k] <= '9' && k < 3)
				k++;
			if (k == 0 || (p[k] != '.' && p[k] != '\0') ||
			    str_copyn(num, sizeof(num), p, k) < 0 ||
			    str_to_ulong(num, 10, 255, &v) < 0)
				return -1;
			n->addr[octets] = (unsigned char)v;
			n->plen += 8;
			p += k;
		}
		octets++;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -1;
		p++;
	}
	/* "10.*" is all of 10/8; a pattern must end with a '*' to count */
	return star && *p == '\0' ? 0 : -1;
}

/* odk_net_contains - b lies inside a */
static bool
odk_net_contains(const struct odk_net *a, const struct odk_net *b)
{
	unsigned full;
	unsigned rem;

	if (a->family != b->family || a->plen > b->plen)
		return false;
	full = a->plen / 8;
	rem = a->plen % 8;
	if (memcmp(a->addr, b->addr, full) != 0)
		return false;
	return rem == 0 || ((a->addr[full] ^ b->addr[full]) &
			    (unsigned char)(0xff << (8 - rem))) == 0;
}

/* odk_nets_push - append a network */
static void
odk_nets_push(struct odk_nets *s, const struct odk_net *n)
{
	if (s->count == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->count++] = *n;
}

/* odk_nets_del - remove entry i */
static void
odk_nets_del(struct odk_nets *s, size_t i)
{
	memmove(&s->v[i], &s->v[i + 1], (s->count - i - 1) * sizeof(*s->v));
	s->count--;
}

/* odk_nets_add - the union with n */
static void
odk_nets_add(struct odk_nets *s, const struct odk_net *n)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (odk_net_contains(&s->v[i], n))
			return;
	for (i = s->count; i > 0; i--)
		if (odk_net_contains(n, &s->v[i - 1]))
			odk_nets_del(s, i - 1);
	odk_nets_push(s, n);
}

/* odk_nets_sub - everything but n: a network around n is split into the
 * halves that do not hold it */
static void
odk_nets_sub(struct odk_nets *s, const struct odk_net *n)
{
	size_t i;

	for (i = s->count; i > 0; i--) {
		struct odk_net cur = s->v[i - 1];

		if (odk_net_contains(n, &cur)) {
			odk_nets_del(s, i - 1);
			continue;
		}
		if (!odk_net_contains(&cur, n))
			continue;
		odk_nets_del(s, i - 1);
		while (cur.plen < n->plen) {
			struct odk_net other = cur;
			unsigned bit = cur.plen;
			unsigned char m = (unsigned char)(0x80 >> (bit % 8));

			cur.plen++;
			other.plen++;
			/* cur: the half that holds n; other: the rest */
			cur.addr[bit / 8] = (unsigned char)((cur.addr[bit / 8] &
							     ~m) |
							    (n->addr[bit / 8] &
							     m));
			other.addr[bit / 8] = (unsigned char)
				(cur.addr[bit / 8] ^ m);
			odk_nets_push(s, &other);
		}
	}
}

/* odk_nets_order - most precise last; at equal precision exclusions
 * after inclusions, so an exclusion wins the tie */
static int
odk_nets_order(const struct odk_net *a, bool xa, const struct odk_net *b,
	       bool xb)
{
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return (int)xa - (int)xb;
}

/* odk_net_cmp - address order, for a stable output */
static int
odk_net_cmp(const void *pa, const void *pb)
{
	const struct odk_net *a = pa;
	const struct odk_net *b = pb;
	int c;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c != 0)
		return c;
	return a->plen < b->plen ? -1 : a->plen > b->plen;
}

/* odk_nets_apply - the networks a list with exclusions means, where the
 * most precise entry wins (OpenDKIM's PeerList rule): applied from the
 * least to the most precise, inclusions added and exclusions cut out */
void
odk_nets_apply(struct odk_nets *s, const struct odk_net *nets,
	       const bool *exclude, size_t count)
{
	size_t *order = xcalloc(count ? count : 1, sizeof(*order));
	size_t i;
	size_t j;

	for (i = 0; i < count; i++) {
		/* insertion sort: the lists are short */
		for (j = i; j > 0 && odk_nets_order(&nets[order[j - 1]],
						    exclude[order[j - 1]],
						    &nets[i], exclude[i]) > 0;
		     j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < count; i++) {
		if (exclude[order[i]])
			odk_nets_sub(s, &nets[order[i]]);
		else
			odk_nets_add(s, &nets[order[i]]);
	}
	free(order);
	if (s->count > 1)
		qsort(s->v, s->count, sizeof(*s->v), odk_net_cmp);
}

/* odk_nets_free - release a set */
void
odk_nets_free(struct odk_nets *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* odk_net_format - "192.0.2.0/24", a host without "/32" */
void
odk_net_format(const struct odk_net *n, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	unsigned full = n->family == AF_INET ? 32 : 128;

	if (inet_ntop(n->family, n->addr, a, sizeof(a)) == NULL)
		(void)str_copy(a, sizeof(a), "?");
	if (n->plen == full)
		(void)str_copy(out, size, a);
	else
		(void)str_format(out, size, "%s/%u", a, n->plen);
}
