/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_sock.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"

/* Pending connections the kernel keeps for us (capped by somaxconn). */
#define POLICY_SOCK_BACKLOG 1024

/* policy_sock_parse - read a socket setting (sockspec.h) */
int
policy_sock_parse(const char *spec, struct sockspec *a, struct err *e)
{
	struct err why;

	if (sockspec_parse(spec, POLICY_SOCK_EXAMPLE_PATH,
			   POLICY_SOCK_EXAMPLE_PORT, a, &why) < 0) {
		err_set(e, "policy_socket: %s", why.text);
		return -1;
	}
	return 0;
}

/* policy_sock_inet_addr - the address to bind for an inet socket */
static int
policy_sock_inet_addr(const struct sockspec *a,
		      struct sockaddr_storage *ss, socklen_t *len,
		      struct err *e)
{
	struct addrinfo hints;
	struct addrinfo *res = NULL;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = a->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	(void)str_format(port, sizeof(port), "%u", a->port);
	rc = getaddrinfo(a->host[0] ? a->host : NULL, port, &hints, &res);
	if (rc != 0 || res == NULL) {
		err_set(e, "policy_socket: host \"%s\": %s", a->host,
			rc != 0 ? gai_strerror(rc) : "no address");
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* policy_sock_unix_stale - make way for a unix socket: remove a socket
 * file nobody answers on; -1 when a server does, or when the path is
 * something else */
static int
policy_sock_unix_stale(const struct sockaddr_un *sun, struct err *e)
{
	struct stat st;
	int fd;
	int rc;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		err_set(e, "policy_socket: %s exists and is not a socket",
			sun->sun_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(e, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	(void)close(fd);
	if (rc == 0) {
		err_set(e, "policy_socket: %s is in use by a running server",
			sun->sun_path);
		return -1;
	}
	if (unlink(sun->sun_path) < 0 && errno != ENOENT) {
		err_set(e, "policy_socket: cannot remove the old %s: %s",
			sun->sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* policy_sock_bind_unix - bind a unix socket (the caller's umask gives
 * its mode) and remember which file it is */
static int
policy_sock_bind_unix(struct policy_sock *s, struct err *e)
{
	struct sockaddr_un sun;
	struct stat st;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->addr.path, strlen(s->addr.path) + 1);
	if (policy_sock_unix_stale(&sun, e) < 0)
		return -1;
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc < 0) {
		err_set(e, "policy_socket: bind %s: %s", s->addr.path,
			strerror(errno));
		return -1;
	}
	if (lstat(s->addr.path, &st) < 0) {
		err_set(e, "policy_socket: %s: %s", s->addr.path,
			strerror(errno));
		return -1;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	return 0;
}

/* policy_sock_open - bind and listen on the configured socket */
int
policy_sock_open(const struct generation *cfg, struct policy_sock *s,
		 struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (policy_sock_parse(cfg->conf->policy_socket, &s->addr, e) < 0)
		return -1;
	if (s->addr.family != AF_UNIX &&
	    policy_sock_inet_addr(&s->addr, &ss, &sl, e) < 0)
		return -1;
	s->fd = socket(s->addr.family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err_set(e, "policy_socket: socket: %s", strerror(errno));
		return -1;
	}
	if (s->addr.family == AF_UNIX) {
		if (policy_sock_bind_unix(s, e) < 0)
			goto fail;
	} else {
		/* a restart must not wait for TIME_WAIT to end */
		if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) < 0 ||
		    bind(s->fd, (struct sockaddr *)&ss, sl) < 0) {
			err_set(e, "policy_socket: %s: %s",
				cfg->conf->policy_socket, strerror(errno));
			goto fail;
		}
	}
	if (listen(s->fd, POLICY_SOCK_BACKLOG) < 0) {
		err_set(e, "policy_socket: listen: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	policy_sock_close(s);
	return -1;
}

/* policy_sock_close - close, and remove a unix socket file if ours */
void
policy_sock_close(struct policy_sock *s)
{
	struct stat st;

	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
	if (s->addr.family == AF_UNIX && s->ino != 0 &&
	    lstat(s->addr.path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		(void)unlink(s->addr.path);	/* may fail as a user: fine */
	s->ino = 0;
}
