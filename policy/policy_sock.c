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

#define POLICY_SOCK_EXAMPLES                                                   \
	"(examples: inet:10045@127.0.0.1, inet6:10045@[::1], "                 \
	"unix:/run/relayguard/policy.sock)"

/* policy_sock_port - "PORT" from 1 to 65535 */
static int
policy_sock_port(const char *s, size_t len, unsigned *port)
{
	char buf[8];
	unsigned long n;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (str_to_ulong(buf, 10, 65535, &n) < 0 || n == 0)
		return -1;
	*port = (unsigned)n;
	return 0;
}

/* policy_sock_parse - read a socket setting */
int
policy_sock_parse(const char *spec, struct policy_sock_addr *a, struct err *e)
{
	const char *rest = NULL;
	const char *at;
	size_t hlen;

	memset(a, 0, sizeof(*a));
	if (strncmp(spec, "unix:", 5) == 0)
		rest = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		rest = spec + 6;
	else if (spec[0] == '/')
		rest = spec;
	if (rest != NULL) {
		a->family = AF_UNIX;
		if (rest[0] == '\0' ||
		    str_copy(a->path, sizeof(a->path), rest) < 0) {
			err_set(e, "policy_socket: \"%s\": the path is empty "
				   "or longer than %zu bytes " POLICY_SOCK_EXAMPLES,
				spec, sizeof(a->path) - 1);
			return -1;
		}
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		a->family = AF_INET;
		rest = spec + 5;
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		a->family = AF_INET6;
		rest = spec + 6;
	} else {
		goto bad;
	}
	at = strchr(rest, '@');
	if (policy_sock_port(rest, at ? (size_t)(at - rest) : strlen(rest),
			     &a->port) < 0)
		goto bad;
	if (at == NULL)
		return 0;
	at++;
	hlen = strlen(at);
	/* inet6:PORT@[::1] as well as inet6:PORT@::1 */
	if (a->family == AF_INET6 && hlen >= 2 && at[0] == '[' &&
	    at[hlen - 1] == ']') {
		at++;
		hlen -= 2;
	}
	if (hlen == 0 || str_copyn(a->host, sizeof(a->host), at, hlen) < 0)
		goto bad;
	return 0;
bad:
	err_set(e, "policy_socket: \"%s\" is not a socket " POLICY_SOCK_EXAMPLES,
		spec);
	return -1;
}

/* policy_sock_inet_addr - the address to bind for an inet socket */
static int
policy_sock_inet_addr(const struct policy_sock_addr *a,
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

/* policy_sock_group - the group a unix socket gets: policy_socket_group,
 * or the user's */
static int
policy_sock_group(const struct generation *cfg, gid_t *gid, struct err *e)
{
	return generation_group(cfg, "policy_socket_group", gid, e);
}

/* policy_sock_check - what -n can check without binding: the socket
 * syntax and the group */
int
policy_sock_check(const struct generation *cfg, struct err *e)
{
	struct policy_sock_addr a;
	gid_t gid;

	if (policy_sock_parse(cfg->conf->policy_socket, &a, e) < 0)
		return -1;
	if (a.family == AF_UNIX && policy_sock_group(cfg, &gid, e) < 0)
		return -1;
	return 0;
}

/* policy_sock_unix_owner - owner, group and mode of the socket file */
static int
policy_sock_unix_owner(const struct generation *cfg, const char *path,
		       struct err *e)
{
	gid_t gid;

	if (policy_sock_group(cfg, &gid, e) < 0)
		return -1;
	if ((cfg->user_uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, cfg->user_uid, gid) < 0) {
		err_set(e, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	if (chmod(path, (mode_t)cfg->conf->policy_socket_mode) < 0) {
		err_set(e, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* policy_sock_bind - bind a unix socket no more open than its mode */
static int
policy_sock_bind_unix(const struct generation *cfg, struct policy_sock *s,
		      struct err *e)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->addr.path, strlen(s->addr.path) + 1);
	if (policy_sock_unix_stale(&sun, e) < 0)
		return -1;
	old = umask(0777 & ~(mode_t)cfg->conf->policy_socket_mode);
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
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
	return policy_sock_unix_owner(cfg, s->addr.path, e);
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
		if (policy_sock_bind_unix(cfg, s, e) < 0)
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
