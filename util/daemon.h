/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon - what every relayguard daemon does at startup: detach with a
 * "ready" handshake, write a pid file, drop privileges.
 *
 * daemon_detach() forks; the parent waits until the child calls
 * daemon_ready() (startup complete, pid file written) and exits 0, or 1
 * when the child dies first, so that "relayguard-policyd -c FILE" returns
 * only once the daemon serves (init scripts read the pid file right after
 * the start command).  Errors at this stage are fatal (log_fatal).  Call
 * from the main thread before any other thread exists.
 */
#ifndef RG_DAEMON_H
#define RG_DAEMON_H

#include <sys/types.h>

int daemon_detach(void);
void daemon_ready(int fd);
void daemon_pid_file(const char *path);
void daemon_drop_privileges(uid_t uid, gid_t gid, const char *user,
			    const char *conf_path);

#endif
