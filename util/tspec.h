/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tspec - points in time as struct timespec, for deadlines and timed waits.
 *
 * tspec_after() is now on a clock plus a number of milliseconds, normalised
 * (tv_nsec below one second): CLOCK_MONOTONIC for deadlines compared in
 * the process, CLOCK_REALTIME for pthread_cond_timedwait().  tspec_before()
 * orders two normalised points.  Thread-safe, no allocation.
 */
#ifndef RG_TSPEC_H
#define RG_TSPEC_H

#include <stdbool.h>
#include <time.h>

struct timespec tspec_after(clockid_t clk, unsigned long ms);
bool tspec_before(const struct timespec *a, const struct timespec *b);

#endif
