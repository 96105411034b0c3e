/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon - what every relayguard daemon does at startup: detach with a
 * "ready" handshake, lock and write a pid file, give a unix socket its
 * owner, group and mode, drop privileges.
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

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/*
 * The pid file.  daemon_pid_lock() opens it (created 0644 if missing)
 * with O_NOFOLLOW, refuses anything but a plain file of our uid with one
 * link (a symbolic or hard link planted there is never written through),
 * and takes an exclusive flock(2) that lives as long as the process: a
 * file left by a dead process is taken over, one locked by a running
 * instance is an error naming its pid.  Lock before opening sockets, so a
 * second instance never touches the first one's socket; write after
 * daemon_detach() (the lock survives the fork).  An empty path: no pid
 * file, every call does nothing.
 */
struct daemon_pid {
	int fd;
	dev_t dev;
	ino_t ino;
};

int daemon_pid_lock(const char *path, struct daemon_pid *p, struct err *e);

/*
 * daemon_pid_dir() makes the directory of the pid file when it is missing
 * and its own parent exists (/run/relayguard after a reboot, when no
 * systemd RuntimeDirectory= made it): one level only, mode 0755, owned by
 * whoever runs it (root, before the privilege drop).  mkdir(2) never
 * follows a symbolic link in the last component.  0 when the directory is
 * there (made or found), -1 with the reason.  daemon_pid_dir_makeable()
 * says whether daemon_pid_dir() would make it (for -n).
 */
int daemon_pid_dir(const char *path, struct err *e);
bool daemon_pid_dir_makeable(const char *path);
int daemon_pid_write(const struct daemon_pid *p, struct err *e);
void daemon_pid_remove(const char *path, struct daemon_pid *p);

/*
 * daemon_socket_own() gives the unix socket file at path the owner uid
 * ((uid_t)-1: unchanged), group gid ((gid_t)-1: unchanged) and mode,
 * through a descriptor of the file itself (O_PATH | O_NOFOLLOW), after
 * checking that it is a socket of our uid: a name swapped for a symbolic
 * link or another file between bind(2) and this call is refused and left
 * alone.  Bind with umask(0777 & ~mode) so the socket is never more open
 * than asked, even for a moment.
 */
int daemon_socket_own(const char *path, uid_t uid, gid_t gid, mode_t mode,
		      struct err *e);

int daemon_detach(void);
void daemon_ready(int fd);
void daemon_drop_privileges(uid_t uid, gid_t gid, const char *user,
			    const char *conf_path);

#endif
