/* SPDX-License-Identifier: BSD-2-Clause */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "str.h"

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

/* daemon_pid_owner - the pid a locked pid file names, 0 if unreadable */
static long
daemon_pid_owner(int fd)
{
	char buf[32];
	unsigned long pid;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (str_to_ulong(buf, 10, (unsigned long)INT_MAX, &pid) < 0)
		return 0;
	return (long)pid;
}

/* daemon_pid_dir_split - the directory part of path, and of that its
 * parent; false when path has no directory part worth making */
static bool
daemon_pid_dir_split(const char *path, char *dir, size_t size,
		     char *parent, size_t psize)
{
	char *slash;

	if (path[0] != '/' || str_copy(dir, size, path) < 0 ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return false;
	*slash = '\0';
	if (str_copy(parent, psize, dir) < 0 ||
	    (slash = strrchr(parent, '/')) == NULL)
		return false;
	if (slash == parent)
		slash[1] = '\0';	/* the parent is / itself */
	else
		*slash = '\0';
	return true;
}

/* daemon_pid_dir_makeable - the pid file's directory is missing and its
 * parent is a directory: daemon_pid_dir() would make it */
bool
daemon_pid_dir_makeable(const char *path)
{
	char dir[4096];
	char parent[4096];
	struct stat st;

	if (!daemon_pid_dir_split(path, dir, sizeof(dir), parent,
				  sizeof(parent)))
		return false;
	return lstat(dir, &st) < 0 && errno == ENOENT &&
	       stat(parent, &st) == 0 && S_ISDIR(st.st_mode);
}

/* daemon_pid_dir - make the pid file's directory, see the header */
int
daemon_pid_dir(const char *path, struct err *e)
{
	char dir[4096];
	char parent[4096];

	if (!daemon_pid_dir_makeable(path))
		return 0;	/* there, or not ours to make: open() says */
	if (!daemon_pid_dir_split(path, dir, sizeof(dir), parent,
				  sizeof(parent)))
		return 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		err_set(e, "pid file directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* daemon_pid_lock - open and lock the pid file, see the header */
int
daemon_pid_lock(const char *path, struct daemon_pid *p, struct err *e)
{
	struct stat st;
	long other;

	p->fd = -1;
	p->dev = 0;
	p->ino = 0;
	if (path[0] == '\0')
		return 0;
	p->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
				   O_NOCTTY | O_NONBLOCK, 0644);
	if (p->fd < 0) {
		if (errno == ELOOP)
			err_set(e, "pid file %s is a symbolic link: refusing "
				   "to follow it (remove it)", path);
		else
			err_set(e, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	/* a plain file of ours with one name: never another file that a
	 * hard link or a swapped name put at this path */
	if (fstat(p->fd, &st) < 0) {
		err_set(e, "pid file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		err_set(e, "pid file %s is not a plain file of uid %ld with one "
			   "link (mode %o, uid %ld, %ld links): refusing to "
			   "write to it (remove it)", path, (long)geteuid(),
			(unsigned)st.st_mode, (long)st.st_uid,
			(long)st.st_nlink);
		goto fail;
	}
	if (flock(p->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			other = daemon_pid_owner(p->fd);
			if (other > 0)
				err_set(e, "pid file %s is locked: already "
					   "running as pid %ld", path, other);
			else
				err_set(e, "pid file %s is locked: already "
					   "running", path);
		} else {
			err_set(e, "pid file %s: lock: %s", path,
				strerror(errno));
		}
		goto fail;
	}
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	return 0;
fail:
	(void)close(p->fd);
	p->fd = -1;
	return -1;
}

/* daemon_pid_write - our pid into the locked file (after detaching) */
int
daemon_pid_write(const struct daemon_pid *p, struct err *e)
{
	char buf[32];
	int n;

	if (p->fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (n < 0 || ftruncate(p->fd, 0) < 0 ||
	    pwrite(p->fd, buf, (size_t)n, 0) != n) {
		err_set(e, "pid file: write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* daemon_pid_remove - at exit: remove the file if the name is still ours
 * (may fail after the privilege drop: the lock dies with us anyway) */
void
daemon_pid_remove(const char *path, struct daemon_pid *p)
{
	struct stat st;

	if (p->fd < 0)
		return;
	if (lstat(path, &st) == 0 && st.st_dev == p->dev &&
	    st.st_ino == p->ino)
		(void)unlink(path);
	(void)close(p->fd);
	p->fd = -1;
}

/* daemon_socket_own - owner, group and mode of a unix socket file we
 * just made, set through a descriptor of that very file */
int
daemon_socket_own(const char *path, uid_t uid, gid_t gid, mode_t mode,
		  struct err *e)
{
	struct stat st;
	char proc[64];
	int fd;
	int rc = -1;

	/* O_PATH | O_NOFOLLOW opens the name itself: a symbolic link put
	 * in the socket's place is seen as one, never followed */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		err_set(e, "%s is no longer the socket we made (mode %o, uid "
			   "%ld): something replaced it; refusing to change "
			   "its owner or mode", path, (unsigned)st.st_mode,
			(long)st.st_uid);
		goto out;
	}
	/* the mode came with the umask at bind(); set it only if it
	 * differs, through the descriptor's /proc name (the inode itself) */
	(void)str_format(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((st.st_mode & 07777) != (mode & 07777) && chmod(proc, mode) < 0) {
		err_set(e, "chmod %s: %s", path, strerror(errno));
		goto out;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
		err_set(e, "chown %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	(void)close(fd);
	return rc;
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
