/* SPDX-License-Identifier: BSD-2-Clause */
#include "spfdns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "xalloc.h"

/* Largest DNS message (TCP): an answer never needs more. */
#define SPFDNS_MSG_MAX 65535
#define SPFDNS_ZONE_DATA_MAX 4096

/* zone entry kinds beyond a record type */
#define SPFDNS_Z_NXDOMAIN (-1)
#define SPFDNS_Z_TEMP (-2)

struct spfdns_zrec {
	char *name;
	int type;		/* record type, or SPFDNS_Z_* */
	char *data;
	size_t len;
};

struct spfdns {
	spfdns_lookup_fn lookup;
	unsigned long queries;

	/* resolver */
	struct __res_state rs;
	bool rs_open;
	unsigned char *msg;

	/* zone */
	struct spfdns_zrec *zrec;
	size_t nz;
};

/* spfdns_name_ok - a name we are willing to put into a query */
bool
spfdns_name_ok(const char *name)
{
	size_t len = strlen(name);
	size_t label = 0;
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* res_nquery reads '\' as an escape: never pass one on */
		if (c < 0x21 || c > 0x7e || c == '\\')
			return false;
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

/* spfdns_answer_add - append one record to an answer */
static void
spfdns_answer_add(struct spfdns_answer *ans, const unsigned char *addr,
		  size_t alen, const char *text, size_t len)
{
	struct spfdns_rr *rr;

	ans->rr = xreallocarray(ans->rr, ans->n + 1, sizeof(*ans->rr));
	rr = &ans->rr[ans->n++];
	memset(rr, 0, sizeof(*rr));
	if (addr != NULL)
		memcpy(rr->addr, addr, alen);
	if (text != NULL) {
		rr->text = xmalloc(len + 1);
		memcpy(rr->text, text, len);
		rr->text[len] = '\0';
		rr->len = len;
	}
}

/* spfdns_answer_free - release the records of an answer */
void
spfdns_answer_free(struct spfdns_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->n; i++)
		free(ans->rr[i].text);
	free(ans->rr);
	ans->rr = NULL;
	ans->n = 0;
}

/* spfdns_lookup - one query through d; refuses invalid names */
enum spfdns_status
spfdns_lookup(struct spfdns *d, const char *name, enum spfdns_type type,
	      long timeout_ms, struct spfdns_answer *ans, struct err *e)
{
	ans->rr = NULL;
	ans->n = 0;
	if (!spfdns_name_ok(name)) {
		err_set(e, "not a valid DNS name");
		return SPFDNS_NONE;
	}
	if (timeout_ms <= 0) {
		err_set(e, "no time left");
		return SPFDNS_TEMP;
	}
	d->queries++;
	return d->lookup(d, name, type, timeout_ms, ans, e);
}

/* spfdns_queries - how many queries went out (or to the zone) */
unsigned long
spfdns_queries(const struct spfdns *d)
{
	return d->queries;
}

/* --- the system resolver ------------------------------------------------ */

/* spfdns_parse_rr - take one answer record of the wanted type */
static void
spfdns_parse_rr(const ns_msg *msg, const ns_rr *rr, enum spfdns_type type,
		struct spfdns_answer *ans)
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t rdlen = ns_rr_rdlen(*rr);
	char name[NS_MAXDNAME];
	char *txt;
	size_t tlen = 0;
	size_t off = 0;

	switch (type) {
	case SPFDNS_A:
	case SPFDNS_AAAA:
		if (rdlen == (type == SPFDNS_A ? 4u : 16u))
			spfdns_answer_add(ans, rd, rdlen, NULL, 0);
		return;
	case SPFDNS_MX:
		if (rdlen < 3 || ns_name_uncompress(ns_msg_base(*msg),
						    ns_msg_end(*msg), rd + 2,
						    name, sizeof(name)) < 0)
			return;
		spfdns_answer_add(ans, NULL, 0, name, strlen(name));
		return;
	case SPFDNS_PTR:
		if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg),
				       rd, name, sizeof(name)) < 0)
			return;
		spfdns_answer_add(ans, NULL, 0, name, strlen(name));
		return;
	case SPFDNS_TXT:
		/* character-strings, joined without separator (RFC 7208
		 * 3.3) */
		txt = xmalloc(rdlen + 1);
		while (off < rdlen) {
			size_t n = rd[off++];

			if (n > rdlen - off) {
				free(txt);
				return;
			}
			memcpy(txt + tlen, rd + off, n);
			tlen += n;
			off += n;
		}
		spfdns_answer_add(ans, NULL, 0, txt, tlen);
		free(txt);
		return;
	}
}

/* spfdns_res_lookup - res_nquery with our timeout and one attempt */
static enum spfdns_status
spfdns_res_lookup(struct spfdns *d, const char *name, enum spfdns_type type,
		  long timeout_ms, struct spfdns_answer *ans, struct err *e)
{
	ns_msg msg;
	ns_rr rr;
	int len;
	int i;

	/* glibc counts in whole seconds: round down so that a query ends
	 * before the evaluation's deadline, but wait at least 1 s (the
	 * client's own deadline still bounds the whole evaluation) */
	d->rs.retrans = timeout_ms < 1000 ? 1 : (int)(timeout_ms / 1000);
	d->rs.retry = 1;
	len = res_nquery(&d->rs, name, ns_c_in, (int)type, d->msg,
			 SPFDNS_MSG_MAX);
	if (len < 0) {
		switch (d->rs.res_h_errno) {
		case HOST_NOT_FOUND:
			err_set(e, "NXDOMAIN");
			return SPFDNS_NONE;
		case NO_DATA:
			err_set(e, "no records");
			return SPFDNS_NONE;
		default:
			err_set(e, "DNS lookup failed (%s)",
				d->rs.res_h_errno == TRY_AGAIN
					? "timeout, SERVFAIL or REFUSED"
					: "server error");
			return SPFDNS_TEMP;
		}
	}
	if (ns_initparse(d->msg, len, &msg) < 0) {
		err_set(e, "malformed DNS answer");
		return SPFDNS_TEMP;
	}
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		if ((int)ns_rr_type(rr) == (int)type &&
		    ns_rr_class(rr) == ns_c_in)
			spfdns_parse_rr(&msg, &rr, type, ans);
	}
	if (ans->n == 0) {
		err_set(e, "no records");
		return SPFDNS_NONE;
	}
	return SPFDNS_OK;
}

/* spfdns_resolver_new - lookups through the system resolver */
struct spfdns *
spfdns_resolver_new(struct err *e)
{
	struct spfdns *d = xcalloc(1, sizeof(*d));

	if (res_ninit(&d->rs) < 0) {
		err_set(e, "cannot read the resolver configuration");
		free(d);
		return NULL;
	}
	d->rs_open = true;
	/* names are fully qualified: no search list, no default domain */
	d->rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	d->msg = xmalloc(SPFDNS_MSG_MAX);
	d->lookup = spfdns_res_lookup;
	return d;
}

/* --- the in-memory zone -------------------------------------------------- */

/* spfdns_zone_lookup - answer from the table */
static enum spfdns_status
spfdns_zone_lookup(struct spfdns *d, const char *name, enum spfdns_type type,
		   long timeout_ms, struct spfdns_answer *ans, struct err *e)
{
	bool exists = false;
	size_t i;

	(void)timeout_ms;	/* answers at once */
	for (i = 0; i < d->nz; i++) {
		const struct spfdns_zrec *z = &d->zrec[i];

		if (strcasecmp(z->name, name) != 0)
			continue;
		if (z->type == SPFDNS_Z_TEMP) {
			err_set(e, "SERVFAIL");
			spfdns_answer_free(ans);
			return SPFDNS_TEMP;
		}
		if (z->type == SPFDNS_Z_NXDOMAIN)
			break;
		exists = true;
		if (z->type != (int)type)
			continue;
		if (type == SPFDNS_A || type == SPFDNS_AAAA)
			spfdns_answer_add(ans, (const unsigned char *)z->data,
					  z->len, NULL, 0);
		else
			spfdns_answer_add(ans, NULL, 0, z->data, z->len);
	}
	if (ans->n > 0)
		return SPFDNS_OK;
	err_set(e, exists ? "no records" : "NXDOMAIN");
	return SPFDNS_NONE;
}

/* spfdns_zone_new - an empty in-memory zone */
struct spfdns *
spfdns_zone_new(void)
{
	struct spfdns *d = xcalloc(1, sizeof(*d));

	d->lookup = spfdns_zone_lookup;
	return d;
}

/* spfdns_zone_add - one entry: type TXT, A, AAAA, MX, PTR (data as given;
 * A/AAAA as text) or NXDOMAIN / SERVFAIL (no data) */
int
spfdns_zone_add(struct spfdns *z, const char *name, const char *type,
		const char *data, size_t len, struct err *e)
{
	static const struct {
		const char *name;
		int type;
	} types[] = {
		{"TXT", SPFDNS_TXT},	{"A", SPFDNS_A},
		{"AAAA", SPFDNS_AAAA},	{"MX", SPFDNS_MX},
		{"PTR", SPFDNS_PTR},	{"NXDOMAIN", SPFDNS_Z_NXDOMAIN},
		{"SERVFAIL", SPFDNS_Z_TEMP},
	};
	struct spfdns_zrec r;
	unsigned char addr[16];
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(type, types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		err_set(e, "unknown record type %s", type);
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.type = types[i].type;
	if (r.type == SPFDNS_A || r.type == SPFDNS_AAAA) {
		char text[64];

		if (str_copyn(text, sizeof(text), data, len) < 0 ||
		    inet_pton(r.type == SPFDNS_A ? AF_INET : AF_INET6, text,
			      addr) != 1) {
			err_set(e, "bad address for %s", name);
			return -1;
		}
		data = (const char *)addr;
		len = r.type == SPFDNS_A ? 4 : 16;
	} else if (r.type == SPFDNS_MX && len > 0 && isdigit((unsigned char)*data)) {
		/* "10 mx.example" - the preference does not matter to SPF */
		while (len > 0 && *data != ' ') {
			data++;
			len--;
		}
		while (len > 0 && *data == ' ') {
			data++;
			len--;
		}
	}
	r.name = xstrdup(name);
	if (r.name[0] != '\0' && r.name[strlen(r.name) - 1] == '.')
		r.name[strlen(r.name) - 1] = '\0';
	r.data = xmalloc(len + 1);
	if (len > 0)
		memcpy(r.data, data, len);
	r.data[len] = '\0';
	r.len = len;
	z->zrec = xreallocarray(z->zrec, z->nz + 1, sizeof(*z->zrec));
	z->zrec[z->nz++] = r;
	return 0;
}

/* spfdns_unquote - master-file style TXT data: "a" "b" joined, with \"
 * \\ and \DDD escapes; unquoted data is taken as it is */
static int
spfdns_unquote(const char *s, char *out, size_t size, size_t *olen)
{
	size_t n = 0;

	if (*s != '"') {
		*olen = strlen(s);
		return str_copy(out, size, s);
	}
	while (*s == '"') {
		for (s++; *s != '"'; s++) {
			char c = *s;

			if (c == '\0' || n + 1 >= size)
				return -1;
			if (c == '\\' && isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2]) &&
			    isdigit((unsigned char)s[3])) {
				int v = (s[1] - '0') * 100 + (s[2] - '0') * 10 +
					(s[3] - '0');

				if (v > 255)
					return -1;
				c = (char)v;
				s += 3;
			} else if (c == '\\') {
				c = *++s;
				if (c == '\0')
					return -1;
			}
			out[n++] = c;
		}
		s++;
		while (*s == ' ')
			s++;
	}
	if (*s != '\0')
		return -1;
	out[n] = '\0';
	*olen = n;
	return 0;
}

/* spfdns_zone_add_line - "NAME TYPE [DATA]" */
int
spfdns_zone_add_line(struct spfdns *z, const char *line, struct err *e)
{
	char name[300];
	char type[16];
	char data[SPFDNS_ZONE_DATA_MAX];
	size_t nlen = strcspn(line, " \t");
	size_t tlen;
	size_t dlen = 0;
	const char *p;

	if (nlen == 0 || str_copyn(name, sizeof(name), line, nlen) < 0)
		goto bad;
	p = line + nlen + strspn(line + nlen, " \t");
	tlen = strcspn(p, " \t");
	if (tlen == 0 || str_copyn(type, sizeof(type), p, tlen) < 0)
		goto bad;
	p += tlen + strspn(p + tlen, " \t");
	if (spfdns_unquote(p, data, sizeof(data), &dlen) < 0)
		goto bad;
	return spfdns_zone_add(z, name, type, data, dlen, e);
bad:
	err_set(e, "malformed zone line \"%.60s\" (NAME TYPE DATA)", line);
	return -1;
}

/* spfdns_zone_load - a file of zone lines; '#' starts a comment line */
int
spfdns_zone_load(struct spfdns *z, const char *path, struct err *e)
{
	FILE *fp = fopen(path, "r");
	char line[SPFDNS_ZONE_DATA_MAX + 400];
	unsigned lineno = 0;
	int rc = 0;

	if (fp == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		char *t;
		struct err le;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		t = str_trim(line);
		if (*t == '\0' || *t == '#')
			continue;
		if (spfdns_zone_add_line(z, t, &le) < 0) {
			err_set(e, "%s:%u: %s", path, lineno, le.text);
			rc = -1;
		}
	}
	(void)fclose(fp);	/* read only */
	return rc;
}

/* spfdns_free - release either kind; NULL is fine */
void
spfdns_free(struct spfdns *d)
{
	size_t i;

	if (d == NULL)
		return;
	if (d->rs_open)
		res_nclose(&d->rs);
	free(d->msg);
	for (i = 0; i < d->nz; i++) {
		free(d->zrec[i].name);
		free(d->zrec[i].data);
	}
	free(d->zrec);
	free(d);
}
