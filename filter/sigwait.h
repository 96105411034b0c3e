/* SPDX-License-Identifier: BSD-2-Clause */
/* sigwait - see sigwait.c: SIGHUP runs a hook inside libmilter's signal
 * thread instead of stopping the filter. */
#ifndef RG_SIGWAIT_H
#define RG_SIGWAIT_H

typedef void sigwait_hook_fn(void);

void sigwait_set_hup_hook(sigwait_hook_fn *fn);

#endif
