/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bindswap - an LD_PRELOAD library for t_no_link_follow.sh that plays the
 * attacker who wins the race between bind(2) and the chown/chmod of a
 * unix socket: right after a successful bind of a unix socket it replaces
 * the new socket file with a symbolic link to $RG_SWAP_TARGET.  Nothing
 * else changes.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef int bind_fn(int, const struct sockaddr *, socklen_t);

int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static bind_fn *real;
	const char *target = getenv("RG_SWAP_TARGET");
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	int rc;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "bind");
	rc = real(fd, sa, len);
	if (rc == 0 && target != NULL && sa->sa_family == AF_UNIX &&
	    sun->sun_path[0] != '\0' && unlink(sun->sun_path) == 0 &&
	    symlink(target, sun->sun_path) < 0)
		return -1;
	return rc;
}
