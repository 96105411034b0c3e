/* SPDX-License-Identifier: BSD-2-Clause */
#include "author.h"

#include <string.h>
#include <strings.h>

#include "addrscan.h"
#include "str.h"

/* The fields whose mailboxes a reader sees as the author or sender of a
 * message (RFC 5322 3.6.2 and 3.6.6), by their canonical names. */
static const char *const author_fields[] = {
	"From",
	"Sender",
	"Resent-From",
	"Resent-Sender",
};

/* author_field_name - the canonical name of an author field (any case),
 * NULL for any other field */
const char *
author_field_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(author_fields) / sizeof(author_fields[0]); i++)
		if (strcasecmp(name, author_fields[i]) == 0)
			return author_fields[i];
	return NULL;
}

/* What a reader's callback needs between mailboxes. */
struct author_walk {
	const struct author_policy *p;
	struct author_finding *f;
	bool found;		/* f->addr holds the first one against it */
};

/* author_one - one mailbox or address: owned by the login, or ours? */
static void
author_one(void *arg, const struct addr *a)
{
	struct author_walk *w = arg;
	const struct author_policy *p = w->p;
	bool against;

	w->f->naddrs++;
	if (w->found)
		return;
	if (p->login != NULL)
		against = !owner_may_send_as(p->owners, p->opts, p->login, a);
	else
		against = p->is_ours != NULL && p->is_ours(p->ours_arg,
							    a->domain);
	if (against) {
		w->f->addr = *a;
		w->found = true;
	}
}

/* author_count - an address the lenient reader sees (only counted) */
static void
author_count(void *arg, const struct addr *a)
{
	size_t *n = arg;

	(void)a;
	(*n)++;
}

/* author_judge - one author field judged for the client (author.h) */
void
author_judge(const struct author_policy *p, const char *field,
	     const char *value, size_t len, struct author_finding *f)
{
	struct author_walk w = {p, f, false};
	struct err e;
	enum addr_status st;
	size_t shown = 0;

	memset(f, 0, sizeof(*f));
	st = addr_list_each(field, value, len, author_one, &w, &e);
	if (st == ADDR_OK) {
		f->result = !w.found ? AUTHOR_OK
			    : p->login != NULL ? AUTHOR_NOT_OWNED : AUTHOR_OURS;
		return;
	}
	/* no mailbox: nobody, unless the field shows an address anyway */
	if (st == ADDR_NONE &&
	    addrscan_field(value, len, author_count, &shown) == 0) {
		f->result = AUTHOR_NOBODY;
		return;
	}
	if (st == ADDR_NONE)
		(void)str_format(f->why, sizeof(f->why), "an address outside "
				 "a mailbox in %s", field);
	else
		(void)str_copy(f->why, sizeof(f->why), e.text); /* may cut */
	/* what the strict reader saw before it failed does not count */
	f->result = AUTHOR_UNREADABLE;
	memset(&f->addr, 0, sizeof(f->addr));
	f->naddrs = 0;
	if (p->login != NULL)
		return;
	/* an outside client: what a mail client would show */
	f->lenient = true;
	w.found = false;
	(void)addrscan_field(value, len, author_one, &w);
	if (w.found)
		f->result = AUTHOR_OURS;
}

/* author_result_name - for explain and logs */
const char *
author_result_name(enum author_result r)
{
	switch (r) {
	case AUTHOR_OK:
		return "ok";
	case AUTHOR_NOBODY:
		return "nobody";
	case AUTHOR_NOT_OWNED:
		return "not-owned";
	case AUTHOR_UNREADABLE:
		return "unreadable";
	case AUTHOR_OURS:
		return "ours";
	}
	return "?";
}
