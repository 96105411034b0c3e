/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigwait - SIGHUP reloads instead of stopping libmilter.
 *
 * libmilter's signal thread waits with sigwait(3) for SIGHUP, SIGTERM and
 * SIGINT and stops the filter on any of them, so a SIGHUP would end the
 * daemon (OpenDKIM reloads on SIGUSR1 for this reason).  Mail admins expect
 * SIGHUP to reload, as with Postfix.  This definition of sigwait(), linked
 * into the program, is the one libmilter's thread calls: it runs the reload
 * hook for SIGHUP and goes on waiting, and returns every other signal as
 * before.  Only that one thread calls sigwait() in relayguard.
 */
#include "sigwait.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

static sigwait_hook_fn *sigwait_hup_hook;

/* sigwait_set_hup_hook - what SIGHUP does; set before threads start */
void
sigwait_set_hup_hook(sigwait_hook_fn *fn)
{
	sigwait_hup_hook = fn;
}

/* sigwait - POSIX sigwait(), with SIGHUP diverted to the hook */
int
sigwait(const sigset_t *set, int *sig)
{
	for (;;) {
		int s = sigwaitinfo(set, NULL);

		if (s < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s == SIGHUP && sigwait_hup_hook != NULL) {
			sigwait_hup_hook();
			continue;
		}
		*sig = s;
		return 0;
	}
}
