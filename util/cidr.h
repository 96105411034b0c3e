/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr - lists of IPv4/IPv6 networks and membership tests.
 *
 * cidr_list_add() parses "192.0.2.0/24", "2001:db8::/32" or a bare address
 * (a host route).  An IPv4-mapped IPv6 client (::ffff:192.0.2.1) matches the
 * IPv4 networks, as Postfix treats it.  Host bits set below the prefix are an
 * error (a typo more often than intent).  The list owns its memory; after
 * loading it is read-only and safe to share between threads.
 */
#ifndef RG_CIDR_H
#define RG_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned int prefix;
};

struct cidr_list {
	struct cidr *items;
	size_t count;
};

void cidr_list_init(struct cidr_list *l);
void cidr_list_free(struct cidr_list *l);
int cidr_list_add(struct cidr_list *l, const char *text, struct err *e);
bool cidr_list_match_sa(const struct cidr_list *l, const struct sockaddr *sa);
bool cidr_list_match_text(const struct cidr_list *l, const char *addr);

#endif
