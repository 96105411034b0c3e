/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * owndomain_test - an outside client claiming one of our domains: from
 * the own_domains list, or (list empty) from what the SigningTable would
 * sign; envelope sender and header From; each own_domain_action.
 *
 * The SigningTable cases load a real key table: one Ed25519 key made with
 * "openssl genpkey" in a fresh directory, a KeyTable and a refile:
 * SigningTable with "*@sign.test" and "ann@one.test".
 */
#include "owndomain.h"

#include "rg_test.h"

static char dir[PATH_MAX];
static struct keytable *kt;

struct row {
	const char *name;
	const char *own_domains;	/* "" = use the SigningTable */
	const char *action;
	const char *mailfrom;		/* NULL: none */
	const char *from;		/* "local@domain" or NULL */
	enum verdict_action want;	/* VERDICT_CONTINUE: no verdict */
	const char *text;
};

static const struct row rows[] = {
	{"listed_domain_in_mail_from_is_rejected", "example.com", "reject",
	 "ann@example.com", NULL, VERDICT_REJECT,
	 "MAIL FROM address <ann@example.com> is in one of our domains"},
	{"listed_domain_matches_any_case_and_trailing_dot",
	 "Example.COM.", "reject", "ann@EXAMPLE.com", NULL, VERDICT_REJECT,
	 ""},
	{"subdomain_is_not_the_listed_domain", "example.com", "reject",
	 "ann@sub.example.com", NULL, VERDICT_CONTINUE, ""},
	{"other_domain_passes", "example.com", "reject", "bob@example.org",
	 "bob@example.org", VERDICT_CONTINUE, ""},
	{"header_from_in_listed_domain_is_rejected", "example.com", "reject",
	 "bob@example.org", "ceo@example.com", VERDICT_REJECT,
	 "From address <ceo@example.com>"},
	{"null_sender_with_own_from_is_rejected", "example.com", "reject", "",
	 "ceo@example.com", VERDICT_REJECT, "From address"},
	{"tempfail_action_is_451", "example.com", "tempfail",
	 "ann@example.com", NULL, VERDICT_TEMPFAIL, ""},
	{"accept_action_gives_no_verdict", "example.com", "accept",
	 "ann@example.com", NULL, VERDICT_CONTINUE, ""},
	{"signing_table_pattern_domain_is_ours", "", "reject",
	 "anyone@sign.test", NULL, VERDICT_REJECT, ""},
	{"signing_table_exact_address_is_ours", "", "reject", "ann@one.test",
	 NULL, VERDICT_REJECT, ""},
	{"address_signing_table_does_not_sign_passes", "", "reject",
	 "bob@one.test", NULL, VERDICT_CONTINUE, ""},
	{"list_replaces_the_signing_table", "example.com", "reject",
	 "anyone@sign.test", NULL, VERDICT_CONTINUE, ""},
};

/* test_row - one claim */
static void
test_row(void **state)
{
	const struct row *r = *state;
	char text[512];
	struct conf *c = NULL;
	struct verdict v;
	struct addr from;
	struct err e;
	bool hit;
	FILE *fp;

	snprintf(text, sizeof(text), "own_domains = %s\nown_domain_action = "
		 "%s\n", r->own_domains, r->action);
	fp = fmemopen(text, strlen(text), "r");
	assert_non_null(fp);
	if (conf_load_stream(fp, "t.conf", &c, &e) < 0)
		fail_msg("%s", e.text);
	fclose(fp);
	memset(&from, 0, sizeof(from));
	if (r->from != NULL) {
		const char *at = strchr(r->from, '@');

		snprintf(from.local, sizeof(from.local), "%.*s",
			 (int)(at - r->from), r->from);
		snprintf(from.domain, sizeof(from.domain), "%s", at + 1);
	}
	hit = owndomain_verdict(c, kt, r->mailfrom,
				r->from ? &from : NULL, &v);
	assert_int_equal(hit, r->want != VERDICT_CONTINUE);
	if (hit) {
		assert_int_equal(v.action, r->want);
		assert_string_equal(v.code, r->want == VERDICT_REJECT ? "550"
								      : "451");
		assert_true(rg_has(v.text, r->text));
	}
	conf_free(c);
}

/* setup - a key, a KeyTable and a SigningTable */
static int
setup(void **state)
{
	char p[PATH_MAX];
	char text[PATH_MAX * 2];
	char kspec[PATH_MAX + 16];
	char sspec[PATH_MAX + 16];
	struct keytable_opts o = {.require_safe = false,
				  .owner_uid = (uid_t)-1, .min_bits = 1024};
	struct err e;

	(void)state;
	if (rg_tmpdir_make("owndomain", dir, sizeof(dir)) < 0)
		return -1;
	snprintf(text, sizeof(text), "openssl genpkey -algorithm ed25519 "
		 "-out %s/ed.key </dev/null 2>/dev/null", dir);
	if (system(text) != 0) {
		fprintf(stderr, "owndomain_test: openssl genpkey failed\n");
		return -1;
	}
	snprintf(text, sizeof(text), "k sign.test:ed:%s/ed.key\n", dir);
	if (rg_write_file(rg_pathf(p, sizeof(p), "%s/KeyTable", dir), text,
			  0600) < 0 ||
	    rg_write_file(rg_pathf(p, sizeof(p), "%s/SigningTable", dir),
			  "*@sign.test k\nann@one.test k\n", 0600) < 0)
		return -1;
	rg_pathf(kspec, sizeof(kspec), "file:%s/KeyTable", dir);
	rg_pathf(sspec, sizeof(sspec), "refile:%s/SigningTable", dir);
	if (keytable_load(kspec, sspec, &o, &kt, &e) < 0) {
		fprintf(stderr, "owndomain_test: %s\n", e.text);
		return -1;
	}
	return 0;
}

/* teardown - drop the table and the directory */
static int
teardown(void **state)
{
	(void)state;
	keytable_free(kt);
	rg_tmpdir_remove(dir);
	return 0;
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	return rg_cases_run(&c, "owndomain", setup, teardown);
}
