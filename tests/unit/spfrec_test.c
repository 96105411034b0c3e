/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfrec_test - SPF record syntax (RFC 7208 4.5, 4.6, 5, 6, 7.1) and macro
 * expansion (7.2-7.4), including what libspf2 gets wrong: "/0" prefixes,
 * numeric or malformed top labels, host:port, modifier rules, empty
 * domain-specs, bad macros, non-ASCII and control bytes, truncation
 * macros on values with fewer parts (D7) and '+' in local parts.
 */
#include "spfrec.h"

#include "rg_test.h"

struct parse_row {
	const char *name;
	const char *record;
	int ok;			/* 1 parses, 0 permerror */
	const char *why;	/* substring of the error, or of nothing */
};

static const struct parse_row parse_rows[] = {
	{"simple_record_parses", "v=spf1 ip4:192.0.2.0/24 mx -all", 1, ""},
	{"version_alone_parses", "v=spf1", 1, ""},
	{"names_are_case_insensitive", "V=SPF1 IP4:192.0.2.1 MX:X.TEST -ALL",
	 1, ""},
	{"several_spaces_between_terms", "v=spf1  a   -all  ", 1, ""},
	{"prefix_zero_is_valid", "v=spf1 ip4:0.0.0.0/0 ip6:::/0 a/0//0 -all",
	 1, ""},
	{"ip4_prefix_33_is_permerror", "v=spf1 ip4:192.0.2.0/33", 0,
	 "prefix"},
	{"ip6_prefix_129_is_permerror", "v=spf1 ip6:2001:db8::/129", 0,
	 "prefix"},
	{"prefix_with_leading_zero_is_permerror", "v=spf1 ip4:192.0.2.0/024",
	 0, ""},
	{"ip4_octet_with_leading_zero_is_permerror", "v=spf1 ip4:192.0.02.1",
	 0, "IPv4"},
	{"ip4_octet_over_255_is_permerror", "v=spf1 ip4:192.0.2.256", 0,
	 "IPv4"},
	{"ip4_with_ip6_prefix_is_permerror", "v=spf1 ip4:192.0.2.1//64", 0,
	 ""},
	{"ip6_bad_address_is_permerror", "v=spf1 ip6:2001:db8:zz::", 0,
	 "IPv6"},
	{"ip6_mapped_address_parses", "v=spf1 ip6:::ffff:192.0.2.1", 1, ""},
	{"a_with_dual_prefix_parses", "v=spf1 a:x.test/24//64", 1, ""},
	{"a_prefix_33_is_permerror", "v=spf1 a/33", 0, "range"},
	{"mx_ip6_prefix_129_is_permerror", "v=spf1 mx//129", 0, "range"},
	{"numeric_top_label_is_permerror", "v=spf1 a:foo.123", 0,
	 "top label"},
	{"ip_address_as_a_domain_is_permerror", "v=spf1 a:192.0.2.1", 0,
	 "top label"},
	{"single_label_is_permerror", "v=spf1 a:museum", 0, "top label"},
	{"host_and_port_is_permerror", "v=spf1 a:example.com:8080", 0,
	 "top label"},
	{"top_label_starting_with_dash_is_permerror", "v=spf1 a:foo.-bar", 0,
	 "top label"},
	{"top_label_of_digits_and_dash_parses", "v=spf1 a:foo.1-2", 1, ""},
	{"trailing_dot_parses", "v=spf1 a:example.com. -all", 1, ""},
	{"domain_spec_ending_in_macro_parses", "v=spf1 exists:%{i}.%{d}", 1,
	 ""},
	{"colon_and_slash_inside_domain_spec_parse",
	 "v=spf1 a:foo:bar/baz.example.com", 1, ""},
	{"empty_a_domain_is_permerror", "v=spf1 a:", 0, "empty"},
	{"empty_mx_domain_is_permerror", "v=spf1 mx: -all", 0, "empty"},
	{"empty_exists_domain_is_permerror", "v=spf1 exists:", 0, "empty"},
	{"exists_without_domain_is_permerror", "v=spf1 exists", 0, "domain"},
	{"include_without_domain_is_permerror", "v=spf1 include -all", 0,
	 "domain"},
	{"ptr_with_prefix_is_permerror", "v=spf1 ptr/24", 0, ""},
	{"unknown_mechanism_is_permerror", "v=spf1 foo -all", 0,
	 "unknown mechanism"},
	{"unknown_mechanism_after_all_is_permerror", "v=spf1 -all moo", 0,
	 "unknown mechanism"},
	{"all_with_argument_is_permerror", "v=spf1 -all:3030", 0, ""},
	{"qualifier_on_modifier_is_permerror", "v=spf1 -redirect=x.test", 0,
	 "unknown mechanism"},
	{"unknown_modifier_is_ignored", "v=spf1 moo=bar.test -all", 1, ""},
	{"unknown_modifier_with_empty_value_is_ignored", "v=spf1 moo= -all",
	 1, ""},
	{"unknown_modifier_with_bad_macro_is_permerror",
	 "v=spf1 moo=%{z} -all", 0, "macro"},
	{"duplicate_redirect_is_permerror",
	 "v=spf1 redirect=a.test redirect=b.test", 0, "twice"},
	{"duplicate_exp_is_permerror", "v=spf1 -all exp=a.test exp=b.test", 0,
	 "twice"},
	{"empty_redirect_is_permerror", "v=spf1 redirect=", 0, "empty"},
	{"exp_with_single_label_is_permerror", "v=spf1 -all exp=foo", 0,
	 "top label"},
	{"unknown_macro_letter_is_permerror", "v=spf1 exists:%{z}.x.test", 0,
	 "macro letter"},
	{"percent_before_other_char_is_permerror", "v=spf1 a:%x.test", 0,
	 "'%'"},
	{"percent_at_end_is_permerror", "v=spf1 exists:x.test%", 0, "'%'"},
	{"zero_part_count_is_permerror", "v=spf1 exists:%{d0}.x.test", 0,
	 "zero"},
	{"exp_only_macro_outside_exp_is_permerror",
	 "v=spf1 exists:%{c}.x.test", 0, "macro letter"},
	{"unclosed_macro_is_permerror", "v=spf1 exists:%{d.x.test", 0,
	 "malformed macro"},
	{"control_byte_is_permerror", "v=spf1 a:x\001.test", 0, "0x01"},
	{"non_ascii_byte_is_permerror", "v=spf1 a:\303\251.test", 0, "0xc3"},
	{"tab_instead_of_space_is_not_spf", "v=spf1\t-all", 0, "not an SPF"},
	{"version_spf10_is_not_spf", "v=spf10 -all", 0, "not an SPF"},
};

/* test_parse - one record, accepted or refused with the reason */
static void
test_parse(void **state)
{
	const struct parse_row *r = *state;
	struct spfrec rec;
	struct err e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = spfrec_parse(r->record, strlen(r->record), &rec, &e);
	if (r->ok) {
		if (rc != 0)
			fail_msg("refused: %s", e.text);
		spfrec_free(&rec);
	} else {
		assert_int_equal(rc, -1);
		assert_true(rg_has(e.text, r->why));
		assert_null(rec.buf);
	}
}

/* test_parse_terms - what the parser keeps of each term */
static void
test_parse_terms(void **state)
{
	static const char text[] =
		"v=spf1 ~ip4:192.0.2.0/24 ?a:X.test/16//48 mx ptr:p.test "
		"-include:i.test exists:%{i}.e.test ip6:2001:db8::/32 "
		"redirect=r.test exp=x.%{d} unknown=1 -all";
	struct spfrec rec;
	struct err e;

	(void)state;
	assert_int_equal(spfrec_parse(text, strlen(text), &rec, &e), 0);
	assert_int_equal(rec.nterms, 8);
	assert_int_equal(rec.terms[0].mech, SPFREC_IP4);
	assert_int_equal(rec.terms[0].qual, '~');
	assert_int_equal(rec.terms[0].cidr4, 24);
	assert_memory_equal(rec.terms[0].addr, "\300\000\002\000", 4);
	assert_int_equal(rec.terms[1].mech, SPFREC_A);
	assert_string_equal(rec.terms[1].domain, "X.test");
	assert_int_equal(rec.terms[1].cidr4, 16);
	assert_int_equal(rec.terms[1].cidr6, 48);
	assert_string_equal(rec.terms[1].text, "?a:X.test/16//48");
	assert_null(rec.terms[2].domain);
	assert_int_equal(rec.terms[2].cidr4, -1);
	assert_string_equal(rec.terms[3].domain, "p.test");
	assert_int_equal(rec.terms[4].qual, '-');
	assert_int_equal(rec.terms[6].cidr6, 32);
	assert_int_equal(rec.terms[7].mech, SPFREC_ALL);
	assert_string_equal(rec.redirect, "r.test");
	assert_string_equal(rec.exp, "x.%{d}");
	spfrec_free(&rec);
}

/* test_parse_too_long - a record over SPFREC_TEXT_MAX is refused */
static void
test_parse_too_long(void **state)
{
	char *text = malloc(SPFREC_TEXT_MAX + 20);
	struct spfrec rec;
	struct err e;
	size_t n;

	(void)state;
	assert_non_null(text);
	memcpy(text, "v=spf1", 6);
	for (n = 6; n < SPFREC_TEXT_MAX + 10; n += 2)
		memcpy(text + n, " a", 2);
	assert_int_equal(spfrec_parse(text, n, &rec, &e), -1);
	assert_true(rg_has(e.text, "longer than"));
	free(text);
}

struct expand_row {
	const char *name;
	const char *spec;
	const char *local;	/* NULL: "strong-bad" */
	const char *domain;	/* NULL: "email.example.com" */
	int exp;
	const char *want;	/* NULL: refused */
};

static const struct expand_row expand_rows[] = {
	{"s_is_the_sender", "%{s}", NULL, NULL, 0,
	 "strong-bad@email.example.com"},
	{"o_is_the_sender_domain", "%{o}", NULL, NULL, 0, "email.example.com"},
	{"d_keeps_all_parts", "%{d}", NULL, NULL, 0, "email.example.com"},
	{"d4_of_three_parts_keeps_all", "%{d4}", NULL, NULL, 0,
	 "email.example.com"},
	{"d2_keeps_the_two_rightmost", "%{d2}", NULL, NULL, 0, "example.com"},
	{"d1_keeps_the_rightmost", "%{d1}", NULL, NULL, 0, "com"},
	{"dr_reverses", "%{dr}", NULL, NULL, 0, "com.example.email"},
	{"d2r_reverses_then_keeps", "%{d2r}", NULL, NULL, 0, "example.email"},
	{"l_dash_delimiter_joins_with_dots", "%{l-}", NULL, NULL, 0,
	 "strong.bad"},
	{"lr_without_delimiter_is_one_part", "%{lr}", NULL, NULL, 0,
	 "strong-bad"},
	{"lr_dash_reverses_parts", "%{lr-}", NULL, NULL, 0, "bad.strong"},
	{"l1r_dash_keeps_first_part", "%{l1r-}", NULL, NULL, 0, "strong"},
	{"ip_reversed_in_addr_name", "%{ir}.%{v}._spf.%{d2}", NULL, NULL, 0,
	 "3.2.0.192.in-addr._spf.example.com"},
	{"escapes_percent_space_and_url_space", "a%%b%_c%-d", NULL, NULL, 1,
	 "a%b c%20d"},
	{"upper_case_letter_url_escapes", "%{S}", NULL, NULL, 0,
	 "strong-bad%40email.example.com"},
	{"d2_of_two_labels_keeps_both_d7", "%{d2}", NULL, "m8.test", 0,
	 "m8.test"},
	{"d5_of_two_labels_keeps_both_d7", "%{d5}", NULL, "m8.test", 0,
	 "m8.test"},
	{"l1_of_one_part_keeps_it_d7", "%{l1}", "user", NULL, 0, "user"},
	{"l1r_plus_dash_of_one_part_keeps_it_d7", "%{l1r+-}", "user", NULL, 0,
	 "user"},
	{"plus_in_local_part_is_kept", "%{l}", "user+tag", NULL, 0,
	 "user+tag"},
	{"plus_as_delimiter_splits_local_part", "%{l1r+-}", "user+tag", NULL,
	 0, "user"},
	{"huge_part_count_keeps_all", "%{d99999999999999999999}", NULL, NULL,
	 0, "email.example.com"},
	{"exp_text_allows_spaces_and_crt", "%{c} to %{r} at %{t}", NULL, NULL,
	 1, "192.0.2.3 to mx.example.net at 1700000000"},
	{"exp_text_refuses_bad_macro", "bad %{x}", NULL, NULL, 1, NULL},
	{"name_refuses_c_macro", "%{c}.x.test", NULL, NULL, 0, NULL},
	{"p_macro_asks_the_caller", "%{p}", NULL, NULL, 0, "ptr.example.org"},
};

/* row_p - %{p} for the rows */
static const char *
row_p(void *arg)
{
	(void)arg;
	return "ptr.example.org";
}

/* test_expand - one macro string */
static void
test_expand(void **state)
{
	const struct expand_row *r = *state;
	const char *local = r->local ? r->local : "strong-bad";
	const char *domain = r->domain ? r->domain : "email.example.com";
	char sender[256];
	char out[512];
	struct spfrec_macros m;
	struct err e;
	int rc;

	snprintf(sender, sizeof(sender), "%s@%s", local, domain);
	memset(&m, 0, sizeof(m));
	m.s = sender;
	m.l = local;
	m.o = domain;
	m.d = domain;
	m.i = "192.0.2.3";
	m.v = "in-addr";
	m.h = "mx.example.org";
	m.c = "192.0.2.3";
	m.r = "mx.example.net";
	m.t = "1700000000";
	m.p = row_p;
	rc = spfrec_expand(r->spec, &m, r->exp, out, sizeof(out), &e);
	if (r->want == NULL) {
		assert_int_equal(rc, -1);
		return;
	}
	if (rc != 0)
		fail_msg("refused: %s", e.text);
	assert_string_equal(out, r->want);
}

/* test_expand_name_truncates_left - RFC 7208 4.8: over 253 bytes, labels
 * go from the left; a trailing dot goes */
static void
test_expand_name_truncates_left(void **state)
{
	char l63[64];
	char out[300];
	char want[300];
	struct spfrec_macros m;
	struct err e;

	(void)state;
	memset(l63, 'a', 63);
	l63[63] = '\0';
	memset(&m, 0, sizeof(m));
	m.l = l63;
	/* 4 x 64 + "x.test" = 262 bytes: the first label must go */
	assert_int_equal(spfrec_expand_name("%{l}.%{l}.%{l}.%{l}.x.test.", &m,
					    out, sizeof(out), &e),
			 0);
	snprintf(want, sizeof(want), "%s.%s.%s.x.test", l63, l63, l63);
	assert_string_equal(out, want);
	assert_true(strlen(out) <= SPFREC_NAME_MAX);
}

/* test_expand_bounded - an expansion past SPFREC_EXPAND_MAX is refused */
static void
test_expand_bounded(void **state)
{
	char spec[4096];
	char big[2000];
	char out[300];
	struct spfrec_macros m;
	struct err e;
	size_t i;

	(void)state;
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	spec[0] = '\0';
	for (i = 0; i < 10; i++)
		strcat(spec, "%{l}.");
	strcat(spec, "x.test");
	memset(&m, 0, sizeof(m));
	m.l = big;
	assert_int_equal(spfrec_expand_name(spec, &m, out, sizeof(out), &e),
			 -1);
	assert_true(rg_has(e.text, "longer than"));
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, parse_rows, test_parse);
	rg_case_add(&c, "parse_keeps_terms_and_modifiers", test_parse_terms,
		    NULL);
	rg_case_add(&c, "record_over_limit_is_permerror", test_parse_too_long,
		    NULL);
	RG_ADD_ROWS(&c, expand_rows, test_expand);
	rg_case_add(&c, "expand_name_truncates_from_the_left",
		    test_expand_name_truncates_left, NULL);
	rg_case_add(&c, "expand_is_bounded", test_expand_bounded, NULL);
	return rg_cases_run(&c, "spfrec", NULL, NULL);
}
