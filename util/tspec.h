/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tspec - points in time as struct timespec, for deadlines and timed waits.
 *
 * tspec_after() is now on a clock plus a number of milliseconds, normalised
 * (tv_nsec below one second): CLOCK_MONOTONIC for deadlines compared in
 * the process, CLOCK_REALTIME for pthread_cond_timedwait().  tspec_before()
 * orders two normalised points.  tspec_ms() is now on a clock in
 * milliseconds (CLOCK_REALTIME: since the epoch).  Thread-safe, no allocation.
 */
#ifndef RG_TSPEC_H
#define RG_TSPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct timespec tspec_after(clockid_t clk, unsigned long ms);
uint64_t tspec_ms(clockid_t clk);
bool tspec_before(const struct timespec *a, const struct timespec *b);

#endif
