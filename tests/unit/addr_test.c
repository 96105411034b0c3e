/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addr_test - the author mailbox of a From field body: display names,
 * comments, quoted strings, groups, folding, limits, and what is refused.
 */
#include "addr.h"

#include <string.h>

#include "rg_test.h"

struct row {
	const char *name;
	const char *value;
	size_t len;		/* 0: strlen(value) */
	enum addr_status want;
	const char *local;	/* when ADDR_OK */
	const char *domain;
	const char *why;	/* part of the reason otherwise */
};

#define L64 "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
#define D63 "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define D255 D63 "." D63 "." D63 "." D63	/* 4 * 63 + 3 dots = 255 */

static const struct row rows[] = {
	/* plain and named mailboxes */
	{"plain_addr_spec", "a@b", 0, ADDR_OK, "a", "b", NULL},
	{"plain_with_white_space", "  user@example.com \t", 0, ADDR_OK, "user",
	 "example.com", NULL},
	{"display_name_and_angle_addr", "\"Name\" <a@B.Example>", 0, ADDR_OK,
	 "a", "b.example", NULL},
	{"domain_lower_cased_local_kept", "John.Doe@EXAMPLE.COM", 0, ADDR_OK,
	 "John.Doe", "example.com", NULL},
	{"unquoted_display_name", "Jane Q. Public <jane@example.org>", 0,
	 ADDR_OK, "jane", "example.org", NULL},
	{"encoded_word_display_name",
	 "=?UTF-8?B?SsO2cmc=?= <j@example.de>", 0, ADDR_OK, "j",
	 "example.de", NULL},
	{"angle_addr_alone", "<postmaster@example.net>", 0, ADDR_OK,
	 "postmaster", "example.net", NULL},
	{"angle_addr_wins_over_text_with_at",
	 "paypal.com@service <x@evil.example>", 0, ADDR_OK, "x",
	 "evil.example", NULL},
	{"trailing_comma_is_one_mailbox", "a@example.com,", 0, ADDR_OK, "a",
	 "example.com", NULL},
	{"white_space_around_at_dropped", "a @ example.com", 0, ADDR_OK, "a",
	 "example.com", NULL},
	/* comments */
	{"comment_before_and_after", "(Jane) jane@example.com (work)", 0,
	 ADDR_OK, "jane", "example.com", NULL},
	{"nested_comments", "(outer (inner (deep)) text) a@example.com", 0,
	 ADDR_OK, "a", "example.com", NULL},
	{"escaped_close_paren_in_comment", "(a \\) still comment) a@b.example",
	 0, ADDR_OK, "a", "b.example", NULL},
	{"escaped_open_paren_does_not_nest", "(a \\( b) a@b.example", 0,
	 ADDR_OK, "a", "b.example", NULL},
	{"comment_hides_at_and_comma", "(x@y, z@w) a@b.example", 0, ADDR_OK,
	 "a", "b.example", NULL},
	{"comment_inside_angle", "<a(c)@b.example>", 0, ADDR_OK, "a",
	 "b.example", NULL},
	/* quoted strings */
	{"quoted_local_part_with_at_and_comma", "\"a@b,c\"@example.com", 0,
	 ADDR_OK, "\"a@b,c\"", "example.com", NULL},
	{"quoted_display_name_with_comma",
	 "\"Doe, John\" <john@example.com>", 0, ADDR_OK, "john",
	 "example.com", NULL},
	{"quoted_display_name_with_angle",
	 "\"a <b@c.example>\" <d@e.example>", 0, ADDR_OK, "d", "e.example",
	 NULL},
	{"escaped_quote_in_quoted_string", "\"x\\\"y\" <a@b.example>", 0,
	 ADDR_OK, "a", "b.example", NULL},
	{"quoted_colon_is_not_a_group", "\"Team: A\" <a@b.example>", 0,
	 ADDR_OK, "a", "b.example", NULL},
	/* white space inside a quoted local part is part of it */
	{"quoted_local_part_keeps_space", "\"john doe\"@example.com", 0,
	 ADDR_OK, "\"john doe\"", "example.com", NULL},
	{"folding_outside_quotes_dropped", "a\r\n\t@ example.com", 0,
	 ADDR_OK, "a", "example.com", NULL},
	/* groups */
	{"empty_group_has_no_mailbox", "undisclosed-recipients:;", 0,
	 ADDR_NONE, NULL, NULL, "no address in From"},
	{"group_with_one_mailbox", "team: a@example.com;", 0, ADDR_OK, "a",
	 "example.com", NULL},
	{"group_with_two_mailboxes", "team: a@example.com, b@example.com;", 0,
	 ADDR_SEVERAL, NULL, NULL, "several addresses in From"},
	{"group_then_mailbox", "g:;, a@example.com", 0, ADDR_OK, "a",
	 "example.com", NULL},
	/* several and none */
	{"two_mailboxes", "a@example.com, b@example.org", 0, ADDR_SEVERAL,
	 NULL, NULL, "several addresses in From"},
	{"two_named_mailboxes", "A <a@example.com>, B <b@example.org>", 0,
	 ADDR_SEVERAL, NULL, NULL, "several addresses in From"},
	{"empty_value", "", 0, ADDR_NONE, NULL, NULL, "no address in From"},
	{"only_white_space", " \t\r\n ", 0, ADDR_NONE, NULL, NULL,
	 "no address in From"},
	{"only_a_comment", "(nobody)", 0, ADDR_NONE, NULL, NULL,
	 "no address in From"},
	/* an empty mailbox is no empty group: it cannot be read */
	{"empty_angle_addr", "<>", 0, ADDR_BAD, NULL, NULL,
	 "empty address in From"},
	{"only_commas", ",,,", 0, ADDR_NONE, NULL, NULL, "no address in From"},
	/* malformed */
	{"missing_domain", "a@", 0, ADDR_BAD, NULL, NULL,
	 "From address has no domain"},
	{"missing_local_part", "@example.com", 0, ADDR_BAD, NULL, NULL,
	 "From address has no domain"},
	{"no_at_sign", "Just A Name", 0, ADDR_BAD, NULL, NULL,
	 "From address has no domain"},
	{"unterminated_quote", "\"Name <a@example.com>", 0, ADDR_BAD, NULL,
	 NULL, "unterminated comment, quote or <> in From"},
	{"unterminated_comment", "(Name a@example.com", 0, ADDR_BAD, NULL,
	 NULL, "unterminated comment, quote or <> in From"},
	{"unterminated_angle", "Name <a@example.com", 0, ADDR_BAD, NULL, NULL,
	 "unterminated comment, quote or <> in From"},
	{"backslash_at_end_of_quote", "\"abc\\", 0, ADDR_BAD, NULL, NULL,
	 "unterminated"},
	{"close_angle_without_open", "a@example.com>", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"two_angle_addrs", "<a@example.com> <b@example.com>", 0, ADDR_BAD,
	 NULL, NULL, "malformed From address"},
	{"nested_angle", "<<a@example.com>>", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"domain_trailing_dot", "a@example.com.", 0, ADDR_BAD, NULL, NULL,
	 "From domain is not a domain name"},
	{"domain_double_dot", "a@example..com", 0, ADDR_BAD, NULL, NULL,
	 "From domain is not a domain name"},
	{"domain_literal_refused", "a@[192.0.2.1]", 0, ADDR_BAD, NULL, NULL,
	 "From domain is not a domain name"},
	{"domain_with_slash_refused", "a@example.com/x", 0, ADDR_BAD, NULL,
	 NULL, "From domain is not a domain name"},
	/* what cannot be read as whole mailboxes is ADDR_BAD, never "nobody"
	 * and never a part of the list */
	{"empty_mailbox_after_address", "bob@b.example, <>", 0, ADDR_BAD,
	 NULL, NULL, "empty address in From"},
	{"empty_mailbox_before_address", "<>, bob@b.example", 0, ADDR_BAD,
	 NULL, NULL, "empty address in From"},
	{"empty_route_mailbox", "bob@b.example, <@route.example:>", 0,
	 ADDR_BAD, NULL, NULL, "empty address in From"},
	{"named_empty_mailbox", "ceo@a.example <>", 0, ADDR_BAD, NULL, NULL,
	 "empty address in From"},
	{"double_close_angle", "<ceo@a.example>>", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"unterminated_comment_after_address", "ceo@a.example (x", 0,
	 ADDR_BAD, NULL, NULL, "unterminated comment, quote or <> in From"},
	{"unterminated_quote_after_list", "ceo@a.example, \"", 0, ADDR_BAD,
	 NULL, NULL, "unterminated comment, quote or <> in From"},
	{"text_after_angle", "<x@b.example> ceo@a.example", 0, ADDR_BAD,
	 NULL, NULL, "text after <address> in From"},
	{"quote_after_angle", "<x@b.example> \"y\"", 0, ADDR_BAD, NULL, NULL,
	 "text after <address> in From"},
	{"comment_after_angle_is_fine", "<x@b.example> (work)", 0, ADDR_OK,
	 "x", "b.example", NULL},
	{"two_addr_specs_run_together", "ceo@a.example bob@b.example", 0,
	 ADDR_BAD, NULL, NULL, "malformed From address"},
	{"words_in_local_part", "john doe@b.example", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"words_split_by_comment", "jo(x)hn@b.example", 0, ADDR_BAD, NULL,
	 NULL, "malformed From address"},
	{"words_inside_angle", "<john doe@b.example>", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"words_in_domain", "a@b c.example", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"unquoted_at_in_local_part", "<ceo@a.example@b.example>", 0,
	 ADDR_BAD, NULL, NULL, "malformed From address"},
	{"backslash_outside_quotes", "ceo\\@a.example", 0, ADDR_BAD, NULL,
	 NULL, "malformed From address"},
	{"local_part_double_dot", "a..b@example.com", 0, ADDR_BAD, NULL, NULL,
	 "malformed From address"},
	{"local_part_quote_then_atom", "\"a\"b@example.com", 0, ADDR_BAD, NULL,
	 NULL, "malformed From address"},
	{"semicolon_outside_group", "a@x.example; b@y.example", 0, ADDR_BAD,
	 NULL, NULL, "';' outside a group in From"},
	{"nested_group", "g: h: a@x.example;;", 0, ADDR_BAD, NULL, NULL,
	 "malformed group in From"},
	{"group_name_with_at", "ceo@a.example:;", 0, ADDR_BAD, NULL, NULL,
	 "malformed group in From"},
	{"group_after_angle", "<a@x.example>: b@y.example;", 0, ADDR_BAD, NULL,
	 NULL, "malformed group in From"},
	{"address_literal", "user@[127.0.0.1]", 0, ADDR_BAD, NULL, NULL,
	 "From domain is not a domain name"},
	{"ideographic_full_stop_at_end", "ceo@a.example\xe3\x80\x82", 0,
	 ADDR_BAD, NULL, NULL, "not a domain name"},
	/* a local part that shows more than it is (after an MTA appended
	 * its own domain to something that was no address) */
	{"fullwidth_at_in_local_part",
	 "ceo\xef\xbc\xa0" "a.example@relay.example", 0, ADDR_BAD, NULL, NULL,
	 "look-alike at-sign in From address"},
	{"small_at_in_local_part", "ceo\xef\xb9\xab" "a.example@b.example",
	 0, ADDR_BAD, NULL, NULL, "look-alike at-sign in From address"},
	{"encoded_word_in_local_part",
	 "=?utf-8?q?ceo=40a.example?=@relay.example", 0, ADDR_BAD, NULL, NULL,
	 "encoded-word in From address"},
	{"encoded_word_in_quoted_local_part",
	 "\"=?utf-8?q?ceo=40a.example?=\"@relay.example", 0, ADDR_BAD, NULL,
	 NULL, "encoded-word in From address"},
	{"equals_and_question_marks_alone_fine", "a=b?c@relay.example", 0,
	 ADDR_OK, "a=b?c", "relay.example", NULL},
	/* the obsolete forms RFC 5322 section 4 still allows */
	{"obs_cfws_around_dots", "a . b @ x (c) . example", 0, ADDR_OK,
	 "a.b", "x.example", NULL},
	{"obs_quoted_words_local_part", "\"a\".\"b c\"@x.example", 0, ADDR_OK,
	 "\"a\".\"b c\"", "x.example", NULL},
	{"obs_empty_list_elements", ", ,a@x.example, ,", 0, ADDR_OK, "a",
	 "x.example", NULL},
	{"group_without_semicolon_at_end", "team: a@x.example", 0, ADDR_OK,
	 "a", "x.example", NULL},
	{"percent_hack_local_part", "a%b@c.example", 0, ADDR_OK, "a%b",
	 "c.example", NULL},
	{"fullwidth_letter_is_ascii_twin", "a@\xef\xbd\x81.example", 0, ADDR_OK,
	 "a", "a.example", NULL},
	{"display_name_with_unquoted_at", "ceo@a.example <x@b.example>", 0,
	 ADDR_OK, "x", "b.example", NULL},
	{"encoded_word_address_is_no_mailbox",
	 "=?utf-8?q?ceo=40a.example?=", 0, ADDR_BAD, NULL, NULL,
	 "From address has no domain"},
	/* limits: RFC 5321 local part 64, domain 255 */
	{"local_part_64_is_accepted", L64 "@example.com", 0, ADDR_OK, L64,
	 "example.com", NULL},
	{"local_part_65_is_refused", L64 "x@example.com", 0, ADDR_BAD, NULL,
	 NULL, "over the RFC 5321 length limits"},
	{"domain_255_is_accepted", "a@" D255, 0, ADDR_OK, "a", D255, NULL},
	{"domain_256_is_refused", "a@" D255 "y", 0, ADDR_BAD, NULL, NULL,
	 "over the RFC 5321 length limits"},
	{"mailbox_over_511_bytes_is_too_long",
	 "<" L64 L64 L64 L64 L64 L64 L64 L64 "@example.com>", 0, ADDR_BAD,
	 NULL, NULL, "From address too long"},
	/* folding, source routes, bytes */
	{"folded_value", "\"Jane\"\r\n\t<jane@example.com>\r\n (home)", 0,
	 ADDR_OK, "jane", "example.com", NULL},
	{"folded_inside_angle", "<jane\r\n @example.com>", 0, ADDR_OK, "jane",
	 "example.com", NULL},
	{"source_route_dropped", "<@x.example,@y.example:a@b.example>", 0,
	 ADDR_OK, "a", "b.example", NULL},
	{"nul_inside_len_is_bad", "a@b.example\0x", 13, ADDR_BAD, NULL, NULL,
	 "NUL byte in From"},
	/* an escaped NUL is still a NUL (found by tests/fuzz/addr_fuzz.c) */
	{"nul_escaped_in_comment_is_bad", "(c\\\0) a@example.com", 19,
	 ADDR_BAD, NULL, NULL, "NUL byte in From"},
	{"nul_escaped_in_quotes_is_bad", "\"ab\\\0cd\"@example.com", 20,
	 ADDR_BAD, NULL, NULL, "NUL byte in From"},
	{"only_len_bytes_are_read", "a@b.example, c@d.example", 11, ADDR_OK,
	 "a", "b.example", NULL},
	{"utf8_domain_becomes_a_label", "a@B\xc3\xbc" "cher.example", 0, ADDR_OK,
	 "a", "xn--bcher-kva.example", NULL},
	{"a_label_domain_lower_cased", "a@XN--BCHER-KVA.example", 0, ADDR_OK,
	 "a", "xn--bcher-kva.example", NULL},
	{"nfc_to_ascii_punctuation_is_bad", "a@x\xcd\xbe" "y.example", 0,
	 ADDR_BAD, NULL, NULL, "not a domain name"},
	{"invalid_utf8_domain_is_bad", "a@b\xff.example", 0, ADDR_BAD, NULL,
	 NULL, "not a valid internationalised name"},
	{"needless_quotes_dropped", "\"alice\"@example.com", 0, ADDR_OK,
	 "alice", "example.com", NULL},
	{"quoted_dot_atom_unquoted", "<\"a.b\"@example.com>", 0, ADDR_OK,
	 "a.b", "example.com", NULL},
	{"utf8_local_part_accepted", "j\xc3\xb6rg@example.de", 0, ADDR_OK,
	 "j\xc3\xb6rg", "example.de", NULL},
};

/*
 * test_long_display_name_is_fine - a display name longer than the scan
 * buffer (long RFC 2047 names) does not matter when <angle-addr> names
 * the address.
 */
static void
test_long_display_name_is_fine(void **state)
{
	char v[700];
	struct addr a;
	struct err e;

	(void)state;
	memset(v, 'N', 600);
	memcpy(v + 600, " <a@example.com>", 17);
	assert_int_equal(addr_from_header(v, strlen(v), &a, &e), ADDR_OK);
	assert_string_equal(a.local, "a");
	assert_string_equal(a.domain, "example.com");
}

/* test_row - one addr_from_header() row, input in an exact-size buffer */
static void
test_row(void **state)
{
	const struct row *r = *state;
	size_t len = r->len ? r->len : strlen(r->value);
	char *copy = malloc(len ? len : 1);	/* no NUL: len bounds it */
	struct addr a;
	struct err e;
	enum addr_status st;

	assert_non_null(copy);
	memcpy(copy, r->value, len);
	memset(&a, 0, sizeof(a));
	st = addr_from_header(copy, len, &a, &e);
	free(copy);
	if (st != r->want)
		fail_msg("status %d, want %d (%s)", st, r->want, e.text);
	if (r->want == ADDR_OK) {
		assert_string_equal(a.local, r->local);
		assert_string_equal(a.domain, r->domain);
	} else {
		assert_true(rg_has(e.text, r->why));
	}
}

/* --- addr_list_parse ---------------------------------------------------- */

struct list_row {
	const char *name;
	const char *value;
	size_t max;
	enum addr_status want;
	const char *addrs;	/* "l@d l@d" when ADDR_OK */
	const char *why;
};

static const struct list_row list_rows[] = {
	{"list_two_mailboxes", "a@example.com, B <b@Example.ORG>", 4, ADDR_OK,
	 "a@example.com b@example.org", NULL},
	{"list_group_members_counted", "team: a@x.example, b@y.example;, c@z.example",
	 4, ADDR_OK, "a@x.example b@y.example c@z.example", NULL},
	{"list_empty_group_alone_is_none", "undisclosed-recipients:;", 4,
	 ADDR_NONE, NULL, "no address in Sender"},
	{"list_over_max_is_several", "a@x.example, b@x.example, c@x.example", 2,
	 ADDR_SEVERAL, NULL, "several addresses in Sender"},
	{"list_one_bad_mailbox_spoils_it", "a@x.example, b@", 4, ADDR_BAD, NULL,
	 "Sender address has no domain"},
	{"list_comments_hide_addresses", "(c@evil.example) a@x.example", 4,
	 ADDR_OK, "a@x.example", NULL},
	{"list_display_name_spoof_ignored",
	 "\"ceo@bank.example\" <x@attacker.example>", 4, ADDR_OK,
	 "x@attacker.example", NULL},
};

/* test_list - one addr_list_parse() row */
static void
test_list(void **state)
{
	const struct list_row *r = *state;
	struct addr a[4];
	char got[1400] = "";
	size_t n = 0;
	size_t i;
	struct err e;
	enum addr_status st;

	st = addr_list_parse("Sender", r->value, strlen(r->value), a, r->max,
			     &n, &e);
	if (st != r->want)
		fail_msg("status %d, want %d (%s)", st, r->want, e.text);
	if (st != ADDR_OK) {
		assert_true(rg_has(e.text, r->why));
		return;
	}
	for (i = 0; i < n; i++) {
		size_t l = strlen(got);

		snprintf(got + l, sizeof(got) - l, "%s%s@%s", i ? " " : "",
			 a[i].local, a[i].domain);
	}
	assert_string_equal(got, r->addrs);
}

/* --- addr_path_parse ---------------------------------------------------- */

static const struct row path_rows[] = {
	{"path_angle", "<alice@Example.COM>", 0, ADDR_OK, "alice",
	 "example.com", NULL},
	{"path_bare", "alice@example.com", 0, ADDR_OK, "alice", "example.com",
	 NULL},
	{"path_null_sender", "<>", 0, ADDR_NONE, NULL, NULL, "null sender"},
	{"path_empty", "", 0, ADDR_NONE, NULL, NULL, "null sender"},
	{"path_source_route", "<@relay.example:bob@example.org>", 0, ADDR_OK,
	 "bob", "example.org", NULL},
	{"path_quoted_space", "<\"john doe\"@example.com>", 0, ADDR_OK,
	 "\"john doe\"", "example.com", NULL},
	{"path_quoted_at", "<\"a@b\"@example.com>", 0, ADDR_OK, "\"a@b\"",
	 "example.com", NULL},
	{"path_needless_quotes", "<\"alice\"@example.com>", 0, ADDR_OK,
	 "alice", "example.com", NULL},
	{"path_postmaster_without_domain", "<postmaster>", 0, ADDR_BAD, NULL,
	 NULL, "sender address has no domain"},
	{"path_two_unquoted_at_signs_refused", "<a@b@example.com>", 0,
	 ADDR_BAD, NULL, NULL, "malformed address"},
	{"path_quote_then_text_refused", "<\"a\"b@example.com>", 0, ADDR_BAD,
	 NULL, NULL, "malformed address"},
	{"path_space_refused", "<a b@example.com>", 0, ADDR_BAD, NULL, NULL,
	 "malformed address"},
	{"path_control_refused", "<a\x01@example.com>", 0, ADDR_BAD, NULL,
	 NULL, "control character"},
	{"path_unterminated_quote", "<\"ab@example.com>", 0, ADDR_BAD, NULL,
	 NULL, "malformed address"},
	{"path_utf8_local_and_idn_domain",
	 "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95>",
	 0, ADDR_OK, "\xe7\x94\xa8\xe6\x88\xb7", "xn--fsqu00a.xn--0zwm56d", NULL},
	{"path_domain_literal_refused", "<a@[192.0.2.1]>", 0, ADDR_BAD, NULL,
	 NULL, "not a domain name"},
	{"path_local_65_refused", "<" L64 "x@example.com>", 0, ADDR_BAD, NULL,
	 NULL, "length limits"},
};

/* test_path - one addr_path_parse() row */
static void
test_path(void **state)
{
	const struct row *r = *state;
	struct addr a;
	struct err e;
	enum addr_status st;

	memset(&a, 0, sizeof(a));
	st = addr_path_parse(r->value, &a, &e);
	if (st != r->want)
		fail_msg("status %d, want %d (%s)", st, r->want, e.text);
	if (r->want == ADDR_OK) {
		assert_string_equal(a.local, r->local);
		assert_string_equal(a.domain, r->domain);
	} else {
		assert_true(rg_has(e.text, r->why));
	}
}

/* test_equal_forms - U-label and A-label, quoted and plain, case */
static void
test_equal_forms(void **state)
{
	struct addr a;
	struct addr b;
	struct err e;

	(void)state;
	assert_int_equal(addr_path_parse("<\"Alice\"@B\xc3\xbc" "cher.example>",
					 &a, &e), ADDR_OK);
	assert_int_equal(addr_path_parse("alice@xn--bcher-kva.EXAMPLE", &b, &e),
			 ADDR_OK);
	assert_true(addr_equal(&a, &b, false));
	assert_false(addr_equal(&a, &b, true));
	assert_int_equal(addr_path_parse("alice@other.example", &b, &e), ADDR_OK);
	assert_false(addr_equal(&a, &b, false));
}

/* --- addr_domain_is_valid ------------------------------------------------ */

struct domain_row {
	const char *name;
	const char *domain;
	int want;
};

static const struct domain_row domain_rows[] = {
	{"domain_plain", "example.com", 1},
	{"domain_single_label", "localhost", 1},
	{"domain_digits_hyphen_underscore", "a-1_b.example", 1},
	{"domain_upper_case_is_valid", "EXAMPLE.com", 1},
	{"domain_utf8_is_valid", "b\xc3\xbc" "cher.de", 1},
	{"domain_empty_is_invalid", "", 0},
	{"domain_leading_dot_is_invalid", ".example.com", 0},
	{"domain_trailing_dot_is_invalid", "example.com.", 0},
	{"domain_double_dot_is_invalid", "a..b", 0},
	{"domain_space_is_invalid", "exa mple.com", 0},
	{"domain_percent_is_invalid", "%", 0},
	{"domain_colon_is_invalid", "example.com:25", 0},
};

/* test_domain - one addr_domain_is_valid() row */
static void
test_domain(void **state)
{
	const struct domain_row *r = *state;

	assert_int_equal(addr_domain_is_valid(r->domain) != 0, r->want);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	rg_case_add(&c, "long_display_name_is_fine",
		    test_long_display_name_is_fine, NULL);
	RG_ADD_ROWS(&c, domain_rows, test_domain);
	RG_ADD_ROWS(&c, list_rows, test_list);
	RG_ADD_ROWS(&c, path_rows, test_path);
	rg_case_add(&c, "equal_forms", test_equal_forms, NULL);
	return rg_cases_run(&c, "addr", NULL, NULL);
}
