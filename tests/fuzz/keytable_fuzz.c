/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keytable_fuzz - libFuzzer target: OpenDKIM tables and the glob matcher.
 *
 * The first input byte picks what the rest is (low two bits, then bit 2):
 *   0  a SigningTable (file:, exact lookups)   } then, after the first NUL,
 *   1  a SigningTable (refile:, patterns)      } a From field body to look
 *   2  a KeyTable, with the SigningTable "* %" } up in the loaded tables
 *   3  bit 2 clear: keytable_glob_match() on "pattern NUL text", checked
 *      against a simple dynamic-programming matcher;
 *      bit 2 set: a From field body looked up in two tables loaded once
 *      at start-up (exact and refile), no files touched
 * For 0 and 1, bit 2 picks the fixed KeyTable: a refile: one whose single
 * pattern matches every key name, or a file: one with a few names.
 *
 * Speed: libcrypto 3.0 takes about half a millisecond to decode one PEM
 * key, and keytable_load() decodes every key it lists.  Key decoding is not
 * what is fuzzed here (the key files are fixed), so run.sh links this
 * target with -Wl,--wrap=PEM_read_bio_PrivateKey and the wrapper below
 * hands out the key decoded at start-up whenever the PEM text is that
 * key's; any other file still goes through OpenSSL.  One Ed25519
 * key is made at start-up (OpenSSL, no tools needed) in a private
 * temporary directory; keys are loaded with require_safe = no, so the
 * directory may live in /tmp.  Everything is removed at exit.
 */
#include "keytable.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
EVP_PKEY *__real_PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x,
					 pem_password_cb *cb, void *u);
EVP_PKEY *__wrap_PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x,
					 pem_password_cb *cb, void *u);

#define GLOB_MAX 256	/* longest pattern or text for the reference */

static char dir[256];
static char kt_glob[300];	/* refile: KeyTable, "* %:any:./ed.key" */
static char kt_file[300];	/* file: KeyTable with named keys */
static char st_fixed[300];	/* "* %": SigningTable for a fuzzed KeyTable */
static char in_path[300];	/* the fuzzed table */
static struct keytable *pre_exact;	/* loaded once, for mode 3 lookups */
static struct keytable *pre_glob;

static const char pre_exact_text[] =
	"user@mail.example.com k1 user@%\n"
	"mail.example.com k2\n"
	"user@.example.com k1\n"
	".example.com example.org @%\n"
	"user@* k2\n"
	"example.org %\n"
	"* k2 %@%\n";

static const char pre_glob_text[] =
	"*@mail.example.com k1\n"
	"user@* k2 user@%\n"
	"*@*.example.org example.org\n"
	"*@* %\n"
	"* k2\n";

static const char kt_file_text[] =
	"k1 example.com:s1:./ed.key\n"
	"k2 %:s2:./ed.key\n"
	"example.org example.org:s3:./ed.key\n";

static EVP_PKEY *key_pkey;	/* the start-up key, decoded once */
static char *key_pem;
static long key_pem_len;

/*
 * __wrap_PEM_read_bio_PrivateKey - the start-up key without decoding it
 * again; anything else (or before the key exists) is OpenSSL's business
 */
EVP_PKEY *
__wrap_PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb,
			       void *u)
{
	char *data;
	long len = BIO_get_mem_data(bp, &data);

	if (key_pkey != NULL && x == NULL && len == key_pem_len &&
	    memcmp(data, key_pem, (size_t)len) == 0 &&
	    EVP_PKEY_up_ref(key_pkey) == 1)
		return key_pkey;
	return __real_PEM_read_bio_PrivateKey(bp, x, cb, u);
}

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* write_file - replace path with len bytes; 0 done */
static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "w");
	int rc = 0;

	if (fp == NULL)
		return -1;
	if (len > 0 && fwrite(data, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* cleanup - remove the temporary directory at exit */
static void
cleanup(void)
{
	static const char *const names[] = {
		"ed.key", "KeyTable.glob", "KeyTable.file", "SigningTable",
		"input", "SigningTable.exact", "SigningTable.glob",
	};
	char p[320];
	size_t i;

	keytable_free(pre_exact);
	keytable_free(pre_glob);
	EVP_PKEY_free(key_pkey);
	free(key_pem);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

/* make_key - an Ed25519 private key in PEM at path, mode 600 */
static int
make_key(const char *path)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *fp;
	int ok;

	if (pk == NULL)
		return -1;
	fp = fopen(path, "w");
	if (fp == NULL) {
		EVP_PKEY_free(pk);
		return -1;
	}
	ok = PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
	if (fclose(fp) != 0 || !ok) {
		EVP_PKEY_free(pk);
		return -1;
	}
	/* keep the key and its PEM text for the wrapper above */
	fp = fopen(path, "r");
	if (fp == NULL) {
		EVP_PKEY_free(pk);
		return -1;
	}
	key_pem = calloc(1, 4096);
	key_pem_len = key_pem ? (long)fread(key_pem, 1, 4095, fp) : 0;
	(void)fclose(fp);
	if (key_pem_len <= 0) {
		EVP_PKEY_free(pk);
		return -1;
	}
	key_pkey = pk;
	return chmod(path, 0600);
}

/* LLVMFuzzerInitialize - key, fixed tables, one warm-up load */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct keytable_opts o = {false, (uid_t)-1, 1024};
	struct keytable *kt = NULL;
	struct err e;
	char p[320];
	char spec[320];
	char sspec[320];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/keytable_fuzz.XXXXXX",
		 tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("keytable_fuzz: mkdtemp");
		exit(1);
	}
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/ed.key", dir);
	snprintf(kt_glob, sizeof(kt_glob), "%s/KeyTable.glob", dir);
	snprintf(kt_file, sizeof(kt_file), "%s/KeyTable.file", dir);
	snprintf(st_fixed, sizeof(st_fixed), "%s/SigningTable", dir);
	snprintf(in_path, sizeof(in_path), "%s/input", dir);
	if (make_key(p) < 0 ||
	    write_file(kt_glob, "* %:any:./ed.key\n", 17) < 0 ||
	    write_file(kt_file, kt_file_text, sizeof(kt_file_text) - 1) < 0 ||
	    write_file(st_fixed, "* %\n", 4) < 0) {
		fprintf(stderr, "keytable_fuzz: cannot set up %s\n", dir);
		exit(1);
	}
	/* OpenSSL sets itself up on first use: do it before fuzzing, so
	 * the leak checker does not count it against an input. */
	snprintf(spec, sizeof(spec), "file:%s", kt_file);
	snprintf(sspec, sizeof(sspec), "file:%s", st_fixed);
	if (keytable_load(spec, sspec, &o, &kt, &e) < 0) {
		fprintf(stderr, "keytable_fuzz: warm-up: %s\n", e.text);
		exit(1);
	}
	keytable_free(kt);

	/* the tables mode 3 looks up in, loaded once */
	snprintf(p, sizeof(p), "%s/SigningTable.exact", dir);
	snprintf(sspec, sizeof(sspec), "file:%s", p);
	if (write_file(p, pre_exact_text, sizeof(pre_exact_text) - 1) < 0 ||
	    keytable_load(spec, sspec, &o, &pre_exact, &e) < 0) {
		fprintf(stderr, "keytable_fuzz: exact table: %s\n", e.text);
		exit(1);
	}
	snprintf(p, sizeof(p), "%s/SigningTable.glob", dir);
	snprintf(sspec, sizeof(sspec), "refile:%s", p);
	if (write_file(p, pre_glob_text, sizeof(pre_glob_text) - 1) < 0 ||
	    keytable_load(spec, sspec, &o, &pre_glob, &e) < 0) {
		fprintf(stderr, "keytable_fuzz: glob table: %s\n", e.text);
		exit(1);
	}
	return 0;
}

/* glob_ref - obviously right matcher: '*' any run, ASCII letters fold */
static int
glob_ref(const char *p, size_t pl, const char *t, size_t tl)
{
	/* m[j]: does p[0..i) match t[0..j)? one row at a time */
	unsigned char m[GLOB_MAX + 1];
	unsigned char n[GLOB_MAX + 1];
	size_t i;
	size_t j;

	memset(m, 0, sizeof(m));
	m[0] = 1;
	for (i = 0; i < pl; i++) {
		unsigned char pc = (unsigned char)p[i];

		memset(n, 0, sizeof(n));
		for (j = 0; j <= tl; j++) {
			if (pc == '*') {
				n[j] = m[j] || (j > 0 && n[j - 1]);
			} else if (j > 0) {
				unsigned char tc = (unsigned char)t[j - 1];
				int same = pc == tc;

				if (!same && pc < 0x80 && tc < 0x80 &&
				    (pc | 0x20) == (tc | 0x20) &&
				    (pc | 0x20) >= 'a' && (pc | 0x20) <= 'z')
					same = 1;
				n[j] = m[j - 1] && same;
			}
		}
		memcpy(m, n, sizeof(m));
	}
	return m[tl];
}

/* fuzz_glob - keytable_glob_match against the reference */
static void
fuzz_glob(const char *data, size_t size)
{
	char p[GLOB_MAX + 1];
	char t[GLOB_MAX + 1];
	const char *nul = memchr(data, '\0', size);
	size_t pl = nul != NULL ? (size_t)(nul - data) : size / 2;
	size_t tl = size - pl - (nul != NULL);

	if (pl > GLOB_MAX || tl > GLOB_MAX)
		return;
	memcpy(p, data, pl);
	p[pl] = '\0';
	memcpy(t, data + pl + (nul != NULL), tl);
	t[tl] = '\0';
	/* a NUL inside the text ends it, as for any C string */
	tl = strlen(t);
	check(keytable_glob_match(p, t) == glob_ref(p, pl, t, tl));
	check(keytable_glob_match(t, t));	/* literal text matches itself */
	check(keytable_glob_match("*", t));
}

/* lookup - keytable_lookup for one From, both ways, with invariants */
static void
lookup(const struct keytable *kt, const struct addr *from)
{
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	size_t n;
	size_t i;
	int multiple;

	for (multiple = 0; multiple <= 1; multiple++) {
		n = keytable_lookup(kt, from, multiple, reqs,
				    KEYTABLE_MAX_SIGS);
		check(n <= (multiple ? KEYTABLE_MAX_SIGS : 1));
		for (i = 0; i < n; i++) {
			check(reqs[i].key != NULL);
			check(reqs[i].key->pem != NULL);
			check(memchr(reqs[i].domain, '\0',
				     sizeof(reqs[i].domain)) != NULL);
			check(memchr(reqs[i].signer, '\0',
				     sizeof(reqs[i].signer)) != NULL);
			check(strchr(reqs[i].domain, '%') == NULL);
		}
	}
}

/* fuzz_tables - load tables built from the input, then look up */
static void
fuzz_tables(int mode, int named, const char *data, size_t size)
{
	static const char *const fixed_from[] = {
		"user@mail.example.com", "a@example.org", "x@EXAMPLE.com",
		"k1@k2",
	};
	struct keytable_opts o = {false, (uid_t)-1, 1024};
	struct keytable *kt = NULL;
	const char *nul = memchr(data, '\0', size);
	size_t tlen = nul != NULL ? (size_t)(nul - data) : size;
	char kspec[320];
	char sspec[320];
	struct addr a;
	struct err e;
	size_t i;

	if (write_file(in_path, data, tlen) < 0)
		abort();
	if (mode == 2) {
		snprintf(kspec, sizeof(kspec), "file:%s", in_path);
		snprintf(sspec, sizeof(sspec), "file:%s", st_fixed);
	} else {
		snprintf(kspec, sizeof(kspec), "%s%s", named ? "file:" :
			 "refile:", named ? kt_file : kt_glob);
		snprintf(sspec, sizeof(sspec), "%s%s",
			 mode == 1 ? "refile:" : "file:", in_path);
	}
	memset(&e, 0x5a, sizeof(e));
	if (keytable_load(kspec, sspec, &o, &kt, &e) < 0) {
		check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
		check(e.text[0] != '\0');
		if (getenv("KEYTABLE_FUZZ_DEBUG") != NULL)
			fprintf(stderr, "keytable_fuzz: %s\n", e.text);
		return;
	}
	if (getenv("KEYTABLE_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "keytable_fuzz: loaded %zu keys, %zu entries\n",
			keytable_key_count(kt), keytable_sign_count(kt));
	check(keytable_key_count(kt) > 0);
	for (i = 0; i < sizeof(fixed_from) / sizeof(fixed_from[0]); i++) {
		if (addr_from_header(fixed_from[i], strlen(fixed_from[i]), &a,
				     &e) == ADDR_OK)
			lookup(kt, &a);
	}
	if (nul != NULL && addr_from_header(nul + 1, size - tlen - 1, &a,
					    &e) == ADDR_OK)
		lookup(kt, &a);
	keytable_free(kt);
}

/* fuzz_lookup - a From field body against the preloaded tables */
static void
fuzz_lookup(const char *data, size_t size)
{
	struct addr a;
	struct err e;

	if (addr_from_header(data, size, &a, &e) != ADDR_OK)
		return;
	lookup(pre_exact, &a);
	lookup(pre_glob, &a);
}

/* LLVMFuzzerTestOneInput - dispatch on the first byte */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode;

	if (size == 0)
		return 0;
	mode = data[0] & 3;
	if (mode == 3 && (data[0] & 4))
		fuzz_lookup((const char *)data + 1, size - 1);
	else if (mode == 3)
		fuzz_glob((const char *)data + 1, size - 1);
	else
		fuzz_tables(mode, (data[0] >> 2) & 1, (const char *)data + 1,
			    size - 1);
	return 0;
}
