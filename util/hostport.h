/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hostport - "where to connect or listen" settings: "HOST:PORT",
 * "[IPV6]:PORT", a bare "PORT" or ":PORT" (the default host), and, where
 * allowed, "unix:/PATH" or "/PATH".  HOST is an IP literal or a name
 * (resolved later by whoever connects).  Pure parsing, no I/O;
 * thread-safe.  Errors say what was expected, with examples.
 */
#ifndef RG_HOSTPORT_H
#define RG_HOSTPORT_H

#include <stdbool.h>

#include "err.h"

#define HOSTPORT_HOST_MAX 255
#define HOSTPORT_PATH_MAX 107	/* sun_path of struct sockaddr_un */

struct hostport {
	bool is_unix;
	char host[HOSTPORT_HOST_MAX + 1];	/* without brackets */
	unsigned port;
	char path[HOSTPORT_PATH_MAX + 1];
};

int hostport_parse(const char *spec, const char *default_host,
		   bool allow_unix, struct hostport *out, struct err *e);
bool hostport_is_loopback(const struct hostport *hp);

#endif
