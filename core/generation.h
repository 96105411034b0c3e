/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * generation - one loaded configuration generation: settings, key tables with
 * their keys, and the DKIM library set up for them.
 *
 * generation_load() builds everything or nothing, so a reload with a bad file
 * leaves the running generation untouched.  A generation is reference
 * counted: each milter connection holds one reference from connect to
 * close, so in-flight mail finishes with the configuration it started with
 * while new connections get the new one.  generation_ref()/generation_unref() are
 * thread-safe (atomic counter); the contents are read-only.
 */
#ifndef RG_GENERATION_H
#define RG_GENERATION_H

#include <stdatomic.h>
#include <sys/types.h>

#include "abuse.h"
#include "conf.h"
#include "dkimsign.h"
#include "err.h"
#include "keytable.h"
#include "owner.h"
#include "limit.h"

/* generation_load_flags(): what a front end leaves out.  The policy service
 * signs nothing: it reads no key file and sets up no DKIM library, so keys
 * and dkim stay NULL and a key problem cannot stop it. */
#define GENERATION_NO_SIGNING 0x1u

struct generation {
	atomic_uint refs;
	unsigned generation;
	struct conf *conf;
	struct keytable *keys;		/* NULL when no key_table is set */
	struct dkimsign_lib *dkim;	/* NULL with GENERATION_NO_SIGNING */
	struct owner_map *owners;	/* NULL when no sender_login_map */
	struct owner_opts owner_opts;
	uid_t user_uid;			/* (uid_t)-1 when no user is set */
	gid_t user_gid;
	struct limiter *limits;		/* NULL when limits = no */
	struct abuse *abuse;		/* NULL when abuse_control = no */
};

int generation_load(const char *path, struct generation **out, struct err *e);
int generation_load_flags(const char *path, unsigned flags, struct generation **out,
		      struct err *e);
int generation_group(const struct generation *cfg, const char *key,
		     gid_t *gid, struct err *e);
struct generation *generation_ref(struct generation *c);
void generation_unref(struct generation *c);

#endif
