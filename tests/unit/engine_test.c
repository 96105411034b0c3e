/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * engine_test - who is trusted and what gets signed, or the few words
 * saying why nothing is: built on a hand-made struct generation (defaults plus
 * key tables in a temporary directory, with an Ed25519 key made by
 * "openssl genpkey").
 */
#include "engine.h"

#include <string.h>

#include "rg_test.h"
#include "str.h"

static char dir[PATH_MAX];
static struct generation cfg;	/* internal_hosts and tables as loaded */

/* fixture_make - key, tables and a config holding them */
static int
fixture_make(void)
{
	char cmd[PATH_MAX + 128];
	char kt[PATH_MAX];
	char st[PATH_MAX];
	char kspec[PATH_MAX + 8];
	char sspec[PATH_MAX + 8];
	struct keytable_opts o = {false, (uid_t)-1, 1024};
	struct err e;

	if (rg_tmpdir_make("engine", dir, sizeof(dir)) < 0)
		return -1;
	rg_pathf(cmd, sizeof(cmd), "openssl genpkey -algorithm ed25519 "
		 "-out %s/ed.key </dev/null 2>/dev/null", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "engine_test: openssl genpkey is needed "
			"(Debian package openssl)\n");
		return -1;
	}
	rg_pathf(kt, sizeof(kt), "%s/KeyTable", dir);
	rg_pathf(st, sizeof(st), "%s/SigningTable", dir);
	if (rg_write_file(kt, "ed example.com:ed:./ed.key\n"
			      "ed2 example.com:ed2:./ed.key\n"
			      "org example.org:org:./ed.key\n", 0600) < 0 ||
	    rg_write_file(st, "*@example.com ed\n"
			      "*@example.com ed2\n"
			      "*@*.example.org org\n", 0600) < 0)
		return -1;
	rg_pathf(kspec, sizeof(kspec), "file:%s", kt);
	rg_pathf(sspec, sizeof(sspec), "refile:%s", st);

	memset(&cfg, 0, sizeof(cfg));
	atomic_init(&cfg.refs, 1);
	cfg.conf = conf_defaults();
	cfg.user_uid = (uid_t)-1;
	cfg.user_gid = (gid_t)-1;
	if (keytable_load(kspec, sspec, &o, &cfg.keys, &e) < 0) {
		fprintf(stderr, "engine_test: %s\n", e.text);
		return -1;
	}
	rg_pathf(kt, sizeof(kt), "%s/senders", dir);
	if (rg_write_file(kt, "alice  alice@example.com, sales@example.com\n"
			      "bob    @example.org\n", 0644) < 0 ||
	    owner_map_load(kt, &cfg.owners, &e) < 0) {
		fprintf(stderr, "engine_test: %s\n", e.text);
		return -1;
	}
	cfg.owner_opts.self = true;
	return 0;
}

/* fixture_free - everything fixture_make made */
static void
fixture_free(void)
{
	keytable_free(cfg.keys);
	owner_map_free(cfg.owners);
	conf_free(cfg.conf);
	rg_tmpdir_remove(dir);
}

/* --- sign plans ---------------------------------------------------------- */

struct row {
	const char *name;
	const char *client;	/* client address, "" when not IP */
	const char *login;	/* SASL login, "" when none */
	unsigned from_count;
	const char *from;	/* From body, parsed as the milter does */
	bool truncated;
	bool no_keys;		/* run without key tables */
	bool single;		/* multiple_signatures = no */
	size_t max;
	const char *want;	/* "sel:domain ..." or "why: TEXT" */
};

static const struct row rows[] = {
	{"internal_host_is_signed", "127.0.0.1", "", 1, "a@example.com",
	 false, false, false, 8, "ed:example.com ed2:example.com"},
	{"internal_v6_loopback_is_signed", "::1", "", 1, "a@example.com",
	 false, false, false, 8, "ed:example.com ed2:example.com"},
	{"internal_mapped_v4_is_signed", "::ffff:127.0.0.1", "", 1,
	 "a@example.com", false, false, false, 8,
	 "ed:example.com ed2:example.com"},
	{"outside_client_is_untrusted", "192.0.2.1", "", 1, "a@example.com",
	 false, false, false, 8, "why: untrusted client"},
	{"no_ip_client_is_untrusted", "", "", 1, "a@example.com", false, false,
	 false, 8, "why: untrusted client"},
	{"sasl_login_trusts_outside_client", "192.0.2.1", "a@example.com", 1,
	 "a@example.com", false, false, false, 8,
	 "ed:example.com ed2:example.com"},
	{"sasl_login_trusts_unix_socket_client", "", "a@example.com", 1,
	 "a@example.com", false, false, false, 8,
	 "ed:example.com ed2:example.com"},
	{"sasl_login_from_map_is_signed", "192.0.2.1", "alice", 1,
	 "sales@example.com", false, false, false, 8,
	 "ed:example.com ed2:example.com"},
	{"sasl_other_tenant_never_signed", "192.0.2.1", "b@example.org", 1,
	 "a@example.com", false, false, false, 8,
	 "why: From not owned by the login"},
	{"sasl_unlisted_login_never_signed", "192.0.2.1", "mallory", 1,
	 "a@example.com", false, false, false, 8,
	 "why: From not owned by the login"},
	{"internal_host_signs_without_login", "127.0.0.1", "", 1,
	 "anyone@example.com", false, false, false, 8,
	 "ed:example.com ed2:example.com"},
	{"untrusted_is_said_before_missing_from", "192.0.2.1", "", 0, "",
	 false, false, false, 8, "why: untrusted client"},
	{"no_from_header", "127.0.0.1", "", 0, "", false, false, false, 8,
	 "why: no From header"},
	{"several_from_headers", "127.0.0.1", "", 2, "a@example.com", false,
	 false, false, 8, "why: several From headers"},
	{"headers_truncated", "127.0.0.1", "", 1, "a@example.com", true, false,
	 false, 8, "why: header larger than max_header_bytes"},
	{"truncation_is_said_before_from_count", "127.0.0.1", "", 0, "", true,
	 false, false, 8, "why: header larger than max_header_bytes"},
	{"bad_from_gives_parser_reason", "127.0.0.1", "", 1, "a@", false,
	 false, false, 8, "why: From address has no domain"},
	{"several_mailboxes_in_one_from", "127.0.0.1", "", 1,
	 "a@example.com, b@example.com", false, false, false, 8,
	 "why: several addresses in From"},
	{"group_without_mailbox", "127.0.0.1", "", 1, "list:;", false, false,
	 false, 8, "why: no address in From"},
	{"no_key_for_domain", "127.0.0.1", "", 1, "a@x.example", false, false,
	 false, 8, "why: no key for domain x.example"},
	{"no_key_for_parent_only_pattern", "127.0.0.1", "", 1,
	 "a@example.org", false, false, false, 8,
	 "why: no key for domain example.org"},
	{"subdomain_pattern_signs", "127.0.0.1", "", 1, "a@Mail.Example.ORG",
	 false, false, false, 8, "org:example.org"},
	{"no_key_table_configured", "127.0.0.1", "", 1, "a@example.com", false,
	 true, false, 8, "why: no key_table configured"},
	{"single_signature_setting", "127.0.0.1", "", 1, "a@example.com",
	 false, false, true, 8, "ed:example.com"},
	{"max_limits_requests", "127.0.0.1", "", 1, "a@example.com", false,
	 false, false, 1, "ed:example.com"},
};

/* run_plan - engine_sign_plan for one txn, rendered as the row wants */
static void
run_plan(const struct generation *c, const struct txn *t, size_t max,
	 char *out, size_t size)
{
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	char why[128];
	size_t n;
	size_t i;
	size_t o = 0;

	memset(why, 'Z', sizeof(why));
	why[sizeof(why) - 1] = '\0';
	n = engine_sign_plan(c, t, reqs, max, why, sizeof(why));
	assert_true(n <= max);
	out[0] = '\0';
	if (n == 0) {
		snprintf(out, size, "why: %s", why);
		return;
	}
	for (i = 0; i < n; i++) {
		int w = snprintf(out + o, size - o, "%s%s:%s", i ? " " : "",
				 reqs[i].key->selector, reqs[i].domain);

		assert_true(w > 0 && (size_t)w < size - o);
		o += (size_t)w;
	}
}

/* make_txn - a txn as the milter fills it */
static void
make_txn(struct txn *t, const char *client, const char *login,
	 unsigned from_count, const char *from, bool truncated)
{
	struct err e;

	memset(t, 0, sizeof(*t));
	txn_reset_message(t);
	assert_int_equal(str_copy(t->client_addr, sizeof(t->client_addr),
				  client), 0);
	assert_int_equal(str_copy(t->login, sizeof(t->login), login), 0);
	t->from_count = from_count;
	if (from_count > 0) {
		t->from_status = addr_from_header(from, strlen(from), &t->from,
						  &e);
		if (t->from_status != ADDR_OK)
			assert_int_equal(str_copy(t->from_why,
						  sizeof(t->from_why), e.text),
					 0);
	}
	t->headers_truncated = truncated;
}

/* test_row - one sign plan */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct generation c = {0};
	struct txn t;
	char got[512];

	c.conf = cfg.conf;
	c.keys = r->no_keys ? NULL : cfg.keys;
	c.owners = cfg.owners;
	c.owner_opts = cfg.owner_opts;
	cfg.conf->multiple_signatures = !r->single;
	make_txn(&t, r->client, r->login, r->from_count, r->from,
		 r->truncated);
	run_plan(&c, &t, r->max, got, sizeof(got));
	cfg.conf->multiple_signatures = true;
	assert_string_equal(got, r->want);
}

/* --- decisions: login ownership and own domains ------------------------ */

struct dec_row {
	const char *name;
	const char *client;
	const char *login;
	const char *sender;	/* MAIL FROM as the MTA passes it */
	const char *hdrs;	/* "From:v|Sender:v|..." for engine_eoh */
	const char *tweak;	/* "null", "tempfail", "accept", "ours" */
	const char *want;	/* "continue" or "ACTION CODE XCODE TEXT" */
};

static const struct dec_row dec_rows[] = {
	/* envelope, authenticated */
	{"mail_login_owns_sender", "192.0.2.9", "alice", "sales@example.com",
	 NULL, NULL, "continue"},
	{"mail_login_self_address", "192.0.2.9", "zed@example.com",
	 "zed@example.com", NULL, NULL, "continue"},
	{"mail_login_other_tenant_refused", "192.0.2.9", "alice",
	 "boss@example.org", NULL, NULL,
	 "reject 553 5.7.1 <boss@example.org>: sender address not owned by "
	 "login alice"},
	{"mail_unlisted_login_refused", "127.0.0.1", "mallory",
	 "mallory@example.com", NULL, NULL,
	 "reject 553 5.7.1 <mallory@example.com>: sender address not owned by "
	 "login mallory"},
	{"mail_null_sender_refused_by_default", "192.0.2.9", "alice", "",
	 NULL, NULL, "reject 553 5.7.1 <>: sender address not owned by login "
	 "alice"},
	{"mail_null_sender_allowed_when_set", "192.0.2.9", "alice", "", NULL,
	 "null", "continue"},
	{"mail_postmaster_without_domain_refused", "192.0.2.9", "alice",
	 "postmaster", NULL, NULL, "reject 553 5.7.1 <postmaster>: sender "
	 "address not owned by login alice"},
	{"mail_8bit_login_made_safe_in_reply", "192.0.2.9", "al\xc3\xaf" "ce%x",
	 "a@example.org", NULL, NULL, "reject 553 5.7.1 <a@example.org>: "
	 "sender address not owned by login al??ce?x"},
	{"mail_check_off_accepts", "192.0.2.9", "alice", "boss@example.org",
	 NULL, "off", "continue"},
	/* envelope, outside clients and our domains */
	{"mail_outside_own_domain_refused", "192.0.2.9", "",
	 "ceo@example.com", NULL, NULL, "reject 550 5.7.1 <ceo@example.com>: "
	 "example.com is a local domain, authenticate to send as it"},
	{"mail_outside_own_subdomain_refused", "192.0.2.9", "",
	 "x@mx.example.org", NULL, NULL, "reject 550 5.7.1 "
	 "<x@mx.example.org>: mx.example.org is a local domain, authenticate "
	 "to send as it"},
	{"mail_outside_parent_of_subdomain_pattern_ok", "192.0.2.9", "",
	 "x@example.org", NULL, NULL, "continue"},
	{"mail_outside_foreign_domain_ok", "192.0.2.9", "",
	 "x@example.net", NULL, NULL, "continue"},
	{"mail_outside_own_domain_tempfail", "192.0.2.9", "",
	 "ceo@example.com", NULL, "tempfail", "tempfail 451 4.7.1 "
	 "<ceo@example.com>: example.com is a local domain, authenticate to "
	 "send as it"},
	{"mail_outside_own_domain_check_off", "192.0.2.9", "",
	 "ceo@example.com", NULL, "accept", "continue"},
	{"mail_outside_listed_own_domains", "192.0.2.9", "", "a@ours.example",
	 NULL, "ours", "reject 550 5.7.1 <a@ours.example>: ours.example is a "
	 "local domain, authenticate to send as it"},
	{"mail_outside_listed_replaces_table", "192.0.2.9", "",
	 "ceo@example.com", NULL, "ours", "continue"},
	{"mail_internal_host_own_domain_ok", "127.0.0.1", "",
	 "ceo@example.com", NULL, NULL, "continue"},
	/* header, authenticated */
	{"eoh_owned_from", "192.0.2.9", "alice", "alice@example.com",
	 "From:Alice <alice@example.com>", NULL, "continue"},
	{"eoh_forged_from_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:\"Alice\" <ceo@example.org>", NULL,
	 "reject 553 5.7.1 <ceo@example.org>: sender address not owned by "
	 "login alice"},
	{"eoh_display_name_does_not_count", "192.0.2.9", "alice",
	 "alice@example.com", "From:\"ceo@example.org\" <alice@example.com>",
	 NULL, "continue"},
	{"eoh_second_from_address_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:alice@example.com, ceo@example.org",
	 NULL, "reject 553 5.7.1 <ceo@example.org>: sender address not owned "
	 "by login alice"},
	{"eoh_second_from_field_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:alice@example.com|From:ceo@example.org",
	 NULL, "reject 553 5.7.1 <ceo@example.org>: sender address not owned "
	 "by login alice"},
	{"eoh_sender_field_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:sales@example.com|Sender:x@example.org",
	 NULL, "reject 553 5.7.1 <x@example.org>: sender address not owned "
	 "by login alice"},
	{"eoh_group_members_checked", "192.0.2.9", "bob", "bob@example.org",
	 "From:team: a@example.org, b@example.org;", NULL, "continue"},
	{"eoh_empty_group_names_nobody", "192.0.2.9", "bob",
	 "bob@example.org", "From:undisclosed-recipients:;", NULL,
	 "continue"},
	{"eoh_malformed_from_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:alice@", NULL, "reject 553 5.7.1 From "
	 "address has no domain: the author cannot be checked"},
	{"eoh_comment_hides_nothing", "192.0.2.9", "alice",
	 "alice@example.com", "From:(alice@example.com) ceo@example.org",
	 NULL, "reject 553 5.7.1 <ceo@example.org>: sender address not owned "
	 "by login alice"},
	{"eoh_no_from_nothing_to_check", "192.0.2.9", "alice",
	 "alice@example.com", "", NULL, "continue"},
	/* header, authenticated: an empty mailbox or a field that cannot
	 * be read never hides the other mailboxes (login bob owns
	 * @example.org only, alice owns alice@ and sales@example.com) */
	{"eoh_empty_mailbox_after_forged_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:ceo@example.org, <>", NULL,
	 "reject 553 5.7.1 empty address in From: the author cannot be "
	 "checked"},
	{"eoh_empty_mailbox_before_forged_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:<>, ceo@example.org", NULL,
	 "reject 553 5.7.1 empty address in From: the author cannot be "
	 "checked"},
	{"eoh_empty_route_mailbox_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:ceo@example.org, <@route.example:>", NULL,
	 "reject 553 5.7.1 empty address in From: the author cannot be "
	 "checked"},
	{"eoh_empty_mailbox_alone_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:<>", NULL,
	 "reject 553 5.7.1 empty address in From: the author cannot be "
	 "checked"},
	{"eoh_empty_sender_mailbox_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:alice@example.com|Sender:ceo@example.org, <>",
	 NULL, "reject 553 5.7.1 empty address in Sender: the author cannot "
	 "be checked"},
	{"eoh_group_name_with_address_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:ceo@example.org:;", NULL,
	 "reject 553 5.7.1 malformed group in From: the author cannot be "
	 "checked"},
	{"eoh_comment_only_with_address_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:(ceo@example.org)", NULL,
	 "reject 553 5.7.1 an address outside a mailbox in From: the author "
	 "cannot be checked"},
	{"eoh_two_words_before_at_refused", "192.0.2.9", "bob",
	 "bob@example.org", "From:ceo@example.com bob@example.org", NULL,
	 "reject 553 5.7.1 malformed From address: the author cannot be "
	 "checked"},
	{"eoh_text_after_angle_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:<alice@example.com> ceo@example.org",
	 NULL, "reject 553 5.7.1 text after <address> in From: the author "
	 "cannot be checked"},
	{"eoh_unquoted_at_in_local_part_refused", "192.0.2.9", "bob",
	 "bob@example.org", "From:<ceo@example.com@example.org>", NULL,
	 "reject 553 5.7.1 malformed From address: the author cannot be "
	 "checked"},
	{"eoh_resent_from_checked", "192.0.2.9", "alice",
	 "alice@example.com",
	 "From:alice@example.com|Resent-From:ceo@example.org", NULL,
	 "reject 553 5.7.1 <ceo@example.org>: sender address not owned by "
	 "login alice"},
	{"eoh_resent_sender_unreadable_refused", "192.0.2.9", "alice",
	 "alice@example.com",
	 "From:alice@example.com|Resent-Sender:ceo@example.org (x", NULL,
	 "reject 553 5.7.1 unterminated comment, quote or <> in "
	 "Resent-Sender: the author cannot be checked"},
	{"eoh_many_mailboxes_all_checked", "192.0.2.9", "bob",
	 "bob@example.org", "From:a@example.org, b@example.org, c@example.org, "
	 "d@example.org, e@example.org, f@example.org, g@example.org, "
	 "h@example.org, i@example.org, j@example.org, k@example.org, "
	 "l@example.org, m@example.org, n@example.org, o@example.org, "
	 "p@example.org, q@example.org", NULL, "continue"},
	{"eoh_seventeenth_mailbox_checked", "192.0.2.9", "bob",
	 "bob@example.org", "From:a@example.org, b@example.org, c@example.org, "
	 "d@example.org, e@example.org, f@example.org, g@example.org, "
	 "h@example.org, i@example.org, j@example.org, k@example.org, "
	 "l@example.org, m@example.org, n@example.org, o@example.org, "
	 "p@example.org, ceo@example.com", NULL,
	 "reject 553 5.7.1 <ceo@example.com>: sender address not owned by "
	 "login bob"},
	{"eoh_trailing_dot_domain_refused", "192.0.2.9", "alice",
	 "alice@example.com", "From:alice@example.com.", NULL,
	 "reject 553 5.7.1 From domain is not a domain name: the author "
	 "cannot be checked"},
	{"eoh_fullwidth_domain_is_the_domain", "192.0.2.9", "bob",
	 "bob@example.org", "From:ceo@\xef\xbd\x85xample.com", NULL,
	 "reject 553 5.7.1 <ceo@example.com>: sender address not owned by "
	 "login bob"},
	/* header, outside clients: unreadable fields read leniently */
	{"eoh_outside_own_domain_then_empty_mailbox", "192.0.2.9", "",
	 "x@example.net", "From:ceo@example.com, <>", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_empty_mailbox_then_own_domain", "192.0.2.9", "",
	 "x@example.net", "From:<>, ceo@example.com", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_double_close_angle", "192.0.2.9", "", "x@example.net",
	 "From:<ceo@example.com>>", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_unterminated_comment", "192.0.2.9", "", "x@example.net",
	 "From:ceo@example.com (x", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_unterminated_quote", "192.0.2.9", "", "x@example.net",
	 "From:ceo@example.com, \"", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_address_in_unterminated_comment", "192.0.2.9", "",
	 "x@example.net", "From:x@example.net (ceo@example.com", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_trailing_dot", "192.0.2.9", "", "x@example.net",
	 "From:ceo@example.com.", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_group_name_address", "192.0.2.9", "", "x@example.net",
	 "From:ceo@example.com:;", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_encoded_word_address", "192.0.2.9", "", "x@example.net",
	 "From:=?utf-8?q?ceo=40example.com?=", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_seventeenth_mailbox", "192.0.2.9", "", "x@example.net",
	 "From:a@x.example, b@x.example, c@x.example, d@x.example, "
	 "e@x.example, f@x.example, g@x.example, h@x.example, i@x.example, "
	 "j@x.example, k@x.example, l@x.example, m@x.example, n@x.example, "
	 "o@x.example, p@x.example, ceo@example.com", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_resent_from", "192.0.2.9", "", "x@example.net",
	 "From:x@example.net|Resent-From:ceo@example.com", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_resent_sender_unreadable", "192.0.2.9", "",
	 "x@example.net", "From:x@example.net|Resent-Sender:<ceo@example.com",
	 NULL, "reject 550 5.7.1 <ceo@example.com>: example.com is a local "
	 "domain, authenticate to send as it"},
	{"eoh_outside_unreadable_foreign_ok", "192.0.2.9", "", "x@example.net",
	 "From:x@example.net, <>", NULL, "continue"},
	{"eoh_outside_display_name_not_checked", "192.0.2.9", "",
	 "x@example.net", "From:\"ceo@example.com\" <x@example.net>", NULL,
	 "continue"},
	{"eoh_outside_unreadable_tempfail", "192.0.2.9", "", "x@example.net",
	 "From:ceo@example.com, <>", "tempfail",
	 "tempfail 451 4.7.1 <ceo@example.com>: example.com is a local "
	 "domain, authenticate to send as it"},
	{"eoh_outside_unreadable_check_off", "192.0.2.9", "", "x@example.net",
	 "From:ceo@example.com, <>", "accept", "continue"},
	/* header, outside clients */
	{"eoh_outside_own_domain_from_refused", "192.0.2.9", "",
	 "x@example.net", "From:Boss <ceo@example.com>", NULL,
	 "reject 550 5.7.1 <ceo@example.com>: example.com is a local domain, "
	 "authenticate to send as it"},
	{"eoh_outside_foreign_from_ok", "192.0.2.9", "", "x@example.net",
	 "From:x@example.net", NULL, "continue"},
	{"eoh_internal_host_not_checked", "127.0.0.1", "", "x@example.net",
	 "From:ceo@example.org", NULL, "continue"},
};

/* verdict_text - "continue" or "ACTION CODE XCODE TEXT" */
static void
verdict_text(const struct verdict *v, char *buf, size_t size)
{
	if (v->action == VERDICT_CONTINUE)
		snprintf(buf, size, "continue");
	else
		snprintf(buf, size, "%s %s %s %s",
			 verdict_action_name(v->action), v->code, v->xcode,
			 v->text);
}

/* test_dec - one decision at MAIL FROM (hdrs NULL) or end of header */
static void
test_dec(void **state)
{
	const struct dec_row *r = *state;
	struct generation c = cfg;
	struct conf *cf = conf_defaults();
	struct txn t;
	struct verdict v;
	char got[VERDICT_TEXT_MAX + 64];
	char hdrs[1024];
	char *p;
	char *field;
	struct err e;

	c.conf = cf;
	cf->spf_check = false;	/* SPF has tests of its own */
	if (r->tweak != NULL && strcmp(r->tweak, "null") == 0)
		cf->sender_login_null_sender = true;
	if (r->tweak != NULL && strcmp(r->tweak, "off") == 0)
		cf->sender_login_check = false;
	if (r->tweak != NULL && strcmp(r->tweak, "tempfail") == 0)
		cf->own_domain_action = CONF_ACTION_TEMPFAIL;
	if (r->tweak != NULL && strcmp(r->tweak, "accept") == 0)
		cf->own_domain_action = CONF_ACTION_ACCEPT;
	if (r->tweak != NULL && strcmp(r->tweak, "ours") == 0) {
		char list[] = "ours.example";

		assert_int_equal(conf_reply_parse("550 5.7.1 <%a>: %d is a "
			"local domain, authenticate to send as it",
			&cf->own_domain_reply, &e), 0);
		cf->own_domains.items = malloc(sizeof(char *));
		assert_non_null(cf->own_domains.items);
		cf->own_domains.items[0] = strdup(list);
		cf->own_domains.count = 1;
	}
	make_txn(&t, r->client, r->login, 0, "", false);
	(void)str_copy(t.sender, sizeof(t.sender), r->sender);
	if (r->hdrs == NULL) {
		engine_mail(&c, &t, &v);
	} else {
		(void)str_copy(hdrs, sizeof(hdrs), r->hdrs);
		for (p = hdrs; (field = strsep(&p, "|")) != NULL;) {
			char *colon = strchr(field, ':');

			if (colon == NULL)
				continue;
			*colon = '\0';
			(void)engine_header(&c, &t, field, colon + 1,
					    strlen(colon + 1), NULL);
		}
		engine_eoh(&c, &t, &v);
	}
	verdict_text(&v, got, sizeof(got));
	conf_free(cf);
	assert_string_equal(got, r->want);
}

/* --- trust --------------------------------------------------------------- */

/* test_trust_kinds - sasl wins over internal; names for the log */
static void
test_trust_kinds(void **state)
{
	struct txn t;

	(void)state;
	make_txn(&t, "127.0.0.1", "alice", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&cfg, &t), ENGINE_TRUST_SASL);
	make_txn(&t, "127.0.0.1", "", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&cfg, &t), ENGINE_TRUST_INTERNAL);
	make_txn(&t, "198.51.100.1", "", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&cfg, &t), ENGINE_UNTRUSTED);
	assert_string_equal(engine_trust_name(ENGINE_TRUST_SASL), "sasl");
	assert_string_equal(engine_trust_name(ENGINE_TRUST_INTERNAL),
			    "internal");
	assert_string_equal(engine_trust_name(ENGINE_UNTRUSTED), "untrusted");
}

/* test_internal_hosts_setting_is_used - a custom list replaces loopback */
static void
test_internal_hosts_setting_is_used(void **state)
{
	struct generation c = {0};
	struct txn t;
	struct err e;
	char got[512];

	(void)state;
	c.conf = conf_defaults();
	c.keys = cfg.keys;
	cidr_list_free(&c.conf->internal_hosts);
	assert_int_equal(cidr_list_add(&c.conf->internal_hosts,
				       "10.0.0.0/8", &e), 0);
	make_txn(&t, "10.1.2.3", "", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&c, &t), ENGINE_TRUST_INTERNAL);
	run_plan(&c, &t, 8, got, sizeof(got));
	assert_string_equal(got, "ed:example.com ed2:example.com");
	make_txn(&t, "127.0.0.1", "", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&c, &t), ENGINE_UNTRUSTED);
	run_plan(&c, &t, 8, got, sizeof(got));
	assert_string_equal(got, "why: untrusted client");
	conf_free(c.conf);
}

/* test_empty_internal_hosts_trusts_only_sasl - nobody by address */
static void
test_empty_internal_hosts_trusts_only_sasl(void **state)
{
	struct generation c = {0};
	struct txn t;

	(void)state;
	c.conf = conf_defaults();
	c.keys = cfg.keys;
	cidr_list_free(&c.conf->internal_hosts);
	make_txn(&t, "127.0.0.1", "", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&c, &t), ENGINE_UNTRUSTED);
	make_txn(&t, "127.0.0.1", "bob", 1, "a@example.com", false);
	assert_int_equal(engine_trust(&c, &t), ENGINE_TRUST_SASL);
	conf_free(c.conf);
}

/* test_small_why_buffer - a reason that does not fit stays in bounds */
static void
test_small_why_buffer(void **state)
{
	struct keytable_req reqs[1];
	struct txn t;
	char *why = malloc(8);	/* exact, for ASan */

	(void)state;
	assert_non_null(why);
	make_txn(&t, "192.0.2.1", "", 1, "a@example.com", false);
	assert_int_equal(engine_sign_plan(&cfg, &t, reqs, 1, why, 8), 0);
	assert_true(strlen(why) < 8);
	make_txn(&t, "127.0.0.1", "", 1, "a@very-long-domain.example", false);
	assert_int_equal(engine_sign_plan(&cfg, &t, reqs, 1, why, 8), 0);
	assert_true(strlen(why) < 8);
	free(why);
}

int
main(void)
{
	static struct rg_cases c;
	int rc;

	if (fixture_make() < 0) {
		fprintf(stderr, "engine_test: cannot build the fixture\n");
		rg_tmpdir_remove(dir);
		return 1;
	}
	RG_ADD_ROWS(&c, rows, test_row);
	RG_ADD_ROWS(&c, dec_rows, test_dec);
	rg_case_add(&c, "trust_kinds", test_trust_kinds, NULL);
	rg_case_add(&c, "internal_hosts_setting_is_used",
		    test_internal_hosts_setting_is_used, NULL);
	rg_case_add(&c, "empty_internal_hosts_trusts_only_sasl",
		    test_empty_internal_hosts_trusts_only_sasl, NULL);
	rg_case_add(&c, "small_why_buffer", test_small_why_buffer, NULL);
	rc = rg_cases_run(&c, "engine", NULL, NULL);
	fixture_free();
	return rc;
}
