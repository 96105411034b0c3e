/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * author - the author fields of a message (From:, Sender:, Resent-From:,
 * Resent-Sender:) judged for sender authentication: every mailbox a
 * reader could see is checked.
 *
 * author_judge() reads one field body with the strict reader (addr.h)
 * and judges it for one kind of client:
 *
 * A SASL login (policy login set) must own every mailbox of the field
 * (owner.h): AUTHOR_NOT_OWNED names the first it does not own.  A field
 * the strict reader cannot read is AUTHOR_UNREADABLE, whatever it holds:
 * what cannot be read cannot be called owned.  A field that names no
 * mailbox (an empty group, "undisclosed-recipients:;") is AUTHOR_NOBODY,
 * unless an address shows anywhere in it (a comment, a group name, an
 * encoded-word: addrscan.h finds one); then it is unreadable too.
 *
 * An outside client (login NULL) may not use our domains (is_ours):
 * AUTHOR_OURS names the first mailbox in one.  A field the strict reader
 * cannot read (or finds no mailbox in but an address) is read leniently,
 * as a mail client would show it (addrscan.h), and is AUTHOR_OURS when any
 * address it shows is ours, else AUTHOR_UNREADABLE, which is no reason to
 * refuse an outside client.
 *
 * Display names and comments of a field the strict reader can read are
 * not mailboxes and are not judged ("ceo@a.example" <x@b.example> is
 * x@b.example): mailing lists and calendar services write their users'
 * addresses there, and clients show the address beside the name.
 *
 * author_field_name() says which header fields are author fields, by
 * their canonical names.  The map and the callbacks are read only;
 * thread-safe.
 */
#ifndef RG_AUTHOR_H
#define RG_AUTHOR_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "owner.h"

enum author_result {
	AUTHOR_OK = 0,		/* owned, or none of ours */
	AUTHOR_NOBODY,		/* no mailbox at all: nothing to check */
	AUTHOR_NOT_OWNED,	/* a SASL login does not own addr */
	AUTHOR_UNREADABLE,	/* the strict reader could not read it */
	AUTHOR_OURS,		/* an outside client uses our addr */
};

/* Is domain (normalised, addr.h) one of ours? */
typedef bool author_ours_fn(const void *arg, const char *domain);

struct author_policy {
	const char *login;		/* SASL login; NULL: outside client */
	const struct owner_map *owners;	/* for a login */
	const struct owner_opts *opts;
	author_ours_fn *is_ours;	/* for an outside client */
	const void *ours_arg;
};

#define AUTHOR_WHY_MAX 128

struct author_finding {
	enum author_result result;
	bool lenient;		/* read by the lenient reader */
	size_t naddrs;		/* addresses read (by the reader used) */
	struct addr addr;	/* NOT_OWNED, OURS: the address */
	char why[AUTHOR_WHY_MAX];	/* why the strict reader failed */
};

const char *author_field_name(const char *name);
void author_judge(const struct author_policy *p, const char *field,
		  const char *value, size_t len, struct author_finding *f);
const char *author_result_name(enum author_result r);

#endif
