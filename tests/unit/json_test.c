/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json_test - escaping of wire text (golden rows: bytes in, JSON out) and
 * the bounded reader (documents in, canonical text or error out).
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include "rg_test.h"
#include "strbuf.h"

/* --- escaping ------------------------------------------------------------ */

struct esc_row {
	const char *name;
	const char *in;
	size_t len;		/* bytes of in */
	const char *want;	/* the JSON string, quotes included */
};

#define B(s) s, sizeof(s) - 1

static const struct esc_row esc_rows[] = {
	{"plain_ascii_is_copied", B("ann@example.com"),
	 "\"ann@example.com\""},
	{"empty_string_is_two_quotes", B(""), "\"\""},
	{"quote_and_backslash_are_escaped", B("a\"b\\c"), "\"a\\\"b\\\\c\""},
	{"slash_is_not_escaped", B("a/b"), "\"a/b\""},
	{"short_escapes_for_common_controls", B("\b\f\n\r\t"),
	 "\"\\b\\f\\n\\r\\t\""},
	{"other_controls_become_u00xx", B("a\x01\x1f" "b"),
	 "\"a\\u0001\\u001fb\""},
	{"nul_byte_becomes_u0000", B("a\0b"), "\"a\\u0000b\""},
	{"del_becomes_u007f", B("a\x7f"), "\"a\\u007f\""},
	{"two_byte_utf8_is_kept", B("caf\xc3\xa9"), "\"caf\xc3\xa9\""},
	{"three_byte_utf8_is_kept", B("\xe2\x82\xac" "5"),
	 "\"\xe2\x82\xac" "5\""},
	{"four_byte_utf8_is_kept", B("\xf0\x9f\x98\x80"),
	 "\"\xf0\x9f\x98\x80\""},
	{"highest_code_point_is_kept", B("\xf4\x8f\xbf\xbf"),
	 "\"\xf4\x8f\xbf\xbf\""},
	{"line_separator_is_escaped", B("a\xe2\x80\xa8" "b"),
	 "\"a\\u2028b\""},
	{"paragraph_separator_is_escaped", B("\xe2\x80\xa9"), "\"\\u2029\""},
	{"latin1_byte_becomes_replacement", B("caf\xe9"),
	 "\"caf\\ufffd\""},
	{"lone_continuation_byte_is_replaced", B("a\x80" "b"),
	 "\"a\\ufffdb\""},
	{"byte_ff_is_replaced", B("\xff"), "\"\\ufffd\""},
	{"overlong_slash_is_two_replacements", B("\xc0\xaf"),
	 "\"\\ufffd\\ufffd\""},
	{"overlong_three_byte_is_replaced_per_byte", B("\xe0\x80\xaf"),
	 "\"\\ufffd\\ufffd\\ufffd\""},
	{"surrogate_is_replaced_per_byte", B("\xed\xa0\x80"),
	 "\"\\ufffd\\ufffd\\ufffd\""},
	{"above_u10ffff_is_replaced_per_byte", B("\xf4\x90\x80\x80"),
	 "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
	{"truncated_sequence_at_end_is_replaced", B("x\xe2\x82"),
	 "\"x\\ufffd\\ufffd\""},
	{"truncated_sequence_before_ascii_keeps_ascii", B("\xe2\x82" "A"),
	 "\"\\ufffd\\ufffdA\""},
	{"html_specials_pass_through", B("<script>&</script>"),
	 "\"<script>&</script>\""},
};

/* test_escape - one escaping row */
static void
test_escape(void **state)
{
	const struct esc_row *r = *state;
	struct strbuf sb;

	strbuf_init(&sb, 4096);
	assert_int_equal(json_put_str(&sb, r->in, r->len), 0);
	assert_string_equal(sb.data, r->want);
	strbuf_free(&sb);
}

/* test_escape_over_maximum_fails - the strbuf bound is honoured */
static void
test_escape_over_maximum_fails(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 8);
	assert_int_equal(json_put_cstr(&sb, "abcdef"), 0);	/* 8 bytes */
	strbuf_reset(&sb);
	assert_int_equal(json_put_cstr(&sb, "abcdefg"), -1);
	strbuf_reset(&sb);
	assert_int_equal(json_put_str(&sb, "\x01\x02", 2), -1);	/* 14 */
	strbuf_free(&sb);
}

/* test_every_byte_round_trips - each single byte, escaped and read back,
 * gives the byte itself (ASCII) or U+FFFD (bytes >= 0x80 alone are never
 * well-formed) */
static void
test_every_byte_round_trips(void **state)
{
	int b;

	(void)state;
	for (b = 0; b < 256; b++) {
		struct strbuf sb;
		struct json_doc doc;
		struct err e;
		char c = (char)b;
		const struct json_node *n;

		strbuf_init(&sb, 64);
		assert_int_equal(json_put_str(&sb, &c, 1), 0);
		assert_int_equal(json_parse(sb.data, sb.len, &doc, &e), 0);
		n = json_root(&doc);
		assert_int_equal(n->type, JSON_STRING);
		if (b < 0x80) {
			assert_int_equal(n->len, 1);
			assert_int_equal((unsigned char)n->str[0], b);
		} else {
			assert_int_equal(n->len, 3);
			assert_memory_equal(n->str, "\xef\xbf\xbd", 3);
		}
		json_doc_free(&doc);
		strbuf_free(&sb);
	}
}

/* --- reading ------------------------------------------------------------- */

/* render - a parsed value back as compact JSON */
static void
render(const struct json_doc *d, const struct json_node *n, struct strbuf *sb)
{
	const struct json_node *k;

	switch (n->type) {
	case JSON_NULL:
		strbuf_append_str(sb, "null");
		break;
	case JSON_TRUE:
		strbuf_append_str(sb, "true");
		break;
	case JSON_FALSE:
		strbuf_append_str(sb, "false");
		break;
	case JSON_NUMBER:
		strbuf_append(sb, n->str, n->len);
		break;
	case JSON_STRING:
		json_put_str(sb, n->str, n->len);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		strbuf_append_str(sb, n->type == JSON_ARRAY ? "[" : "{");
		for (k = json_child(d, n); k != NULL; k = json_next(d, k)) {
			if (k != json_child(d, n))
				strbuf_append_str(sb, ",");
			if (n->type == JSON_OBJECT) {
				json_put_str(sb, k->key, k->keylen);
				strbuf_append_str(sb, ":");
			}
			render(d, k, sb);
		}
		strbuf_append_str(sb, n->type == JSON_ARRAY ? "]" : "}");
		break;
	}
}

struct parse_row {
	const char *name;
	const char *in;
	const char *want;	/* canonical text, or "error: ..." prefix */
};

static const struct parse_row parse_rows[] = {
	{"object_with_every_type",
	 "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":{}}",
	 "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":{}}"},
	{"white_space_around_tokens_is_allowed",
	 " \t\r\n[ 1 , { \"k\" : [ ] } ]\n", "[1,{\"k\":[]}]"},
	{"numbers_keep_their_source_text", "[-0,1.5e+3,0.25,-12E-2]",
	 "[-0,1.5e+3,0.25,-12E-2]"},
	{"unicode_escapes_become_utf8", "\"\\u00e9\\u20ac\\ud83d\\ude00\"",
	 "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
	{"lone_surrogate_becomes_replacement", "\"a\\ud800b\\udc00\"",
	 "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\""},
	{"short_escapes_are_decoded", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	 "\"\\\"\\\\/\\b\\f\\n\\r\\t\""},
	{"escaped_nul_is_kept_in_length", "\"a\\u0000b\"", "\"a\\u0000b\""},
	{"bare_scalar_document", "true", "true"},
	{"depth_32_is_accepted",
	 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"},
	{"depth_33_is_refused",
	 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	 "error: JSON: nested too deep"},
	{"empty_input_is_refused", "", "error: JSON: unexpected end at byte 0"},
	{"trailing_comma_in_array_is_refused", "[1,]",
	 "error: JSON: unexpected character at byte 3"},
	{"missing_colon_is_refused", "{\"a\" 1}",
	 "error: JSON: expected ':' at byte 5"},
	{"leading_zero_is_refused", "01",
	 "error: JSON: trailing data at byte 1"},
	{"dot_without_digits_is_refused", "1.",
	 "error: JSON: bad number at byte 2"},
	{"lone_minus_is_refused", "-", "error: JSON: bad number at byte 1"},
	{"unterminated_string_is_refused", "\"abc",
	 "error: JSON: unterminated string at byte 4"},
	{"raw_control_in_string_is_refused", "\"a\x01\"",
	 "error: JSON: control byte in string at byte 2"},
	{"unknown_escape_is_refused", "\"\\q\"",
	 "error: JSON: bad escape at byte 1"},
	{"short_unicode_escape_is_refused", "\"\\u12\"",
	 "error: JSON: bad \\u escape at byte 1"},
	{"trailing_data_is_refused", "{} x",
	 "error: JSON: trailing data at byte 3"},
	{"truncated_literal_is_refused", "tru",
	 "error: JSON: unexpected character at byte 0"},
	{"member_name_must_be_string", "{a:1}",
	 "error: JSON: expected a member name at byte 1"},
	{"truncated_record_line_is_refused", "{\"time\":\"2026-11-30T",
	 "error: JSON: unterminated string at byte 20"},
};

/* test_parse - one reader row */
static void
test_parse(void **state)
{
	const struct parse_row *r = *state;
	struct json_doc doc;
	struct strbuf sb;
	struct err e;

	strbuf_init(&sb, 4096);
	if (json_parse(r->in, strlen(r->in), &doc, &e) < 0) {
		strbuf_append_str(&sb, "error: ");
		strbuf_append_str(&sb, e.text);
		assert_true(rg_has(sb.data, r->want));
		assert_null(doc.nodes);
	} else {
		render(&doc, json_root(&doc), &sb);
		assert_string_equal(sb.data, r->want);
		json_doc_free(&doc);
	}
	strbuf_free(&sb);
}

/* test_get_helpers - member lookup: last duplicate wins, defaults */
static void
test_get_helpers(void **state)
{
	const char *t = "{\"n\":2,\"s\":\"one\",\"s\":\"two\",\"o\":{\"x\":1}}";
	const struct json_node *root;
	struct json_doc doc;
	struct err e;

	(void)state;
	assert_int_equal(json_parse(t, strlen(t), &doc, &e), 0);
	root = json_root(&doc);
	assert_string_equal(json_get_str(&doc, root, "s"), "two");
	assert_string_equal(json_get_str(&doc, root, "n"), "");
	assert_string_equal(json_get_str(&doc, root, "missing"), "");
	assert_true(json_get_num(&doc, root, "n", -1) == 2);
	assert_true(json_get_num(&doc, root, "s", -1) == -1);
	assert_null(json_get(&doc, json_get(&doc, root, "n"), "x"));
	assert_non_null(json_get(&doc, json_get(&doc, root, "o"), "x"));
	json_doc_free(&doc);
}

/* test_raw_bytes_in_strings_are_kept - the reader does not validate
 * UTF-8; it hands the bytes over with their length */
static void
test_raw_bytes_in_strings_are_kept(void **state)
{
	const char t[] = "\"a\xff\xc3\xa9\"";
	struct json_doc doc;
	struct err e;

	(void)state;
	assert_int_equal(json_parse(t, sizeof(t) - 1, &doc, &e), 0);
	assert_int_equal(json_root(&doc)->len, 4);
	assert_memory_equal(json_root(&doc)->str, "a\xff\xc3\xa9", 4);
	json_doc_free(&doc);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, esc_rows, test_escape);
	rg_case_add(&c, "escape_over_maximum_fails",
		    test_escape_over_maximum_fails, NULL);
	rg_case_add(&c, "every_byte_round_trips", test_every_byte_round_trips,
		    NULL);
	RG_ADD_ROWS(&c, parse_rows, test_parse);
	rg_case_add(&c, "get_helpers", test_get_helpers, NULL);
	rg_case_add(&c, "raw_bytes_in_strings_are_kept",
		    test_raw_bytes_in_strings_are_kept, NULL);
	return rg_cases_run(&c, "json", NULL, NULL);
}
