/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * odkconf - OpenDKIM's configuration file (opendkim.conf(5)) and the data
 * sets it names, read the way OpenDKIM 2.11 reads them.
 *
 * The file: one setting per line, "Name value"; the name is the first word
 * and matches without regard to case; the value is the rest of the line,
 * trimmed; '#' anywhere ends the line, and so does a CR; "Include PATH"
 * reads another file in its place (at most 5 levels deep).  When a name
 * comes twice the last one counts.  Booleans look at the first byte only:
 * t, y, 1 for true, f, n, 0 for false.
 *
 * Data sets (opendkim(8)): "file:PATH" or a bare "/PATH" (a flat file, one
 * entry per line, '#' comments, the first word of a line is the entry),
 * "refile:PATH" (the same with '*' patterns), "csl:LIST" or anything
 * without a known prefix (a comma-separated list); "db:", "dsn:", "ldap:",
 * "lua:", "memcache:", "mdb:", "erlang:" and names ending ".db" are
 * databases, which odkconf does not read.
 *
 * Networks (InternalHosts, PeerList): addresses, CIDR blocks, "[addr]",
 * IPv4-mapped IPv6, "!" for an exclusion, where the most precise entry
 * wins; odk_nets_* turns such a list into the plain list of networks it
 * means.  Files are read through a caller's function, so the module does
 * no I/O of its own and can be tested and fuzzed on text.  Not thread-safe
 * per object; no global state.
 */
#ifndef RG_ODKCONF_H
#define RG_ODKCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "strbuf.h"

#define ODK_INCLUDE_DEPTH 5	/* OpenDKIM's MAXLEVEL */
#define ODK_FILE_MAX (4UL << 20)	/* a configuration or data set file */

/* reads a whole file into out (odkconf never opens a file itself) */
typedef int odk_read_fn(void *ctx, const char *path, struct strbuf *out,
			struct err *e);

/* One "Name value" line. */
struct odk_item {
	char *name;		/* as written */
	char *value;		/* trimmed; "" when the line had none */
	char *where;		/* "FILE:LINE" */
};

struct odk_conf {
	struct odk_item *items;	/* in file order, Include expanded */
	size_t count;
	size_t cap;
	char **problems;	/* "FILE:LINE: text": Include that failed... */
	size_t nproblems;
};

void odk_conf_init(struct odk_conf *c);
void odk_conf_free(struct odk_conf *c);
int odk_conf_parse(struct odk_conf *c, const char *text, size_t len,
		   const char *file, odk_read_fn *rd, void *ctx);
const struct odk_item *odk_conf_last(const struct odk_conf *c,
				     const char *name);
int odk_bool(const char *v);

/* Data sets */
enum odk_ds_kind {
	ODK_DS_FILE,
	ODK_DS_REFILE,
	ODK_DS_LIST,
	ODK_DS_DATABASE,
};

enum odk_ds_kind odk_dataset(const char *v, const char **rest);

struct odk_entry {
	char *text;		/* the entry (first word of a file line) */
	char *where;		/* "FILE:LINE", or the setting's place */
};

struct odk_entries {
	struct odk_entry *v;
	size_t count;
};

int odk_dataset_entries(const char *value, const char *where,
			odk_read_fn *rd, void *ctx, struct odk_entries *out,
			struct err *e);
void odk_entries_free(struct odk_entries *l);

/* Socket: OpenDKIM's "local:PATH", "inet:PORT[@HOST]", "inet6:PORT[@HOST]"
 * (HOST a name or a bracketed address).  Parsed into its parts; the caller
 * decides what relayguard listens on. */
struct odk_socket {
	bool is_unix;
	bool inet6;
	char path[108];
	unsigned port;
	char host[256];		/* "" when OpenDKIM listened on every address;
				 * brackets removed */
};

int odk_socket_parse(const char *v, struct odk_socket *s, struct err *e);

/* Networks */
struct odk_net {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned plen;
};

struct odk_nets {
	struct odk_net *v;	/* disjoint, after odk_nets_resolve */
	size_t count;
	size_t cap;
};

int odk_net_parse(const char *text, struct odk_net *n, bool *exclude);
int odk_net_pattern(const char *pattern, struct odk_net *n);
void odk_nets_free(struct odk_nets *s);
void odk_nets_apply(struct odk_nets *s, const struct odk_net *nets,
		    const bool *exclude, size_t count);
void odk_net_format(const struct odk_net *n, char *out, size_t size);

#endif
