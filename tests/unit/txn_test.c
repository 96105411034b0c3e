/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * txn_test - verdict_copy gives what a struct assignment gives, for every
 * field a reader looks at (the strings up to their ends, the headers up to
 * nhdrs), whatever the destination held before; verdict_set and
 * verdict_add_header keep to their buffers.
 */
#include "txn.h"

#include <string.h>

#include "rg_test.h"

/* same - the parts of two verdicts a reader looks at are equal */
static void
same(const struct verdict *a, const struct verdict *b)
{
	size_t i;

	assert_int_equal(a->action, b->action);
	assert_string_equal(a->code, b->code);
	assert_string_equal(a->xcode, b->xcode);
	assert_string_equal(a->text, b->text);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->nhdrs, b->nhdrs);
	for (i = 0; i < a->nhdrs; i++) {
		assert_string_equal(a->hdrs[i].name, b->hdrs[i].name);
		assert_string_equal(a->hdrs[i].value, b->hdrs[i].value);
	}
}

/* test_copy_is_the_assignment - a verdict with text and headers, one
 * just initialised, one with the longest text: copied over a destination
 * full of other bytes, each reads as the source and as an assignment */
static void
test_copy_is_the_assignment(void **state)
{
	static struct verdict src[3];
	static struct verdict dst;
	static struct verdict assigned;
	char longest[VERDICT_TEXT_MAX];
	size_t i;

	(void)state;
	verdict_init(&src[0]);
	verdict_set(&src[0], VERDICT_TEMPFAIL, "451", "4.7.1", "quota",
		    "hour quota exceeded for %s, retry in %d s",
		    "login:ann@sign.test", 120);
	assert_int_equal(verdict_add_header(&src[0], "X-Relayguard",
					    "held; reason=fanout"), 0);
	assert_int_equal(verdict_add_header(&src[0], "X-Second", "two"), 0);
	verdict_init(&src[1]);
	verdict_init(&src[2]);
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	verdict_set(&src[2], VERDICT_REJECT, "550", "5.7.1", "policy", "%s",
		    longest);
	assert_int_equal(strlen(src[2].text), VERDICT_TEXT_MAX - 1);
	for (i = 0; i < 3; i++) {
		memset(&dst, 0x5a, sizeof(dst));
		verdict_copy(&dst, &src[i]);
		same(&dst, &src[i]);
		assigned = src[i];
		same(&dst, &assigned);
		verdict_copy(&dst, &dst);	/* onto itself: unchanged */
		same(&dst, &src[i]);
	}
}

/* test_headers_bounded - no more than VERDICT_HDR_MAX headers, none cut */
static void
test_headers_bounded(void **state)
{
	static struct verdict v;
	char big[8192];
	size_t i;

	(void)state;
	verdict_init(&v);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(verdict_add_header(&v, "X-Big", big), -1);
	assert_int_equal(v.nhdrs, 0);
	for (i = 0; i < VERDICT_HDR_MAX; i++)
		assert_int_equal(verdict_add_header(&v, "X-N", "1"), 0);
	assert_int_equal(verdict_add_header(&v, "X-N", "1"), -1);
	assert_int_equal(v.nhdrs, VERDICT_HDR_MAX);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "copy_is_the_assignment", test_copy_is_the_assignment,
		    NULL);
	rg_case_add(&c, "headers_bounded", test_headers_bounded, NULL);
	return rg_cases_run(&c, "txn", NULL, NULL);
}
