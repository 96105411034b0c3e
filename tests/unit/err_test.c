/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * err_test - an error carries a code callers test (never its text):
 * err_set() is ERR_FAILED, err_setc() names the code, err_set_code()
 * changes only the code, err_clear() is no error; a long text is cut.
 */
#include "err.h"

#include <string.h>

#include "rg_test.h"

/* test_set_is_a_local_failure */
static void
test_set_is_a_local_failure(void **state)
{
	struct err e;

	(void)state;
	err_set(&e, "disk %s", "full");
	assert_int_equal(e.code, ERR_FAILED);
	assert_string_equal(e.text, "disk full");
}

/* test_setc_names_the_code */
static void
test_setc_names_the_code(void **state)
{
	struct err e;

	(void)state;
	err_setc(&e, ERR_UNAVAILABLE, "redis %d", 1);
	assert_int_equal(e.code, ERR_UNAVAILABLE);
	assert_string_equal(e.text, "redis 1");
}

/* test_set_code_keeps_the_text */
static void
test_set_code_keeps_the_text(void **state)
{
	struct err e;

	(void)state;
	err_set(&e, "t.conf:3: bad");
	err_set_code(&e, ERR_CONFIG);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.text, "t.conf:3: bad");
}

/* test_clear_is_no_error */
static void
test_clear_is_no_error(void **state)
{
	struct err e;

	(void)state;
	err_setc(&e, ERR_USAGE, "x");
	err_clear(&e);
	assert_int_equal(e.code, ERR_NONE);
	assert_string_equal(e.text, "");
}

/* test_null_is_ignored */
static void
test_null_is_ignored(void **state)
{
	(void)state;
	err_set(NULL, "x");
	err_setc(NULL, ERR_CONFIG, "x");
	err_set_code(NULL, ERR_CONFIG);
	err_clear(NULL);
}

/* test_long_text_is_cut */
static void
test_long_text_is_cut(void **state)
{
	static char big[2 * ERR_TEXT_MAX];
	struct err e;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	err_setc(&e, ERR_NOT_YET, "%s", big);
	assert_int_equal(e.code, ERR_NOT_YET);
	assert_int_equal(strlen(e.text), ERR_TEXT_MAX - 1);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "set_is_a_local_failure", test_set_is_a_local_failure,
		    NULL);
	rg_case_add(&c, "setc_names_the_code", test_setc_names_the_code, NULL);
	rg_case_add(&c, "set_code_keeps_the_text",
		    test_set_code_keeps_the_text, NULL);
	rg_case_add(&c, "clear_is_no_error", test_clear_is_no_error, NULL);
	rg_case_add(&c, "null_is_ignored", test_null_is_ignored, NULL);
	rg_case_add(&c, "long_text_is_cut", test_long_text_is_cut, NULL);
	return rg_cases_run(&c, "err", NULL, NULL);
}
