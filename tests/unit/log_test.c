/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log_test - log_safe() makes wire text printable and bounded; the stderr
 * sink writes Postfix-shaped lines.
 */
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "rg_test.h"

/* --- log_safe rows ------------------------------------------------------- */

struct safe_row {
	const char *name;
	const char *src;
	size_t len;
	size_t size;
	const char *want;
};

#define S(text) text, sizeof(text) - 1

static const struct safe_row safe_rows[] = {
	{"printable_ascii_is_copied", S("Hello, <a@example.com>!"), 64,
	 "Hello, <a@example.com>!"},
	{"space_and_tilde_are_printable", S(" ~ "), 16, " ~ "},
	{"cr_lf_tab_are_hex_escaped", S("a\r\nb\tc"), 64,
	 "a\\x0d\\x0ab\\x09c"},
	{"control_byte_is_hex_escaped", S("\x01\x1b[31m"), 64,
	 "\\x01\\x1b[31m"},
	{"nul_inside_len_is_escaped", S("a\0b"), 64, "a\\x00b"},
	{"del_is_escaped", S("\x7f"), 64, "\\x7f"},
	{"backslash_is_escaped", S("a\\x41"), 64, "a\\x5cx41"},
	{"non_ascii_bytes_are_escaped", S("caf\xc3\xa9"), 64,
	 "caf\\xc3\\xa9"},
	{"byte_ff_is_escaped_lower_case", S("\xff"), 64, "\\xff"},
	{"only_len_bytes_are_read", "abcdef", 3, 64, "abc"},
	{"empty_input_gives_empty_text", S(""), 64, ""},
	{"long_text_is_cut_with_dots", S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	 16, "aaaaaaaaaaaa..."},
	{"escape_is_never_split_at_the_cut", S("aaaaaaaa\x01zz"), 12,
	 "aaaaaaaa..."},
	{"escapes_count_four_bytes_each", S("\x01\x02\x03\x04\x05"), 16,
	 "\\x01\\x02\\x03..."},
	{"size_one_gives_empty_text", S("abc"), 1, ""},
	{"size_two_gives_empty_text", S("abc"), 2, ""},
	{"size_three_gives_empty_text", S("abc"), 3, ""},
	{"size_four_fits_three_bytes", S("abc"), 4, "abc"},
	{"size_four_gives_only_dots", S("abcd"), 4, "..."},
	{"size_five_fits_four_bytes", S("abcd"), 5, "abcd"},
	{"size_five_keeps_one_byte", S("abcdef"), 5, "a..."},
	{"size_five_single_byte_fits", S("a"), 5, "a"},
	{"size_five_escape_fits_exactly", S("\x01"), 5, "\\x01"},
	{"size_five_escape_does_not_fit", S("\x01z"), 5, "..."},
	{"empty_input_into_size_one", S(""), 1, ""},
	/* text that fits exactly is not cut: "..." only marks a real cut */
	{"text_fitting_exactly_is_kept", S("ab"), 3, "ab"},
	{"text_one_byte_over_is_cut", S("abcdef"), 6, "ab..."},
};

/* test_safe_row - one log_safe() row into a buffer of exactly size */
static void
test_safe_row(void **state)
{
	const struct safe_row *r = *state;
	char *dst = malloc(r->size);	/* exact: ASan sees overruns */

	assert_non_null(dst);
	assert_ptr_equal(log_safe(dst, r->size, r->src, r->len), dst);
	assert_string_equal(dst, r->want);
	free(dst);
}

/* test_size_zero_writes_nothing - no room, no write, dst returned */
static void
test_size_zero_writes_nothing(void **state)
{
	char buf[2] = {'Q', 'Q'};

	(void)state;
	assert_ptr_equal(log_safe(buf, 0, "abc", 3), buf);
	assert_int_equal(buf[0], 'Q');
}

/* test_log_safe_max_field - a long field stays within LOG_SAFE_MAX */
static void
test_log_safe_max_field(void **state)
{
	char src[600];
	char dst[LOG_SAFE_MAX];

	(void)state;
	memset(src, 'x', sizeof(src));
	log_safe(dst, sizeof(dst), src, sizeof(src));
	assert_int_equal(strlen(dst), LOG_SAFE_MAX - 1);
	assert_string_equal(dst + LOG_SAFE_MAX - 4, "...");
}

/* --- properties over many inputs and tiny buffers ------------------------ */

/* hexval - value of a lower-case hex digit, -1 for anything else */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * check_escaped - out is a faithful escape of a prefix of src: printable
 * bytes raw, every other byte as \xNN, "..." at the end iff it was cut
 * (and size allowed the dots); never longer than size - 1.
 */
static void
check_escaped(const char *out, size_t size, const unsigned char *src,
	      size_t len)
{
	size_t olen = strlen(out);
	size_t body = olen;
	size_t i = 0;
	size_t k = 0;
	int cut = 0;

	assert_true(olen < size);
	if (olen >= 3 && strcmp(out + olen - 3, "...") == 0) {
		body = olen - 3;
		cut = 1;
	}
	while (i < body) {
		unsigned char c;

		if (out[i] == '\\') {
			assert_true(i + 3 < body);
			assert_int_equal(out[i + 1], 'x');
			assert_true(hexval(out[i + 2]) >= 0);
			assert_true(hexval(out[i + 3]) >= 0);
			c = (unsigned char)(hexval(out[i + 2]) * 16 +
					    hexval(out[i + 3]));
			assert_true(c < 0x20 || c >= 0x7f || c == '\\');
			i += 4;
		} else {
			c = (unsigned char)out[i];
			assert_true(c >= 0x20 && c < 0x7f);
			i++;
		}
		assert_true(k < len);
		assert_int_equal(c, src[k]);
		k++;
	}
	if (!cut && size >= 4)
		assert_int_equal(k, len);	/* uncut means complete */
	if (k < len && size >= 4)
		assert_true(cut);		/* a cut is always marked */
}

/* run_sizes - log_safe of src into every size 1..max, checked twice */
static void
run_sizes(const unsigned char *src, size_t len, size_t max)
{
	size_t size;

	for (size = 1; size <= max; size++) {
		char guarded[64 + 16];
		char *exact = malloc(size);
		size_t j;

		assert_non_null(exact);
		log_safe(exact, size, (const char *)src, len);
		check_escaped(exact, size, src, len);
		free(exact);

		/* the same again with a canary, for builds without ASan */
		assert_true(size <= 64);
		memset(guarded, 0xa5, sizeof(guarded));
		log_safe(guarded, size, (const char *)src, len);
		for (j = size; j < sizeof(guarded); j++)
			assert_int_equal((unsigned char)guarded[j], 0xa5);
	}
}

/* test_every_byte_value_in_tiny_buffers - 0..255 alone and in text */
static void
test_every_byte_value_in_tiny_buffers(void **state)
{
	unsigned char src[4];
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		src[0] = (unsigned char)c;
		run_sizes(src, 1, 8);
		src[0] = 'a';
		src[1] = (unsigned char)c;
		src[2] = 'b';
		src[3] = (unsigned char)c;
		run_sizes(src, 4, 24);
	}
}

/* test_mixed_text_in_all_sizes - realistic header text, sizes 1..64 */
static void
test_mixed_text_in_all_sizes(void **state)
{
	static const char text[] =
		"\"J\xc3\xb6rg\" <j@example.com>\r\n\t(comment \\ \x7f)";

	(void)state;
	run_sizes((const unsigned char *)text, sizeof(text) - 1, 64);
}

/* test_full_escape_fits_when_room_for_dots - no cut with spare room */
static void
test_full_escape_fits_when_room_for_dots(void **state)
{
	char out[64];

	(void)state;
	/* "a\x01" escapes to 5 bytes; 5 + "..." + NUL = 9 */
	log_safe(out, 9, "a\x01", 2);
	assert_string_equal(out, "a\\x01");
}

/* --- facility names and levels ------------------------------------------- */

struct facility_row {
	const char *name;
	const char *text;
	int want;
};

static const struct facility_row facility_rows[] = {
	{"facility_mail", "mail", LOG_MAIL},
	{"facility_daemon", "daemon", LOG_DAEMON},
	{"facility_local7_any_case", "LOCAL7", LOG_LOCAL7},
	{"facility_unknown_is_minus_one", "kern", -1},
	{"facility_empty_is_minus_one", "", -1},
};

/* test_facility - one log_facility_parse() row */
static void
test_facility(void **state)
{
	const struct facility_row *r = *state;

	assert_int_equal(log_facility_parse(r->text), r->want);
}

/* test_level_enabled - lines above the set level are dropped */
static void
test_level_enabled(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_WARN);
	assert_true(log_level_enabled(LOG_LEVEL_ERROR));
	assert_true(log_level_enabled(LOG_LEVEL_WARN));
	assert_false(log_level_enabled(LOG_LEVEL_INFO));
	log_set_level(LOG_LEVEL_DEBUG);
	assert_true(log_level_enabled(LOG_LEVEL_DEBUG));
	log_set_level(LOG_LEVEL_INFO);
}

/* --- the stderr sink ----------------------------------------------------- */

/* capture - run fn with stderr sent to a temporary file; its text */
static void
capture(void (*fn)(void), char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	assert_non_null(tmp);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

/* emit_warn - one warning line */
static void
emit_warn(void)
{
	log_open("rgtest", true, LOG_MAIL);
	log_set_level(LOG_LEVEL_INFO);
	log_warn("queue %s: %d", "ABC123", 7);
}

/* emit_debug_at_info - a debug line while the level is info */
static void
emit_debug_at_info(void)
{
	log_open("rgtest", true, LOG_MAIL);
	log_set_level(LOG_LEVEL_INFO);
	log_debug("not shown");
	log_info("shown");
}

/* emit_long - a line longer than the 2048-byte format buffer */
static void
emit_long(void)
{
	static char big[3000];

	memset(big, 'L', sizeof(big) - 1);
	log_open("rgtest", true, LOG_MAIL);
	log_error("%s", big);
}

/* set_journal_stream - JOURNAL_STREAM naming standard error (same=1) or
 * another file, as systemd sets it for a unit's output */
static void
set_journal_stream(int same)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (same ? 0 : 1));
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

/* emit_journal - a warning while stderr is journald's stream */
static void
emit_journal(void)
{
	set_journal_stream(1);
	log_open("rgtest", true, LOG_MAIL);
	log_warn("queue %s", "ABC123");
	unsetenv("JOURNAL_STREAM");
	log_open("rgtest", true, LOG_MAIL);
}

/* emit_other_journal - JOURNAL_STREAM names some other file */
static void
emit_other_journal(void)
{
	set_journal_stream(0);
	log_open("rgtest", true, LOG_MAIL);
	log_warn("queue %s", "ABC123");
	unsetenv("JOURNAL_STREAM");
	log_open("rgtest", true, LOG_MAIL);
}

/* emit_both - syslog and stderr at once: stderr still gets the line */
static void
emit_both(void)
{
	log_open_sinks("rgtest", LOG_SINK_SYSLOG | LOG_SINK_STDERR, LOG_MAIL);
	assert_int_equal(log_sinks_now(), LOG_SINK_SYSLOG | LOG_SINK_STDERR);
	log_info("both");
	log_open("rgtest", true, LOG_MAIL);
}

/* test_journal_stream_line_has_no_tag - the journal tags it once */
static void
test_journal_stream_line_has_no_tag(void **state)
{
	char got[256];

	(void)state;
	capture(emit_journal, got, sizeof(got));
	assert_string_equal(got, "warning: queue ABC123\n");
}

/* test_other_journal_stream_keeps_the_tag */
static void
test_other_journal_stream_keeps_the_tag(void **state)
{
	char got[256];
	char want[256];

	(void)state;
	capture(emit_other_journal, got, sizeof(got));
	snprintf(want, sizeof(want), "rgtest[%ld]: warning: queue ABC123\n",
		 (long)getpid());
	assert_string_equal(got, want);
}

/* test_syslog_and_stderr_together */
static void
test_syslog_and_stderr_together(void **state)
{
	char got[256];
	char want[256];

	(void)state;
	capture(emit_both, got, sizeof(got));
	snprintf(want, sizeof(want), "rgtest[%ld]: both\n", (long)getpid());
	assert_string_equal(got, want);
}

/* test_warn_line_shape - "IDENT[PID]: warning: TEXT\n" */
static void
test_warn_line_shape(void **state)
{
	char got[256];
	char want[256];

	(void)state;
	capture(emit_warn, got, sizeof(got));
	snprintf(want, sizeof(want), "rgtest[%ld]: warning: queue ABC123: 7\n",
		 (long)getpid());
	assert_string_equal(got, want);
}

/* test_debug_dropped_at_info - only the info line is written */
static void
test_debug_dropped_at_info(void **state)
{
	char got[256];
	char want[256];

	(void)state;
	capture(emit_debug_at_info, got, sizeof(got));
	snprintf(want, sizeof(want), "rgtest[%ld]: shown\n", (long)getpid());
	assert_string_equal(got, want);
}

/* test_long_line_cut_with_dots - one bounded line ending "...\n" */
static void
test_long_line_cut_with_dots(void **state)
{
	static char got[8192];
	size_t n;

	(void)state;
	capture(emit_long, got, sizeof(got));
	n = strlen(got);
	assert_true(n > 2000 && n < 2200);
	assert_string_equal(got + n - 4, "...\n");
	assert_non_null(strstr(got, ": error: LLL"));
	assert_ptr_equal(strchr(got, '\n'), got + n - 1);	/* one line */
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, safe_rows, test_safe_row);
	rg_case_add(&c, "size_zero_writes_nothing",
		    test_size_zero_writes_nothing, NULL);
	rg_case_add(&c, "log_safe_max_field", test_log_safe_max_field, NULL);
	rg_case_add(&c, "every_byte_value_in_tiny_buffers",
		    test_every_byte_value_in_tiny_buffers, NULL);
	rg_case_add(&c, "mixed_text_in_all_sizes",
		    test_mixed_text_in_all_sizes, NULL);
	rg_case_add(&c, "full_escape_fits_when_room_for_dots",
		    test_full_escape_fits_when_room_for_dots, NULL);
	RG_ADD_ROWS(&c, facility_rows, test_facility);
	rg_case_add(&c, "level_enabled", test_level_enabled, NULL);
	rg_case_add(&c, "warn_line_shape", test_warn_line_shape, NULL);
	rg_case_add(&c, "debug_dropped_at_info", test_debug_dropped_at_info,
		    NULL);
	rg_case_add(&c, "long_line_cut_with_dots",
		    test_long_line_cut_with_dots, NULL);
	rg_case_add(&c, "journal_stream_line_has_no_tag",
		    test_journal_stream_line_has_no_tag, NULL);
	rg_case_add(&c, "other_journal_stream_keeps_the_tag",
		    test_other_journal_stream_keeps_the_tag, NULL);
	rg_case_add(&c, "syslog_and_stderr_together",
		    test_syslog_and_stderr_together, NULL);
	return rg_cases_run(&c, "log", NULL, NULL);
}
