/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfdns_test - the DNS layer's own rules: which names may be sent at all
 * (only what DNS cannot carry is refused),
 * and the in-memory zone (lines, quoted TXT strings with escapes, NXDOMAIN
 * versus no data, SERVFAIL, several records).  The resolver side is
 * exercised against a real DNS server by tests/integration/t_spf_dns.sh.
 */
#include "spfdns.h"

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
	return rg_cases_run(&c, "spfdns", NULL, NULL);
}
