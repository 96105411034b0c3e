/* SPDX-License-Identifier: BSD-2-Clause */
#include "owner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "strbuf.h"
#include "xalloc.h"

/* Longest logical line, continuations included. */
#define OWNER_LINE_MAX 65536
#define OWNER_LOGIN_MAX 256

enum owner_kind {
	OWNER_ADDRESS,		/* alice@example.com */
	OWNER_DOMAIN,		/* @example.com */
	OWNER_SUBDOMAINS,	/* @.example.com */
};

struct owner_entry {
	char *login;		/* lower case */
	enum owner_kind kind;
	struct addr addr;	/* domain only, unless OWNER_ADDRESS */
};

struct owner_map {
	struct owner_entry *entries;	/* sorted by login */
	size_t count;
	size_t cap;
};

/* owner_map_free - release a map; NULL is fine */
void
owner_map_free(struct owner_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->count; i++)
		free(m->entries[i].login);
	free(m->entries);
	free(m);
}

/* owner_map_count - number of (login, address) pairs */
size_t
owner_map_count(const struct owner_map *m)
{
	return m ? m->count : 0;
}

/* owner_cmp - order entries by login */
static int
owner_cmp(const void *a, const void *b)
{
	const struct owner_entry *x = a;
	const struct owner_entry *y = b;

	return strcmp(x->login, y->login);
}

/* owner_value - parse one value: address, @domain or @.domain */
static int
owner_value(const char *v, struct owner_entry *ent, struct err *e)
{
	char probe[ADDR_DOMAIN_MAX + 16];
	struct addr a;
	struct err pe;
	const char *d = v + 1;

	if (v[0] != '@') {
		if (addr_path_parse(v, &ent->addr, &pe) != ADDR_OK) {
			err_set(e, "\"%s\": %s (examples: alice@example.com, "
				   "@example.com, @.example.com)", v, pe.text);
			return -1;
		}
		ent->kind = OWNER_ADDRESS;
		return 0;
	}
	ent->kind = OWNER_DOMAIN;
	if (*d == '.') {
		ent->kind = OWNER_SUBDOMAINS;
		d++;
	}
	/* normalise the domain as an address would be (case, IDNA) */
	if (str_format(probe, sizeof(probe), "x@%s", d) < 0 ||
	    addr_path_parse(probe, &a, &pe) != ADDR_OK) {
		err_set(e, "\"%s\": not a domain (examples: @example.com, "
			   "@.example.com)", v);
		return -1;
	}
	memset(&ent->addr, 0, sizeof(ent->addr));
	memcpy(ent->addr.domain, a.domain, sizeof(a.domain));
	return 0;
}

/* owner_login_ok - a login key: printable, no separators, not too long */
static int
owner_login_ok(const char *login)
{
	const unsigned char *p;

	if (strlen(login) >= OWNER_LOGIN_MAX)
		return 0;
	for (p = (const unsigned char *)login; *p; p++)
		if (*p < 0x21 || *p == 0x7f)
			return 0;
	return 1;
}

/* owner_add - one more (login, value) pair */
static void
owner_add(struct owner_map *m, const char *login,
	  const struct owner_entry *ent)
{
	if (m->count == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->entries = xreallocarray(m->entries, m->cap,
					   sizeof(*m->entries));
	}
	m->entries[m->count] = *ent;
	m->entries[m->count].login = xstrdup(login);
	str_lower(m->entries[m->count].login);
	m->count++;
}

/* owner_line - one logical line: a login and its values */
static int
owner_line(struct owner_map *m, char *line, struct err *e)
{
	char *s = line;
	char *login;
	char *v;
	size_t nvals = 0;
	struct owner_entry ent;

	login = s + strspn(s, " \t");
	s = login + strcspn(login, " \t,");
	if (*s != '\0')
		*s++ = '\0';
	if (!owner_login_ok(login)) {
		err_set(e, "\"%s\": not a login name", login);
		return -1;
	}
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			break;
		v = s;
		s += strcspn(s, " \t,");
		if (*s != '\0')
			*s++ = '\0';
		if (owner_value(v, &ent, e) < 0)
			return -1;
		owner_add(m, login, &ent);
		nvals++;
	}
	if (nvals == 0) {
		err_set(e, "login \"%s\" has no address (example: alice "
			   "alice@example.com, @example.org)", login);
		return -1;
	}
	return 0;
}

/* owner_flush - parse the collected logical line, if any */
static int
owner_flush(struct owner_map *m, struct strbuf *lb, const char *path,
	    unsigned lineno, struct err *e)
{
	struct err le;

	if (lb->len == 0)
		return 0;
	if (owner_line(m, lb->data, &le) < 0) {
		err_set(e, "%s:%u: %s", path, lineno, le.text);
		return -1;
	}
	strbuf_reset(lb);
	return 0;
}

/* owner_map_load - read the whole map file, or nothing */
int
owner_map_load(const char *path, struct owner_map **out, struct err *e)
{
	FILE *fp = fopen(path, "re");
	int rc;

	if (fp == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = owner_map_load_stream(fp, path, out, e);
	(void)fclose(fp);	/* read-only: nothing to lose */
	return rc;
}

/* owner_map_load_stream - read a whole map from an open stream; path
 * names it in errors */
int
owner_map_load_stream(FILE *fp, const char *path, struct owner_map **out,
		      struct err *e)
{
	struct owner_map *m = xcalloc(1, sizeof(*m));
	struct strbuf lb;
	char *buf = NULL;
	size_t bufcap = 0;
	ssize_t len;
	unsigned lineno = 0;
	unsigned start = 0;
	int rc = -1;

	strbuf_init(&lb, OWNER_LINE_MAX);
	while ((len = getline(&buf, &bufcap, fp)) >= 0) {
		char *hash;

		lineno++;
		if ((size_t)len >= OWNER_LINE_MAX)
			goto too_long;
		if (strlen(buf) != (size_t)len) {
			err_set(e, "%s:%u: NUL byte in the line", path, lineno);
			goto out;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		hash = strchr(buf, '#');
		if (hash != NULL && (hash == buf || hash[-1] == ' ' ||
				     hash[-1] == '\t'))
			*hash = '\0';
		if (buf[strspn(buf, " \t")] == '\0')
			continue;
		if (buf[0] == ' ' || buf[0] == '\t') {
			/* continuation of the previous login's line */
			if (lb.len == 0) {
				err_set(e, "%s:%u: continuation line without "
					   "a login before it", path, lineno);
				goto out;
			}
			if (strbuf_append(&lb, " ", 1) < 0 ||
			    strbuf_append_str(&lb, buf) < 0)
				goto too_long;
			continue;
		}
		if (owner_flush(m, &lb, path, start, e) < 0)
			goto out;
		start = lineno;
		if (strbuf_append_str(&lb, buf) < 0)
			goto too_long;
	}
	if (ferror(fp)) {
		err_set(e, "%s: read error", path);
		goto out;
	}
	if (owner_flush(m, &lb, path, start, e) < 0)
		goto out;
	if (m->count > 1)
		qsort(m->entries, m->count, sizeof(*m->entries), owner_cmp);
	*out = m;
	m = NULL;
	rc = 0;
	goto out;
too_long:
	err_set(e, "%s:%u: line longer than %d bytes", path, lineno,
		OWNER_LINE_MAX - 1);
out:
	free(buf);
	strbuf_free(&lb);
	owner_map_free(m);
	return rc;
}

/* owner_strip - the address without its +tag, when a delimiter is set */
static void
owner_strip(const struct owner_opts *o, const struct addr *in,
	    struct addr *out)
{
	char *d;

	*out = *in;
	if (o->delimiter == '\0' || out->local[0] == '"')
		return;
	d = strchr(out->local, o->delimiter);
	if (d != NULL && d != out->local)
		*d = '\0';
}

/* owner_entry_allows - does one entry cover the address? */
static bool
owner_entry_allows(const struct owner_entry *ent, const struct owner_opts *o,
		   const struct addr *a)
{
	size_t dl;
	size_t el;

	switch (ent->kind) {
	case OWNER_ADDRESS:
		return addr_equal(&ent->addr, a, o->exact_local);
	case OWNER_DOMAIN:
		return strcmp(ent->addr.domain, a->domain) == 0;
	case OWNER_SUBDOMAINS:
		dl = strlen(a->domain);
		el = strlen(ent->addr.domain);
		return dl > el + 1 && a->domain[dl - el - 1] == '.' &&
		       strcmp(a->domain + dl - el, ent->addr.domain) == 0;
	}
	return false;
}

/* owner_find - first entry of a login key, or NULL */
static const struct owner_entry *
owner_find(const struct owner_map *m, const char *key, size_t *n)
{
	size_t lo = 0;
	size_t hi = m->count;
	size_t i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->entries[mid].login, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < m->count && strcmp(m->entries[i].login, key) == 0;
	     i++)
		;
	*n = i - lo;
	return *n ? &m->entries[lo] : NULL;
}

/* owner_key_allows - do the lines of this login key cover the address?
 * *listed tells whether the key has lines at all */
static bool
owner_key_allows(const struct owner_map *m, const struct owner_opts *o,
		 const char *key, const struct addr *a, bool *listed)
{
	const struct owner_entry *ent;
	size_t n;
	size_t i;

	*listed = false;
	if (m == NULL)
		return false;
	ent = owner_find(m, key, &n);
	if (ent == NULL)
		return false;
	*listed = true;
	for (i = 0; i < n; i++)
		if (owner_entry_allows(&ent[i], o, a))
			return true;
	return false;
}

/* owner_may_send_as - may this login use this address? */
bool
owner_may_send_as(const struct owner_map *m, const struct owner_opts *o,
		  const char *login, const struct addr *addr)
{
	char key[OWNER_LOGIN_MAX];
	struct addr a;
	struct addr self;
	struct err e;
	bool listed;
	const char *at;

	if (login[0] == '\0' || str_copy(key, sizeof(key), login) < 0)
		return false;
	str_lower(key);
	owner_strip(o, addr, &a);
	if (owner_key_allows(m, o, key, &a, &listed))
		return true;
	if (o->self && addr_path_parse(login, &self, &e) == ADDR_OK &&
	    addr_equal(&self, &a, o->exact_local))
		return true;
	if (listed)
		return false;
	/* no line of its own: the login's domain line, "@domain" */
	at = strrchr(key, '@');
	if (at != NULL && at[1] != '\0' &&
	    owner_key_allows(m, o, at, &a, &listed))
		return true;
	return false;
}
