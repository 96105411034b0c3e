/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * str_test - bounded copies report truncation; numbers parse strictly.
 */
#include "str.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "rg_test.h"

/* --- str_copy / str_copyn ------------------------------------------------ */

struct copy_row {
	const char *name;
	const char *src;
	int use_n;		/* str_copyn with len bytes, else str_copy */
	size_t len;
	size_t size;		/* destination size */
	int rc;
	const char *want;	/* destination afterwards */
};

static const struct copy_row copy_rows[] = {
	{"copy_that_fits_is_exact", "example.com", 0, 0, 32, 0,
	 "example.com"},
	{"copy_filling_size_minus_one_fits", "abcd", 0, 0, 5, 0, "abcd"},
	{"copy_one_byte_too_long_fails_and_empties", "abcde", 0, 0, 5, -1,
	 ""},
	{"copy_much_too_long_fails_and_empties", "a-long-selector-name", 0, 0,
	 4, -1, ""},
	{"copy_empty_into_one_byte_fits", "", 0, 0, 1, 0, ""},
	{"copy_into_one_byte_fails_for_any_text", "a", 0, 0, 1, -1, ""},
	{"copyn_takes_only_len_bytes", "abcdef", 1, 3, 8, 0, "abc"},
	{"copyn_len_equal_to_size_fails", "abcdef", 1, 4, 4, -1, ""},
	{"copyn_zero_bytes_gives_empty", "abcdef", 1, 0, 8, 0, ""},
	{"copyn_keeps_bytes_after_a_nul", "ab\0cd", 1, 5, 8, 0, "ab"},
};

/* test_copy - one str_copy/str_copyn row, with a guard after dst */
static void
test_copy(void **state)
{
	const struct copy_row *r = *state;
	char buf[64];
	int rc;

	memset(buf, 'Z', sizeof(buf));
	if (r->use_n)
		rc = str_copyn(buf, r->size, r->src, r->len);
	else
		rc = str_copy(buf, r->size, r->src);
	assert_int_equal(rc, r->rc);
	assert_string_equal(buf, r->want);
	assert_int_equal(buf[r->size], 'Z');	/* nothing past size */
	if (r->use_n && r->rc == 0)	/* binary-safe: all len bytes */
		assert_memory_equal(buf, r->src, r->len);
}

/* test_copy_size_zero_writes_nothing - size 0 fails, dst untouched */
static void
test_copy_size_zero_writes_nothing(void **state)
{
	char buf[4] = "xyz";

	(void)state;
	assert_int_equal(str_copy(buf, 0, "a"), -1);
	assert_int_equal(str_copyn(buf, 0, "a", 1), -1);
	assert_string_equal(buf, "xyz");
}

/* --- str_format ---------------------------------------------------------- */

/* test_format_fits - formatted text that fits is written in full */
static void
test_format_fits(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(str_format(buf, sizeof(buf), "%s@%s:%d", "user",
				    "example.com", 25), 0);
	assert_string_equal(buf, "user@example.com:25");
}

/* test_format_exact_fit - size-1 characters still fit */
static void
test_format_exact_fit(void **state)
{
	char buf[6];

	(void)state;
	assert_int_equal(str_format(buf, sizeof(buf), "%05d", 42), 0);
	assert_string_equal(buf, "00042");
}

/* test_format_truncation_fails - one byte over: -1 and an empty dst */
static void
test_format_truncation_fails(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(str_format(buf, 5, "%s", "abcde"), -1);
	assert_string_equal(buf, "");
	assert_int_equal(buf[5], 'Z');
}

/* test_format_size_zero_fails - nothing can be written into 0 bytes */
static void
test_format_size_zero_fails(void **state)
{
	char buf[2] = "q";

	(void)state;
	assert_int_equal(str_format(buf, 0, "%s", ""), -1);
	assert_string_equal(buf, "q");
}

/* --- small helpers ------------------------------------------------------- */

/* test_lower_is_ascii_only - ASCII folded, 8-bit bytes kept */
static void
test_lower_is_ascii_only(void **state)
{
	char s[] = "MiXeD.Example.COM-\xc3\x89";

	(void)state;
	str_lower(s);
	assert_string_equal(s, "mixed.example.com-\xc3\x89");
}

/* test_trim_strips_both_ends - spaces, tabs, CR and LF */
static void
test_trim_strips_both_ends(void **state)
{
	char a[] = " \t value with  inside \r\n";
	char b[] = " \t\r\n";
	char c[] = "plain";

	(void)state;
	assert_string_equal(str_trim(a), "value with  inside");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "plain");
}

/* test_eq_nocase - ASCII case ignored, different text differs */
static void
test_eq_nocase(void **state)
{
	(void)state;
	assert_true(str_eq_nocase("Example.COM", "example.com"));
	assert_false(str_eq_nocase("example.com", "example.org"));
	assert_false(str_eq_nocase("example.com", "example.co"));
}

/* test_has_suffix_nocase - suffix tests, longer suffix never matches */
static void
test_has_suffix_nocase(void **state)
{
	(void)state;
	assert_true(str_has_suffix_nocase("mail.Example.com", ".example.COM"));
	assert_true(str_has_suffix_nocase("abc", ""));
	assert_true(str_has_suffix_nocase("abc", "abc"));
	assert_false(str_has_suffix_nocase("bc", "abc"));
	assert_false(str_has_suffix_nocase("example.com", ".org"));
}

/* --- str_to_ulong -------------------------------------------------------- */

struct ulong_row {
	const char *name;
	const char *text;
	int base;
	unsigned long max;
	int rc;
	unsigned long want;	/* when rc == 0 */
};

static const struct ulong_row ulong_rows[] = {
	{"ulong_zero", "0", 10, 10, 0, 0},
	{"ulong_plain_number", "1024", 10, 100000, 0, 1024},
	{"ulong_at_max_is_accepted", "10", 10, 10, 0, 10},
	{"ulong_above_max_is_rejected", "11", 10, 10, -1, 0},
	{"ulong_ulong_max_itself", "18446744073709551615", 10, ULONG_MAX, 0,
	 ULONG_MAX},
	{"ulong_overflow_is_rejected", "18446744073709551616", 10, ULONG_MAX,
	 -1, 0},
	{"ulong_huge_overflow_is_rejected", "99999999999999999999999999", 10,
	 ULONG_MAX, -1, 0},
	{"ulong_empty_is_rejected", "", 10, ULONG_MAX, -1, 0},
	{"ulong_plus_sign_is_rejected", "+1", 10, ULONG_MAX, -1, 0},
	{"ulong_minus_sign_is_rejected", "-1", 10, ULONG_MAX, -1, 0},
	{"ulong_leading_space_is_rejected", " 1", 10, ULONG_MAX, -1, 0},
	{"ulong_trailing_junk_is_rejected", "12x", 10, ULONG_MAX, -1, 0},
	{"ulong_trailing_space_is_rejected", "12 ", 10, ULONG_MAX, -1, 0},
	{"ulong_decimal_point_is_rejected", "1.5", 10, ULONG_MAX, -1, 0},
	{"ulong_octal_mode", "0640", 8, 0777, 0, 0640},
	{"ulong_octal_rejects_digit_8", "0680", 8, 0777, -1, 0},
	{"ulong_octal_range_checked", "01777", 8, 0777, -1, 0},
	{"ulong_leading_zeros_in_decimal", "007", 10, 100, 0, 7},
};

/* test_ulong - one str_to_ulong row; out is untouched on failure */
static void
test_ulong(void **state)
{
	const struct ulong_row *r = *state;
	unsigned long v = 12345;

	assert_int_equal(str_to_ulong(r->text, r->base, r->max, &v), r->rc);
	if (r->rc == 0)
		assert_int_equal(v, r->want);
	else
		assert_int_equal(v, 12345);
}

/* test_ulong_null_is_rejected - a missing string is no number */
static void
test_ulong_null_is_rejected(void **state)
{
	unsigned long v = 7;

	(void)state;
	assert_int_equal(str_to_ulong(NULL, 10, 100, &v), -1);
	assert_int_equal(v, 7);
}

/* test_digit_values - every byte: hex and base64 values, -1 for others */
static void
test_digit_values(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char hex[] = "0123456789abcdef";
	int c;

	(void)state;
	for (c = -128; c < 128; c++) {
		const char *h = c > 0 ? strchr(hex, tolower(c)) : NULL;
		const char *b = c > 0 ? strchr(b64, c) : NULL;

		assert_int_equal(str_hexval((char)c),
				 h != NULL ? (int)(h - hex) : -1);
		assert_int_equal(str_b64val((char)c),
				 b != NULL ? (int)(b - b64) : -1);
	}
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, copy_rows, test_copy);
	rg_case_add(&c, "copy_size_zero_writes_nothing",
		    test_copy_size_zero_writes_nothing, NULL);
	rg_case_add(&c, "format_fits", test_format_fits, NULL);
	rg_case_add(&c, "format_exact_fit", test_format_exact_fit, NULL);
	rg_case_add(&c, "format_truncation_fails",
		    test_format_truncation_fails, NULL);
	rg_case_add(&c, "format_size_zero_fails", test_format_size_zero_fails,
		    NULL);
	rg_case_add(&c, "lower_is_ascii_only", test_lower_is_ascii_only, NULL);
	rg_case_add(&c, "trim_strips_both_ends", test_trim_strips_both_ends,
		    NULL);
	rg_case_add(&c, "eq_nocase", test_eq_nocase, NULL);
	rg_case_add(&c, "has_suffix_nocase", test_has_suffix_nocase, NULL);
	RG_ADD_ROWS(&c, ulong_rows, test_ulong);
	rg_case_add(&c, "ulong_null_is_rejected", test_ulong_null_is_rejected,
		    NULL);
	rg_case_add(&c, "hex_and_base64_digit_values", test_digit_values,
		    NULL);
	return rg_cases_run(&c, "str", NULL, NULL);
}
