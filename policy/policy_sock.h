/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_sock - the listening socket of relayguard-policyd.
 *
 * The socket is named as for the milter and read by the same parser
 * (sockspec.h): unix:PATH, inet:PORT@HOST, inet:PORT (all IPv4
 * addresses), inet6:PORT@HOST, inet6:PORT.  HOST is an address or a name
 * resolved once at startup.
 *
 * policy_sock_open() runs before privileges are dropped: it binds and
 * listens (non-blocking, close-on-exec).  The daemon skeleton (service.h)
 * sets the umask that gives a unix socket its mode and then its owner and
 * group.  A unix socket file left by an earlier run is removed; one on
 * which a server still answers is an error ("in use").  At close the file
 * is removed only if it is still the one we made (a quick restart must
 * not lose the new instance's socket).  Errors come back in struct err
 * naming the setting and an example.  Not thread-safe; startup only.
 */
#ifndef RG_POLICY_SOCK_H
#define RG_POLICY_SOCK_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "err.h"
#include "generation.h"
#include "sockspec.h"

/* What error texts show as examples (the default and Postfix's port). */
#define POLICY_SOCK_EXAMPLE_PATH "/var/spool/postfix/relayguard/policy.sock"
#define POLICY_SOCK_EXAMPLE_PORT 10045

struct policy_sock {
	int fd;
	struct sockspec addr;
	dev_t dev;			/* of the unix socket file we made */
	ino_t ino;
};

int policy_sock_parse(const char *spec, struct sockspec *a, struct err *e);
int policy_sock_open(const struct generation *cfg, struct policy_sock *s,
		     struct err *e);
void policy_sock_close(struct policy_sock *s);

#endif
