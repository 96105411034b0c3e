/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bodyfp_test - the body fingerprint stays the same across the ways a bulk
 * sender personalises one text, and changes with the text: each row is two
 * bodies and whether they must share a fingerprint; golden rows check the
 * normalised text itself.  Bodies are fed in chunks of every size from 1
 * byte up, which must not change anything.
 */
#include "bodyfp.h"

#include "rg_test.h"
#include "str.h"

#define OFFER "We have a special offer for you this week only: visit our " \
	      "shop and save on everything in the store.\r\n"

/* fp - the fingerprint of body fed in chunks of chunk bytes; -1 when it
 * has none; the normalised text into trace when given */
static int
fp(const char *body, size_t chunk, char *hex, struct strbuf *trace)
{
	struct bodyfp *f = bodyfp_new();
	size_t len = strlen(body);
	size_t off;
	int rc;

	if (trace != NULL)
		bodyfp_trace(f, trace);
	for (off = 0; off < len; off += chunk)
		bodyfp_update(f, body + off,
			      len - off < chunk ? len - off : chunk);
	rc = bodyfp_final(f, hex, BODYFP_HEX_MAX);
	bodyfp_free(f);
	return rc;
}

static const struct pair {
	const char *name;
	const char *a;
	const char *b;
	bool same;
} pairs[] = {
	{"white_space_and_line_breaks_fold",
	 "We have a  special offer\r\n\r\nfor you\tthis week only: visit our "
	 "shop and save on everything in the store.\r\n",
	 OFFER, true},
	{"letter_case_is_ignored",
	 "WE HAVE A SPECIAL OFFER FOR YOU THIS WEEK ONLY: VISIT OUR SHOP AND "
	 "SAVE ON EVERYTHING IN THE STORE.\r\n", OFFER, true},
	{"numbers_dates_and_amounts_do_not_count",
	 OFFER "Order 12345 of 2026-11-30, total $19.99, ref A1B2C3.\r\n",
	 OFFER "Order 99812 of 2026-12-01, total $5.00, ref Z9Y8X7.\r\n", true},
	{"addresses_do_not_count",
	 OFFER "Sent to alice@example.com\r\n",
	 OFFER "Sent to <bob@example.org>\r\n", true},
	{"link_paths_and_queries_do_not_count",
	 OFFER "https://shop.example/deal?u=alice&t=abc\r\n",
	 OFFER "https://shop.example/deal/other?u=bob\r\n", true},
	{"another_link_host_counts",
	 OFFER "https://shop.example/deal\r\n",
	 OFFER "https://evil.example/deal\r\n", false},
	{"salutation_line_is_dropped",
	 "Dear Alice,\r\n" OFFER, "Hello Mr Robert Smith,\r\n" OFFER, true},
	{"salutation_after_blank_lines_is_dropped",
	 "\r\n\r\nHi Carol,\r\n" OFFER, OFFER, true},
	{"a_first_line_of_six_words_is_text",
	 "Dear Alice and all your friends,\r\n" OFFER,
	 "Dear Bob and all your friends,\r\n" OFFER, false},
	{"a_first_line_without_comma_is_text",
	 "Alice\r\n" OFFER, "Bob\r\n" OFFER, false},
	{"quoted_printable_soft_breaks_are_joined",
	 "We have a special offer for you this week only: visit our sh=\r\n"
	 "op and save on everything in the store.\r\n",
	 "We have a special offer for you this week only: visit our shop an=\n"
	 "d save on everything in the store.\r\n", true},
	{"mime_boundaries_do_not_count",
	 "--=_b1_aaa\r\nContent-Type: text/plain; boundary=\"aaa\"\r\n\r\n"
	 OFFER "--=_b1_aaa--\r\n",
	 "--=_b1_zzz\r\nContent-Type: text/plain; boundary=\"zzz\"\r\n\r\n"
	 OFFER "--=_b1_zzz--\r\n", true},
	{"another_text_differs", OFFER,
	 "We have a special offer for you this month only: visit our shop "
	 "and save on everything in the store.\r\n", false},
	{"word_order_counts", OFFER,
	 "We have a special offer for you this week only: visit our store "
	 "and save on everything in the shop.\r\n", false},
};

/* pair_fingerprints_agree_or_differ */
static void
t_pair(void **state)
{
	const struct pair *p = *state;
	char a[BODYFP_HEX_MAX];
	char b[BODYFP_HEX_MAX];
	size_t chunk;

	assert_int_equal(fp(p->a, 4096, a, NULL), 0);
	assert_int_equal(fp(p->b, 4096, b, NULL), 0);
	assert_int_equal(strlen(a), 32);
	if (p->same)
		assert_string_equal(a, b);
	else
		assert_string_not_equal(a, b);
	/* chunk boundaries anywhere, even inside "=\r\n", change nothing */
	for (chunk = 1; chunk < 8; chunk++) {
		assert_int_equal(fp(p->a, chunk, b, NULL), 0);
		assert_string_equal(a, b);
	}
}

static const struct golden {
	const char *name;
	const char *body;
	const char *text;	/* NULL: no fingerprint */
} goldens[] = {
	{"normalised_text_of_a_letter",
	 "Dear Ms Jones,\r\n\r\nYour ORDER #4711 ships on 2026-12-01.\r\n"
	 "Track it: https://ship.example/t?id=4711&k=zz\r\n"
	 "Questions? mail help@shop.example, we are glad to help.\r\n",
	 "your order ships on track it: https://ship.example questions? mail "
	 "we are glad to help."},
	{"a_long_word_is_dropped",
	 "one two three four five six seven eight nine "
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 " ten\r\n",
	 "one two three four five six seven eight nine ten"},
	{"an_equals_sign_inside_text_stays",
	 "a=b c = d and more words here to make it long enough=",
	 "a=b c = d and more words here to make it long enough="},
	{"too_little_text_has_no_fingerprint", "Thanks!\r\n\r\n-- \r\nAnn\r\n",
	 NULL},
	{"an_empty_body_has_no_fingerprint", "", NULL},
	{"seven_words_are_too_few",
	 "one two three four five six seven 1 2 3 a@b\r\n", NULL},
};

/* golden_normalised_text */
static void
t_golden(void **state)
{
	const struct golden *g = *state;
	char hex[BODYFP_HEX_MAX];
	struct strbuf sb;
	int rc;

	strbuf_init(&sb, 65536);
	rc = fp(g->body, 4096, hex, &sb);
	if (g->text == NULL) {
		assert_int_equal(rc, -1);
		assert_string_equal(hex, "");
	} else {
		assert_int_equal(rc, 0);
		assert_string_equal(sb.data, g->text);
	}
	strbuf_free(&sb);
}

/* a_big_body_costs_constant_memory: 20 MB in 64 kB chunks */
static void
t_big(void **state)
{
	static char chunk[65536];
	struct bodyfp *f = bodyfp_new();
	char hex[BODYFP_HEX_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chunk); i++)
		chunk[i] = "abcdefgh \r\n"[i % 11];
	for (i = 0; i < 320; i++)
		bodyfp_update(f, chunk, sizeof(chunk));
	assert_int_equal(bodyfp_final(f, hex, sizeof(hex)), 0);
	/* a second final has nothing left to give */
	assert_int_equal(bodyfp_final(f, hex, sizeof(hex)), -1);
	bodyfp_free(f);
	bodyfp_free(NULL);
}

/* nul_bytes_are_text_not_the_end (found by bodyfp_fuzz: a NUL word on
 * the first line was read as an empty string) */
static void
t_nul(void **state)
{
	static const char body[] = "\0 x,\r\n\0\0 one two three four five "
				   "six seven eight\r\n";
	struct bodyfp *f = bodyfp_new();
	struct strbuf sb;
	char hex[BODYFP_HEX_MAX];

	(void)state;
	strbuf_init(&sb, 4096);
	bodyfp_trace(f, &sb);
	bodyfp_update(f, body, sizeof(body) - 1);
	assert_int_equal(bodyfp_final(f, hex, sizeof(hex)), 0);
	/* the first line was a salutation; the NUL word of the second
	 * (two NUL bytes) counts as a word */
	assert_int_equal(sb.len, strlen(" one two three four five six seven "
					 "eight") + 2);
	assert_int_equal(sb.data[0], '\0');
	strbuf_free(&sb);
	bodyfp_free(f);
}

int
main(void)
{
	static struct rg_cases cases;

	RG_ADD_ROWS(&cases, pairs, t_pair);
	RG_ADD_ROWS(&cases, goldens, t_golden);
	rg_case_add(&cases, "a_big_body_costs_constant_memory", t_big, NULL);
	rg_case_add(&cases, "nul_bytes_are_text_not_the_end", t_nul, NULL);
	return rg_cases_run(&cases, "bodyfp", NULL, NULL);
}
