/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * owner - which addresses an authenticated login may send as.
 *
 * The sender login map is a text file, one login per line followed by the
 * addresses and domains it may use (comma or space separated); a line that
 * starts with white space continues the previous one, '#' starts a
 * comment.  Several lines may name the same login, and several logins the
 * same address (shared mailboxes, delegation):
 *
 *	alice@example.com	alice@example.com, sales@example.com
 *	bob			@example.org		# the whole domain
 *	@example.net		@example.net		# any login ...@example.net
 *	relay-app		@.example.com		# every subdomain
 *
 * A login key is matched without regard to ASCII case; a key "@domain"
 * matches every login "name@domain" that has no line of its own.  A value
 * is an address, "@domain" (any address there) or "@.domain" (any address
 * in a subdomain).  Without a line, a login that is itself an address may
 * send as itself (owner_opts.self, also added to listed logins).
 *
 * owner_map_load() reads the whole file or fails with "FILE:LINE: what is
 * wrong"; the loaded map is read-only and may be shared between threads.
 */
#ifndef RG_OWNER_H
#define RG_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "err.h"

struct owner_map;

struct owner_opts {
	bool self;		/* a login that is an address owns itself */
	bool exact_local;	/* compare local parts with case */
	char delimiter;		/* '+' : a+tag@x counts as a@x; 0 = off */
};

int owner_map_load(const char *path, struct owner_map **out, struct err *e);
int owner_map_load_stream(FILE *fp, const char *path, struct owner_map **out,
			  struct err *e);
void owner_map_free(struct owner_map *m);
size_t owner_map_count(const struct owner_map *m);
bool owner_may_send_as(const struct owner_map *m, const struct owner_opts *o,
		       const char *login, const struct addr *a);

#endif
