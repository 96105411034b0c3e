/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tspec_test - a point ms after now is normalised, lies that far ahead on
 * its clock, and orders correctly against others; now in ms is the
 * clock's.
 */
#include "tspec.h"

#include "rg_test.h"

/* ms_between - b - a in milliseconds */
static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* test_after_is_normalised_and_ahead - for amounts that carry into the
 * seconds, on both clocks */
static void
test_after_is_normalised_and_ahead(void **state)
{
	static const unsigned long ms[] = {0, 1, 999, 1000, 1001, 1999,
					   86400000};
	static const clockid_t clk[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
	size_t i;
	size_t j;

	(void)state;
	for (j = 0; j < 2; j++)
		for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
			struct timespec before;
			struct timespec t;
			struct timespec after;
			long d;

			(void)clock_gettime(clk[j], &before);
			t = tspec_after(clk[j], ms[i]);
			(void)clock_gettime(clk[j], &after);
			assert_true(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
			d = ms_between(&before, &t);
			assert_true(d >= (long)ms[i] - 1);
			assert_true(ms_between(&after, &t) <= (long)ms[i]);
			assert_true(d <= (long)ms[i] + 1000);
		}
}

/* test_before_orders - seconds first, then nanoseconds; equal is not
 * before */
static void
test_before_orders(void **state)
{
	struct timespec a = {10, 999999999};
	struct timespec b = {11, 0};
	struct timespec c = {11, 1};

	(void)state;
	assert_true(tspec_before(&a, &b));
	assert_true(tspec_before(&b, &c));
	assert_false(tspec_before(&b, &a));
	assert_false(tspec_before(&b, &b));
	assert_false(tspec_before(&c, &a));
}

/* test_ms_follows_the_clock - tspec_ms is the clock's time in ms */
static void
test_ms_follows_the_clock(void **state)
{
	static const clockid_t clk[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
	size_t j;

	(void)state;
	for (j = 0; j < 2; j++) {
		struct timespec a;
		struct timespec b;
		uint64_t ms;

		(void)clock_gettime(clk[j], &a);
		ms = tspec_ms(clk[j]);
		(void)clock_gettime(clk[j], &b);
		assert_true(ms >= (uint64_t)a.tv_sec * 1000 +
					  (uint64_t)a.tv_nsec / 1000000);
		assert_true(ms <= (uint64_t)b.tv_sec * 1000 +
					  (uint64_t)b.tv_nsec / 1000000);
	}
	/* the epoch's ms: after 2020, before 2200 */
	assert_true(tspec_ms(CLOCK_REALTIME) > 1577836800000ULL);
	assert_true(tspec_ms(CLOCK_REALTIME) < 7258118400000ULL);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "after_is_normalised_and_ahead",
		    test_after_is_normalised_and_ahead, NULL);
	rg_case_add(&c, "before_orders", test_before_orders, NULL);
	rg_case_add(&c, "ms_follows_the_clock", test_ms_follows_the_clock,
		    NULL);
	return rg_cases_run(&c, "tspec", NULL, NULL);
}
