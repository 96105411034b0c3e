/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * strbuf_test - the bounded buffer: appends past the maximum fail and leave
 * the contents alone; binary data with NULs survives.
 */
#include "strbuf.h"

#include <string.h>

#include "rg_test.h"

/* sb_expect - the buffer holds exactly len bytes of want plus a NUL */
static void
sb_expect(const struct strbuf *sb, const void *want, size_t len)
{
	assert_int_equal(sb->len, len);
	assert_non_null(sb->data);
	assert_memory_equal(sb->data, want, len);
	assert_int_equal(sb->data[len], '\0');
	assert_true(sb->cap >= len + 1);
	assert_true(sb->cap <= sb->max + 1);
}

/* test_init_is_empty - nothing allocated until the first append */
static void
test_init_is_empty(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.max, 100);
	strbuf_free(&sb);
}

/* test_append_within_max - text is appended in order */
static void
test_append_within_max(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(strbuf_append_str(&sb, "From: "), 0);
	assert_int_equal(strbuf_append(&sb, "a@example.com", 13), 0);
	sb_expect(&sb, "From: a@example.com", 19);
	strbuf_free(&sb);
}

/* test_append_up_to_max_exactly - the maximum itself is allowed */
static void
test_append_up_to_max_exactly(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_append_str(&sb, "12345"), 0);
	assert_int_equal(strbuf_append_str(&sb, "678"), 0);
	sb_expect(&sb, "12345678", 8);
	strbuf_free(&sb);
}

/* test_append_past_max_fails_unchanged - one byte over: -1, no change */
static void
test_append_past_max_fails_unchanged(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_append_str(&sb, "12345"), 0);
	assert_int_equal(strbuf_append_str(&sb, "6789"), -1);
	sb_expect(&sb, "12345", 5);
	assert_int_equal(strbuf_append_str(&sb, "678"), 0);
	assert_int_equal(strbuf_append(&sb, "x", 1), -1);
	sb_expect(&sb, "12345678", 8);
	strbuf_free(&sb);
}

/* test_single_append_larger_than_max - fails and allocates nothing */
static void
test_single_append_larger_than_max(void **state)
{
	struct strbuf sb;
	char big[300];

	(void)state;
	memset(big, 'a', sizeof(big));
	strbuf_init(&sb, 299);
	assert_int_equal(strbuf_append(&sb, big, sizeof(big)), -1);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	strbuf_free(&sb);
}

/* test_huge_len_does_not_wrap - a length near SIZE_MAX is refused */
static void
test_huge_len_does_not_wrap(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 16);
	assert_int_equal(strbuf_append_str(&sb, "abc"), 0);
	assert_int_equal(strbuf_append(&sb, "x", SIZE_MAX), -1);
	assert_int_equal(strbuf_append(&sb, "x", SIZE_MAX - 2), -1);
	sb_expect(&sb, "abc", 3);
	strbuf_free(&sb);
}

/* test_unbounded_max_is_safe - max SIZE_MAX must not wrap max + 1 */
static void
test_unbounded_max_is_safe(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, SIZE_MAX);
	assert_int_equal(strbuf_append(&sb, "hello", 5), 0);
	assert_int_equal(strbuf_append(&sb, " world", 6), 0);
	sb_expect(&sb, "hello world", 11);
	strbuf_free(&sb);
}

/* test_binary_with_nuls - NUL bytes are data, the length counts them */
static void
test_binary_with_nuls(void **state)
{
	static const char bin[] = {'a', '\0', 'b', '\0', '\0', '\xff', 'c'};
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 64);
	assert_int_equal(strbuf_append(&sb, bin, sizeof(bin)), 0);
	assert_int_equal(strbuf_append(&sb, bin, sizeof(bin)), 0);
	assert_int_equal(sb.len, 2 * sizeof(bin));
	assert_memory_equal(sb.data, bin, sizeof(bin));
	assert_memory_equal(sb.data + sizeof(bin), bin, sizeof(bin));
	assert_int_equal(sb.data[sb.len], '\0');
	strbuf_free(&sb);
}

/* test_empty_append_makes_empty_string - data becomes "" not NULL */
static void
test_empty_append_makes_empty_string(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 10);
	assert_int_equal(strbuf_append(&sb, "", 0), 0);
	sb_expect(&sb, "", 0);
	strbuf_free(&sb);
}

/* test_max_zero_holds_only_empty - max 0: "" fits, one byte does not */
static void
test_max_zero_holds_only_empty(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 0);
	assert_int_equal(strbuf_append(&sb, "a", 1), -1);
	assert_int_equal(strbuf_append(&sb, "", 0), 0);
	sb_expect(&sb, "", 0);
	strbuf_free(&sb);
}

/* test_grows_byte_by_byte - many small appends, capacity stays bounded */
static void
test_grows_byte_by_byte(void **state)
{
	static char want[5000];
	struct strbuf sb;
	size_t i;

	(void)state;
	strbuf_init(&sb, sizeof(want));
	for (i = 0; i < sizeof(want); i++) {
		want[i] = (char)('a' + i % 26);
		assert_int_equal(strbuf_append(&sb, &want[i], 1), 0);
	}
	sb_expect(&sb, want, sizeof(want));
	assert_int_equal(strbuf_append(&sb, "z", 1), -1);
	assert_int_equal(sb.cap, sizeof(want) + 1);
	strbuf_free(&sb);
}

/* test_reset_keeps_memory - empty again, same allocation */
static void
test_reset_keeps_memory(void **state)
{
	struct strbuf sb;
	size_t cap;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(strbuf_append_str(&sb, "hello"), 0);
	cap = sb.cap;
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, cap);
	assert_string_equal(sb.data, "");
	assert_int_equal(strbuf_append_str(&sb, "again"), 0);
	sb_expect(&sb, "again", 5);
	strbuf_free(&sb);
}

/* test_reset_before_any_append - resetting an unused buffer is fine */
static void
test_reset_before_any_append(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 10);
	strbuf_reset(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
}

/* test_free_twice_and_reuse - free empties; the buffer can be reused */
static void
test_free_twice_and_reuse(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 10);
	assert_int_equal(strbuf_append_str(&sb, "abc"), 0);
	strbuf_free(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	strbuf_free(&sb);
	assert_int_equal(strbuf_append_str(&sb, "xyz"), 0);
	sb_expect(&sb, "xyz", 3);
	strbuf_free(&sb);
}

/* test_printf_appends - formatted text goes after what is there */
static void
test_printf_appends(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(strbuf_append_str(&sb, "n="), 0);
	assert_int_equal(strbuf_printf(&sb, "%d;s=%s", 42, "sel"), 0);
	sb_expect(&sb, "n=42;s=sel", 10);
	strbuf_free(&sb);
}

/* test_printf_past_max_fails_unchanged - same rule as append */
static void
test_printf_past_max_fails_unchanged(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 6);
	assert_int_equal(strbuf_printf(&sb, "%s", "abc"), 0);
	assert_int_equal(strbuf_printf(&sb, "%d", 1234), -1);
	sb_expect(&sb, "abc", 3);
	strbuf_free(&sb);
}

/*
 * test_printf_longer_than_1023_fails - strbuf_printf() formats into a
 * 1024-byte stack buffer, so one call cannot add more than 1023 bytes even
 * when the maximum allows it.  Pinned here because the header does not say
 * so; the buffer is left unchanged.
 */
static void
test_printf_longer_than_1023_fails(void **state)
{
	char big[1100];
	struct strbuf sb;

	(void)state;
	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(strbuf_printf(&sb, "%.1023s", big), 0);
	assert_int_equal(sb.len, 1023);
	assert_int_equal(strbuf_printf(&sb, "%s", big), -1);
	assert_int_equal(sb.len, 1023);
	assert_int_equal(strbuf_append_str(&sb, big), 0);
	assert_int_equal(sb.len, 1023 + sizeof(big) - 1);
	strbuf_free(&sb);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "init_is_empty", test_init_is_empty, NULL);
	rg_case_add(&c, "append_within_max", test_append_within_max, NULL);
	rg_case_add(&c, "append_up_to_max_exactly",
		    test_append_up_to_max_exactly, NULL);
	rg_case_add(&c, "append_past_max_fails_unchanged",
		    test_append_past_max_fails_unchanged, NULL);
	rg_case_add(&c, "single_append_larger_than_max",
		    test_single_append_larger_than_max, NULL);
	rg_case_add(&c, "huge_len_does_not_wrap", test_huge_len_does_not_wrap,
		    NULL);
	rg_case_add(&c, "unbounded_max_is_safe", test_unbounded_max_is_safe,
		    NULL);
	rg_case_add(&c, "binary_with_nuls", test_binary_with_nuls, NULL);
	rg_case_add(&c, "empty_append_makes_empty_string",
		    test_empty_append_makes_empty_string, NULL);
	rg_case_add(&c, "max_zero_holds_only_empty",
		    test_max_zero_holds_only_empty, NULL);
	rg_case_add(&c, "grows_byte_by_byte", test_grows_byte_by_byte, NULL);
	rg_case_add(&c, "reset_keeps_memory", test_reset_keeps_memory, NULL);
	rg_case_add(&c, "reset_before_any_append",
		    test_reset_before_any_append, NULL);
	rg_case_add(&c, "free_twice_and_reuse", test_free_twice_and_reuse,
		    NULL);
	rg_case_add(&c, "printf_appends", test_printf_appends, NULL);
	rg_case_add(&c, "printf_past_max_fails_unchanged",
		    test_printf_past_max_fails_unchanged, NULL);
	rg_case_add(&c, "printf_longer_than_1023_fails",
		    test_printf_longer_than_1023_fails, NULL);
	return rg_cases_run(&c, "strbuf", NULL, NULL);
}
