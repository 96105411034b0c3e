/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimcanon_test - the body canonicalizer against canonical forms written
 * out by hand from RFC 6376 3.4.3 (simple) and 3.4.4 (relaxed), and the
 * header canonicalizer against 3.4.1 and 3.4.2.
 *
 * Each body is hashed whole, cut in two at every position, and fed one
 * byte at a time: the hash must be SHA-256 of the expected canonical text
 * every time.  A bare LF or a bare CR ends a line (as libopendkim's
 * FIXCRLF does), so "a\nb" reads as "a\r\nb".  The independent checks
 * (libopendkim, python3-dkim) are tests/fuzz/dkimcanon_fuzz.c and
 * tests/tools/dkimcanon_py.sh.
 */
#include "dkimcanon.h"

#include <string.h>

#include "rg_test.h"

/* a text with its length, so that rows may hold NUL bytes */
struct txt {
	const char *s;
	size_t n;
};

#define T(lit) {lit, sizeof(lit) - 1}

struct row {
	const char *name;
	struct txt body;
	struct txt simple;	/* canonical text, simple */
	struct txt relaxed;	/* canonical text, relaxed */
};

static const struct row rows[] = {
	/* a line of blanks only is an empty line in relaxed: it must not
	 * leave a space in front of the next line */
	{"blank_line_before_text_adds_no_space", T("  \r\nabc\r\n"),
	 T("  \r\nabc\r\n"), T("\r\nabc\r\n")},
	{"tab_line_before_text_adds_no_space", T("\t\r\nabc\r\n"),
	 T("\t\r\nabc\r\n"), T("\r\nabc\r\n")},
	{"blank_lines_between_text_are_empty_lines",
	 T("a\r\n \r\n\t \r\n\r\nb\r\n"), T("a\r\n \r\n\t \r\n\r\nb\r\n"),
	 T("a\r\n\r\n\r\n\r\nb\r\n")},
	{"blank_line_before_indented_text", T(" \r\n  x\r\n"),
	 T(" \r\n  x\r\n"), T("\r\n x\r\n")},
	{"blank_line_with_bare_lf_before_text", T("  \nabc\n"),
	 T("  \r\nabc\r\n"), T("\r\nabc\r\n")},
	{"blank_line_with_bare_cr_before_text", T(" \rabc\r\n"),
	 T(" \r\nabc\r\n"), T("\r\nabc\r\n")},
	{"blank_lines_at_end_are_dropped_relaxed", T("a\r\n \r\n\t\r\n"),
	 T("a\r\n \r\n\t\r\n"), T("a\r\n")},
	{"blank_and_empty_lines_at_end", T("a\r\n \r\n\r\n\t \r\n\r\n"),
	 T("a\r\n \r\n\r\n\t \r\n"), T("a\r\n")},
	{"trailing_blanks_dropped", T("a \t\r\nb\t\r\n"),
	 T("a \t\r\nb\t\r\n"), T("a\r\nb\r\n")},
	{"inner_blanks_become_one_space", T("a \t b\t\tc\r\n"),
	 T("a \t b\t\tc\r\n"), T("a b c\r\n")},
	{"leading_blanks_become_one_space", T(" \ta\r\n"),
	 T(" \ta\r\n"), T(" a\r\n")},
	{"empty_body", T(""), T("\r\n"), T("")},
	{"only_one_crlf", T("\r\n"), T("\r\n"), T("")},
	{"only_crlfs", T("\r\n\r\n\r\n"), T("\r\n"), T("")},
	{"only_blank_lines", T(" \r\n\t\r\n"), T(" \r\n\t\r\n"), T("")},
	{"inner_empty_lines_kept", T("a\r\n\r\n\r\nb\r\n"),
	 T("a\r\n\r\n\r\nb\r\n"), T("a\r\n\r\n\r\nb\r\n")},
	{"trailing_empty_lines_dropped", T("a\r\n\r\n\r\n"), T("a\r\n"),
	 T("a\r\n")},
	{"unterminated_last_line_gets_crlf", T("a\r\nb"), T("a\r\nb\r\n"),
	 T("a\r\nb\r\n")},
	{"unterminated_last_line_with_blanks", T("a\r\nb \t"),
	 T("a\r\nb \t\r\n"), T("a\r\nb\r\n")},
	{"unterminated_blank_last_line", T("a\r\n  "), T("a\r\n  \r\n"),
	 T("a\r\n")},
	{"bare_lf_ends_a_line", T("a\nb\n"), T("a\r\nb\r\n"), T("a\r\nb\r\n")},
	{"bare_cr_ends_a_line", T("a\rb\r\n"), T("a\r\nb\r\n"), T("a\r\nb\r\n")},
	{"lf_then_crlf_is_an_empty_line", T("x\n\r\nend"),
	 T("x\r\n\r\nend\r\n"), T("x\r\n\r\nend\r\n")},
	{"cr_at_the_very_end", T("x\r"), T("x\r\n"), T("x\r\n")},
	{"nul_and_8bit_are_content", T("a\0 \xc3\xa4 \r\n"),
	 T("a\0 \xc3\xa4 \r\n"), T("a\0 \xc3\xa4\r\n")},
};

/* expect_hash - SHA-256 of the expected canonical text */
static void
expect_hash(const char *text, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(text, len, out, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
}

/* hash_cut - our hash of body fed in pieces of at most step bytes after
 * a first piece of split bytes */
static void
hash_cut(enum conf_canon cn, const char *body, size_t len, size_t split,
	 size_t step, unsigned char out[32])
{
	struct dkimcanon c;
	const unsigned char *b = (const unsigned char *)body;
	size_t off;
	size_t n;

	assert_int_equal(dkimcanon_body_init(&c, cn), 0);
	assert_int_equal(dkimcanon_body(&c, b, split), 0);
	for (off = split; off < len; off += n) {
		n = len - off < step ? len - off : step;
		assert_int_equal(dkimcanon_body(&c, b + off, n), 0);
	}
	assert_int_equal(dkimcanon_body_final(&c, out), 0);
	dkimcanon_body_free(&c);
}

/* test_body - every chunking of a body hashes to the expected form */
static void
test_body(void **state)
{
	const struct row *r = *state;
	unsigned char want[32];
	unsigned char got[32];
	size_t split;
	int i;

	for (i = 0; i < 2; i++) {
		enum conf_canon cn = i == 0 ? CONF_CANON_SIMPLE
					    : CONF_CANON_RELAXED;
		const struct txt *t = i == 0 ? &r->simple : &r->relaxed;
		const char *what = i == 0 ? "simple" : "relaxed";

		expect_hash(t->s, t->n, want);
		for (split = 0; split <= r->body.n; split++) {
			hash_cut(cn, r->body.s, r->body.n, split,
				 r->body.n + 1, got);
			if (memcmp(want, got, 32) != 0)
				fail_msg("%s: cut at %zu differs", what, split);
		}
		hash_cut(cn, r->body.s, r->body.n, 0, 1, got);
		if (memcmp(want, got, 32) != 0)
			fail_msg("%s: byte by byte differs", what);
	}
}

struct hrow {
	const char *name;
	const char *field;
	const char *simple;
	const char *relaxed;
};

static const struct hrow hrows[] = {
	{"header_name_lowered_blanks_squeezed",
	 "SubJect :  a \t b  ", "SubJect :  a \t b  \r\n", "subject:a b\r\n"},
	{"header_unfolded_crlf", "To: a,\r\n\tb", "To: a,\r\n\tb\r\n",
	 "to:a, b\r\n"},
	{"header_unfolded_bare_lf", "To: a,\n b", "To: a,\r\n b\r\n",
	 "to:a, b\r\n"},
	{"header_empty_value", "X-E:", "X-E:\r\n", "x-e:\r\n"},
	{"header_blank_value", "X-E: \t ", "X-E: \t \r\n", "x-e:\r\n"},
};

/* test_header - one field in both canonical forms */
static void
test_header(void **state)
{
	const struct hrow *r = *state;
	unsigned char want[32];
	unsigned char got[32];
	unsigned int n = 0;
	int i;

	for (i = 0; i < 2; i++) {
		const char *text = i == 0 ? r->simple : r->relaxed;
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		assert_non_null(md);
		assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
		assert_int_equal(dkimcanon_header(md, i == 0 ?
				 CONF_CANON_SIMPLE : CONF_CANON_RELAXED,
				 r->field, strlen(r->field), true), 0);
		assert_int_equal(EVP_DigestFinal_ex(md, got, &n), 1);
		EVP_MD_CTX_free(md);
		expect_hash(text, strlen(text), want);
		if (memcmp(want, got, 32) != 0)
			fail_msg("%s differs", i == 0 ? "simple" : "relaxed");
	}
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_body);
	RG_ADD_ROWS(&c, hrows, test_header);
	return rg_cases_run(&c, "dkimcanon", NULL, NULL);
}
