/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_sock - the listening socket of relayguard-policyd.
 *
 * The socket is named as for the milter (libmilter's and OpenDKIM's
 * syntax): inet:PORT@HOST, inet:PORT (all IPv4 addresses), inet6:PORT@HOST,
 * inet6:PORT, unix:PATH (also local:PATH or a bare /PATH).  HOST is an
 * address or a name resolved once at startup.
 *
 * policy_sock_open() runs before privileges are dropped: it binds and
 * listens (non-blocking, close-on-exec).  The daemon skeleton (service.h)
 * sets the umask that gives a unix socket its mode and then its owner and
 * group.  A unix socket file left by an earlier run is removed; one on
 * which a server still answers is an error ("in use").  At close the file
 * is removed only if it is still the one we made (a quick restart must
 * not lose the new instance's socket).  policy_sock_check() is what "-n"
 * can check without binding: the syntax.  Errors come back in struct err
 * naming the setting and an example.  Not thread-safe; startup only.
 */
#ifndef RG_POLICY_SOCK_H
#define RG_POLICY_SOCK_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "generation.h"
#include "err.h"

#define POLICY_SOCK_HOST_MAX 256

struct policy_sock_addr {
	int family;			/* AF_INET, AF_INET6 or AF_UNIX */
	unsigned port;			/* inet */
	char host[POLICY_SOCK_HOST_MAX];	/* inet: "" means any */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct policy_sock {
	int fd;
	struct policy_sock_addr addr;
	dev_t dev;			/* of the unix socket file we made */
	ino_t ino;
};

int policy_sock_parse(const char *spec, struct policy_sock_addr *a,
		      struct err *e);
int policy_sock_check(const struct generation *cfg, struct err *e);
int policy_sock_open(const struct generation *cfg, struct policy_sock *s,
		     struct err *e);
void policy_sock_close(struct policy_sock *s);

#endif
