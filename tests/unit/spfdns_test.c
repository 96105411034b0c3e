/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfdns_test - the DNS layer's own rules: which names may be sent at all
 * (only what DNS cannot carry is refused),
 * and the in-memory zone (lines, quoted TXT strings with escapes, NXDOMAIN
 * versus no data, SERVFAIL, several records).  The resolver side is
 * exercised against a real DNS server by tests/integration/t_spf_dns.sh.
 */
#include "spfdns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "rg_test.h"

struct name_row {
	const char *name;
	const char *dns_name;
	int ok;
};

static const struct name_row name_rows[] = {
	{"plain_name_is_sent", "mail.example.com", 1},
	{"name_with_underscore_and_colon_is_sent", "_spf.foo:bar.example.com",
	 1},
	{"empty_name_is_refused", "", 0},
	{"empty_label_is_refused", "a..example.com", 0},
	{"leading_dot_is_refused", ".example.com", 0},
	{"trailing_dot_is_refused", "example.com.", 0},
	{"label_of_63_is_sent",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
	 1},
	{"label_of_64_is_refused",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test",
	 0},
	/* DNS carries any byte in a label: what macros expand to is sent */
	{"space_is_sent", "a b.example.com", 1},
	{"percent_is_sent", "macro%percent  space%20url.example.com", 1},
	{"control_byte_is_sent", "a\001.example.com", 1},
	{"non_ascii_is_sent", "\303\251.example.com", 1},
	{"backslash_is_sent_as_a_byte", "a\\046b.example.com", 1},
};

/* test_name - spfdns_name_ok */
static void
test_name(void **state)
{
	const struct name_row *r = *state;

	assert_int_equal(spfdns_name_ok(r->dns_name), r->ok);
}

/* test_name_too_long - 254 bytes are one too many */
static void
test_name_too_long(void **state)
{
	char name[300];
	size_t i;

	(void)state;
	for (i = 0; i < 254; i++)
		name[i] = i % 50 == 49 ? '.' : 'a';
	name[253] = '\0';
	assert_true(spfdns_name_ok(name));
	name[253] = 'a';
	name[254] = '\0';
	assert_false(spfdns_name_ok(name));
}

/* test_zone - answers from zone lines */
static void
test_zone(void **state)
{
	static const char *const lines[] = {
		"Multi.Test. TXT \"v=spf1 \" \"a\\\"b\\\\c\\065 \" \"-all\"",
		"multi.test TXT plain text here",
		"multi.test A 192.0.2.1",
		"multi.test A 192.0.2.2",
		"multi.test MX 10 mx.multi.test.",
		"v6.test AAAA 2001:db8::1",
		"gone.test NXDOMAIN",
		"bad.test SERVFAIL",
	};
	struct spfdns *z = spfdns_zone_new();
	struct spfdns_answer a;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (spfdns_zone_add_line(z, lines[i], &e) < 0)
			fail_msg("%s: %s", lines[i], e.text);
	assert_int_equal(spfdns_lookup(z, "multi.test", SPFDNS_TXT, 1000, &a,
				       &e),
			 SPFDNS_OK);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.rr[0].text, "v=spf1 a\"b\\cA -all");
	assert_string_equal(a.rr[1].text, "plain text here");
	spfdns_answer_free(&a);
	assert_int_equal(spfdns_lookup(z, "MULTI.test", SPFDNS_A, 1000, &a,
				       &e),
			 SPFDNS_OK);
	assert_int_equal(a.n, 2);
	assert_memory_equal(a.rr[1].addr, "\300\000\002\002", 4);
	spfdns_answer_free(&a);
	assert_int_equal(spfdns_lookup(z, "multi.test", SPFDNS_MX, 1000, &a,
				       &e),
			 SPFDNS_OK);
	assert_string_equal(a.rr[0].text, "mx.multi.test.");
	spfdns_answer_free(&a);
	assert_int_equal(spfdns_lookup(z, "multi.test", SPFDNS_AAAA, 1000, &a,
				       &e),
			 SPFDNS_NONE);
	assert_true(rg_has(e.text, "no records"));
	assert_int_equal(spfdns_lookup(z, "v6.test", SPFDNS_AAAA, 1000, &a,
				       &e),
			 SPFDNS_OK);
	assert_int_equal(a.rr[0].addr[15], 1);
	spfdns_answer_free(&a);
	assert_int_equal(spfdns_lookup(z, "gone.test", SPFDNS_TXT, 1000, &a,
				       &e),
			 SPFDNS_NONE);
	assert_true(rg_has(e.text, "NXDOMAIN"));
	assert_int_equal(spfdns_lookup(z, "unknown.test", SPFDNS_TXT, 1000,
				       &a, &e),
			 SPFDNS_NONE);
	assert_int_equal(spfdns_lookup(z, "bad.test", SPFDNS_TXT, 1000, &a,
				       &e),
			 SPFDNS_TEMP);
	/* no time left: nothing is asked */
	assert_int_equal(spfdns_lookup(z, "multi.test", SPFDNS_TXT, 0, &a, &e),
			 SPFDNS_TEMP);
	assert_int_equal(spfdns_queries(z), 8);
	spfdns_free(z);
}

/* test_zone_bad_lines - refused with the reason */
static void
test_zone_bad_lines(void **state)
{
	static const char *const lines[] = {
		"name.test", "name.test BOGUS x", "name.test A 300.1.1.1",
		"name.test TXT \"unclosed", "name.test TXT \"a\" junk",
	};
	struct spfdns *z = spfdns_zone_new();
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(spfdns_zone_add_line(z, lines[i], &e), -1);
	spfdns_free(z);
}

/* --- the stub resolver against a fake name server ----------------------- */

enum fake_mode {
	FAKE_ANSWER,		/* a spoofed answer (wrong id), then the real */
	FAKE_TRUNCATED,		/* TC over UDP, the answer over TCP */
	FAKE_SILENT,		/* never answers */
	FAKE_SERVFAIL,		/* SERVFAIL */
};

struct fake {
	enum fake_mode mode;
	int udp;
	int tcp;
	unsigned port;
	pthread_t tid;
	unsigned char qname[300];	/* the question as received */
	size_t qlen;
};

/* fake_reply - an answer to query q: A 192.0.2.7, or rcode / TC only */
static size_t
fake_reply(const unsigned char *q, size_t qlen, int rcode, bool tc,
	   unsigned char *out)
{
	static const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0,
					   60, 0, 4, 192, 0, 2, 7};
	size_t n = qlen;

	memcpy(out, q, qlen);
	out[2] = (unsigned char)(0x80 | (q[2] & 0x01) | (tc ? 0x02 : 0));
	out[3] = (unsigned char)(0x80 | rcode);
	out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
	if (rcode == 0 && !tc) {
		out[7] = 1;
		memcpy(out + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	return n;
}

/* fake_run - the fake server: one query, answered as the mode says */
static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	unsigned char q[512];
	unsigned char a[600];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	size_t len;
	int c;

	n = recvfrom(f->udp, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
	if (n < 12)
		return NULL;
	f->qlen = (size_t)n - 12 < sizeof(f->qname) ? (size_t)n - 12 : 0;
	memcpy(f->qname, q + 12, f->qlen);
	switch (f->mode) {
	case FAKE_SILENT:
		return NULL;
	case FAKE_SERVFAIL:
		len = fake_reply(q, (size_t)n, 2, false, a);
		break;
	case FAKE_TRUNCATED:
		len = fake_reply(q, (size_t)n, 0, true, a);
		(void)sendto(f->udp, a, len, 0, (struct sockaddr *)&from, fl);
		c = accept(f->tcp, NULL, NULL);
		if (c < 0 || recv(c, a, 2, MSG_WAITALL) != 2 ||
		    recv(c, q, (size_t)(a[0] << 8 | a[1]), MSG_WAITALL) !=
			    (ssize_t)(a[0] << 8 | a[1])) {
			if (c >= 0)
				close(c);
			return NULL;
		}
		len = fake_reply(q, (size_t)(a[0] << 8 | a[1]), 0, false,
				 a + 2);
		a[0] = (unsigned char)(len >> 8);
		a[1] = (unsigned char)len;
		(void)send(c, a, len + 2, 0);
		close(c);
		return NULL;
	default:
		/* first a forged answer: right question, wrong id */
		len = fake_reply(q, (size_t)n, 0, false, a);
		a[0] ^= 0x55;
		a[len - 1] = 66;	/* 192.0.2.66 */
		(void)sendto(f->udp, a, len, 0, (struct sockaddr *)&from, fl);
		len = fake_reply(q, (size_t)n, 0, false, a);
		break;
	}
	(void)sendto(f->udp, a, len, 0, (struct sockaddr *)&from, fl);
	return NULL;
}

/* fake_start - UDP and TCP on one loopback port (a free UDP port whose
 * TCP twin is free too), the thread serving */
static void
fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int tries;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	for (tries = 0; tries < 100; tries++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		f->udp = socket(AF_INET, SOCK_DGRAM, 0);
		f->tcp = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(f->udp >= 0 && f->tcp >= 0);
		sl = sizeof(sin);
		if (bind(f->udp, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(f->udp, (struct sockaddr *)&sin, &sl) == 0 &&
		    bind(f->tcp, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(f->tcp, 1) == 0)
			break;
		close(f->udp);
		close(f->tcp);
	}
	assert_true(tries < 100);
	f->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&f->tid, NULL, fake_run, f), 0);
}

/* fake_stop - join the thread, close the sockets */
static void
fake_stop(struct fake *f)
{
	(void)pthread_join(f->tid, NULL);
	close(f->udp);
	close(f->tcp);
}

/* ask - one lookup through the stub against the fake server */
static enum spfdns_status
ask(struct fake *f, const char *name, long ms, struct spfdns_answer *a,
    struct err *e)
{
	struct spfdns *d = spfdns_resolver_new(e);
	enum spfdns_status st;

	assert_non_null(d);
	assert_int_equal(spfdns_resolver_server(d, "127.0.0.1", f->port, e), 0);
	st = spfdns_lookup(d, name, SPFDNS_A, ms, a, e);
	spfdns_free(d);
	return st;
}

/* test_forged_answer_is_dropped - an answer with another id is ignored,
 * the real one taken */
static void
test_forged_answer_is_dropped(void **state)
{
	struct spfdns_answer a;
	struct fake f;
	struct err e;

	(void)state;
	fake_start(&f, FAKE_ANSWER);
	assert_int_equal(ask(&f, "host.example", 10000, &a, &e), SPFDNS_OK);
	fake_stop(&f);
	assert_int_equal(a.n, 1);
	assert_memory_equal(a.rr[0].addr, "\300\000\002\007", 4);
	spfdns_answer_free(&a);
}

/* test_truncated_answer_goes_to_tcp - TC set: the query again over TCP */
static void
test_truncated_answer_goes_to_tcp(void **state)
{
	struct spfdns_answer a;
	struct fake f;
	struct err e;

	(void)state;
	fake_start(&f, FAKE_TRUNCATED);
	assert_int_equal(ask(&f, "host.example", 10000, &a, &e), SPFDNS_OK);
	fake_stop(&f);
	assert_int_equal(a.n, 1);
	spfdns_answer_free(&a);
}

/* test_blank_and_percent_are_sent_as_bytes - the question on the wire
 * carries the expanded name's bytes, one label each */
static void
test_blank_and_percent_are_sent_as_bytes(void **state)
{
	static const unsigned char want[] = "\016macro%percent \002\\a"
					     "\007example";
	struct spfdns_answer a;
	struct fake f;
	struct err e;

	(void)state;
	fake_start(&f, FAKE_ANSWER);
	assert_int_equal(ask(&f, "macro%percent .\\a.example", 10000, &a, &e),
			 SPFDNS_OK);
	fake_stop(&f);
	spfdns_answer_free(&a);
	assert_true(f.qlen >= sizeof(want));
	assert_memory_equal(f.qname, want, sizeof(want));
}

/* test_silent_server_ends_at_the_deadline - nothing comes back: TEMP
 * with the reason, and not before the time given is over (that it ends
 * then, and not later, t_spf_slow_dns shows by the order of answers) */
static void
test_silent_server_ends_at_the_deadline(void **state)
{
	struct spfdns_answer a;
	struct timespec t0;
	struct timespec t1;
	struct fake f;
	struct err e;
	long ms;

	(void)state;
	fake_start(&f, FAKE_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ask(&f, "host.example", 300, &a, &e), SPFDNS_TEMP);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fake_stop(&f);
	assert_true(rg_has(e.text, "DNS lookup failed (timeout)"));
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 295);	/* deadlines count whole ms */
}

/* test_servfail_is_temp - SERVFAIL from the only server */
static void
test_servfail_is_temp(void **state)
{
	struct spfdns_answer a;
	struct fake f;
	struct err e;

	(void)state;
	fake_start(&f, FAKE_SERVFAIL);
	assert_int_equal(ask(&f, "host.example", 10000, &a, &e), SPFDNS_TEMP);
	fake_stop(&f);
	assert_true(rg_has(e.text, "SERVFAIL"));
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, name_rows, test_name);
	rg_case_add(&c, "name_over_253_bytes_is_refused", test_name_too_long,
		    NULL);
	rg_case_add(&c, "zone_answers", test_zone, NULL);
	rg_case_add(&c, "zone_bad_lines_are_refused", test_zone_bad_lines,
		    NULL);
	rg_case_add(&c, "forged_answer_is_dropped",
		    test_forged_answer_is_dropped, NULL);
	rg_case_add(&c, "truncated_answer_goes_to_tcp",
		    test_truncated_answer_goes_to_tcp, NULL);
	rg_case_add(&c, "blank_and_percent_are_sent_as_bytes",
		    test_blank_and_percent_are_sent_as_bytes, NULL);
	rg_case_add(&c, "silent_server_ends_at_the_deadline",
		    test_silent_server_ends_at_the_deadline, NULL);
	rg_case_add(&c, "servfail_is_temp", test_servfail_is_temp, NULL);
	return rg_cases_run(&c, "spfdns", NULL, NULL);
}
