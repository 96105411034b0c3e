/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * clockshift - an LD_PRELOAD library for t_limit_redis_clock.sh: the
 * program's wall clock (gettimeofday, time, clock_gettime of
 * CLOCK_REALTIME) runs $RG_CLOCK_SHIFT_MS milliseconds ahead (negative:
 * behind) of the machine's, as on a host whose clock is set wrong.  The
 * monotonic clocks are left alone.  The real time is read with the system
 * call itself, so nothing here calls back into the library.
 */
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* shift_ms - the offset, from the environment */
static long long
shift_ms(void)
{
	const char *s = getenv("RG_CLOCK_SHIFT_MS");

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* shifted - the real time plus the offset */
static int
shifted(struct timespec *ts)
{
	long long ns;

	if (syscall(SYS_clock_gettime, CLOCK_REALTIME, ts) != 0)
		return -1;
	ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec +
	     shift_ms() * 1000000LL;
	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
	return 0;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	if (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)
		return shifted(ts);
	return syscall(SYS_clock_gettime, id, ts) == 0 ? 0 : -1;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (shifted(&ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	if (shifted(&ts) != 0)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
