/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rg_test - helpers shared by the cmocka unit tests in tests/unit/.
 *
 * Every test program runs one cmocka group whose cases are collected at run
 * time from tables of rows (each row named by its behaviour), so that
 * tests/run.sh sees one "[  PASSED  ] N test(s)" line per program.
 *
 * Temporary directories for key files live below RG_SAFE_TMPDIR, or below
 * build/tests/tmp (relative to the repository top, where tests/run.sh runs
 * the tests) when it is unset: relayguard refuses keys below a directory
 * that other users can write, such as /tmp.
 *
 * Header-only (static inline) because the Makefile builds each test from a
 * single source file.
 */
#ifndef RG_TEST_H
#define RG_TEST_H

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define RG_TEST_MAX_CASES 512
#define RG_TEST_DEFAULT_TMP "build/tests/tmp"

/* One collected case: the cmocka row plus the table row it runs. */
struct rg_cases {
	struct CMUnitTest tests[RG_TEST_MAX_CASES];
	size_t count;
};

/* rg_case_add - queue fn to run with row as its state, named name */
static inline void
rg_case_add(struct rg_cases *c, const char *name, CMUnitTestFunction fn,
	    const void *row)
{
	union {
		const void *c;
		void *v;
	} u;

	if (c->count == RG_TEST_MAX_CASES) {
		fprintf(stderr, "rg_test: more than %d cases\n",
			RG_TEST_MAX_CASES);
		exit(1);
	}
	u.c = row;
	c->tests[c->count].name = name;
	c->tests[c->count].test_func = fn;
	c->tests[c->count].setup_func = NULL;
	c->tests[c->count].teardown_func = NULL;
	c->tests[c->count].initial_state = u.v;
	c->count++;
}

/* RG_ADD_ROWS - one case per row of a table whose rows start with name */
#define RG_ADD_ROWS(cases, rows, fn)					\
	do {								\
		size_t rg_i_;						\
		for (rg_i_ = 0; rg_i_ < sizeof(rows) / sizeof((rows)[0]); \
		     rg_i_++)						\
			rg_case_add((cases), (rows)[rg_i_].name, (fn),	\
				    &(rows)[rg_i_]);			\
	} while (0)

/* rg_cases_run - run every queued case as one group; the exit status */
static inline int
rg_cases_run(const struct rg_cases *c, const char *group,
	     CMFixtureFunction setup, CMFixtureFunction teardown)
{
	return _cmocka_run_group_tests(group, c->tests, c->count, setup,
				       teardown);
}

/* rg_has - does text contain needle?  (for assert_true with a message) */
static inline int
rg_has(const char *text, const char *needle)
{
	if (strstr(text, needle) != NULL)
		return 1;
	print_error("expected \"%s\" in \"%s\"\n", needle, text);
	return 0;
}

/* rg_dir_is_safe - no directory from / down to dir writable by others */
static inline int
rg_dir_is_safe(const char *dir, char *why, size_t whylen)
{
	char real[PATH_MAX];
	struct stat st;
	char *slash;

	if (realpath(dir, real) == NULL) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return 0;
	}
	for (;;) {
		if (stat(real, &st) < 0) {
			snprintf(why, whylen, "%s: %s", real, strerror(errno));
			return 0;
		}
		if ((st.st_mode & S_IWOTH) ||
		    ((st.st_mode & S_IWGRP) && st.st_gid != 0) ||
		    (st.st_uid != 0 && st.st_uid != geteuid())) {
			snprintf(why, whylen, "%s can be written by other "
				 "users", real);
			return 0;
		}
		if (strcmp(real, "/") == 0)
			return 1;
		slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* rg_tmpdir_base - RG_SAFE_TMPDIR, or build/tests/tmp made mode 0700 */
static inline const char *
rg_tmpdir_base(void)
{
	const char *env = getenv("RG_SAFE_TMPDIR");

	if (env != NULL && *env != '\0')
		return env;
	(void)mkdir("build", 0755);
	(void)mkdir("build/tests", 0755);
	if (mkdir(RG_TEST_DEFAULT_TMP, 0700) < 0 && errno != EEXIST)
		fprintf(stderr, "rg_test: mkdir %s: %s\n", RG_TEST_DEFAULT_TMP,
			strerror(errno));
	return RG_TEST_DEFAULT_TMP;
}

/* rg_tmpdir_make - a fresh absolute directory "BASE/TAG.XXXXXX", 0700 */
static inline int
rg_tmpdir_make(const char *tag, char *out, size_t size)
{
	char tmpl[PATH_MAX];
	const char *base = rg_tmpdir_base();

	if (snprintf(tmpl, sizeof(tmpl), "%s/%s.XXXXXX", base, tag) >=
	    (int)sizeof(tmpl))
		return -1;
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "rg_test: mkdtemp %s: %s\n", tmpl,
			strerror(errno));
		return -1;
	}
	if (realpath(tmpl, out) == NULL || strlen(out) >= size)
		return -1;
	return 0;
}

/* rg_rm_one - nftw callback: remove one entry, children first */
static inline int
rg_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

/* rg_tmpdir_remove - delete a directory made by rg_tmpdir_make */
static inline void
rg_tmpdir_remove(const char *dir)
{
	if (dir != NULL && dir[0] != '\0' &&
	    nftw(dir, rg_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "rg_test: could not remove %s\n", dir);
}

/* rg_write_file - create path with text and mode; 0 done, -1 not */
static inline int
rg_write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");
	int rc = 0;

	if (fp == NULL)
		return -1;
	if (fputs(text, fp) == EOF)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	if (chmod(path, mode) < 0)
		rc = -1;
	return rc;
}

/* rg_pathf - format a path into buf; aborts the test when it is too long */
static inline const char *
rg_pathf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline const char *
rg_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "rg_test: path too long\n");
		abort();
	}
	return buf;
}

#endif
