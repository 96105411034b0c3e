/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * odkmigrate - an OpenDKIM configuration turned into a relayguard.conf
 * ("relayguardctl migrate opendkim").
 *
 * What it writes signs what OpenDKIM signed, with the same keys and
 * tables: UserID becomes user, KeyTable and SigningTable (file: and
 * refile:) key_table and signing_table, Canonicalization, SignHeaders (with
 * OmitHeaders taken out), OversignHeaders, MultipleSignatures (absent: no,
 * OpenDKIM's default), RequireSafeKeys, On-SignatureError, SyslogFacility
 * and AuthservID their relayguard keys, InternalHosts (lists, files, refile
 * patterns of whole octets, host names resolved now, exclusions cut out)
 * internal_hosts.  An inet Socket is kept (Postfix needs no change); a
 * local one moves to relayguard's socket directory, since OpenDKIM's is not
 * relayguard's to write (both can run during the switch).  Mode v, the
 * verification settings and everything relayguard does not have are
 * listed, never silently dropped.  relayguard's own checks (sender login,
 * own domains, SPF) are turned off: nothing OpenDKIM let through is
 * refused until the admin turns them on.
 *
 * Every setting written is checked with relayguard's own parser (conf.h);
 * one it would refuse is written as a comment and listed.  So the text
 * always loads; users, groups and keys are checked by "relayguard -n".
 * Notes say, per OpenDKIM setting (with its FILE:LINE), what became of
 * it.  Files (Include, data sets, the KeyTable) are read and host names
 * resolved through the caller's functions.
 */
#ifndef RG_ODKMIGRATE_H
#define RG_ODKMIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "odkconf.h"
#include "strbuf.h"

enum odk_note_kind {
	ODK_NOTE_CHANGED,	/* carried over differently: read the text */
	ODK_NOTE_UNNEEDED,	/* relayguard does it anyway, or no effect */
	ODK_NOTE_VERIFY,	/* verification: relayguard signs only */
	ODK_NOTE_LOST,		/* not carried over */
};

struct odk_note {
	char *where;		/* "FILE:LINE", or "" */
	char *setting;		/* "Name value" as written, or "" */
	enum odk_note_kind kind;
	char *text;
};

/* the addresses of a host name, space-separated, into out; their number,
 * or -1 (no such name) */
typedef int odk_resolve_fn(void *ctx, const char *name, char *out,
			   size_t size);

struct odk_env {
	odk_read_fn *read;	/* NULL: no file is read */
	odk_resolve_fn *resolve;	/* NULL: no name is resolved */
	void *ctx;
};

struct odk_migration {
	struct strbuf conf;	/* relayguard.conf */
	struct odk_note *notes;
	size_t nnotes;
	bool signs;		/* tables (or a single key) carried over */
};

#define ODK_CONF_MAX (1UL << 20)

int odk_migrate(const char *text, size_t len, const char *file,
		const struct odk_env *env, struct odk_migration *m);
void odk_migration_free(struct odk_migration *m);
const char *odk_note_kind_name(enum odk_note_kind k);

#endif
