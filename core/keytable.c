/* SPDX-License-Identifier: BSD-2-Clause */
#include "keytable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "str.h"
#include "xalloc.h"

#define KEYTABLE_LINE_MAX 4096
#define KEYTABLE_KEYFILE_MAX (64 * 1024)

struct keytable_sign {
	char *pattern;		/* lookup key or glob */
	char *keyname;		/* KeyTable name or "%" */
	char *signer;		/* i= template or NULL */
	unsigned line;
};

struct keytable {
	struct keytable_key *keys;
	size_t nkeys;
	bool keys_glob;		/* KeyTable given as refile: */
	struct keytable_sign *signs;
	size_t nsigns;
	bool signs_glob;	/* SigningTable given as refile: */
};

/* keytable_alg_name - "rsa" or "ed25519" */
const char *
keytable_alg_name(enum keytable_alg alg)
{
	return alg == KEYTABLE_ALG_ED25519 ? "ed25519" : "rsa";
}

/* keytable_glob_match - '*' matches any run of bytes; ASCII case ignored */
bool
keytable_glob_match(const char *p, const char *t)
{
	const char *star_p = NULL;
	const char *star_t = NULL;

	while (*t) {
		if (*p == '*') {
			star_p = ++p;
			star_t = t;
		} else if (*p && (*p == *t || ((*p | 0x20) == (*t | 0x20) &&
					      (*p | 0x20) >= 'a' &&
					      (*p | 0x20) <= 'z'))) {
			p++;
			t++;
		} else if (star_p) {
			p = star_p;
			t = ++star_t;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* keytable_spec - split "file:PATH" / "refile:PATH" / "PATH" */
static int
keytable_spec(const char *spec, const char *what, const char **path,
	      bool *glob, struct err *e)
{
	*glob = false;
	if (strncmp(spec, "file:", 5) == 0) {
		*path = spec + 5;
	} else if (strncmp(spec, "refile:", 7) == 0) {
		*path = spec + 7;
		*glob = true;
	} else if (spec[0] == '/') {
		*path = spec;
	} else {
		err_set(e, "%s: \"%s\": only file:PATH and refile:PATH tables "
			   "are supported (example: refile:/etc/relayguard/"
			   "SigningTable)", what, spec);
		return -1;
	}
	if ((*path)[0] != '/') {
		err_set(e, "%s: \"%s\" is not an absolute path", what, spec);
		return -1;
	}
	return 0;
}

/* keytable_owner_ok - owned by root, the relayguard user or us? */
static bool
keytable_owner_ok(const struct stat *st, uid_t owner_uid)
{
	return st->st_uid == 0 || st->st_uid == owner_uid ||
	       st->st_uid == geteuid();
}

/* keytable_dir_check - one directory on a key's way, by its descriptor:
 * whoever can write it can replace what it holds (the sticky bit does not
 * count, as with OpenDKIM) */
static int
keytable_dir_check(int dfd, const char *key, const char *dir,
		   uid_t owner_uid, struct err *e)
{
	struct stat st;

	if (fstat(dfd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "%s: %s: not a directory", key, dir);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
		err_set(e, "%s: directory %s can be written by other users, so "
			   "the key could be replaced", key, dir);
		return -1;
	}
	if (!keytable_owner_ok(&st, owner_uid)) {
		err_set(e, "%s: directory %s is owned by uid %lu", key, dir,
			(unsigned long)st.st_uid);
		return -1;
	}
	return 0;
}

/* keytable_file_check - the opened key file itself, by its descriptor */
static int
keytable_file_check(int fd, const char *path, uid_t owner_uid,
		    struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s: not a regular file", path);
		return -1;
	}
	if (!keytable_owner_ok(&st, owner_uid)) {
		err_set(e, "%s: owned by uid %lu, not by root or the "
			   "relayguard user", path, (unsigned long)st.st_uid);
		return -1;
	}
	if (st.st_mode & 077) {
		err_set(e, "%s: mode %04o lets group or others read or write "
			   "the key (fix: chmod 600 %s)", path,
			(unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* keytable_dir_enter - dir is now dir/name (or its parent for "..") */
static int
keytable_dir_enter(char *dir, size_t size, const char *name, size_t len)
{
	size_t dl = strlen(dir);
	char *slash;

	if (len == 2 && name[0] == '.' && name[1] == '.') {
		slash = strrchr(dir, '/');
		if (slash != NULL)
			slash[slash == dir ? 1 : 0] = '\0';
		return 0;
	}
	if (dl + len + 2 > size)
		return -1;
	if (dl > 1)
		dir[dl++] = '/';
	memcpy(dir + dl, name, len);
	dir[dl + len] = '\0';
	return 0;
}

/*
 * keytable_open_safe - open a key file under RequireSafeKeys, once.
 *
 * The path is walked from "/" one name at a time with openat() and
 * O_NOFOLLOW, and every directory is checked by its descriptor before
 * anything in it is used; the key file is opened the same way and its
 * owner and mode are read from the open descriptor (fstat).  What is
 * checked is therefore what is read: nobody can swap a file or a
 * directory between a check and the open.  A symbolic link is followed
 * only when it lies in a directory that passed the check, so nobody but
 * root or us can have placed it or can change it; one in a directory that
 * others may write is refused.  Its target is walked by the same rules.
 * Returns the descriptor of the key file, or -1 with e naming the path.
 */
static int
keytable_open_safe(const char *path, uid_t owner_uid, struct err *e)
{
	char todo[2 * PATH_MAX + 2];
	char link[PATH_MAX];
	char dir[PATH_MAX];
	const char *p;
	int links = 0;
	int dfd = -1;
	int fd = -1;

	if (path[0] != '/' || str_copy(todo, sizeof(todo), path) < 0) {
		err_set(e, "%s: not an absolute path", path);
		return -1;
	}
restart:
	if (dfd >= 0)
		(void)close(dfd);
	(void)str_copy(dir, sizeof(dir), "/");	/* fits */
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || keytable_dir_check(dfd, path, dir, owner_uid, e) < 0)
		goto fail;
	p = todo;
	for (;;) {
		char name[NAME_MAX + 1];
		size_t len;
		bool last;
		int nfd;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0 || len > NAME_MAX) {
			err_set(e, "%s: not a regular file", path);
			goto fail;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		while (*p == '/')
			p++;
		last = *p == '\0';
		if (strcmp(name, ".") == 0 && !last)
			continue;
		nfd = openat(dfd, name, last ? O_RDONLY | O_NOFOLLOW |
						       O_NONBLOCK | O_NOCTTY |
						       O_CLOEXEC
					    : O_PATH | O_DIRECTORY |
						       O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			/* a symbolic link, in a directory that passed the
			 * check: follow it, by the same rules */
			char rest[PATH_MAX + 1];
			ssize_t n = readlinkat(dfd, name, link,
					       sizeof(link) - 1);

			if (n <= 0) {
				err_set(e, "%s: %s/%s: not a directory", path,
					strcmp(dir, "/") == 0 ? "" : dir, name);
				goto fail;
			}
			link[n] = '\0';
			if (++links > 40) {
				err_set(e, "%s: too many symbolic links", path);
				goto fail;
			}
			if (str_copy(rest, sizeof(rest), p) < 0 ||
			    str_format(todo, sizeof(todo), "%s/%s", link,
				       rest) < 0) {
				err_set(e, "%s: path too long", path);
				goto fail;
			}
			p = todo;
			if (link[0] == '/')
				goto restart;
			continue;
		}
		if (nfd < 0) {
			err_set(e, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (last) {
			fd = nfd;
			break;
		}
		(void)close(dfd);
		dfd = nfd;
		if (keytable_dir_enter(dir, sizeof(dir), name, len) < 0) {
			err_set(e, "%s: path too long", path);
			goto fail;
		}
		if (keytable_dir_check(dfd, path, dir, owner_uid, e) < 0) {
			/* name the symbolic link such a directory holds */
			struct stat st;

			len = strcspn(p, "/");
			if (len > 0 && len <= NAME_MAX) {
				memcpy(name, p, len);
				name[len] = '\0';
				if (fstatat(dfd, name, &st,
					    AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode))
					err_set(e, "%s: symbolic link %s/%s "
						   "is in directory %s, which "
						   "other users can change",
						path, dir, name, dir);
			}
			goto fail;
		}
	}
	(void)close(dfd);
	if (keytable_file_check(fd, path, owner_uid, e) < 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
fail:
	if (dfd >= 0)
		(void)close(dfd);
	return -1;
}

/* keytable_file_is_safe - RequireSafeKeys: only root or us may get at it
 * (keytable_open_safe() without keeping the descriptor) */
int
keytable_file_is_safe(const char *path, uid_t owner_uid, struct err *e)
{
	int fd = keytable_open_safe(path, owner_uid, e);

	if (fd < 0)
		return -1;
	(void)close(fd);	/* read-only */
	return 0;
}

/* keytable_no_passphrase - never prompt for a key passphrase */
static int
keytable_no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0;
}

/* keytable_check_key - parse the PEM with OpenSSL: type and size */
static int
keytable_check_key(struct keytable_key *k, unsigned min_bits, struct err *e)
{
	BIO *bio = BIO_new_mem_buf(k->pem, (int)k->pem_len);
	EVP_PKEY *pk = NULL;
	int rc = -1;

	if (bio == NULL) {
		err_set(e, "%s: out of memory", k->path);
		return -1;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, keytable_no_passphrase, NULL);
	if (pk == NULL) {
		err_set(e, "%s: not a PEM private key (unencrypted RSA or "
			   "Ed25519, e.g. from opendkim-genkey or "
			   "openssl genpkey -algorithm ed25519)", k->path);
		goto out;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		k->alg = KEYTABLE_ALG_RSA;
		k->bits = (unsigned)EVP_PKEY_get_bits(pk);
		if (k->bits < min_bits) {
			err_set(e, "%s: RSA key of %u bits is below "
				   "min_key_bits %u (use 2048)", k->path,
				k->bits, min_bits);
			goto out;
		}
		break;
	case EVP_PKEY_ED25519:
		k->alg = KEYTABLE_ALG_ED25519;
		k->bits = 256;
		break;
	default:
		err_set(e, "%s: key type is neither RSA nor Ed25519", k->path);
		goto out;
	}
	k->pkey = pk;
	pk = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return rc;
}

/* keytable_read_key - load one key file into memory */
static int
keytable_read_key(struct keytable_key *k, const struct keytable_opts *o,
		  struct err *e)
{
	struct stat st;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO in place of a key must not hang startup.  With
	 * require_safe the file is checked on the descriptor it is read
	 * from (keytable_open_safe) */
	if (o->require_safe) {
		fd = keytable_open_safe(k->path, o->owner_uid, e);
		if (fd < 0)
			return -1;
	} else {
		fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
					   O_NONBLOCK);
		if (fd < 0) {
			err_set(e, "%s: %s", k->path, strerror(errno));
			return -1;
		}
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > KEYTABLE_KEYFILE_MAX) {
		err_set(e, "%s: empty, not a regular file, or larger than "
			   "%d bytes", k->path, KEYTABLE_KEYFILE_MAX);
		(void)close(fd);
		return -1;
	}
	k->pem = xmalloc((size_t)st.st_size + 1);
	n = read(fd, k->pem, (size_t)st.st_size);
	(void)close(fd);	/* read-only: nothing to flush */
	if (n != st.st_size) {
		err_set(e, "%s: short read", k->path);
		return -1;
	}
	k->pem[n] = '\0';
	k->pem_len = (size_t)n;
	return keytable_check_key(k, o->min_bits, e);
}

/* keytable_words - split a table line into up to max words */
static size_t
keytable_words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	/* '#' at a word start begins a comment */
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
		       *p != '\n')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

typedef int keytable_line_fn(struct keytable *kt, char **w, size_t n,
			     const char *file, unsigned line,
			     const struct keytable_opts *o, struct err *e);

/* keytable_read - feed every line of a table file to fn */
static int
keytable_read(struct keytable *kt, const char *path, keytable_line_fn *fn,
	      const struct keytable_opts *o, struct err *e)
{
	char buf[KEYTABLE_LINE_MAX];
	unsigned line = 0;
	char *w[4];
	FILE *fp;
	int rc = -1;

	fp = fopen(path, "r");
	if (fp == NULL) {
		err_set(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		size_t n;

		line++;
		if (strlen(buf) == sizeof(buf) - 1 &&
		    buf[sizeof(buf) - 2] != '\n') {
			err_set(e, "%s:%u: line too long", path, line);
			goto out;
		}
		n = keytable_words(buf, w, 3);
		if (n == 0)
			continue;
		if (fn(kt, w, n, path, line, o, e) < 0)
			goto out;
	}
	if (ferror(fp)) {
		err_set(e, "%s: read error", path);
		goto out;
	}
	rc = 0;
out:
	(void)fclose(fp);	/* read-only stream */
	return rc;
}

/* keytable_key_line - "NAME DOMAIN:SELECTOR:KEYFILE" */
static int
keytable_key_line(struct keytable *kt, char **w, size_t n, const char *file,
		  unsigned line, const struct keytable_opts *o, struct err *e)
{
	struct keytable_key *k;
	char *sel;
	char *kf;
	char full[PATH_MAX];
	struct err ke;

	if (n != 2) {
		err_set(e, "%s:%u: expected \"NAME DOMAIN:SELECTOR:KEYFILE\" "
			   "(example: rsa._domainkey.example.com "
			   "example.com:rsa:/etc/relayguard/keys/rsa.private)",
			file, line);
		return -1;
	}
	sel = strchr(w[1], ':');
	kf = sel ? strchr(sel + 1, ':') : NULL;
	if (sel == NULL || kf == NULL || sel == w[1] || kf == sel + 1 ||
	    kf[1] == '\0') {
		err_set(e, "%s:%u: \"%s\" is not DOMAIN:SELECTOR:KEYFILE "
			   "(example: example.com:rsa:/etc/relayguard/keys/"
			   "rsa.private)", file, line, w[1]);
		return -1;
	}
	*sel++ = '\0';
	*kf++ = '\0';
	if (strcmp(w[1], "%") != 0 && !addr_domain_is_valid(w[1])) {
		err_set(e, "%s:%u: \"%s\" is not a domain name", file, line,
			w[1]);
		return -1;
	}
	if (strlen(sel) > KEYTABLE_SELECTOR_MAX ||
	    !addr_domain_is_valid(sel)) {
		err_set(e, "%s:%u: \"%s\" is not a selector (DNS labels, "
			   "example: rsa2026)", file, line, sel);
		return -1;
	}
	if (kf[0] == '/') {
		if (str_copy(full, sizeof(full), kf) < 0)
			goto toolong;
	} else if (strncmp(kf, "./", 2) == 0 || strncmp(kf, "../", 3) == 0) {
		const char *slash = strrchr(file, '/');
		int dl = (int)(slash - file);

		if (str_format(full, sizeof(full), "%.*s/%s", dl, file, kf) <
		    0)
			goto toolong;
	} else {
		err_set(e, "%s:%u: inline key data is not supported: put the "
			   "key in a file and name it (/path, ./path or "
			   "../path)", file, line);
		return -1;
	}
	kt->keys = xreallocarray(kt->keys, kt->nkeys + 1, sizeof(*kt->keys));
	k = &kt->keys[kt->nkeys++];
	memset(k, 0, sizeof(*k));
	k->name = xstrdup(w[0]);
	k->domain = xstrdup(w[1]);
	str_lower(k->domain);
	k->selector = xstrdup(sel);
	k->path = xstrdup(full);
	k->line = line;
	if (keytable_read_key(k, o, &ke) < 0) {
		err_set(e, "%s:%u: %s", file, line, ke.text);
		return -1;
	}
	return 0;
toolong:
	err_set(e, "%s:%u: key file name too long", file, line);
	return -1;
}

/* keytable_find_key - the KeyTable entry for a key name */
static const struct keytable_key *
keytable_find_key(const struct keytable *kt, const char *name)
{
	size_t i;

	for (i = 0; i < kt->nkeys; i++) {
		if (kt->keys_glob ? keytable_glob_match(kt->keys[i].name, name)
				  : strcasecmp(kt->keys[i].name, name) == 0)
			return &kt->keys[i];
	}
	return NULL;
}

/* keytable_sign_line - "PATTERN KEYNAME [SIGNER]" */
static int
keytable_sign_line(struct keytable *kt, char **w, size_t n, const char *file,
		   unsigned line, const struct keytable_opts *o,
		   struct err *e)
{
	struct keytable_sign *s;

	(void)o;
	if (n < 2 || n > 3) {
		err_set(e, "%s:%u: expected \"ADDRESS-PATTERN KEYNAME "
			   "[SIGNER]\" (example: *@example.com "
			   "rsa._domainkey.example.com)", file, line);
		return -1;
	}
	if (strcmp(w[1], "%") != 0 && keytable_find_key(kt, w[1]) == NULL) {
		err_set(e, "%s:%u: key name \"%s\" is not in the KeyTable",
			file, line, w[1]);
		return -1;
	}
	kt->signs = xreallocarray(kt->signs, kt->nsigns + 1,
				  sizeof(*kt->signs));
	s = &kt->signs[kt->nsigns++];
	s->pattern = xstrdup(w[0]);
	s->keyname = xstrdup(w[1]);
	s->signer = n == 3 ? xstrdup(w[2]) : NULL;
	s->line = line;
	return 0;
}

/* keytable_load - read both tables and every key */
int
keytable_load(const char *keyspec, const char *signspec,
	      const struct keytable_opts *o, struct keytable **out,
	      struct err *e)
{
	struct keytable *kt = xcalloc(1, sizeof(*kt));
	const char *kpath;
	const char *spath;

	if (keytable_spec(keyspec, "key_table", &kpath, &kt->keys_glob, e) <
		    0 ||
	    keytable_spec(signspec, "signing_table", &spath, &kt->signs_glob,
			  e) < 0)
		goto fail;
	if (keytable_read(kt, kpath, keytable_key_line, o, e) < 0 ||
	    keytable_read(kt, spath, keytable_sign_line, o, e) < 0)
		goto fail;
	if (kt->nkeys == 0) {
		err_set(e, "%s: no keys in the KeyTable", kpath);
		goto fail;
	}
	*out = kt;
	return 0;
fail:
	keytable_free(kt);
	return -1;
}

/* keytable_free - release tables and keys; the key text is wiped */
void
keytable_free(struct keytable *kt)
{
	size_t i;

	if (kt == NULL)
		return;
	for (i = 0; i < kt->nkeys; i++) {
		struct keytable_key *k = &kt->keys[i];

		if (k->pem != NULL)
			explicit_bzero(k->pem, k->pem_len);
		EVP_PKEY_free(k->pkey);
		free(k->pem);
		free(k->name);
		free(k->domain);
		free(k->selector);
		free(k->path);
	}
	for (i = 0; i < kt->nsigns; i++) {
		free(kt->signs[i].pattern);
		free(kt->signs[i].keyname);
		free(kt->signs[i].signer);
	}
	free(kt->keys);
	free(kt->signs);
	free(kt);
}

/* keytable_key_count - keys loaded */
size_t
keytable_key_count(const struct keytable *kt)
{
	return kt->nkeys;
}

/* keytable_key_at - the i-th key in KeyTable order (relayguardctl) */
const struct keytable_key *
keytable_key_at(const struct keytable *kt, size_t i)
{
	return i < kt->nkeys ? &kt->keys[i] : NULL;
}

/* keytable_sign_count - SigningTable entries */
size_t
keytable_sign_count(const struct keytable *kt)
{
	return kt->nsigns;
}

/* keytable_percent - replace each "%" in tmpl by domain */
static int
keytable_percent(char *dst, size_t size, const char *tmpl, const char *domain)
{
	size_t o = 0;
	size_t dl = strlen(domain);

	for (; *tmpl; tmpl++) {
		if (*tmpl == '%') {
			if (o + dl >= size)
				return -1;
			memcpy(dst + o, domain, dl);
			o += dl;
		} else {
			if (o + 1 >= size)
				return -1;
			dst[o++] = *tmpl;
		}
	}
	dst[o] = '\0';
	return 0;
}

/* keytable_add_req - turn a SigningTable entry into a request */
static size_t
keytable_add_req(const struct keytable *kt, const struct keytable_sign *s,
		 const struct addr *from, struct keytable_req *reqs,
		 size_t n, size_t max)
{
	const struct keytable_key *k;
	char name[ADDR_DOMAIN_MAX + 64];
	struct keytable_req *r;
	size_t i;

	if (n >= max)
		return n;
	if (keytable_percent(name, sizeof(name), s->keyname, from->domain) <
	    0)
		return n;
	k = keytable_find_key(kt, name);
	if (k == NULL)
		return n;
	r = &reqs[n];
	memset(r, 0, sizeof(*r));
	r->key = k;
	if (keytable_percent(r->domain, sizeof(r->domain), k->domain,
			     from->domain) < 0)
		return n;
	for (i = 0; i < n; i++)	/* the same key and domain only once */
		if (reqs[i].key == k &&
		    strcmp(reqs[i].domain, r->domain) == 0)
			return n;
	if (s->signer != NULL &&
	    keytable_percent(r->signer, sizeof(r->signer), s->signer,
			     from->domain) < 0)
		r->signer[0] = '\0';
	return n + 1;
}

/* keytable_lookup - the signatures a From address asks for */
size_t
keytable_lookup(const struct keytable *kt, const struct addr *from,
		bool multiple, struct keytable_req *reqs, size_t max)
{
	char full[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 4];
	char probe[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 4];
	const char *d;
	size_t n = 0;
	size_t i;
	int step;

	if (str_format(full, sizeof(full), "%s@%s", from->local,
		       from->domain) < 0)
		return 0;
	if (kt->signs_glob) {
		for (i = 0; i < kt->nsigns; i++) {
			if (!keytable_glob_match(kt->signs[i].pattern, full))
				continue;
			n = keytable_add_req(kt, &kt->signs[i], from, reqs, n,
					     max);
			if (n > 0 && !multiple)
				return n;
		}
		return n;
	}

	/*
	 * OpenDKIM's order for exact tables: user@host, host, then
	 * user@.parent for each parent domain, .parent for each, user@*, *.
	 */
	for (step = 0; step < 6; step++) {
		d = strchr(from->domain, '.');
		do {
			int rc = 0;

			switch (step) {
			case 0:
				rc = str_copy(probe, sizeof(probe), full);
				break;
			case 1:
				rc = str_copy(probe, sizeof(probe),
					      from->domain);
				break;
			case 2:
				if (d == NULL)
					goto next_step;
				rc = str_format(probe, sizeof(probe), "%s@%s",
						from->local, d);
				break;
			case 3:
				if (d == NULL)
					goto next_step;
				rc = str_copy(probe, sizeof(probe), d);
				break;
			case 4:
				rc = str_format(probe, sizeof(probe), "%s@*",
						from->local);
				break;
			default:
				rc = str_copy(probe, sizeof(probe), "*");
				break;
			}
			if (rc < 0)
				goto next_step;
			for (i = 0; i < kt->nsigns; i++) {
				if (strcasecmp(kt->signs[i].pattern, probe) !=
				    0)
					continue;
				n = keytable_add_req(kt, &kt->signs[i], from,
						     reqs, n, max);
				if (n > 0 && !multiple)
					return n;
			}
			if (step == 2 || step == 3)
				d = strchr(d + 1, '.');
		} while ((step == 2 || step == 3) && d != NULL);
next_step:;
	}
	return n;
}

/* keytable_pattern_names - does one SigningTable key name this domain
 * explicitly?  "user@example.com", "example.com", "*@example.com" and,
 * for subdomains, ".example.com" or "*.example.com" do; catch-alls such
 * as "*" or "*@*" name no domain. */
static bool
keytable_pattern_names(const char *pat, const char *domain)
{
	const char *at = strrchr(pat, '@');
	const char *d = at ? at + 1 : pat;
	size_t dl = strlen(domain);
	size_t sl;

	if (*d == '*' && d[1] == '.')
		d++;		/* "*.example.com": subdomains */
	if (*d == '\0' || strchr(d, '*') != NULL)
		return false;
	if (*d != '.')
		return strcasecmp(d, domain) == 0;
	sl = strlen(d);		/* ".example.com" */
	return dl > sl && strcasecmp(domain + dl - sl, d) == 0;
}

/* keytable_names_domain - is the domain one of ours by the SigningTable?
 * (own_domains defaults to these) */
bool
keytable_names_domain(const struct keytable *kt, const char *domain)
{
	size_t i;

	if (kt == NULL)
		return false;
	for (i = 0; i < kt->nsigns; i++)
		if (keytable_pattern_names(kt->signs[i].pattern, domain))
			return true;
	return false;
}
