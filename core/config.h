/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config - one loaded configuration generation: settings, key tables with
 * their keys, and the DKIM library set up for them.
 *
 * config_load() builds everything or nothing, so a reload with a bad file
 * leaves the running generation untouched.  A generation is reference
 * counted: each milter connection holds one reference from connect to
 * close, so in-flight mail finishes with the configuration it started with
 * while new connections get the new one.  config_ref()/config_unref() are
 * thread-safe (atomic counter); the contents are read-only.
 */
#ifndef RG_CONFIG_H
#define RG_CONFIG_H

#include <stdatomic.h>
#include <sys/types.h>

#include "abuse.h"
#include "conf.h"
#include "dkimsign.h"
#include "err.h"
#include "keytable.h"
#include "owner.h"
#include "limit.h"

/* config_load_flags(): what a front end leaves out.  The policy service
 * signs nothing: it reads no key file and sets up no DKIM library, so keys
 * and dkim stay NULL and a key problem cannot stop it. */
#define CONFIG_NO_SIGNING 0x1u

struct config {
	atomic_uint refs;
	unsigned generation;
	struct conf *conf;
	struct keytable *keys;		/* NULL when no key_table is set */
	struct dkimsign_lib *dkim;	/* NULL with CONFIG_NO_SIGNING */
	struct owner_map *owners;	/* NULL when no sender_login_map */
	struct owner_opts owner_opts;
	uid_t user_uid;			/* (uid_t)-1 when no user is set */
	gid_t user_gid;
	struct limiter *limits;		/* NULL when limits = no */
	struct abuse *abuse;		/* NULL when abuse_control = no */
};

int config_load(const char *path, struct config **out, struct err *e);
int config_load_flags(const char *path, unsigned flags, struct config **out,
		      struct err *e);
struct config *config_ref(struct config *c);
void config_unref(struct config *c);

#endif
