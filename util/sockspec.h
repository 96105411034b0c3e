/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockspec - where a daemon listens, in libmilter's and OpenDKIM's syntax,
 * read the same way for the milter socket and the policy socket:
 *
 *	unix:/PATH  local:/PATH  /PATH		a unix socket (absolute path)
 *	inet:PORT@HOST  inet:PORT		IPv4, HOST an address or a name
 *						(PORT alone: every address)
 *	inet6:PORT@HOST  inet6:PORT@[HOST]  inet6:PORT
 *
 * PORT is a number from 1 to 65535.  The mistakes admins make get their
 * own message with the right form: Postfix's "inet:HOST:PORT" and
 * "HOST:PORT" (Postfix writes inet:127.0.0.1:8891 in main.cf for what is
 * inet:8891@127.0.0.1 here), Postfix's relative "unix:relayguard/x.sock",
 * an unknown type ("tcp:8891"), a port out of range.  Error texts carry no
 * key or file name (the caller adds "FILE:LINE: KEY: ") and end with
 * examples built from example_path (a unix socket path) and example_port.  Pure parsing, no I/O; thread-safe.
 */
#ifndef RG_SOCKSPEC_H
#define RG_SOCKSPEC_H

#include <sys/socket.h>
#include <sys/un.h>

#include "err.h"

#define SOCKSPEC_HOST_MAX 256

struct sockspec {
	int family;			/* AF_UNIX, AF_INET or AF_INET6 */
	unsigned port;			/* inet */
	char host[SOCKSPEC_HOST_MAX];	/* inet: "" means every address */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

int sockspec_parse(const char *spec, const char *example_path,
		   unsigned example_port, struct sockspec *out, struct err *e);

#endif
