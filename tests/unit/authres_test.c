/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authres_test - Authentication-Results (RFC 8601) and Received-SPF (RFC
 * 7208 9.1) values, quoting of what is not a token, and the reader that
 * tells whether an existing Authentication-Results field claims our
 * authserv-id (comments and white space before it, quoted ids, versions).
 */
#include "authres.h"

#include "rg_test.h"

struct value_row {
	const char *name;
	const char *servid;
	const char *result;
	const char *identity;
	const char *sender;
	const char *helo;
	const char *mechanism;
	const char *problem;
	const char *want_ar;
	const char *want_rspf;
};

static const struct value_row value_rows[] = {
	{"pass_by_mechanism", "mx.example.net", "pass", "mailfrom",
	 "ann@example.com", "h.example.com", "ip4:192.0.2.0/24", "",
	 "mx.example.net; spf=pass (ip4:192.0.2.0/24 matched 192.0.2.7) "
	 "smtp.mailfrom=ann@example.com",
	 "pass (mx.example.net: ip4:192.0.2.0/24 matched 192.0.2.7) "
	 "client-ip=192.0.2.7; envelope-from=\"ann@example.com\"; "
	 "helo=h.example.com; receiver=mx.example.net; identity=mailfrom; "
	 "mechanism=\"ip4:192.0.2.0/24\""},
	{"helo_identity_uses_smtp_helo", "mx.example.net", "fail", "helo",
	 "postmaster@h.example.com", "h.example.com", "-all", "",
	 "mx.example.net; spf=fail (-all matched 192.0.2.7) "
	 "smtp.helo=h.example.com",
	 NULL},
	{"problem_goes_into_the_comment_escaped", "mx.example.net",
	 "temperror", "mailfrom", "ann@example.com", "h.example.com", "",
	 "x.test: lookup failed (timeout)",
	 "mx.example.net; spf=temperror (x.test: lookup failed \\(timeout\\)) "
	 "smtp.mailfrom=ann@example.com",
	 "temperror (mx.example.net: x.test: lookup failed \\(timeout\\)) "
	 "client-ip=192.0.2.7; envelope-from=\"ann@example.com\"; "
	 "helo=h.example.com; receiver=mx.example.net; identity=mailfrom; "
	 "problem=\"x.test: lookup failed (timeout)\""},
	{"quoted_local_part_is_quoted", "mx.example.net", "none", "mailfrom",
	 "\"a b\"@example.com", "h.example.com", "", "no SPF record",
	 "mx.example.net; spf=none (no SPF record) "
	 "smtp.mailfrom=\"\\\"a b\\\"@example.com\"",
	 NULL},
	{"address_literal_helo_is_quoted", "mx.example.net", "none", "helo",
	 "postmaster@[192.0.2.1]", "[192.0.2.1]", "", "HELO is not a domain",
	 "mx.example.net; spf=none (HELO is not a domain) "
	 "smtp.helo=\"[192.0.2.1]\"",
	 NULL},
	{"servid_that_is_no_token_is_quoted", "mx example", "pass",
	 "mailfrom", "a@example.com", "h.example.com", "a", "",
	 "\"mx example\"; spf=pass (a matched 192.0.2.7) "
	 "smtp.mailfrom=a@example.com",
	 NULL},
	{"no_match_says_so", "mx.example.net", "neutral", "mailfrom",
	 "a@example.com", "h.example.com", "default", "",
	 "mx.example.net; spf=neutral (no mechanism matched 192.0.2.7) "
	 "smtp.mailfrom=a@example.com",
	 "neutral (mx.example.net: no mechanism matched 192.0.2.7) "
	 "client-ip=192.0.2.7; envelope-from=\"a@example.com\"; "
	 "helo=h.example.com; receiver=mx.example.net; identity=mailfrom"},
};

/* test_values - both header values for one result */
static void
test_values(void **state)
{
	const struct value_row *r = *state;
	struct authres_spf_info in = {
		.result = r->result,
		.identity = r->identity,
		.sender = r->sender,
		.helo = r->helo,
		.ip = "192.0.2.7",
		.mechanism = r->mechanism,
		.problem = r->problem,
	};
	char out[1024];

	assert_int_equal(authres_spf_value(r->servid, &in, out, sizeof(out)),
			 0);
	assert_string_equal(out, r->want_ar);
	if (r->want_rspf == NULL)
		return;
	assert_int_equal(authres_received_spf_value(r->servid, &in, out,
						    sizeof(out)),
			 0);
	assert_string_equal(out, r->want_rspf);
}

/* test_value_too_small - a buffer too small is an error, never a cut */
static void
test_value_too_small(void **state)
{
	struct authres_spf_info in = {
		.result = "pass", .identity = "mailfrom",
		.sender = "ann@example.com", .helo = "h.example.com",
		.ip = "192.0.2.7", .mechanism = "a", .problem = "",
	};
	char out[30];

	(void)state;
	assert_int_equal(authres_spf_value("mx.example.net", &in, out,
					   sizeof(out)),
			 -1);
	assert_string_equal(out, "");
	assert_int_equal(authres_received_spf_value("mx.example.net", &in,
						    out, sizeof(out)),
			 -1);
}

/* test_long_comment_is_cut - the comment stays short */
static void
test_long_comment_is_cut(void **state)
{
	char problem[600];
	struct authres_spf_info in = {
		.result = "permerror", .identity = "mailfrom",
		.sender = "ann@example.com", .helo = "h.example.com",
		.ip = "192.0.2.7", .mechanism = "", .problem = problem,
	};
	char out[1024];

	(void)state;
	memset(problem, 'p', sizeof(problem) - 1);
	problem[sizeof(problem) - 1] = '\0';
	assert_int_equal(authres_spf_value("mx.example.net", &in, out,
					   sizeof(out)),
			 0);
	assert_true(strlen(out) < 300);
	assert_true(rg_has(out, "...) smtp.mailfrom=ann@example.com"));
}

struct claim_row {
	const char *name;
	const char *value;
	enum authres_claim want;
};

static const struct claim_row claim_rows[] = {
	{"ours_plain", "mx.example.net; spf=pass smtp.mailfrom=a@b.test",
	 AUTHRES_OURS},
	{"ours_other_case", "MX.Example.NET; spf=pass", AUTHRES_OURS},
	{"ours_with_trailing_dot", "mx.example.net.; spf=pass", AUTHRES_OURS},
	{"ours_with_version", "mx.example.net 1; spf=pass", AUTHRES_OURS},
	{"ours_without_space_before_semicolon", "mx.example.net;spf=pass",
	 AUTHRES_OURS},
	{"ours_after_comment_and_folding",
	 " (forged (nested \\) paren)) \r\n\tmx.example.net; dkim=pass",
	 AUTHRES_OURS},
	{"ours_quoted", "\"mx.example.net\"; spf=pass", AUTHRES_OURS},
	{"ours_quoted_with_escape", "\"mx.example\\.net\"; spf=pass",
	 AUTHRES_OURS},
	{"ours_no_result", "mx.example.net; none", AUTHRES_OURS},
	{"ours_alone", "mx.example.net", AUTHRES_OURS},
	{"other_id", "mx.other.net; spf=pass", AUTHRES_OTHER},
	{"our_id_as_suffix_is_other", "evil-mx.example.net; spf=pass",
	 AUTHRES_OTHER},
	{"our_id_as_prefix_is_other", "mx.example.net.evil; spf=pass",
	 AUTHRES_OTHER},
	{"our_id_in_a_comment_is_other",
	 "(mx.example.net) mx.other.net; spf=pass", AUTHRES_OTHER},
	{"empty_is_malformed", "", AUTHRES_MALFORMED},
	{"only_white_space_is_malformed", " \t ", AUTHRES_MALFORMED},
	{"unclosed_comment_is_malformed", "(mx.example.net; spf=pass",
	 AUTHRES_MALFORMED},
	{"unclosed_quote_is_malformed", "\"mx.example.net; spf=pass",
	 AUTHRES_MALFORMED},
	{"no_id_before_semicolon_is_malformed", "; spf=pass",
	 AUTHRES_MALFORMED},
	{"junk_after_id_is_malformed", "mx.example.net/x; spf=pass",
	 AUTHRES_MALFORMED},
	{"control_byte_in_quoted_id_is_malformed", "\"mx\001\"; spf=pass",
	 AUTHRES_MALFORMED},
};

/* test_claims - whose field it is */
static void
test_claims(void **state)
{
	const struct claim_row *r = *state;

	assert_int_equal(authres_claims(r->value, strlen(r->value),
					"mx.example.net"),
			 r->want);
}

/* test_claims_reads_only_len - bytes after len are not read */
static void
test_claims_reads_only_len(void **state)
{
	const char text[] = "mx.other.net; spf=pass";

	(void)state;
	/* the first 14 bytes hold "mx.other.net; ": ours is not in them */
	assert_int_equal(authres_claims(text, 2, "mx.example.net"),
			 AUTHRES_OTHER);
	assert_int_equal(authres_claims(text, 0, "mx.example.net"),
			 AUTHRES_MALFORMED);
}

/* test_serv_id - configured, else the host name */
static void
test_serv_id(void **state)
{
	struct conf *c = conf_defaults();
	char host[256];
	char out[256];

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_int_equal(authres_serv_id(c, out, sizeof(out)), 0);
	assert_string_equal(out, host);
	free(c->authserv_id);
	c->authserv_id = strdup("mx.example.net");
	assert_int_equal(authres_serv_id(c, out, sizeof(out)), 0);
	assert_string_equal(out, "mx.example.net");
	conf_free(c);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, value_rows, test_values);
	rg_case_add(&c, "value_too_small_is_an_error", test_value_too_small,
		    NULL);
	rg_case_add(&c, "long_comment_is_cut", test_long_comment_is_cut, NULL);
	RG_ADD_ROWS(&c, claim_rows, test_claims);
	rg_case_add(&c, "claims_reads_only_len", test_claims_reads_only_len,
		    NULL);
	rg_case_add(&c, "serv_id_is_configured_or_host_name", test_serv_id,
		    NULL);
	return rg_cases_run(&c, "authres", NULL, NULL);
}
