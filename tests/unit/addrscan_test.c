/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addrscan_test - the lenient reader: every address a mail client could
 * show in a field the strict reader cannot read, wherever it hides
 * (comments, quotes, encoded-words, after syntax errors, look-alike
 * at-signs and dots), and the bounds that keep a hostile field cheap.
 */
#include "addrscan.h"

#include <stdio.h>
#include <string.h>

#include "rg_test.h"

#define L10 "xxxxxxxxxx"
#define L200 L10 L10 L10 L10 L10 L10 L10 L10 L10 L10 \
	L10 L10 L10 L10 L10 L10 L10 L10 L10 L10

struct row {
	const char *name;
	const char *value;
	size_t len;		/* 0: strlen(value) */
	size_t count;		/* tokens with a domain */
	const char *want;	/* the reported addresses, "l@d l@d" */
};

static const struct row rows[] = {
	{"plain_address", "ceo@a.example", 0, 1, "ceo@a.example"},
	{"after_empty_mailbox", "ceo@a.example, <>", 0, 1, "ceo@a.example"},
	{"before_empty_mailbox", "<>, ceo@a.example", 0, 1, "ceo@a.example"},
	{"double_close_angle", "<ceo@a.example>>", 0, 1, "ceo@a.example"},
	{"unterminated_comment", "x@b.example (ceo@a.example", 0, 2,
	 "x@b.example ceo@a.example"},
	{"unterminated_quote", "ceo@a.example, \"", 0, 1, "ceo@a.example"},
	{"display_name", "\"ceo@a.example\" <x@b.example>", 0, 2,
	 "ceo@a.example x@b.example"},
	{"angle_in_quoted_display_name", "\"<ceo@a.example>\" <>", 0, 1,
	 "ceo@a.example"},
	{"domain_upper_case_and_trailing_dot", "ceo@A.Example.", 0, 1,
	 "ceo@a.example"},
	{"trailing_dots_and_leading_dot", "ceo@.a.example..", 0, 1,
	 "ceo@a.example"},
	{"folded_after_dot", "ceo@a.\r\n example", 0, 1, "ceo@a.example"},
	{"folded_before_dot", "ceo@a\r\n .example", 0, 1, "ceo@a.example"},
	/* read twice: as it is, and without its comments */
	{"comment_inside_domain", "ceo@a(x).example", 0, 2,
	 "ceo@a.example ceo@a.example"},
	{"long_comment_inside_domain", "ceo@a.(" L200 ")example, <>", 0, 2,
	 "ceo@a ceo@a.example"},
	{"white_space_after_at", "ceo @ a.example", 0, 1, "ceo@a.example"},
	{"gap_without_dot_ends_domain", "ceo@a example", 0, 1, "ceo@a"},
	{"address_literal_content", "ceo@[a.example]", 0, 1, "ceo@a.example"},
	{"ip_literal_is_no_host_name", "user@[127.0.0.1]", 0, 1,
	 "user@127.0.0.1"},
	{"junk_after_domain_cut", "ceo@a.example'\xff", 0, 1,
	 "ceo@a.example"},
	{"invalid_utf8_ends_domain", "ceo@a.example\xc3", 0, 1,
	 "ceo@a.example"},
	{"fullwidth_at_sign", "ceo\xef\xbc\xa0" "a.example", 0, 1,
	 "ceo@a.example"},
	{"small_at_sign", "ceo\xef\xb9\xab" "a.example", 0, 1,
	 "ceo@a.example"},
	{"fullwidth_letters_mapped", "ceo@\xef\xbd\x81.example", 0, 1,
	 "ceo@a.example"},
	{"ideographic_full_stop", "ceo@a\xe3\x80\x82" "example", 0, 1,
	 "ceo@a.example"},
	{"fullwidth_full_stop_at_end", "ceo@a.example\xef\xbc\x8e", 0, 1,
	 "ceo@a.example"},
	{"halfwidth_full_stop", "ceo@a\xef\xbd\xa1" "example", 0, 1,
	 "ceo@a.example"},
	{"cyrillic_lookalike_is_another_domain", "ceo@\xd0\xb0.example", 0, 1,
	 "ceo@xn--80a.example"},
	{"q_encoded_word", "=?utf-8?q?ceo=40a.example?=", 0, 1,
	 "ceo@a.example"},
	{"b_encoded_word", "=?UTF-8?B?Y2VvQGEuZXhhbXBsZQ==?=", 0, 1,
	 "ceo@a.example"},
	{"utf16_encoded_word",
	 "=?utf-16be?b?AGMAZQBvAEAAYQAuAGUAeABhAG0AcABsAGU=?=", 0, 1,
	 "ceo@a.example"},
	{"encoded_words_joined", "=?utf-8?q?ceo?= =?utf-8?q?=40a.example?=",
	 0, 1, "ceo@a.example"},
	{"encoded_word_then_raw_domain", "=?utf-8?q?ceo?=@a.example", 0, 2,
	 "=?utf-8?q?ceo?=@a.example ceo@a.example"},
	{"raw_at_then_encoded_domain", "ceo@=?utf-8?q?a.example?=", 0, 1,
	 "ceo@a.example"},
	{"malformed_encoded_word_left_alone", "=?utf-8?x?abc?= ceo@a.example",
	 0, 1, "ceo@a.example"},
	{"route_without_mailbox", "<@route.example:>", 0, 1,
	 "@route.example"},
	{"percent_hack", "a%b@c.example", 0, 1, "a%b@c.example"},
	{"quoted_local_part", "\"john doe\"@a.example", 0, 1,
	 "\"john doe\"@a.example"},
	{"no_at_sign", "undisclosed-recipients:;", 0, 0, ""},
	{"at_without_domain", "ceo@, @", 0, 0, ""},
	{"nul_ends_nothing_but_the_domain", "x@b.example\0ceo@a.example", 25, 2,
	 "x@b.example ceo@a.example"},
	{"only_len_bytes_are_read", "a@b.example, c@d.example", 11, 1,
	 "a@b.example"},
};

/* The addresses one scan reported. */
struct got {
	char text[2048];
	size_t n;
};

/* got_one - addr_each_fn: append "local@domain" */
static void
got_one(void *arg, const struct addr *a)
{
	struct got *g = arg;
	size_t l = strlen(g->text);

	snprintf(g->text + l, sizeof(g->text) - l, "%s%s@%s", g->n ? " " : "",
		 a->local, a->domain);
	g->n++;
}

/* count_one - addr_each_fn: count */
static void
count_one(void *arg, const struct addr *a)
{
	(void)a;
	(*(size_t *)arg)++;
}

/* test_row - one field, in an exact-size buffer */
static void
test_row(void **state)
{
	const struct row *r = *state;
	size_t len = r->len ? r->len : strlen(r->value);
	char *copy = malloc(len ? len : 1);
	struct got g;
	size_t count;

	assert_non_null(copy);
	memcpy(copy, r->value, len);
	memset(&g, 0, sizeof(g));
	count = addrscan_field(copy, len, got_one, &g);
	free(copy);
	assert_string_equal(g.text, r->want);
	assert_int_equal(count, r->count);
}

/* test_hostile_field_stays_bounded - a megabyte of at-signs in comments
 * and of look-alike at-signs is read in bounded steps (ASan would see a
 * stray read; the count says every token was looked at) */
static void
test_hostile_field_stays_bounded(void **state)
{
	size_t len = 1 << 20;
	char *v = malloc(len);
	size_t n = 0;
	size_t i;

	(void)state;
	assert_non_null(v);
	for (i = 0; i + 1 < len; i += 2)
		memcpy(v + i, "@(", 2);
	assert_int_equal(addrscan_field(v, len, count_one, &n), 0);
	memset(v, '.', len);
	for (i = 0; i + 3 < len; i += 3)
		memcpy(v + i, "@a.", 3);
	assert_int_equal(addrscan_field(v, len, count_one, &n), len / 3);
	assert_int_equal(n, len / 3);
	free(v);
}

/* test_long_domain_counted_not_reported - a token too long to be a host
 * name still counts as an address shown */
static void
test_long_domain_counted_not_reported(void **state)
{
	char v[2100];
	struct got g;

	(void)state;
	memcpy(v, "x@", 2);
	memset(v + 2, 'a', sizeof(v) - 2);
	memset(&g, 0, sizeof(g));
	assert_int_equal(addrscan_field(v, sizeof(v), got_one, &g), 1);
	assert_int_equal(g.n, 0);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	rg_case_add(&c, "hostile_field_stays_bounded",
		    test_hostile_field_stays_bounded, NULL);
	rg_case_add(&c, "long_domain_counted_not_reported",
		    test_long_domain_counted_not_reported, NULL);
	return rg_cases_run(&c, "addrscan", NULL, NULL);
}
