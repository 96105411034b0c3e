/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * script_engine - engine verdicts chosen by the recipient, for the tests
 * of relayguard-policyd's server (tests/policy/t_scripted.sh) and of its
 * replies through a real Postfix (tests/integration/t_policy_replies.sh)
 * while the engine's own checks are still stubs.
 *
 * Linked into a copy of the unchanged daemon with -Wl,--wrap=engine_rcpt
 * (policyd.sh: pd_build_scripted).  The local part of the recipient says
 * what engine_rcpt does, after the real one:
 *
 *	slowN-REST	sleep N ms, then go on with REST
 *	holdNAME-REST	create $RG_SCRIPT_DIR/NAME.held, wait (up to 60 s)
 *			until $RG_SCRIPT_DIR/NAME.go
 *			exists, then go on with REST: a test decides when a
 *			decision ends, without guessing at timings
 *	tempfail...	451 4.7.1 hourly quota reached (reason quota)
 *	reject...	553 5.7.1 sender address not owned by the login
 *	long...		451 4.7.1 and a text of 390 characters
 *	header...	nothing against it, plus an Authentication-Results
 *	anything else	what the real engine says
 *
 * The waits stand for blocking work (DNS, a socket): they go through
 * fiber_blocking as relayguard's own blocking calls do, so they run at a
 * worker while the decision's fiber sleeps and the loop serves others.
 *
 * Not part of relayguard.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "fiber.h"

void __real_engine_rcpt(const struct generation *cfg, struct txn *t,
			const char *rcpt, struct verdict *v);
void __wrap_engine_rcpt(const struct generation *cfg, struct txn *t,
			const char *rcpt, struct verdict *v);

/* script_hold_wait - "holdNAME-": tell the test, wait for its go */
static void
script_hold_wait(void *arg)
{
	const char *r = arg;
	const char *dir = getenv("RG_SCRIPT_DIR");
	const char *dash = strchr(r, '-');
	char path[512];
	int fd;
	int i;

	if (dir == NULL || dash == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%.*s.held", dir, (int)(dash - r - 4),
		 r + 4);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/%.*s.go", dir, (int)(dash - r - 4),
		 r + 4);
	for (i = 0; i < 6000 && access(path, F_OK) < 0; i++) {
		struct timespec ts = {0, 10000000L};

		nanosleep(&ts, NULL);
	}
}

/* script_hold - "holdNAME-": wait as blocking work; the rest */
static const char *
script_hold(const char *r)
{
	const char *dash = strchr(r, '-');

	if (getenv("RG_SCRIPT_DIR") == NULL || dash == NULL)
		return r;
	fiber_blocking(script_hold_wait, (void *)(uintptr_t)r);
	return dash + 1;
}

/* __wrap_engine_rcpt - the real stage, then what the recipient asks */
void
__wrap_engine_rcpt(const struct generation *cfg, struct txn *t, const char *rcpt,
		   struct verdict *v)
{
	const char *r = rcpt;

	__real_engine_rcpt(cfg, t, rcpt, v);
	if (strncmp(r, "slow", 4) == 0) {
		char *end;
		long ms = strtol(r + 4, &end, 10);

		fiber_sleep_ms(ms > 0 ? (unsigned)ms : 0);
		r = *end == '-' ? end + 1 : end;
	}
	if (strncmp(r, "hold", 4) == 0)
		r = script_hold(r);
	if (strncmp(r, "tempfail", 8) == 0)
		verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.1", "quota",
			    "hourly quota reached");
	else if (strncmp(r, "reject", 6) == 0)
		verdict_set(v, VERDICT_REJECT, "553", "5.7.1",
			    "sender-not-owned",
			    "sender address not owned by the login");
	else if (strncmp(r, "long", 4) == 0)
		verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.1", "quota",
			    "%0390d", 7);
	else if (strncmp(r, "header", 6) == 0)
		(void)verdict_add_header(v, "Authentication-Results",
					 "relay.test; spf=pass "
					 "smtp.mailfrom=example.com");
}
