/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keytable - OpenDKIM KeyTable and SigningTable files, and the keys they
 * name.
 *
 * Supported subset (see conf/relayguard.conf.5):
 *   KeyTable      file:PATH, refile:PATH or PATH.  Lines
 *                 "NAME DOMAIN:SELECTOR:KEYFILE"; DOMAIN "%" means the From
 *                 domain; KEYFILE starts with "/", "./" or "../" (relative
 *                 names are taken from the table's directory).  Inline key
 *                 data is refused: keys live in files.
 *   SigningTable  file:PATH (exact keys, OpenDKIM's lookup order: user@host,
 *                 host, user@.parent..., .parent..., user@*, *) or
 *                 refile:PATH (patterns where only '*' is special, tried in
 *                 file order).  Lines "KEY KEYNAME [SIGNER]"; KEYNAME "%"
 *                 becomes the From domain; "%" in SIGNER too.
 *
 * keytable_load() reads both tables and every key file once, checks each key
 * with OpenSSL (RSA of at least min_bits, or Ed25519), and with
 * require_safe keeps OpenDKIM's RequireSafeKeys promise: the key file is
 * owned by root or the run-time user and nobody else may read or write it,
 * and no directory above it is writable by others.  The file is opened
 * once, walking the path with openat() and O_NOFOLLOW, and every check is
 * made on the open descriptors (fstat), so nothing can be swapped between
 * a check and the read; a symbolic link is followed only from a directory
 * that passed the check.  Keys stay in memory; a
 * later change of the files matters only after a reload.  Errors name
 * "FILE:LINE: what is wrong".
 *
 * A loaded table is read-only and may be shared between threads.
 */
#ifndef RG_KEYTABLE_H
#define RG_KEYTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "addr.h"
#include "err.h"

#define KEYTABLE_SELECTOR_MAX 63	/* one DNS label */

enum keytable_alg {
	KEYTABLE_ALG_RSA,
	KEYTABLE_ALG_ED25519,
};

struct keytable_key {
	char *name;		/* KeyTable key (name or pattern) */
	char *domain;		/* d= or "%" */
	char *selector;		/* s= */
	char *path;		/* absolute path of the key file */
	char *pem;		/* key file contents, NUL-terminated */
	size_t pem_len;
	enum keytable_alg alg;
	unsigned bits;
	EVP_PKEY *pkey;		/* parsed once; shared read-only */
	unsigned line;
};

/* One signature to make: filled by keytable_lookup(). */
struct keytable_req {
	const struct keytable_key *key;
	char domain[ADDR_DOMAIN_MAX + 1];
	char signer[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];	/* i=, or "" */
};

#define KEYTABLE_MAX_SIGS 8

struct keytable;

struct keytable_opts {
	bool require_safe;
	uid_t owner_uid;	/* may own keys besides root; -1: nobody */
	unsigned min_bits;
};

int keytable_load(const char *keyspec, const char *signspec,
		  const struct keytable_opts *o, struct keytable **out,
		  struct err *e);
void keytable_free(struct keytable *kt);
size_t keytable_key_count(const struct keytable *kt);
const struct keytable_key *keytable_key_at(const struct keytable *kt,
					   size_t i);
size_t keytable_sign_count(const struct keytable *kt);
size_t keytable_lookup(const struct keytable *kt, const struct addr *from,
		       bool multiple, struct keytable_req *reqs, size_t max);
int keytable_file_is_safe(const char *path, uid_t owner_uid, struct err *e);
bool keytable_glob_match(const char *pattern, const char *text);
bool keytable_names_domain(const struct keytable *kt, const char *domain);
const char *keytable_alg_name(enum keytable_alg alg);

#endif
