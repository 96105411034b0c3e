/* SPDX-License-Identifier: BSD-2-Clause */
#include "tspec.h"

/* tspec_after - now on clk plus ms */
struct timespec
tspec_after(clockid_t clk, unsigned long ms)
{
	struct timespec t;

	(void)clock_gettime(clk, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* tspec_before - a < b */
bool
tspec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* tspec_ms - now on clk, in ms */
uint64_t
tspec_ms(clockid_t clk)
{
	struct timespec t;

	(void)clock_gettime(clk, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}
