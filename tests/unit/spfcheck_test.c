/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfcheck_test - RFC 7208 check_host() over an in-memory zone (no
 * network): every result, include/redirect/exp rules, each mechanism, the
 * limits (10 terms, 2 void lookups, 10 MX names), IPv4-mapped clients,
 * macros, identities (null sender, HELO, "a@b@dom", "+" local parts),
 * names refused before any query, and the verdict for each action.
 */
#include "spfcheck.h"

#include "rg_test.h"

/* The zone every row runs against (spfdns zone lines). */
static const char zone_text[] =
	"pass.test TXT v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all\n"
	"pass.test A 192.0.2.1\n"
	"pass.test AAAA 2001:db8::1\n"
	"soft.test TXT v=spf1 ~all\n"
	"neutral.test TXT v=spf1 ?all\n"
	"empty.test TXT v=spf1\n"
	"nospf.test A 192.0.2.1\n"
	"other.test TXT \"hello world\"\n"
	"other.test TXT v=spf1 +all\n"
	"dup.test TXT v=spf1 +all\n"
	"dup.test TXT v=spf1 -all\n"
	"latesyntax.test TXT v=spf1 +all foo\n"
	"nonascii.test TXT \"v=spf1 a:\\195\\169.test -all\"\n"
	"split.test TXT \"v=spf1 ip4:192.0.2.0\" \"/24 -all\"\n"
	"flaky.test SERVFAIL\n"
	"inc.test TXT v=spf1 include:pass.test -all\n"
	"incnone.test TXT v=spf1 include:nospf.test -all\n"
	"incflaky.test TXT v=spf1 include:flaky.test -all\n"
	"incperm.test TXT v=spf1 include:dup.test -all\n"
	"loop.test TXT v=spf1 include:loop.test -all\n"
	"redir.test TXT v=spf1 redirect=pass.test\n"
	"redirnone.test TXT v=spf1 redirect=nospf.test\n"
	"redirall.test TXT v=spf1 ?all redirect=pass.test\n"
	"redirexp.test TXT v=spf1 redirect=exp.test exp=other-why.test\n"
	"mx.test TXT v=spf1 mx -all\n"
	"mx.test MX 10 pass.test\n"
	"mx24.test TXT v=spf1 mx/24 -all\n"
	"mx24.test MX 10 pass.test\n"
	"nullmx.test TXT v=spf1 mx -all\n"
	"nullmx.test MX 0 .\n"
	"bigmx.test TXT v=spf1 mx -all\n"
	"bigmx.test MX 1 m1.test\nbigmx.test MX 2 m2.test\n"
	"bigmx.test MX 3 m3.test\nbigmx.test MX 4 m4.test\n"
	"bigmx.test MX 5 m5.test\nbigmx.test MX 6 m6.test\n"
	"bigmx.test MX 7 m7.test\nbigmx.test MX 8 m8.test\n"
	"bigmx.test MX 9 m9.test\nbigmx.test MX 10 m10.test\n"
	"bigmx.test MX 11 pass.test\n"
	"a.test TXT v=spf1 a -all\n"
	"a.test A 192.0.2.5\n"
	"a24.test TXT v=spf1 a:pass.test/24 -all\n"
	"a6.test TXT v=spf1 a:pass.test//32 -all\n"
	"ptr.test TXT v=spf1 ptr -all\n"
	"3.2.0.192.in-addr.arpa PTR mail.ptr.test\n"
	"3.2.0.192.in-addr.arpa PTR fake.other.test\n"
	"mail.ptr.test A 192.0.2.3\n"
	"fake.other.test A 203.0.113.9\n"
	"ptrother.test TXT v=spf1 ptr:other.test -all\n"
	"exists.test TXT v=spf1 exists:%{ir}.%{v}.e.test -all\n"
	"3.2.0.192.in-addr.e.test A 127.0.0.2\n"
	"existsv6.test TXT v=spf1 exists:v6.e.test -all\n"
	"v6.e.test A 127.0.0.2\n"
	"ten.test TXT v=spf1 a:n.test a:n.test a:n.test a:n.test a:n.test "
	"a:n.test a:n.test a:n.test a:n.test a:n.test -all\n"
	"eleven.test TXT v=spf1 a:n.test a:n.test a:n.test a:n.test a:n.test "
	"a:n.test a:n.test a:n.test a:n.test a:n.test a:n.test -all\n"
	"n.test A 203.0.113.1\n"
	"void2.test TXT v=spf1 a:v1.test a:v2.test ip4:192.0.2.0/24 -all\n"
	"void3.test TXT v=spf1 a:v1.test a:v2.test a:v3.test ip4:192.0.2.0/24"
	" -all\n"
	"macro.test TXT v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all\n"
	"3.2.0.192.user._spf.macro.test A 127.0.0.2\n"
	"d2.test TXT v=spf1 exists:%{d2}.ok.test -all\n"
	"d2.test.ok.test A 127.0.0.2\n"
	"lmacro.test TXT v=spf1 exists:%{l}.l.test -all\n"
	"user+tag.l.test A 127.0.0.2\n"
	"postmaster.l.test A 127.0.0.2\n"
	"lpart.test TXT v=spf1 exists:%{l}.lp.test -all\n"
	"a@b.lp.test A 127.0.0.2\n"
	"badname.test TXT v=spf1 exists:%{l}.x.test -all\n"
	"mm.test TXT v=spf1 a:macro%%percent%_%_space%-url-space.mm.test -all\n"
	"helo.test TXT v=spf1 a:pass.test -all\n"
	"exp.test TXT v=spf1 -all exp=why.test\n"
	"why.test TXT %{c} may not send for %{d} (%{l} via %{r})\n"
	"badexp.test TXT v=spf1 -all exp=badwhy.test\n"
	"badwhy.test TXT bad %{z} macro\n"
	"twoexp.test TXT v=spf1 -all exp=two.test\n"
	"two.test TXT first\n"
	"two.test TXT second\n"
	"other-why.test TXT from the first record\n"
	"incexp.test TXT v=spf1 include:exp.test -all\n"
	"zero.test TXT v=spf1 ip4:0.0.0.0/0 -all\n"
	"mapped.test TXT v=spf1 ip6:::ffff:192.0.2.0/120 ip4:192.0.2.0/24 "
	"-all\n"
	"only6.test TXT v=spf1 ip6:::ffff:192.0.2.0/120 -all\n";

static struct spfdns *zone;

struct row {
	const char *name;
	const char *ip;
	const char *helo;
	const char *sender;	/* "" is the null sender */
	enum spfcheck_identity id;
	enum spfcheck_result want;
	const char *field;	/* "mech", "reason", "exp", "domain", "sender" */
	const char *text;	/* substring expected in it */
};

#define MF SPFCHECK_ID_MAILFROM
#define HE SPFCHECK_ID_HELO

static const struct row rows[] = {
	{"ip4_match_passes", "192.0.2.3", "h.test", "u@pass.test", MF,
	 SPFCHECK_PASS, "mech", "ip4:192.0.2.0/24"},
	{"no_match_before_minus_all_fails", "198.51.100.1", "h.test",
	 "u@pass.test", MF, SPFCHECK_FAIL, "mech", "-all"},
	{"tilde_all_softfails", "198.51.100.1", "h.test", "u@soft.test", MF,
	 SPFCHECK_SOFTFAIL, "mech", "~all"},
	{"question_all_is_neutral", "198.51.100.1", "h.test", "u@neutral.test",
	 MF, SPFCHECK_NEUTRAL, "mech", "?all"},
	{"record_without_terms_is_neutral", "198.51.100.1", "h.test",
	 "u@empty.test", MF, SPFCHECK_NEUTRAL, "mech", "default"},
	{"domain_without_record_is_none", "192.0.2.3", "h.test",
	 "u@nospf.test", MF, SPFCHECK_NONE, "reason", "no SPF record"},
	{"nxdomain_is_none", "192.0.2.3", "h.test", "u@missing.test", MF,
	 SPFCHECK_NONE, "", ""},
	{"single_label_domain_is_none", "192.0.2.3", "h.test", "u@localhost",
	 MF, SPFCHECK_NONE, "reason", "not a domain name"},
	{"malformed_domain_is_none", "192.0.2.3", "h.test", "u@a..test", MF,
	 SPFCHECK_NONE, "reason", "not a domain name"},
	{"sender_without_domain_is_none", "192.0.2.3", "h.test", "user", MF,
	 SPFCHECK_NONE, "reason", "no domain"},
	{"non_spf_txt_is_ignored", "198.51.100.1", "h.test", "u@other.test",
	 MF, SPFCHECK_PASS, "", ""},
	{"two_spf_records_are_permerror", "192.0.2.3", "h.test", "u@dup.test",
	 MF, SPFCHECK_PERMERROR, "reason", "2 SPF records"},
	{"syntax_error_after_match_is_permerror", "192.0.2.3", "h.test",
	 "u@latesyntax.test", MF, SPFCHECK_PERMERROR, "reason",
	 "unknown mechanism"},
	{"non_ascii_record_is_permerror", "192.0.2.3", "h.test",
	 "u@nonascii.test", MF, SPFCHECK_PERMERROR, "reason", "0xc3"},
	{"txt_strings_are_joined_without_space", "192.0.2.3", "h.test",
	 "u@split.test", MF, SPFCHECK_PASS, "", ""},
	{"servfail_of_own_record_is_temperror", "192.0.2.3", "h.test",
	 "u@flaky.test", MF, SPFCHECK_TEMPERROR, "reason", "SERVFAIL"},
	{"include_pass_matches", "192.0.2.3", "h.test", "u@inc.test", MF,
	 SPFCHECK_PASS, "mech", "include:pass.test"},
	{"include_fail_does_not_match", "198.51.100.1", "h.test",
	 "u@inc.test", MF, SPFCHECK_FAIL, "mech", "-all"},
	{"include_of_domain_without_record_is_permerror", "192.0.2.3",
	 "h.test", "u@incnone.test", MF, SPFCHECK_PERMERROR, "reason",
	 "include:nospf.test has no SPF record"},
	{"include_temperror_is_temperror", "192.0.2.3", "h.test",
	 "u@incflaky.test", MF, SPFCHECK_TEMPERROR, "reason", "flaky.test"},
	{"include_permerror_is_permerror", "192.0.2.3", "h.test",
	 "u@incperm.test", MF, SPFCHECK_PERMERROR, "reason", "dup.test"},
	{"include_loop_hits_the_term_limit", "192.0.2.3", "h.test",
	 "u@loop.test", MF, SPFCHECK_PERMERROR, "reason",
	 "more than 10 DNS-querying terms"},
	{"redirect_gives_the_target_result", "198.51.100.1", "h.test",
	 "u@redir.test", MF, SPFCHECK_FAIL, "mech", "-all"},
	{"redirect_to_domain_without_record_is_permerror", "192.0.2.3",
	 "h.test", "u@redirnone.test", MF, SPFCHECK_PERMERROR, "reason",
	 "redirect=nospf.test has no SPF record"},
	{"redirect_is_ignored_when_all_matches", "198.51.100.1", "h.test",
	 "u@redirall.test", MF, SPFCHECK_NEUTRAL, "mech", "?all"},
	{"redirect_uses_the_exp_of_the_target", "198.51.100.1", "h.test",
	 "u@redirexp.test", MF, SPFCHECK_FAIL, "exp", "may not send for"},
	{"mx_address_matches", "192.0.2.1", "h.test", "u@mx.test", MF,
	 SPFCHECK_PASS, "mech", "mx"},
	{"mx_with_prefix_matches_the_network", "192.0.2.77", "h.test",
	 "u@mx24.test", MF, SPFCHECK_PASS, "mech", "mx/24"},
	{"null_mx_is_skipped", "192.0.2.1", "h.test", "u@nullmx.test", MF,
	 SPFCHECK_FAIL, "", ""},
	{"more_than_ten_mx_names_is_permerror", "192.0.2.1", "h.test",
	 "u@bigmx.test", MF, SPFCHECK_PERMERROR, "reason", "MX records"},
	{"a_without_domain_uses_current_domain", "192.0.2.5", "h.test",
	 "u@a.test", MF, SPFCHECK_PASS, "mech", "a"},
	{"a_with_prefix_matches_the_network", "192.0.2.200", "h.test",
	 "u@a24.test", MF, SPFCHECK_PASS, "", ""},
	{"a_ip6_prefix_for_ip6_client", "2001:db8:ffff::9", "h.test",
	 "u@a6.test", MF, SPFCHECK_PASS, "", ""},
	{"ptr_validated_name_matches", "192.0.2.3", "h.test", "u@ptr.test",
	 MF, SPFCHECK_PASS, "mech", "ptr"},
	{"ptr_name_not_validated_does_not_match", "192.0.2.3", "h.test",
	 "u@ptrother.test", MF, SPFCHECK_FAIL, "", ""},
	{"exists_with_macros_matches", "192.0.2.3", "h.test",
	 "u@exists.test", MF, SPFCHECK_PASS, "", ""},
	{"exists_queries_a_even_for_ip6_client", "2001:db8::9", "h.test",
	 "u@existsv6.test", MF, SPFCHECK_PASS, "", ""},
	{"ip6_client_matches_ip6", "2001:db8::77", "h.test", "u@pass.test",
	 MF, SPFCHECK_PASS, "mech", "ip6:2001:db8::/32"},
	{"ipv4_mapped_client_is_checked_as_ipv4", "::ffff:192.0.2.3", "h.test",
	 "u@pass.test", MF, SPFCHECK_PASS, "mech", "ip4:192.0.2.0/24"},
	{"ipv4_mapped_client_does_not_match_ip6", "::ffff:192.0.2.3",
	 "h.test", "u@only6.test", MF, SPFCHECK_FAIL, "", ""},
	{"ipv4_client_does_not_match_mapped_ip6", "192.0.2.3", "h.test",
	 "u@mapped.test", MF, SPFCHECK_PASS, "mech", "ip4:192.0.2.0/24"},
	{"postfix_ipv6_prefix_is_understood", "IPv6:2001:db8::1", "h.test",
	 "u@pass.test", MF, SPFCHECK_PASS, "", ""},
	{"prefix_zero_matches_everything", "203.0.113.50", "h.test",
	 "u@zero.test", MF, SPFCHECK_PASS, "mech", "ip4:0.0.0.0/0"},
	{"ten_lookups_are_allowed", "192.0.2.3", "h.test", "u@ten.test", MF,
	 SPFCHECK_FAIL, "", ""},
	{"eleven_lookups_are_permerror", "192.0.2.3", "h.test",
	 "u@eleven.test", MF, SPFCHECK_PERMERROR, "reason",
	 "more than 10 DNS-querying terms"},
	{"two_void_lookups_are_allowed", "192.0.2.3", "h.test",
	 "u@void2.test", MF, SPFCHECK_PASS, "", ""},
	{"three_void_lookups_are_permerror", "192.0.2.3", "h.test",
	 "u@void3.test", MF, SPFCHECK_PERMERROR, "reason", "void lookups"},
	{"truncation_macro_keeps_short_local_part_d7", "192.0.2.3", "h.test",
	 "user@macro.test", MF, SPFCHECK_PASS, "", ""},
	{"plus_delimiter_in_local_part_d7", "192.0.2.3", "h.test",
	 "user+tag@macro.test", MF, SPFCHECK_PASS, "", ""},
	{"d2_of_two_label_domain_keeps_both_d7", "192.0.2.3", "h.test",
	 "u@d2.test", MF, SPFCHECK_PASS, "", ""},
	{"plus_in_local_part_is_kept", "192.0.2.3", "h.test",
	 "user+tag@lmacro.test", MF, SPFCHECK_PASS, "", ""},
	{"empty_local_part_is_postmaster", "192.0.2.3", "h.test",
	 "@lmacro.test", MF, SPFCHECK_PASS, "sender",
	 "postmaster@lmacro.test"},
	{"domain_is_after_the_last_at", "192.0.2.3", "h.test",
	 "a@b@lpart.test", MF, SPFCHECK_PASS, "domain", "lpart.test"},
	{"empty_label_in_expanded_name_is_not_looked_up", "192.0.2.3",
	 "h.test", "a..b@badname.test", MF, SPFCHECK_FAIL, "", ""},
	/* RFC 7208 7.1: "%%" is '%', "%_" a space, "%-" "%20"; the name is
	 * asked for as expanded (the RFC 7208 test suite's macro-mania) */
	{"macro_encoded_percent_and_spaces_are_looked_up", "192.0.2.3",
	 "h.test", "u@mm.test", MF, SPFCHECK_PASS, "mech",
	 "a:macro%%percent%_%_space%-url-space.mm.test"},
	{"space_in_expanded_name_is_looked_up", "192.0.2.3", "h.test",
	 "a b@badname.test", MF, SPFCHECK_PASS, "", ""},
	{"control_byte_in_expanded_name_is_looked_up", "192.0.2.3",
	 "h.test", "a\001b@badname.test", MF, SPFCHECK_PASS, "", ""},
	{"non_ascii_in_expanded_name_is_looked_up", "192.0.2.3", "h.test",
	 "\303\251@badname.test", MF, SPFCHECK_PASS, "", ""},
	{"backslash_in_expanded_name_is_a_byte", "192.0.2.3", "h.test",
	 "a\\065@badname.test", MF, SPFCHECK_PASS, "", ""},
	{"null_sender_checks_postmaster_at_helo", "192.0.2.1", "helo.test",
	 "", MF, SPFCHECK_PASS, "sender", "postmaster@helo.test"},
	{"helo_identity_is_checked", "198.51.100.1", "helo.test",
	 "u@pass.test", HE, SPFCHECK_FAIL, "domain", "helo.test"},
	{"helo_address_literal_is_none", "192.0.2.1", "[192.0.2.1]", "", MF,
	 SPFCHECK_NONE, "reason", "HELO is not a domain name"},
	{"empty_helo_is_none", "192.0.2.1", "", "", MF, SPFCHECK_NONE,
	 "reason", "HELO"},
	{"bad_client_address_is_none", "not-an-ip", "h.test", "u@pass.test",
	 MF, SPFCHECK_NONE, "reason", "client IP"},
	{"exp_text_is_expanded_for_fail", "198.51.100.1", "h.test",
	 "joe@exp.test", MF, SPFCHECK_FAIL, "exp",
	 "198.51.100.1 may not send for exp.test (joe via mx.rg.test)"},
	{"exp_with_bad_macro_is_ignored", "198.51.100.1", "h.test",
	 "u@badexp.test", MF, SPFCHECK_FAIL, "exp", ""},
	{"exp_with_two_records_is_ignored", "198.51.100.1", "h.test",
	 "u@twoexp.test", MF, SPFCHECK_FAIL, "exp", ""},
	{"exp_of_included_record_is_not_used", "198.51.100.1", "h.test",
	 "u@incexp.test", MF, SPFCHECK_FAIL, "exp", ""},
};

/* field - a named string of a result */
static const char *
field(const struct spfcheck_res *res, const char *name)
{
	if (strcmp(name, "mech") == 0)
		return res->mechanism;
	if (strcmp(name, "reason") == 0)
		return res->reason;
	if (strcmp(name, "exp") == 0)
		return res->explanation;
	if (strcmp(name, "domain") == 0)
		return res->domain;
	return res->sender;
}

/* check_row - one evaluation */
static void
check_row(const struct row *r, struct spfcheck_res *res)
{
	struct spfcheck_req req;

	memset(&req, 0, sizeof(req));
	snprintf(req.ip, sizeof(req.ip), "%s", r->ip);
	snprintf(req.helo, sizeof(req.helo), "%s", r->helo);
	snprintf(req.sender, sizeof(req.sender), "%s", r->sender);
	snprintf(req.receiver, sizeof(req.receiver), "mx.rg.test");
	req.identity = r->id;
	req.timeout_ms = 5000;
	req.dns_timeout_ms = 1000;
	spfcheck_host(zone, &req, res);
}

/* test_row - result and the one field the row names */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct spfcheck_res res;

	check_row(r, &res);
	if (res.result != r->want)
		fail_msg("result %s (reason \"%s\"), want %s",
			 spfcheck_result_name(res.result), res.reason,
			 spfcheck_result_name(r->want));
	if (r->field[0] == '\0')
		return;
	if (r->text[0] == '\0')
		assert_string_equal(field(&res, r->field), "");
	else
		assert_true(rg_has(field(&res, r->field), r->text));
}

/* Names DNS cannot carry are never sent: the sender's local part lands
 * in exists:%{l}.x.test */
static const struct row refused_rows[] = {
	{"empty_label_is_not_queried", "192.0.2.3", "h.test",
	 "a..b@badname.test", MF, SPFCHECK_FAIL, "", ""},
	{"label_over_63_bytes_is_not_queried", "192.0.2.3", "h.test",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "@badname.test", MF, SPFCHECK_FAIL, "", ""},
};

/* test_refused_names_cost_no_query - such a name is never sent: one
 * query (the record) only, and it counts as a void lookup */
static void
test_refused_names_cost_no_query(void **state)
{
	const struct row *r = *state;
	struct spfcheck_res res;
	unsigned long before = spfdns_queries(zone);

	check_row(r, &res);
	assert_int_equal(res.result, SPFCHECK_FAIL);
	assert_int_equal(spfdns_queries(zone) - before, 1);
	assert_int_equal(res.void_lookups, 1);
}

/* test_counts - lookups and void lookups are reported */
static void
test_counts(void **state)
{
	struct spfcheck_res res;
	const struct row r = {"", "192.0.2.3", "h.test", "u@void2.test", MF,
			      SPFCHECK_PASS, "", ""};

	(void)state;
	check_row(&r, &res);
	assert_int_equal(res.lookups, 2);
	assert_int_equal(res.void_lookups, 2);
}

struct verdict_row {
	const char *name;
	enum spfcheck_result result;
	const char *setting;	/* "key = value" or "" */
	enum verdict_action action;
	const char *code;
	const char *xcode;
	int received_spf;	/* a Received-SPF header is expected */
};

static const struct verdict_row verdict_rows[] = {
	{"fail_rejects_5_7_23_by_default", SPFCHECK_FAIL, "", VERDICT_REJECT,
	 "550", "5.7.23", 0},
	{"temperror_tempfails_4_7_24_by_default", SPFCHECK_TEMPERROR, "",
	 VERDICT_TEMPFAIL, "451", "4.7.24", 0},
	{"permerror_accepts_by_default", SPFCHECK_PERMERROR, "",
	 VERDICT_CONTINUE, "", "", 0},
	{"softfail_accepts_by_default", SPFCHECK_SOFTFAIL, "",
	 VERDICT_CONTINUE, "", "", 0},
	{"pass_accepts_by_default", SPFCHECK_PASS, "", VERDICT_CONTINUE, "", "",
	 0},
	{"none_accepts_by_default", SPFCHECK_NONE, "", VERDICT_CONTINUE, "", "",
	 0},
	{"neutral_accepts_by_default", SPFCHECK_NEUTRAL, "", VERDICT_CONTINUE,
	 "", "", 0},
	{"permerror_reject_is_5_7_24", SPFCHECK_PERMERROR,
	 "spf_action_permerror = reject", VERDICT_REJECT, "550", "5.7.24", 0},
	{"softfail_tempfail_is_4_7_23", SPFCHECK_SOFTFAIL,
	 "spf_action_softfail = tempfail", VERDICT_TEMPFAIL, "451", "4.7.23",
	 0},
	{"header_action_adds_received_spf", SPFCHECK_NEUTRAL,
	 "spf_action_neutral = header", VERDICT_CONTINUE, "", "", 1},
	{"received_header_setting_adds_it_always", SPFCHECK_PASS,
	 "spf_received_header = yes", VERDICT_CONTINUE, "", "", 1},
	{"fail_accept_is_possible", SPFCHECK_FAIL, "spf_action_fail = accept",
	 VERDICT_CONTINUE, "", "", 0},
};

/* test_verdict - action, codes and headers for one result */
static void
test_verdict(void **state)
{
	const struct verdict_row *r = *state;
	char text[256];
	struct spfcheck_res res;
	struct verdict v;
	struct conf *c = NULL;
	struct err e;
	FILE *fp;

	snprintf(text, sizeof(text), "authserv_id = mx.rg.test\n%s\n",
		 r->setting);
	fp = fmemopen(text, strlen(text), "r");
	assert_non_null(fp);
	if (conf_load_stream(fp, "t.conf", &c, &e) < 0)
		fail_msg("%s", e.text);
	fclose(fp);
	memset(&res, 0, sizeof(res));
	res.result = r->result;
	snprintf(res.ip, sizeof(res.ip), "192.0.2.3");
	snprintf(res.sender, sizeof(res.sender), "u@pass.test");
	snprintf(res.domain, sizeof(res.domain), "pass.test");
	snprintf(res.mechanism, sizeof(res.mechanism), "-all");
	assert_int_equal(spfcheck_verdict(c, &res, &v), 0);
	assert_int_equal(v.action, r->action);
	assert_string_equal(v.code, r->code);
	assert_string_equal(v.xcode, r->xcode);
	assert_true(v.nhdrs >= 1);
	assert_string_equal(v.hdrs[0].name, "Authentication-Results");
	snprintf(text, sizeof(text), "mx.rg.test; spf=%s ",
		 spfcheck_result_name(r->result));
	assert_true(rg_has(v.hdrs[0].value, text));
	assert_int_equal(v.nhdrs, r->received_spf ? 2 : 1);
	if (r->received_spf)
		assert_string_equal(v.hdrs[1].name, "Received-SPF");
	conf_free(c);
}

/* test_want_helo - which configuration checks HELO when */
static void
test_want_helo(void **state)
{
	struct conf *c = conf_defaults();

	(void)state;
	assert_true(spfcheck_want_helo(c, "", "mx.example.com"));
	assert_false(spfcheck_want_helo(c, "a@example.com", "mx.example.com"));
	assert_false(spfcheck_want_helo(c, "", "[192.0.2.1]"));
	c->spf_helo_check = CONF_SPF_HELO_ALWAYS;
	assert_true(spfcheck_want_helo(c, "a@example.com", "mx.example.com"));
	assert_false(spfcheck_want_helo(c, "a@example.com", "localhost"));
	c->spf_helo_check = CONF_SPF_HELO_NO;
	assert_false(spfcheck_want_helo(c, "", "mx.example.com"));
	conf_free(c);
}

/* test_req_init - a request from a transaction; an over-long HELO is
 * dropped (D10), an over-long MAIL FROM refused */
static void
test_req_init(void **state)
{
	struct conf *c = conf_defaults();
	struct spfcheck_req req;
	char helo[400];
	char sender[400];

	(void)state;
	memset(helo, 'h', sizeof(helo) - 1);
	helo[sizeof(helo) - 1] = '\0';
	assert_int_equal(spfcheck_req_init(&req, c, "192.0.2.1", helo,
					   "a@example.com",
					   SPFCHECK_ID_MAILFROM),
			 0);
	assert_string_equal(req.helo, "");
	assert_int_equal(req.timeout_ms, 10000);
	assert_int_equal(req.dns_timeout_ms, 3000);
	assert_true(req.receiver[0] != '\0');
	memset(sender, 's', sizeof(sender) - 1);
	sender[sizeof(sender) - 1] = '\0';
	assert_int_equal(spfcheck_req_init(&req, c, "192.0.2.1", "h.example",
					   sender, SPFCHECK_ID_MAILFROM),
			 -1);
	conf_free(c);
}

/* test_sanitize - an answer from the worker cannot smuggle bytes */
static void
test_sanitize(void **state)
{
	struct spfcheck_res res;

	(void)state;
	memset(&res, 'A', sizeof(res));
	res.result = (enum spfcheck_result)99;
	res.reason[3] = '\r';
	res.reason[4] = '\n';
	res.domain[0] = (char)0xc3;
	spfcheck_res_sanitize(&res);
	assert_int_equal(res.result, SPFCHECK_TEMPERROR);
	assert_int_equal(res.identity, SPFCHECK_ID_MAILFROM);
	assert_int_equal(strlen(res.reason), sizeof(res.reason) - 1);
	assert_int_equal(res.reason[3], '?');
	assert_int_equal(res.domain[0], '?');
}

/* Expanded names with bytes a zone line cannot hold (A 192.0.2.3). */
static const char *const odd_names[] = {
	"macro%percent  space%20url-space.mm.test",
	"a b.x.test",
	"a\001b.x.test",
	"\303\251.x.test",
	"a\\065.x.test",
};

/* zone_setup - load the zone text line by line */
static int
zone_setup(void **state)
{
	char *copy = strdup(zone_text);
	char *save = NULL;
	char *line;
	struct err e;

	(void)state;
	zone = spfdns_zone_new();
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (spfdns_zone_add_line(zone, line, &e) < 0) {
			fprintf(stderr, "zone: %s\n", e.text);
			free(copy);
			return -1;
		}
	}
	free(copy);
	/* names a zone line cannot hold: blanks and odd bytes in them */
	for (size_t i = 0; i < sizeof(odd_names) / sizeof(odd_names[0]); i++)
		if (spfdns_zone_add(zone, odd_names[i], "A", "192.0.2.3", 9,
				    &e) < 0)
			return -1;
	return 0;
}

/* zone_teardown - free the zone */
static int
zone_teardown(void **state)
{
	(void)state;
	spfdns_free(zone);
	return 0;
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	RG_ADD_ROWS(&c, refused_rows, test_refused_names_cost_no_query);
	rg_case_add(&c, "lookups_and_void_lookups_are_counted", test_counts,
		    NULL);
	RG_ADD_ROWS(&c, verdict_rows, test_verdict);
	rg_case_add(&c, "helo_is_checked_as_configured", test_want_helo, NULL);
	rg_case_add(&c, "sanitize_makes_answers_safe", test_sanitize, NULL);
	rg_case_add(&c, "request_from_transaction_values", test_req_init,
		    NULL);
	return rg_cases_run(&c, "spfcheck", zone_setup, zone_teardown);
}
