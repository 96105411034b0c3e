/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replytext_test - reply texts as the MTA gets them: no '%', no control
 * bytes, one line of printable ASCII, bounded, cut with "...".
 */
#include "replytext.h"

#include <string.h>

#include "rg_test.h"

struct row {
	const char *name;
	const char *src;
	size_t size;		/* 0: a large buffer */
	const char *want;
};

static const struct row rows[] = {
	{"plain_text_kept", "sender address not owned by login alice",
	 0, "sender address not owned by login alice"},
	{"percent_replaced", "100% sure", 0, "100? sure"},
	{"double_percent_replaced", "100%% sure", 0, "100?? sure"},
	{"percent_escapes_of_a_subject_replaced", "login:a%40b quota", 0,
	 "login:a?40b quota"},
	{"percent_in_local_part_replaced", "<a%b@example.com>: not owned", 0,
	 "<a?b@example.com>: not owned"},
	{"line_breaks_become_spaces", "one\r\ntwo\nthree\rfour", 0,
	 "one  two three four"},
	{"tab_becomes_space", "a\tb", 0, "a b"},
	{"control_bytes_replaced", "a\x01\x1b[31mb\x7f", 0, "a??[31mb?"},
	{"eight_bit_replaced", "J\xc3\xb6rg", 0, "J??rg"},
	{"ends_trimmed", " \r\n text \t", 0, "text"},
	{"empty_stays_empty", "", 0, ""},
	{"null_is_empty", NULL, 0, ""},
	{"cut_to_buffer_with_mark", "abcdefghij", 8, "abcd..."},
	{"exact_fit_not_cut", "abcdefg", 8, "abcdefg"},
	{"tiny_buffer", "abcdef", 3, "ab"},
};

/* test_row - one text cleaned */
static void
test_row(void **state)
{
	const struct row *r = *state;
	char big[1024];
	size_t size = r->size ? r->size : sizeof(big);
	char *dst = malloc(size);	/* exact size, for ASan */
	size_t n;

	assert_non_null(dst);
	n = replytext_clean(dst, size, r->src);
	assert_string_equal(dst, r->want);
	assert_int_equal(n, strlen(r->want));
	free(dst);
}

/* test_bounded_by_reply_line - never more than REPLYTEXT_MAX bytes, so
 * "553 5.7.1 TEXT" fits RFC 5321's 512-octet reply line */
static void
test_bounded_by_reply_line(void **state)
{
	char src[2000];
	char dst[1500];
	size_t n;

	(void)state;
	memset(src, 'x', sizeof(src) - 1);
	src[sizeof(src) - 1] = '\0';
	n = replytext_clean(dst, sizeof(dst), src);
	assert_int_equal(n, REPLYTEXT_MAX);
	assert_int_equal(strlen(dst), REPLYTEXT_MAX);
	assert_memory_equal(dst + n - 3, "...", 3);
	assert_true(strlen("553 5.999.999 ") + n + 2 <= 512);
}

/* test_zero_size - nothing written */
static void
test_zero_size(void **state)
{
	char c = 'z';

	(void)state;
	assert_int_equal(replytext_clean(&c, 0, "abc"), 0);
	assert_int_equal(c, 'z');
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	rg_case_add(&c, "bounded_by_reply_line", test_bounded_by_reply_line,
		    NULL);
	rg_case_add(&c, "zero_size", test_zero_size, NULL);
	return rg_cases_run(&c, "replytext", NULL, NULL);
}
