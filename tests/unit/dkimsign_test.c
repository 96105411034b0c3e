/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dkimsign_test - relayguard's own Ed25519 signer must hash exactly what
 * libopendkim hashes.  Every message is signed in one pass by an RSA key
 * (libopendkim) and an Ed25519 key (dkimcanon.c + OpenSSL); the body hash
 * bh= and the signed field list h= of the two signatures must be equal,
 * for both canonicalizations.  Then the body is cut into two chunks at
 * every position: our bh= must not change.  (libopendkim's does, in corner
 * cases: "a\r\nb" cut before "b" hashes without the CRLF RFC 6376 3.4.3
 * adds, and a CR at the end of a chunk is taken as a line end.  Postfix
 * sends CRLF-terminated lines, so this does not happen with it.)  (The Ed25519 signatures themselves are checked by python3-dkim
 * in tests/milter and tests/integration.)
 */
#include "dkimsign.h"

#include <string.h>

#include <openssl/evp.h>

#include "generation.h"
#include "rg_test.h"
#include "str.h"

static char dir[PATH_MAX];
static struct keytable *keys;

struct sig_pair {
	char rsa[8192];
	char ed[8192];
};

/* collect - dkimsign_sig_fn: keep each signature by algorithm */
static int
collect(void *arg, const struct keytable_req *req, const char *value)
{
	struct sig_pair *p = arg;
	char *dst = req->key->alg == KEYTABLE_ALG_ED25519 ? p->ed : p->rsa;

	return str_copy(dst, sizeof(p->rsa), value);
}

/* tag - the value of tag t in a signature, blanks removed */
static void
tag(const char *sig, const char *t, char *out, size_t size)
{
	char pat[16];
	const char *p;
	size_t o = 0;

	rg_pathf(pat, sizeof(pat), " %s=", t);
	p = strstr(sig, pat);
	if (p == NULL) {
		rg_pathf(pat, sizeof(pat), "\t%s=", t);
		p = strstr(sig, pat);
	}
	assert_non_null(p);
	for (p += strlen(pat); *p && *p != ';' && o + 1 < size; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			out[o++] = *p;
	out[o] = '\0';
}

/* sign_both - sign headers + body (cut at split) with both keys */
static void
sign_both(enum conf_canon hc, enum conf_canon bc, const char **hdrs,
	  const char *body, size_t blen, size_t split, struct sig_pair *out)
{
	struct conf *c = conf_defaults();
	struct dkimsign_lib *lib;
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	struct addr from;
	struct dkimsign *s;
	unsigned char *b = malloc(blen + 1);
	struct err e;
	size_t n;
	size_t i;

	assert_non_null(b);
	memcpy(b, body, blen);
	c->header_canon = hc;
	c->body_canon = bc;
	lib = dkimsign_lib_new(c, &e);
	assert_non_null(lib);
	strcpy(from.local, "a");
	strcpy(from.domain, "example.com");
	n = keytable_lookup(keys, &from, true, reqs, KEYTABLE_MAX_SIGS);
	assert_int_equal(n, 2);
	s = dkimsign_new(lib, "TESTQID", reqs, n, &e);
	assert_non_null(s);
	for (i = 0; hdrs[i] != NULL; i++) {
		char *f = strdup(hdrs[i]);

		assert_int_equal(dkimsign_header(s, f, strlen(f), &e), 0);
		free(f);
	}
	assert_int_equal(dkimsign_eoh(s, &e), 0);
	if (split > 0)
		assert_int_equal(dkimsign_body(s, b, split, &e), 0);
	if (blen > split)
		assert_int_equal(dkimsign_body(s, b + split, blen - split, &e),
				 0);
	memset(out, 0, sizeof(*out));
	if (dkimsign_finish(s, collect, out, &e) < 0)
		fail_msg("dkimsign_finish: %s", e.text);
	dkimsign_free(s);
	dkimsign_lib_free(lib);
	conf_free(c);
	free(b);
}

struct row {
	const char *name;
	const char *body;
	const char *relaxed;	/* when set: the relaxed canonical body,
				 * checked instead of libopendkim's bh= */
};

static const struct row rows[] = {
	{"plain_lines", "hello\r\nworld\r\n", NULL},
	{"empty_body", "", NULL},
	{"only_empty_lines", "\r\n\r\n\r\n", NULL},
	{"trailing_empty_lines_dropped", "a\r\n\r\n\r\n", NULL},
	{"inner_empty_lines_kept", "a\r\n\r\n\r\nb\r\n", NULL},
	{"no_final_line_end", "a\r\nb", NULL},
	{"blanks_inside_and_at_end", "a  \t b \t\r\n  lead\r\n \t \r\n", NULL},
	{"blank_line_before_text", "  \r\nabc\r\n\t\r\n x\r\n", NULL},
	/* Bare LF followed by CRLF: libopendkim's relaxed body hash drops
	 * the empty line between them (its simple one keeps it).  RFC 6376
	 * 3.4.4, with a bare LF or CR as a line end, keeps it, as our signer
	 * does.  Postfix passes CRLF lines only, so it never meets this. */
	{"bare_lf_and_bare_cr", "bare LF\nnext\r\nbare CR\rnext\r\nx\n\r\nend",
	 "bare LF\r\nnext\r\nbare CR\r\nnext\r\nx\r\n\r\nend\r\n"},
	{"bare_lf_on_its_own_line", "next\r\n\n\r\nend",
	 "next\r\n\r\n\r\nend\r\n"},
	{"nul_and_8bit", "nul\0byte \xc3\xa4\r\n", NULL},
	{"cr_at_the_very_end", "x\r", NULL},
};

static const char *hdrs[] = {
	"From: User <a@example.com>",
	"To: b@example.net,\r\n\tc@example.net",
	"Subject:   spaced    out   \t",
	"X-Unsigned: not in the list",
	"Received: from x",
	"To: second@example.net",
	"Date: Mon, 23 Nov 2026 10:00:00 +0000",
	NULL,
};

/* test_same_hashes - bh= and h= agree for every canon and chunking */
static void
test_same_hashes(void **state)
{
	const struct row *r = *state;
	size_t blen = strlen(r->body);
	static const enum conf_canon cn[2] = {CONF_CANON_SIMPLE,
					      CONF_CANON_RELAXED};
	struct sig_pair p;
	char a[512];
	char b[512];
	char ed0[512];
	size_t split;
	int hc;
	int bc;

	if (strcmp(r->name, "nul_and_8bit") == 0)
		blen = 13;	/* the row holds a NUL */
	for (hc = 0; hc < 2; hc++) {
		for (bc = 0; bc < 2; bc++) {
			for (split = 0; split <= blen; split++) {
				sign_both(cn[hc], cn[bc], hdrs, r->body, blen,
					  split, &p);
				tag(p.rsa, "bh", a, sizeof(a));
				tag(p.ed, "bh", b, sizeof(b));
				if (split == 0)
					strcpy(ed0, b);
				if (split == 0 && r->relaxed != NULL &&
				    bc == 1) {
					unsigned char h[32];
					char want[64];
					unsigned int hl = 0;

					assert_int_equal(EVP_Digest(r->relaxed,
						strlen(r->relaxed), h, &hl,
						EVP_sha256(), NULL), 1);
					EVP_EncodeBlock((unsigned char *)want,
							h, 32);
					strcpy(a, want);
				}
				if (split == 0 && strcmp(a, b) != 0)
					fail_msg("bh= differs, c=%d/%d: rsa %s "
						 "ed %s", hc, bc, a, b);
				if (strcmp(b, ed0) != 0)
					fail_msg("own bh= depends on the chunks"
						 ", c=%d/%d split %zu", hc, bc,
						 split);
				tag(p.rsa, "h", a, sizeof(a));
				tag(p.ed, "h", b, sizeof(b));
				if (strcasecmp(a, b) != 0)
					fail_msg("h= differs: rsa %s ed %s",
						 a, b);
				assert_true(rg_has(p.ed, "a=ed25519-sha256"));
			}
		}
	}
}

/* fixture_make - an RSA and an Ed25519 key for example.com */
static int
fixture_make(void **state)
{
	char cmd[PATH_MAX * 2 + 256];
	char kt[PATH_MAX];
	char st[PATH_MAX];
	char ks[PATH_MAX + 8];
	char ss[PATH_MAX + 8];
	struct keytable_opts o = {false, (uid_t)-1, 1024};
	struct err e;

	(void)state;
	if (rg_tmpdir_make("dkimsign", dir, sizeof(dir)) < 0)
		return -1;
	rg_pathf(cmd, sizeof(cmd),
		 "(openssl genpkey -algorithm ed25519 -out %s/ed.key && "
		 "openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024"
		 " -out %s/rsa.key) </dev/null 2>/dev/null", dir, dir);
	if (system(cmd) != 0)
		return -1;
	rg_pathf(kt, sizeof(kt), "%s/KeyTable", dir);
	rg_pathf(st, sizeof(st), "%s/SigningTable", dir);
	if (rg_write_file(kt, "rsa example.com:rsa:./rsa.key\n"
			      "ed example.com:ed:./ed.key\n", 0600) < 0 ||
	    rg_write_file(st, "*@example.com rsa\n*@example.com ed\n",
			  0600) < 0)
		return -1;
	rg_pathf(ks, sizeof(ks), "file:%s", kt);
	rg_pathf(ss, sizeof(ss), "refile:%s", st);
	if (keytable_load(ks, ss, &o, &keys, &e) < 0) {
		fprintf(stderr, "dkimsign_test: %s\n", e.text);
		return -1;
	}
	return 0;
}

/* fixture_free - keys and directory */
static int
fixture_free(void **state)
{
	(void)state;
	keytable_free(keys);
	rg_tmpdir_remove(dir);
	return 0;
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_same_hashes);
	return rg_cases_run(&c, "dkimsign", fixture_make, fixture_free);
}
