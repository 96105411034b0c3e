/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfcheck_fuzz - libFuzzer target (doc/failures.md D8): whole SPF
 * evaluations over an in-memory zone whose records come from the input.
 *
 * The input is split at newlines: line 1 is the TXT record of f.test (the
 * sender's domain), line 2 of i.test, line 3 of r.test (include/redirect
 * targets), line 4 the exp text at e.test.  Fixed records give the names
 * a, mx, ptr and exists terms may reach.  Each input is evaluated for an
 * IPv4, an IPv6 and an IPv4-mapped client, for MAIL FROM and for a null
 * sender.  Invariants: a known result; terminated, printable strings; the
 * limits hold (at most 11 counted terms, 3 void lookups) and the number
 * of queries stays bounded.
 */
#include "spfcheck.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* printable - terminated within size, bytes 0x20..0x7e only */
static int
printable(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return i < size;
}

/* fuzz_zone - the fixed records plus the input's */
static struct spfdns *
fuzz_zone(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"f.test", "i.test", "r.test",
					    "e.test"};
	static const char *const fixed[] = {
		"a.test A 192.0.2.1", "a.test AAAA 2001:db8::1",
		"f.test A 192.0.2.2", "f.test MX 10 a.test",
		"f.test MX 20 b.test", "b.test A 198.51.100.1",
		"3.2.0.192.in-addr.arpa PTR a.test",
		"3.2.0.192.in-addr.arpa PTR f.test",
		"s.test SERVFAIL", "x.f.test A 127.0.0.2",
	};
	struct spfdns *z = spfdns_zone_new();
	struct err e;
	size_t start = 0;
	size_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		(void)spfdns_zone_add_line(z, fixed[i], &e);
	for (i = 0; i <= size && n < 4; i++) {
		if (i == size || data[i] == '\n') {
			(void)spfdns_zone_add(z, names[n++], "TXT",
					      (const char *)data + start,
					      i - start, &e);
			start = i + 1;
		}
	}
	return z;
}

/* LLVMFuzzerTestOneInput - one zone, six evaluations */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ips[] = {"192.0.2.3", "2001:db8::5",
					  "::ffff:192.0.2.3"};
	static const char *const senders[] = {"a.b+c@f.test", ""};
	struct spfdns *z = fuzz_zone(data, size);
	struct spfcheck_req req;
	struct spfcheck_res res;
	size_t i;
	size_t j;

	for (i = 0; i < 3; i++) {
		for (j = 0; j < 2; j++) {
			unsigned long before = spfdns_queries(z);

			memset(&req, 0, sizeof(req));
			snprintf(req.ip, sizeof(req.ip), "%s", ips[i]);
			snprintf(req.helo, sizeof(req.helo), "f.test");
			snprintf(req.sender, sizeof(req.sender), "%s",
				 senders[j]);
			snprintf(req.receiver, sizeof(req.receiver),
				 "mx.example.net");
			req.timeout_ms = 10000;
			req.dns_timeout_ms = 1000;
			spfcheck_host(z, &req, &res);
			check((unsigned)res.result < SPFCHECK_NRESULTS);
			check(printable(res.reason, sizeof(res.reason)));
			check(printable(res.explanation,
					sizeof(res.explanation)));
			check(printable(res.mechanism, sizeof(res.mechanism)));
			check(printable(res.domain, sizeof(res.domain)));
			check(res.lookups <= 11);
			check(res.void_lookups <= 3);
			/* each of <= 10 terms: a few queries, mx/ptr up to
			 * 1 + 10 more; plus the records, exp and %{p} */
			check(spfdns_queries(z) - before <= 300);
		}
	}
	spfdns_free(z);
	return 0;
}
