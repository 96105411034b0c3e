/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keytable_test - OpenDKIM KeyTable and SigningTable files: lookup order,
 * multiple signatures, "%", error texts with FILE:LINE, key checks (type,
 * size, passphrase) and the RequireSafeKeys file checks.
 *
 * Keys are made once per run with "openssl genpkey" in a fresh directory
 * below RG_SAFE_TMPDIR (or build/tests/tmp): keys below a directory that
 * others can write, such as /tmp, are refused by design, so the cases that
 * need require_safe = yes fail, with a hint, when that base is unsafe.
 *
 * Symbolic links and the race: the program is linked with open64,
 * openat64 and __openat64_2 wrapped (Makefile), so a case can swap a key
 * file for a symbolic link at the very moment relayguard opens it.
 */
#include "keytable.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "rg_test.h"
#include "strbuf.h"

#define TXT_MAX 8192

static char dir[PATH_MAX];		/* the fixture directory */
static int dir_safe;
static char dir_why[PATH_MAX + 64];

/* --- fixture ------------------------------------------------------------- */

/* sh - run a formatted shell command; 0 when it succeeded */
static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[PATH_MAX * 2 + 256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (rc < 0 || (size_t)rc >= sizeof(cmd))
		return -1;
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "keytable_test: failed (%d): %s\n", rc, cmd);
	return rc == 0 ? 0 : -1;
}

/* fixture_make - keys and directories used by every case */
static int
fixture_make(void)
{
	char p[PATH_MAX];

	if (rg_tmpdir_make("keytable", dir, sizeof(dir)) < 0)
		return -1;
	dir_safe = rg_dir_is_safe(dir, dir_why, sizeof(dir_why));
	if (sh("openssl genpkey -algorithm ed25519 -out %s/ed.key "
	       "</dev/null 2>/dev/null", dir) < 0 ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
	       "-out %s/rsa2048.key </dev/null 2>/dev/null", dir) < 0 ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
	       "-out %s/rsa1024.key </dev/null 2>/dev/null", dir) < 0 ||
	    sh("openssl genpkey -algorithm ed25519 -aes-256-cbc "
	       "-pass pass:secret -out %s/enc.key </dev/null 2>/dev/null",
	       dir) < 0 ||
	    sh("openssl pkey -in %s/ed.key -pubout -out %s/pub.key "
	       "2>/dev/null", dir, dir) < 0) {
		fprintf(stderr, "keytable_test: openssl genpkey is needed "
			"(Debian package openssl)\n");
		return -1;
	}
	if (chmod(rg_pathf(p, sizeof(p), "%s/ed.key", dir), 0600) < 0 ||
	    chmod(rg_pathf(p, sizeof(p), "%s/rsa2048.key", dir), 0600) < 0 ||
	    chmod(rg_pathf(p, sizeof(p), "%s/rsa1024.key", dir), 0600) < 0 ||
	    chmod(rg_pathf(p, sizeof(p), "%s/enc.key", dir), 0600) < 0 ||
	    chmod(rg_pathf(p, sizeof(p), "%s/pub.key", dir), 0600) < 0)
		return -1;
	if (sh("cp -p %s/ed.key %s/ed644.key", dir, dir) < 0 ||
	    chmod(rg_pathf(p, sizeof(p), "%s/ed644.key", dir), 0644) < 0)
		return -1;
	if (rg_write_file(rg_pathf(p, sizeof(p), "%s/garbage.key", dir),
			  "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n"
			  "-----END PRIVATE KEY-----\n", 0600) < 0 ||
	    rg_write_file(rg_pathf(p, sizeof(p), "%s/empty.key", dir), "",
			  0600) < 0)
		return -1;
	/* a world-writable directory holding an otherwise fine key */
	if (mkdir(rg_pathf(p, sizeof(p), "%s/ww", dir), 0700) < 0 ||
	    chmod(p, 0777) < 0 ||
	    sh("cp -p %s/ed.key %s/ww/ed.key", dir, dir) < 0)
		return -1;
	/* a subdirectory for tables naming keys as ../KEY */
	if (mkdir(rg_pathf(p, sizeof(p), "%s/sub", dir), 0700) < 0)
		return -1;
	return 0;
}

/* need_safe_dir - fail (never skip) when the fixture base is unsafe */
static void
need_safe_dir(void)
{
	if (!dir_safe)
		fail_msg("%s: %s, so relayguard refuses keys there; set "
			 "RG_SAFE_TMPDIR to a directory that only root or you "
			 "can write (tests/run.sh does)", dir, dir_why);
}

/* --- helpers ------------------------------------------------------------- */

/* subst - copy tmpl into out with each "@D@" replaced by the fixture dir */
static void
subst(const char *tmpl, char *out, size_t size)
{
	size_t o = 0;
	size_t dl = strlen(dir);

	for (; *tmpl; tmpl++) {
		if (strncmp(tmpl, "@D@", 3) == 0) {
			assert_true(o + dl < size);
			memcpy(out + o, dir, dl);
			o += dl;
			tmpl += 2;
		} else {
			assert_true(o + 1 < size);
			out[o++] = *tmpl;
		}
	}
	out[o] = '\0';
}

/* load - write both tables (text may hold @D@) and keytable_load them */
static int
load(const char *kt_text, bool kt_glob, const char *st_text, bool st_glob,
     bool safe, unsigned min_bits, struct keytable **kt, struct err *e)
{
	static char text[TXT_MAX];
	char kpath[PATH_MAX];
	char spath[PATH_MAX];
	char kspec[PATH_MAX + 16];
	char sspec[PATH_MAX + 16];
	struct keytable_opts o;

	rg_pathf(kpath, sizeof(kpath), "%s/KeyTable", dir);
	rg_pathf(spath, sizeof(spath), "%s/SigningTable", dir);
	subst(kt_text, text, sizeof(text));
	assert_int_equal(rg_write_file(kpath, text, 0600), 0);
	subst(st_text, text, sizeof(text));
	assert_int_equal(rg_write_file(spath, text, 0600), 0);
	rg_pathf(kspec, sizeof(kspec), "%s%s", kt_glob ? "refile:" : "file:",
		 kpath);
	rg_pathf(sspec, sizeof(sspec), "%s%s", st_glob ? "refile:" : "file:",
		 spath);
	o.require_safe = safe;
	o.owner_uid = (uid_t)-1;
	o.min_bits = min_bits;
	*kt = NULL;
	return keytable_load(kspec, sspec, &o, kt, e);
}

/* from - parse "local@domain" the way the milter does */
static struct addr
from(const char *text)
{
	struct addr a;
	struct err e;

	if (addr_from_header(text, strlen(text), &a, &e) != ADDR_OK)
		fail_msg("%s: %s", text, e.text);
	return a;
}

/* plan - "selector:domain:signer ..." for the requests a From gets */
static void
plan(const struct keytable *kt, const char *addr, bool multiple, size_t max,
     struct strbuf *sb)
{
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	struct addr a = from(addr);
	size_t n;
	size_t i;

	assert_true(max <= KEYTABLE_MAX_SIGS);
	n = keytable_lookup(kt, &a, multiple, reqs, max);
	assert_true(n <= max);
	strbuf_reset(sb);
	assert_int_equal(strbuf_append_str(sb, ""), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(strbuf_printf(sb, "%s%s:%s:%s", i ? " " : "",
					       reqs[i].key->selector,
					       reqs[i].domain, reqs[i].signer),
				 0);
}

/* --- lookups ------------------------------------------------------------- */

/* One KeyTable for the lookup rows: selectors name the entries. */
static const char lookup_keys[] =
	"# name            domain:selector:keyfile\n"
	"k_full    example.com:full:./ed.key\n"
	"k_host    example.com:host:./ed.key\n"
	"k_up1     example.com:up1:./ed.key\n"
	"k_up2     example.com:up2:./ed.key\n"
	"k_dp1     example.com:dp1:./ed.key\n"
	"k_dp2     example.com:dp2:./ed.key\n"
	"k_ustar   example.com:ustar:./ed.key\n"
	"k_star    example.com:star:./ed.key\n"
	"k_pct     %:pct:./ed.key\n"
	"k_rsa     example.com:rsa:./rsa2048.key   # trailing comment\n"
	"example.org example.org:org:./ed.key\n";

/* OpenDKIM's exact order, listed backwards so file order cannot help. */
static const char exact_signs[] =
	"*                      k_star\n"
	"user@*                 k_ustar\n"
	".com                   k_dp2\n"
	".example.com           k_dp1\n"
	"user@.com              k_up2\n"
	"user@.example.com      k_up1\n"
	"mail.example.com       k_host\n"
	"user@mail.example.com  k_full\n";

static const char glob_signs[] =
	"*@mail.example.com     k_host\n"
	"user@*                 k_ustar\n"
	"*@*.example.com        k_dp1\n"
	"*                      k_star\n";

struct lookup_row {
	const char *name;
	const char *signs;
	bool glob;
	const char *from;
	bool multiple;
	size_t max;
	const char *want;
};

static const struct lookup_row lookup_rows[] = {
	{"file_order_is_opendkims_with_multiple", exact_signs, false,
	 "user@mail.example.com", true, 8,
	 "full:example.com: host:example.com: up1:example.com: "
	 "up2:example.com: dp1:example.com: dp2:example.com: "
	 "ustar:example.com: star:example.com:"},
	{"file_single_takes_full_address_first", exact_signs, false,
	 "user@mail.example.com", false, 8, "full:example.com:"},
	{"file_other_user_gets_host_parents_and_star", exact_signs, false,
	 "other@mail.example.com", true, 8,
	 "host:example.com: dp1:example.com: dp2:example.com: "
	 "star:example.com:"},
	{"file_single_other_user_gets_host", exact_signs, false,
	 "other@mail.example.com", false, 8, "host:example.com:"},
	{"file_parent_entry_skips_the_domain_itself", exact_signs, false,
	 "user@example.com", true, 8,
	 "up2:example.com: dp2:example.com: ustar:example.com: "
	 "star:example.com:"},
	{"file_nearest_parent_first", exact_signs, false,
	 "user@a.b.mail.example.com", false, 8, "up1:example.com:"},
	{"file_lookup_ignores_case", exact_signs, false,
	 "USER@Mail.Example.COM", false, 8, "full:example.com:"},
	{"file_star_catches_the_rest", exact_signs, false, "x@other.test",
	 true, 8, "star:example.com:"},
	{"file_single_label_domain", exact_signs, false, "user@localhost",
	 true, 8, "ustar:example.com: star:example.com:"},
	{"file_max_limits_requests", exact_signs, false,
	 "user@mail.example.com", true, 3,
	 "full:example.com: host:example.com: up1:example.com:"},
	{"file_no_match_no_requests", "example.net k_host\n", false,
	 "a@example.org", true, 8, ""},
	{"refile_all_matches_in_file_order", glob_signs, true,
	 "user@mail.example.com", true, 8,
	 "host:example.com: ustar:example.com: dp1:example.com: "
	 "star:example.com:"},
	{"refile_single_takes_first_match", glob_signs, true,
	 "user@mail.example.com", false, 8, "host:example.com:"},
	{"refile_star_dot_needs_a_subdomain", glob_signs, true,
	 "x@example.com", true, 8, "star:example.com:"},
	{"refile_ignores_case", "*@MAIL.example.COM k_host\n", true,
	 "x@mail.EXAMPLE.com", true, 8, "host:example.com:"},
	{"refile_exact_pattern_only_matches_itself", "a@example.com k_host\n",
	 true, "ba@example.com", true, 8, ""},
	{"same_key_and_domain_sign_once",
	 "*@example.com k_host\n*@* k_host\n*@example.com k_rsa\n", true,
	 "a@example.com", true, 8, "host:example.com: rsa:example.com:"},
	{"percent_domain_becomes_from_domain", "*@* k_pct\n", true,
	 "a@Example.ORG", true, 8, "pct:example.org:"},
	{"percent_keyname_is_from_domain", "*@* %\n", true, "a@example.org",
	 true, 8, "org:example.org:"},
	{"percent_keyname_without_key_signs_nothing", "*@* %\n", true,
	 "a@example.net", true, 8, ""},
	{"percent_in_exact_table", "example.org %\n", false,
	 "a@example.org", true, 8, "org:example.org:"},
	{"signer_percent_is_from_domain", "*@example.com k_host @%\n", true,
	 "a@example.com", true, 8, "host:example.com:@example.com"},
	{"signer_every_percent_replaced", "*@* k_pct dkim+%@%\n", true,
	 "a@example.net", true, 8,
	 "pct:example.net:dkim+example.net@example.net"},
	{"signer_without_percent_kept", "*@* k_host bounces@example.com\n",
	 true, "a@example.com", true, 8,
	 "host:example.com:bounces@example.com"},
};

/* test_lookup - load the lookup KeyTable with the row's SigningTable */
static void
test_lookup(void **state)
{
	const struct lookup_row *r = *state;
	struct keytable *kt;
	struct strbuf sb;
	struct err e;

	if (load(lookup_keys, false, r->signs, r->glob, false, 1024, &kt,
		 &e) < 0)
		fail_msg("%s", e.text);
	strbuf_init(&sb, 4096);
	plan(kt, r->from, r->multiple, r->max, &sb);
	assert_string_equal(sb.data, r->want);
	strbuf_free(&sb);
	keytable_free(kt);
}

/* test_counts_and_algorithms - what was loaded, with type and size */
static void
test_counts_and_algorithms(void **state)
{
	struct keytable *kt;
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	struct addr a = from("x@example.com");
	struct err e;
	size_t n;

	(void)state;
	if (load(lookup_keys, false, "*@example.com k_rsa\n*@* k_host\n", true,
		 false, 2048, &kt, &e) < 0)
		fail_msg("%s", e.text);
	assert_int_equal(keytable_key_count(kt), 11);
	assert_int_equal(keytable_sign_count(kt), 2);
	n = keytable_lookup(kt, &a, true, reqs, KEYTABLE_MAX_SIGS);
	assert_int_equal(n, 2);
	assert_int_equal(reqs[0].key->alg, KEYTABLE_ALG_RSA);
	assert_int_equal(reqs[0].key->bits, 2048);
	assert_string_equal(keytable_alg_name(reqs[0].key->alg), "rsa");
	assert_int_equal(reqs[1].key->alg, KEYTABLE_ALG_ED25519);
	assert_string_equal(keytable_alg_name(reqs[1].key->alg), "ed25519");
	assert_int_equal(reqs[0].key->line, 11);	/* KeyTable line */
	assert_non_null(strstr(reqs[0].key->pem, "BEGIN PRIVATE KEY"));
	assert_int_equal(strlen(reqs[0].key->pem), reqs[0].key->pem_len);
	keytable_free(kt);
	keytable_free(NULL);
}

/* test_refile_keytable_names_are_patterns - KeyTable given as refile: */
static void
test_refile_keytable_names_are_patterns(void **state)
{
	struct keytable *kt;
	struct strbuf sb;
	struct err e;

	(void)state;
	if (load("*.example.com example.com:sub:./ed.key\n"
		 "* %:any:./ed.key\n",
		 true, "*@*.example.com sel.example.com\n*@* %\n", true,
		 false, 1024, &kt, &e) < 0)
		fail_msg("%s", e.text);
	strbuf_init(&sb, 1024);
	plan(kt, "a@mail.example.com", true, 8, &sb);
	/* "%" names mail.example.com, which "*.example.com" matches first:
	 * the same key and domain as the first entry, so one signature */
	assert_string_equal(sb.data, "sub:example.com:");
	plan(kt, "a@other.test", true, 8, &sb);
	assert_string_equal(sb.data, "any:other.test:");
	strbuf_free(&sb);
	keytable_free(kt);
}

/* test_relative_key_paths - ./KEY and ../KEY from the table's directory */
static void
test_relative_key_paths(void **state)
{
	char kpath[PATH_MAX];
	char spath[PATH_MAX];
	char kspec[PATH_MAX + 8];
	char want[PATH_MAX];
	struct keytable_opts o = {false, (uid_t)-1, 1024};
	struct keytable_req reqs[2];
	struct keytable *kt = NULL;
	struct addr a = from("a@example.com");
	struct err e;

	(void)state;
	rg_pathf(kpath, sizeof(kpath), "%s/sub/KeyTable", dir);
	rg_pathf(spath, sizeof(spath), "%s/sub/SigningTable", dir);
	assert_int_equal(rg_write_file(kpath, "up example.com:up:../ed.key\n",
				       0600), 0);
	assert_int_equal(rg_write_file(spath, "* up\n", 0600), 0);
	rg_pathf(kspec, sizeof(kspec), "%s", kpath);	/* bare PATH */
	if (keytable_load(kspec, spath, &o, &kt, &e) < 0)
		fail_msg("%s", e.text);
	assert_int_equal(keytable_lookup(kt, &a, true, reqs, 2), 1);
	rg_pathf(want, sizeof(want), "%s/sub/../ed.key", dir);
	assert_string_equal(reqs[0].key->path, want);
	keytable_free(kt);
}

/* --- table and key errors ------------------------------------------------ */

struct error_row {
	const char *name;
	const char *keys;
	const char *signs;
	unsigned min_bits;
	const char *want;	/* exact error, @D@ = fixture dir */
};

static const struct error_row error_rows[] = {
	{"unknown_key_name_names_file_and_line",
	 "ed example.com:ed:./ed.key\n",
	 "*@example.com ed\n\n*@example.org nokey\n", 1024,
	 "@D@/SigningTable:3: key name \"nokey\" is not in the KeyTable"},
	{"inline_key_data_refused",
	 "# inline, as OpenDKIM allows\n"
	 "ed example.com:ed:MC4CAQAwBQYDK2VwBCIEIHg0\n",
	 "* ed\n", 1024,
	 "@D@/KeyTable:2: inline key data is not supported: put the key in a "
	 "file and name it (/path, ./path or ../path)"},
	{"garbage_key_file_named", "g example.com:g:./garbage.key\n", "* g\n",
	 1024,
	 "@D@/KeyTable:1: @D@/./garbage.key: not a PEM private key "
	 "(unencrypted RSA or Ed25519, e.g. from opendkim-genkey or openssl "
	 "genpkey -algorithm ed25519)"},
	{"public_key_is_not_a_private_key", "p example.com:p:./pub.key\n",
	 "* p\n", 1024,
	 "@D@/KeyTable:1: @D@/./pub.key: not a PEM private key (unencrypted "
	 "RSA or Ed25519, e.g. from opendkim-genkey or openssl genpkey "
	 "-algorithm ed25519)"},
	{"rsa_below_min_key_bits_refused",
	 "ed example.com:ed:./ed.key\nsmall example.com:s:@D@/rsa1024.key\n",
	 "* small\n", 2048,
	 "@D@/KeyTable:2: @D@/rsa1024.key: RSA key of 1024 bits is below "
	 "min_key_bits 2048 (use 2048)"},
	{"missing_key_file", "m example.com:m:./missing.key\n", "* m\n", 1024,
	 "@D@/KeyTable:1: @D@/./missing.key: No such file or directory"},
	{"empty_key_file", "m example.com:m:./empty.key\n", "* m\n", 1024,
	 "@D@/KeyTable:1: @D@/./empty.key: empty, not a regular file, or "
	 "larger than 65536 bytes"},
	{"directory_as_key_file", "m example.com:m:./sub\n", "* m\n", 1024,
	 "@D@/KeyTable:1: @D@/./sub: empty, not a regular file, or larger "
	 "than 65536 bytes"},
	{"keytable_line_with_one_word", "lonely\n", "* lonely\n", 1024,
	 "@D@/KeyTable:1: expected \"NAME DOMAIN:SELECTOR:KEYFILE\" (example: "
	 "rsa._domainkey.example.com example.com:rsa:/etc/relayguard/keys/"
	 "rsa.private)"},
	{"keytable_line_with_three_words",
	 "k example.com:k:./ed.key extra\n", "* k\n", 1024,
	 "@D@/KeyTable:1: expected \"NAME DOMAIN:SELECTOR:KEYFILE\" (example: "
	 "rsa._domainkey.example.com example.com:rsa:/etc/relayguard/keys/"
	 "rsa.private)"},
	{"keytable_value_without_keyfile", "k example.com:k\n", "* k\n", 1024,
	 "@D@/KeyTable:1: \"example.com:k\" is not DOMAIN:SELECTOR:KEYFILE "
	 "(example: example.com:rsa:/etc/relayguard/keys/rsa.private)"},
	{"keytable_empty_domain", "k :k:./ed.key\n", "* k\n", 1024,
	 "@D@/KeyTable:1: \":k:./ed.key\" is not DOMAIN:SELECTOR:KEYFILE "
	 "(example: example.com:rsa:/etc/relayguard/keys/rsa.private)"},
	{"keytable_bad_domain", "k exa!mple.com:k:./ed.key\n", "* k\n", 1024,
	 "@D@/KeyTable:1: \"exa!mple.com\" is not a domain name"},
	{"keytable_selector_too_long",
	 "k example.com:"
	 "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"
	 ":./ed.key\n", "* k\n", 1024,
	 "@D@/KeyTable:1: "
	 "\"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\""
	 " is not a selector (DNS labels, example: rsa2026)"},
	{"keytable_bad_selector", "k example.com:s/1:./ed.key\n", "* k\n",
	 1024,
	 "@D@/KeyTable:1: \"s/1\" is not a selector (DNS labels, example: "
	 "rsa2026)"},
	{"keytable_without_keys", "# nothing yet\n\n", "\n", 1024,
	 "@D@/KeyTable: no keys in the KeyTable"},
	{"signingtable_line_with_one_word", "k example.com:k:./ed.key\n",
	 "*@example.com\n", 1024,
	 "@D@/SigningTable:1: expected \"ADDRESS-PATTERN KEYNAME [SIGNER]\" "
	 "(example: *@example.com rsa._domainkey.example.com)"},
	{"signingtable_line_with_four_words", "k example.com:k:./ed.key\n",
	 "\n*@example.com k @example.com more\n", 1024,
	 "@D@/SigningTable:2: expected \"ADDRESS-PATTERN KEYNAME [SIGNER]\" "
	 "(example: *@example.com rsa._domainkey.example.com)"},
};

/* test_error - one table pair that must be refused with this text */
static void
test_error(void **state)
{
	const struct error_row *r = *state;
	char want[TXT_MAX];
	struct keytable *kt;
	struct err e;

	subst(r->want, want, sizeof(want));
	if (load(r->keys, false, r->signs, true, false, r->min_bits, &kt,
		 &e) == 0) {
		keytable_free(kt);
		fail_msg("loaded, expected: %s", want);
	}
	assert_null(kt);
	assert_string_equal(e.text, want);
}

/* test_rsa_1024_accepted_at_1024 - min_key_bits is the only floor */
static void
test_rsa_1024_accepted_at_1024(void **state)
{
	struct keytable *kt;
	struct keytable_req reqs[1];
	struct addr a = from("a@example.com");
	struct err e;

	(void)state;
	if (load("small example.com:s:./rsa1024.key\n", false, "* small\n",
		 false, false, 1024, &kt, &e) < 0)
		fail_msg("%s", e.text);
	assert_int_equal(keytable_lookup(kt, &a, false, reqs, 1), 1);
	assert_int_equal(reqs[0].key->bits, 1024);
	keytable_free(kt);
}

/* test_line_too_long - a table line over 4095 bytes is refused */
static void
test_line_too_long(void **state)
{
	static char big[5000];
	char want[PATH_MAX + 64];
	struct keytable *kt;
	struct err e;

	(void)state;
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	if (load("k example.com:k:./ed.key\n", false, big, true, false, 1024,
		 &kt, &e) == 0) {
		keytable_free(kt);
		fail_msg("loaded a 5000-byte line");
	}
	rg_pathf(want, sizeof(want), "%s/SigningTable:1: line too long", dir);
	assert_string_equal(e.text, want);
}

struct spec_row {
	const char *name;
	const char *kspec;
	const char *sspec;
	const char *want;
};

static const struct spec_row spec_rows[] = {
	{"spec_db_type_refused", "db:/etc/kt", "file:/etc/st",
	 "key_table: \"db:/etc/kt\": only file:PATH and refile:PATH tables "
	 "are supported (example: refile:/etc/relayguard/SigningTable)"},
	{"spec_relative_file_refused", "file:/etc/kt", "file:st",
	 "signing_table: \"file:st\" is not an absolute path"},
	{"spec_bare_relative_refused", "KeyTable", "file:/etc/st",
	 "key_table: \"KeyTable\": only file:PATH and refile:PATH tables are "
	 "supported (example: refile:/etc/relayguard/SigningTable)"},
	{"spec_missing_table_file", "file:@D@/no-such-table", "file:/etc/st",
	 "@D@/no-such-table: No such file or directory"},
};

/* test_spec - table names that cannot be used */
static void
test_spec(void **state)
{
	const struct spec_row *r = *state;
	struct keytable_opts o = {false, (uid_t)-1, 1024};
	struct keytable *kt = NULL;
	char kspec[PATH_MAX];
	char want[PATH_MAX + 256];
	struct err e;

	subst(r->kspec, kspec, sizeof(kspec));
	subst(r->want, want, sizeof(want));
	assert_int_equal(keytable_load(kspec, r->sspec, &o, &kt, &e), -1);
	assert_null(kt);
	assert_string_equal(e.text, want);
}

/*
 * test_passphrase_key_refused_without_prompt - an encrypted PEM is
 * refused; run in a child without a controlling terminal and with an
 * alarm, so a prompt would show as a failure instead of a hang.
 */
static void
test_passphrase_key_refused_without_prompt(void **state)
{
	char msg[ERR_TEXT_MAX] = "";
	int fds[2];
	pid_t pid;
	int status;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct keytable *kt;
		struct err e;
		int rc;

		(void)setsid();
		alarm(30);
		rc = load("enc example.com:enc:./enc.key\n", false, "* enc\n",
			  false, false, 1024, &kt, &e);
		if (write(fds[1], e.text, strlen(e.text)) < 0)
			_exit(3);
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	close(fds[0]);
	msg[n > 0 ? n : 0] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d (a passphrase prompt?)",
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_true(rg_has(msg, "enc.key: not a PEM private key "
				"(unencrypted"));
}

/* --- RequireSafeKeys ----------------------------------------------------- */

/* test_mode_0644_refused_with_chmod_hint - others may read the key */
static void
test_mode_0644_refused_with_chmod_hint(void **state)
{
	char want[PATH_MAX * 3];
	struct keytable *kt;
	struct err e;

	(void)state;
	need_safe_dir();
	if (load("k example.com:k:@D@/ed644.key\n", false, "* k\n", false,
		 true, 1024, &kt, &e) == 0) {
		keytable_free(kt);
		fail_msg("a 0644 key was accepted with require_safe");
	}
	rg_pathf(want, sizeof(want),
		 "%s/KeyTable:1: %s/ed644.key: mode 0644 lets group or others "
		 "read or write the key (fix: chmod 600 %s/ed644.key)", dir,
		 dir, dir);
	assert_string_equal(e.text, want);
}

/* test_mode_0644_accepted_when_not_required - require_safe = no */
static void
test_mode_0644_accepted_when_not_required(void **state)
{
	struct keytable *kt;
	struct err e;

	(void)state;
	if (load("k example.com:k:@D@/ed644.key\n", false, "* k\n", false,
		 false, 1024, &kt, &e) < 0)
		fail_msg("%s", e.text);
	assert_int_equal(keytable_key_count(kt), 1);
	keytable_free(kt);
}

/* test_safe_keys_load_with_require_safe - mode 600 in a safe directory */
static void
test_safe_keys_load_with_require_safe(void **state)
{
	struct keytable *kt;
	struct err e;

	(void)state;
	need_safe_dir();
	if (load("ed example.com:ed:./ed.key\n"
		 "rsa example.com:rsa:./rsa2048.key\n",
		 false, "* ed\n* rsa\n", false, true, 2048, &kt, &e) < 0)
		fail_msg("%s", e.text);
	assert_int_equal(keytable_key_count(kt), 2);
	keytable_free(kt);
}

/* test_world_writable_directory_refused - the key could be replaced */
static void
test_world_writable_directory_refused(void **state)
{
	char want[PATH_MAX * 3];
	struct keytable *kt;
	struct err e;

	(void)state;
	need_safe_dir();
	if (load("k example.com:k:@D@/ww/ed.key\n", false, "* k\n", false,
		 true, 1024, &kt, &e) == 0) {
		keytable_free(kt);
		fail_msg("a key below a 0777 directory was accepted");
	}
	rg_pathf(want, sizeof(want),
		 "%s/KeyTable:1: %s/ww/ed.key: directory %s/ww can be written "
		 "by other users, so the key could be replaced", dir, dir,
		 dir);
	assert_string_equal(e.text, want);
}

struct safe_row {
	const char *name;
	const char *file;	/* below the fixture dir */
	int rc;
	const char *want;	/* part of the error */
};

static const struct safe_row safe_rows[] = {
	{"file_is_safe_mode_600", "ed.key", 0, NULL},
	{"file_is_safe_refuses_0644", "ed644.key", -1, "(fix: chmod 600 "},
	{"file_is_safe_refuses_directory", "sub", -1, "not a regular file"},
	{"file_is_safe_refuses_missing", "nope.key", -1,
	 "No such file or directory"},
	{"file_is_safe_refuses_world_writable_dir", "ww/ed.key", -1,
	 "/ww can be written by other users"},
};

/* test_file_is_safe - keytable_file_is_safe() on one fixture file */
static void
test_file_is_safe(void **state)
{
	const struct safe_row *r = *state;
	char p[PATH_MAX];
	struct err e;

	err_clear(&e);
	need_safe_dir();
	rg_pathf(p, sizeof(p), "%s/%s", dir, r->file);
	if (keytable_file_is_safe(p, (uid_t)-1, &e) != r->rc)
		fail_msg("%s: want %d (%s)", p, r->rc, e.text);
	if (r->want != NULL)
		assert_true(rg_has(e.text, r->want));
}

/*
 * test_foreign_owner_refused - owned by another uid: refused unless that
 * uid is the run-time user.  chown needs root; as non-root the case is
 * reported as skipped by cmocka, never passed silently.
 */
static void
test_foreign_owner_refused(void **state)
{
	char p[PATH_MAX];
	struct err e;

	(void)state;
	need_safe_dir();
	if (geteuid() != 0) {
		print_message("foreign_owner_refused needs root (chown)\n");
		skip();
	}
	rg_pathf(p, sizeof(p), "%s/foreign.key", dir);
	assert_int_equal(sh("cp -p %s/ed.key %s/foreign.key", dir, dir), 0);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(keytable_file_is_safe(p, (uid_t)-1, &e), -1);
	assert_true(rg_has(e.text, "owned by uid 65534, not by root or the "
				   "relayguard user"));
	assert_int_equal(keytable_file_is_safe(p, 65534, &e), 0);
	assert_int_equal(unlink(p), 0);
}

/* --- symbolic links and the race ------------------------------------------ */

/* The race hook: when armed, the next open of a file named race_name is
 * preceded (race_before) or followed by rename(race_from, race_to). */
static const char *race_name;
static bool race_before;
static char race_from[PATH_MAX];
static char race_to[PATH_MAX];
static int race_fired;

int __real_open64(const char *path, int flags, ...);
int __real_openat64(int dfd, const char *name, int flags, ...);
int __real___openat64_2(int dfd, const char *name, int flags);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_openat64(int dfd, const char *name, int flags, ...);
int __wrap___openat64_2(int dfd, const char *name, int flags);

/* race_hit - is this the open to race with?  Swaps now if before */
static bool
race_hit(const char *name)
{
	const char *base = strrchr(name, '/');

	base = base != NULL ? base + 1 : name;
	if (race_name == NULL || strcmp(base, race_name) != 0)
		return false;
	race_name = NULL;
	race_fired++;
	if (race_before && rename(race_from, race_to) < 0)
		fail_msg("rename %s: %s", race_from, strerror(errno));
	return true;
}

/* race_after - swap after the open, if so armed */
static void
race_after(bool hit)
{
	if (hit && !race_before && rename(race_from, race_to) < 0)
		fail_msg("rename %s: %s", race_from, strerror(errno));
}

int
__wrap_open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	bool hit = race_hit(path);
	int fd;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = __real_open64(path, flags, mode);
	race_after(hit);
	return fd;
}

int
__wrap_openat64(int dfd, const char *name, int flags, ...)
{
	mode_t mode = 0;
	bool hit = race_hit(name);
	int fd;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = __real_openat64(dfd, name, flags, mode);
	race_after(hit);
	return fd;
}

int
__wrap___openat64_2(int dfd, const char *name, int flags)
{
	bool hit = race_hit(name);
	int fd = __real___openat64_2(dfd, name, flags);

	race_after(hit);
	return fd;
}

/* link_make - DIR/at (relative to the fixture) as a link to target
 * (@D@ replaced by the fixture dir) */
static void
link_make(const char *at, const char *target)
{
	char p[PATH_MAX];
	char t[PATH_MAX];

	rg_pathf(p, sizeof(p), "%s/%s", dir, at);
	subst(target, t, sizeof(t));
	(void)unlink(p);
	if (symlink(t, p) < 0)
		fail_msg("symlink %s: %s", p, strerror(errno));
}

struct link_row {
	const char *name;
	const char *at;		/* the link, below the fixture dir */
	const char *target;	/* what it points to (@D@: the fixture dir) */
	const char *path;	/* the key path asked for, below the dir */
	int rc;
	const char *want;	/* part of the error (@D@ replaced) */
};

static const struct link_row link_rows[] = {
	{"link_in_safe_dir_is_followed", "sub/lnk.key", "../ed.key",
	 "sub/lnk.key", 0, NULL},
	{"absolute_link_in_safe_dir_is_followed", "sub/abs.key",
	 "@D@/ed.key", "sub/abs.key", 0, NULL},
	{"link_in_world_writable_dir_is_refused", "ww/lnk.key", "../ed.key",
	 "ww/lnk.key", -1,
	 "symbolic link @D@/ww/lnk.key is in directory @D@/ww, which other "
	 "users can change"},
	/* realpath() would see only safe directories here */
	{"linked_dir_in_world_writable_dir_is_refused", "ww/dlink", "@D@",
	 "ww/dlink/ed.key", -1,
	 "symbolic link @D@/ww/dlink is in directory @D@/ww"},
	{"link_into_world_writable_dir_is_refused", "sub/toww.key",
	 "../ww/ed.key", "sub/toww.key", -1,
	 "directory @D@/ww can be written by other users"},
	{"link_to_mode_0644_key_is_refused", "sub/to644.key", "../ed644.key",
	 "sub/to644.key", -1, "mode 0644 lets group or others read"},
	{"link_loop_is_refused", "sub/loop.key", "loop.key", "sub/loop.key",
	 -1, "too many symbolic links"},
};

/* test_link - keytable_file_is_safe() through a symbolic link */
static void
test_link(void **state)
{
	const struct link_row *r = *state;
	char p[PATH_MAX];
	char want[PATH_MAX * 3];
	struct err e;

	err_clear(&e);
	need_safe_dir();
	link_make(r->at, r->target);
	rg_pathf(p, sizeof(p), "%s/%s", dir, r->path);
	if (keytable_file_is_safe(p, (uid_t)-1, &e) != r->rc)
		fail_msg("%s: want %d (%s)", p, r->rc, e.text);
	if (r->want != NULL) {
		subst(r->want, want, sizeof(want));
		assert_true(rg_has(e.text, want));
	}
}

/* race_setup - race.key (the Ed25519 key, 0600) and race.lnk, a link to
 * an RSA key that anyone may read, in the world-writable directory */
static void
race_setup(bool before)
{
	need_safe_dir();
	assert_int_equal(sh("rm -f %s/race.key %s/ww/evil.key && "
			    "cp -p %s/ed.key %s/race.key && "
			    "cp %s/rsa2048.key %s/ww/evil.key && "
			    "chmod 644 %s/ww/evil.key", dir, dir, dir, dir, dir,
			    dir, dir), 0);
	link_make("race.lnk", "@D@/ww/evil.key");
	rg_pathf(race_from, sizeof(race_from), "%s/race.lnk", dir);
	rg_pathf(race_to, sizeof(race_to), "%s/race.key", dir);
	race_before = before;
	race_fired = 0;
	race_name = "race.key";
}

/*
 * test_race_swap_before_open_is_refused - the key is swapped for a link to
 * someone else's key after any check by path could have run and just
 * before the open: the open itself sees the link, and what it leads to is
 * checked on its own descriptor, so the swap is refused.  (A check by
 * path, stat() then open(), would have loaded the other key.)
 */
static void
test_race_swap_before_open_is_refused(void **state)
{
	struct keytable *kt;
	struct err e;

	(void)state;
	race_setup(true);
	if (load("k example.com:k:@D@/race.key\n", false, "* k\n", false,
		 true, 1024, &kt, &e) == 0) {
		bool rsa = keytable_key_at(kt, 0)->alg == KEYTABLE_ALG_RSA;

		keytable_free(kt);
		fail_msg("the swapped key was loaded%s",
			 rsa ? " (the other RSA key)" : "");
	}
	race_name = NULL;
	assert_int_equal(race_fired, 1);
	assert_true(rg_has(e.text, "race.key: directory "));
	assert_true(rg_has(e.text, "/ww can be written by other users"));
}

/* test_race_swap_after_open_reads_the_checked_key - swapped just after
 * the open: what was checked is what is read, the Ed25519 key */
static void
test_race_swap_after_open_reads_the_checked_key(void **state)
{
	struct keytable *kt;
	struct err e;

	(void)state;
	race_setup(false);
	if (load("k example.com:k:@D@/race.key\n", false, "* k\n", false,
		 true, 1024, &kt, &e) < 0)
		fail_msg("refused: %s", e.text);
	race_name = NULL;
	assert_int_equal(race_fired, 1);
	assert_int_equal(keytable_key_at(kt, 0)->alg, KEYTABLE_ALG_ED25519);
	keytable_free(kt);
}

/* --- keytable_glob_match ------------------------------------------------- */

struct glob_row {
	const char *name;
	const char *pattern;
	const char *text;
	bool want;
};

static const struct glob_row glob_rows[] = {
	{"glob_star_at_domain", "*@example.com", "a@example.com", true},
	{"glob_suffix_must_end_text", "*@example.com", "a@example.com.evil",
	 false},
	{"glob_star_matches_empty", "*@example.com", "@example.com", true},
	{"glob_lone_star_matches_empty_text", "*", "", true},
	{"glob_empty_matches_only_empty", "", "", true},
	{"glob_empty_pattern_vs_text", "", "a", false},
	{"glob_text_vs_empty_is_false", "a", "", false},
	{"glob_many_stars", "a*b*c", "axxbyyc", true},
	{"glob_many_stars_missing_part", "a*b*c", "axxcyyb", false},
	{"glob_subdomain_pattern", "*@*.example.com", "a@mail.example.com",
	 true},
	{"glob_subdomain_pattern_not_domain", "*@*.example.com",
	 "a@example.com", false},
	{"glob_letters_ignore_case", "*@EXAMPLE.com", "A@example.COM", true},
	{"glob_only_letters_fold_at_vs_backtick", "a@b", "a`b", false},
	{"glob_only_letters_fold_brackets", "[", "{", false},
	{"glob_backtracking", "*ab", "aab", true},
	{"glob_backtracking_long", "*aab", "aaaaaab", true},
	{"glob_trailing_star", "a*", "a", true},
	{"glob_double_star", "**", "x", true},
	{"glob_star_then_mismatch", "*a", "b", false},
	{"glob_question_mark_is_literal", "a?c", "abc", false},
	{"glob_question_mark_matches_itself", "a?c", "a?c", true},
	{"glob_utf8_bytes_exact", "*@b\xc3\xbc" "cher.de", "a@b\xc3\xbc"
	 "cher.de", true},
	{"glob_utf8_bytes_not_folded", "\xc3\x9c", "\xc3\xbc", false},
};

/* test_glob - one keytable_glob_match() row */
static void
test_glob(void **state)
{
	const struct glob_row *r = *state;

	assert_int_equal(keytable_glob_match(r->pattern, r->text), r->want);
}

int
main(void)
{
	static struct rg_cases c;
	int rc;

	if (fixture_make() < 0) {
		fprintf(stderr, "keytable_test: cannot build the fixture\n");
		rg_tmpdir_remove(dir);
		return 1;
	}
	RG_ADD_ROWS(&c, lookup_rows, test_lookup);
	rg_case_add(&c, "counts_and_algorithms", test_counts_and_algorithms,
		    NULL);
	rg_case_add(&c, "refile_keytable_names_are_patterns",
		    test_refile_keytable_names_are_patterns, NULL);
	rg_case_add(&c, "relative_key_paths", test_relative_key_paths, NULL);
	RG_ADD_ROWS(&c, error_rows, test_error);
	rg_case_add(&c, "rsa_1024_accepted_at_1024",
		    test_rsa_1024_accepted_at_1024, NULL);
	rg_case_add(&c, "line_too_long", test_line_too_long, NULL);
	RG_ADD_ROWS(&c, spec_rows, test_spec);
	rg_case_add(&c, "passphrase_key_refused_without_prompt",
		    test_passphrase_key_refused_without_prompt, NULL);
	rg_case_add(&c, "mode_0644_refused_with_chmod_hint",
		    test_mode_0644_refused_with_chmod_hint, NULL);
	rg_case_add(&c, "mode_0644_accepted_when_not_required",
		    test_mode_0644_accepted_when_not_required, NULL);
	rg_case_add(&c, "safe_keys_load_with_require_safe",
		    test_safe_keys_load_with_require_safe, NULL);
	rg_case_add(&c, "world_writable_directory_refused",
		    test_world_writable_directory_refused, NULL);
	RG_ADD_ROWS(&c, safe_rows, test_file_is_safe);
	rg_case_add(&c, "foreign_owner_refused", test_foreign_owner_refused,
		    NULL);
	RG_ADD_ROWS(&c, link_rows, test_link);
	rg_case_add(&c, "race_swap_before_open_is_refused",
		    test_race_swap_before_open_is_refused, NULL);
	rg_case_add(&c, "race_swap_after_open_reads_the_checked_key",
		    test_race_swap_after_open_reads_the_checked_key, NULL);
	RG_ADD_ROWS(&c, glob_rows, test_glob);
	rc = rg_cases_run(&c, "keytable", NULL, NULL);
	rg_tmpdir_remove(dir);
	return rc;
}
