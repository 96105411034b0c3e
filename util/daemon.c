/* SPDX-License-Identifier: BSD-2-Clause */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* daemon_detach - fork into the background; returns the descriptor the
 * child passes to daemon_ready() */
int
daemon_detach(void)
{
	int ready[2];
	pid_t pid;
	char c;
	int fd;

	if (pipe(ready) < 0)
		log_fatal("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		log_fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		(void)close(ready[1]);
		/* EOF before the byte: the child died during startup */
		_exit(read(ready[0], &c, 1) == 1 ? 0 : 1);
	}
	(void)close(ready[0]);
	if (setsid() < 0)
		log_fatal("setsid: %s", strerror(errno));
	if (chdir("/") < 0)
		log_fatal("chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		log_fatal("/dev/null: %s", strerror(errno));
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0)
		log_fatal("dup2: %s", strerror(errno));
	if (fd > STDERR_FILENO)
		(void)close(fd);
	return ready[1];
}

/* daemon_ready - startup is complete: let the waiting parent exit */
void
daemon_ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "r", 1) != 1)
		log_warn("cannot tell the parent process we are ready");
	(void)close(fd);
}

/* daemon_pid_file - write our pid; empty path: none */
void
daemon_pid_file(const char *path)
{
	char buf[32];
	int fd;
	int n;

	if (path[0] == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		log_fatal("pid file %s: %s", path, strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (n < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0)
		log_fatal("pid file %s: write failed", path);
}

/* daemon_drop_privileges - become uid/gid for good; (uid_t)-1: stay */
void
daemon_drop_privileges(uid_t uid, gid_t gid, const char *user,
		       const char *conf_path)
{
	if (uid == (uid_t)-1) {
		if (geteuid() == 0)
			log_warn("running as root: set \"user\" in %s",
				 conf_path);
		return;
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		log_fatal("cannot become user %s: %s", user, strerror(errno));
	if (uid != 0 && setuid(0) == 0)
		log_fatal("privileges were not dropped");
}
