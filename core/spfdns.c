/* SPDX-License-Identifier: BSD-2-Clause */
#include "spfdns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "str.h"
#include "tspec.h"
#include "xalloc.h"

/* Largest DNS message (TCP): an answer never needs more. */
#define SPFDNS_MSG_MAX 65535
#define SPFDNS_ZONE_DATA_MAX 4096
/* A name in text form with every byte escaped (\DDD) at worst. */
#define SPFDNS_NAME_TEXT_MAX (253 * 4 + 1)

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

/*
 * spfdns_name_ok - can this name be sent in a query?  Only what DNS itself
 * forbids is refused (RFC 1035 2.3.4, RFC 2181 11): more than 253 bytes,
 * an empty label, a label over 63 bytes.  Any other byte may appear in a
 * label and is sent as it is: RFC 7208 7.1 macros can expand to spaces
 * ("%_"), '%' ("%%", "%-") or whatever a local part holds.
 */
bool
spfdns_name_ok(const char *name)
{
	size_t len = strlen(name);
	size_t label = 0;
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
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

/* spfdns_now_ms - CLOCK_MONOTONIC in ms */
static long long
spfdns_now_ms(void)
{
	return (long long)tspec_ms(CLOCK_MONOTONIC);
}

/* spfdns_name_text - name in the text form res_nmkquery reads: every
 * byte outside printable ASCII, the blank and the backslash as \DDD */
static int
spfdns_name_text(const char *name, char *out, size_t size)
{
	size_t o = 0;

	for (; *name != '\0'; name++) {
		unsigned char c = (unsigned char)*name;

		if (o + 5 > size)
			return -1;
		if (c <= 0x20 || c >= 0x7f || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)('0' + c / 100);
			out[o++] = (char)('0' + c / 10 % 10);
			out[o++] = (char)('0' + c % 10);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return 0;
}

/* spfdns_wait - poll fd for events until the deadline: 1 ready, 0 not */
static int
spfdns_wait(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		long long left = deadline - spfdns_now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return 0;
	}
}

/* spfdns_is_answer - is a the answer to query q (RFC 5452 9.1: same id,
 * same question, a response)?  Anything else is dropped. */
static bool
spfdns_is_answer(const unsigned char *q, size_t qlen, const unsigned char *a,
		 size_t alen)
{
	size_t i;

	if (alen < qlen || qlen < NS_HFIXEDSZ || a[0] != q[0] ||
	    a[1] != q[1] || !(a[2] & 0x80) || a[4] != 0 || a[5] != 1)
		return false;
	/* the question, as we sent it (case aside) */
	for (i = NS_HFIXEDSZ; i < qlen; i++)
		if (tolower(a[i]) != tolower(q[i]))
			return false;
	return true;
}

/* spfdns_udp - one query over UDP: the answer's length, 0 when none came
 * before the deadline, -1 when the server cannot be reached */
static ssize_t
spfdns_udp(const struct sockaddr *sa, socklen_t salen, const unsigned char *q,
	   size_t qlen, unsigned char *buf, long long deadline)
{
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC |
					       SOCK_NONBLOCK, 0);
	ssize_t n = -1;

	/* a connected socket of its own: a new random source port, and only
	 * that server's datagrams reach it */
	if (fd < 0 || connect(fd, sa, salen) < 0 ||
	    send(fd, q, qlen, MSG_NOSIGNAL) != (ssize_t)qlen)
		goto out;
	for (;;) {
		if (!spfdns_wait(fd, POLLIN, deadline)) {
			n = 0;
			break;
		}
		n = recv(fd, buf, SPFDNS_MSG_MAX, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			break;	/* e.g. ECONNREFUSED: nobody there */
		if (spfdns_is_answer(q, qlen, buf, (size_t)n))
			break;
	}
out:
	if (fd >= 0)
		(void)close(fd);
	return n;
}

/* spfdns_tcp_io - write or read exactly len bytes before the deadline */
static int
spfdns_tcp_io(int fd, unsigned char *buf, size_t len, bool out,
	      long long deadline)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (!spfdns_wait(fd, out ? POLLOUT : POLLIN, deadline))
			return -1;
		n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
			: recv(fd, buf + done, len - done, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* spfdns_tcp - the same query over TCP (RFC 7766), after a truncated UDP
 * answer: the answer's length, or -1 */
static ssize_t
spfdns_tcp(const struct sockaddr *sa, socklen_t salen, const unsigned char *q,
	   size_t qlen, unsigned char *buf, long long deadline)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC |
					       SOCK_NONBLOCK, 0);
	unsigned char hdr[2 + 512];
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	ssize_t n = -1;
	size_t alen;

	if (fd < 0 || qlen > sizeof(hdr) - 2)
		goto out;
	if (connect(fd, sa, salen) < 0 &&
	    (errno != EINPROGRESS || !spfdns_wait(fd, POLLOUT, deadline) ||
	     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
	     soerr != 0))
		goto out;
	hdr[0] = (unsigned char)(qlen >> 8);
	hdr[1] = (unsigned char)qlen;
	memcpy(hdr + 2, q, qlen);
	if (spfdns_tcp_io(fd, hdr, qlen + 2, true, deadline) < 0 ||
	    spfdns_tcp_io(fd, hdr, 2, false, deadline) < 0)
		goto out;
	alen = (size_t)hdr[0] << 8 | hdr[1];
	if (spfdns_tcp_io(fd, buf, alen, false, deadline) < 0 ||
	    !spfdns_is_answer(q, qlen, buf, alen))
		goto out;
	n = (ssize_t)alen;
out:
	if (fd >= 0)
		(void)close(fd);
	return n;
}

/* spfdns_server - the i-th name server of resolv.conf; false if none */
static bool
spfdns_server(const struct spfdns *d, int i, const struct sockaddr **sa,
	      socklen_t *salen)
{
	if (d->rs.nsaddr_list[i].sin_family == AF_INET) {
		*sa = (const struct sockaddr *)&d->rs.nsaddr_list[i];
		*salen = sizeof(struct sockaddr_in);
		return true;
	}
	/* glibc keeps IPv6 servers apart */
	if (d->rs._u._ext.nsaddrs[i] != NULL &&
	    d->rs._u._ext.nsaddrs[i]->sin6_family == AF_INET6) {
		*sa = (const struct sockaddr *)d->rs._u._ext.nsaddrs[i];
		*salen = sizeof(struct sockaddr_in6);
		return true;
	}
	return false;
}

/* spfdns_ask - send q to the name servers in turn, each given an equal
 * part of the time that is left, until one answers with NOERROR or
 * NXDOMAIN: the answer's length, or -1 with the reason in e */
static ssize_t
spfdns_ask(struct spfdns *d, const unsigned char *q, size_t qlen,
	   long long deadline, struct err *e)
{
	const char *why = "timeout";
	int nservers = d->rs.nscount < 0       ? 0
		       : d->rs.nscount > MAXNS ? MAXNS
					       : d->rs.nscount;
	int i;

	for (i = 0; i < nservers; i++) {
		long long left = deadline - spfdns_now_ms();
		long long until;
		const struct sockaddr *sa;
		socklen_t salen;
		ssize_t n;
		int rcode;

		if (left <= 0)
			break;
		if (!spfdns_server(d, i, &sa, &salen))
			continue;
		until = spfdns_now_ms() + left / (nservers - i);
		n = spfdns_udp(sa, salen, q, qlen, d->msg, until);
		if (n > 0 && (d->msg[2] & 0x02))	/* TC: truncated */
			n = spfdns_tcp(sa, salen, q, qlen, d->msg, until);
		if (n == 0)
			continue;	/* why stays "timeout" */
		if (n < 0) {
			why = "no answer from the name server";
			continue;
		}
		rcode = d->msg[3] & 0x0f;
		if (rcode == ns_r_noerror || rcode == ns_r_nxdomain)
			return n;
		why = rcode == ns_r_servfail ? "SERVFAIL"
		      : rcode == ns_r_refused ? "REFUSED"
					      : "server error";
	}
	err_set(e, "DNS lookup failed (%s)", why);
	return -1;
}

/*
 * spfdns_res_lookup - one query to the servers of resolv.conf, over
 * within timeout_ms however many servers there are (glibc's res_nquery
 * counts in whole seconds, waits at least one second and then again for
 * each further server, so a query could outlive the evaluation's
 * deadline and keep its thread busy)
 */
static enum spfdns_status
spfdns_res_lookup(struct spfdns *d, const char *name, enum spfdns_type type,
		  long timeout_ms, struct spfdns_answer *ans, struct err *e)
{
	long long deadline = spfdns_now_ms() + timeout_ms;
	unsigned char q[NS_PACKETSZ];
	char text[SPFDNS_NAME_TEXT_MAX];
	ns_msg msg;
	ns_rr rr;
	ssize_t len;
	int qlen;
	int i;

	if (spfdns_name_text(name, text, sizeof(text)) < 0 ||
	    (qlen = res_nmkquery(&d->rs, ns_o_query, text, ns_c_in, (int)type,
				 NULL, 0, NULL, q, sizeof(q))) < NS_HFIXEDSZ) {
		err_set(e, "cannot make a query for that name");
		return SPFDNS_NONE;
	}
	/* a query id of our own from the kernel's generator */
	if (getrandom(q, 2, GRND_NONBLOCK) != 2)
		q[0] ^= (unsigned char)(deadline >> 3);
	len = spfdns_ask(d, q, (size_t)qlen, deadline, e);
	if (len < 0)
		return SPFDNS_TEMP;
	if ((d->msg[3] & 0x0f) == ns_r_nxdomain) {
		err_set(e, "NXDOMAIN");
		return SPFDNS_NONE;
	}
	if (ns_initparse(d->msg, (int)len, &msg) < 0) {
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

/* spfdns_resolver_server - ask one IPv4 server at ip:port instead of the
 * name servers of resolv.conf (tests and tools) */
int
spfdns_resolver_server(struct spfdns *d, const char *ip, unsigned port,
		       struct err *e)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	if (!d->rs_open || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
		err_set(e, "bad name server %s port %u", ip, port);
		return -1;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	d->rs.nsaddr_list[0] = sin;
	d->rs.nscount = 1;
	return 0;
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
