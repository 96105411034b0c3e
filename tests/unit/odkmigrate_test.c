/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * odkmigrate_test - OpenDKIM settings into relayguard.conf lines: what is
 * written for each kind of setting, what is noted (and of which kind, with
 * its line), OpenDKIM's defaults where relayguard's differ, and that the
 * text always loads with relayguard's own parser.
 */
#include "odkmigrate.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "rg_test.h"

/* fake_read - a few files the rows name */
static int
fake_read(void *ctx, const char *path, struct strbuf *out, struct err *e)
{
	static const char *const files[][2] = {
		{"/k/KeyTable", "a._domainkey.a.test a.test:a:/k/a.private\n"
				"i._domainkey.a.test a.test:i:MIIEvQIBADANBg\n"
				"r._domainkey.a.test a.test:r:./r.private\n"},
		{"/base/KeyTable", "a._domainkey.a.test a.test:a:/k/a.private\n"},
		{"/hosts", "10.0.0.0/8\n!10.9.9.9\nmx.test\n.example.com\n"},
		{"/hosts.re", "192.168.*\n*.example.com\n"},
		{"/inc", "Canonicalization simple\n"},
		{"/many", "10.1.0.0/16\n10.2.0.0/16\n10.3.0.0/16\n10.4.0.0/16\n"
			  "10.5.0.0/16\n10.6.0.0/16\n10.7.0.0/16\n10.8.0.0/16\n"
			  "10.9.0.0/16\n10.10.0.0/16\n10.11.0.0/16\n"
			  "10.12.0.0/16\n10.13.0.0/16\n10.14.0.0/16\n"
			  "192.0.2.0/24\n198.51.100.0/24\n203.0.113.0/24\n"},
	};
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(files[i][0], path) == 0)
			return strbuf_append_str(out, files[i][1]);
	err_set(e, "%s: No such file or directory", path);
	return -1;
}

/* fake_resolve - mx.test and localhost have addresses, nothing else */
static int
fake_resolve(void *ctx, const char *name, char *out, size_t size)
{
	(void)ctx;
	if (strcmp(name, "mx.test") == 0)
		return snprintf(out, size, "192.0.2.25 2001:db8::25") > 0 ? 2
									 : -1;
	if (strcmp(name, "relay.test") == 0)
		return snprintf(out, size, "2001:db8::7") > 0 ? 1 : -1;
	return -1;
}

struct mig_row {
	const char *name;
	const char *conf;	/* OpenDKIM's file, lines with \n */
	const char *lines;	/* expected lines of the output, '|' apart */
	const char *absent;	/* a line that must not be there, or NULL */
	const char *note;	/* expected in one note: "WHERE|KIND|text" */
};

static const struct mig_row mig_rows[] = {
	{"user_from_userid", "UserID opendkim\n", "user = opendkim", NULL,
	 NULL},
	{"userid_group_noted", "UserID opendkim:mail\n", "user = opendkim",
	 NULL, "main:1|changed|group mail"},
	{"no_userid_noted", "Mode s\n", "", "user =", "|changed|no UserID"},
	{"local_socket_moves", "Socket local:/run/opendkim/opendkim.sock\n",
	 "socket = unix:/var/spool/postfix/relayguard/milter.sock|"
	 "socket_group = postfix", NULL,
	 "main:1|changed|smtpd_milters = unix:relayguard/milter.sock"},
	{"umask_is_socket_mode", "Socket local:/x.sock\nUMask 002\n",
	 "socket_mode = 0664", NULL, NULL},
	{"umask_for_inet_not_needed", "Socket inet:8891@127.0.0.1\nUMask 7\n",
	 "socket = inet:8891@127.0.0.1", "socket_mode", "main:2|not needed|"},
	{"inet_localhost_is_loopback", "Socket inet:8891@localhost\n",
	 "socket = inet:8891@127.0.0.1", NULL, NULL},
	{"inet6_localhost", "Socket inet6:8891@localhost\n",
	 "socket = inet6:8891@::1", NULL, NULL},
	{"inet_every_address_warned", "Socket inet:8891\n",
	 "socket = inet:8891@0.0.0.0", NULL, "main:1|changed|every address"},
	{"inet_host_name_resolved", "Socket inet6:8891@relay.test\n",
	 "socket = inet6:8891@2001:db8::7", NULL, "main:1|changed|relay.test"},
	{"bad_socket_lost", "Socket tcp:8891\n", "", "socket =",
	 "main:1|not carried over|not an OpenDKIM socket"},
	{"tables_carried", "KeyTable file:/k/KeyTable\n"
			   "SigningTable refile:/k/SigningTable\n",
	 "key_table = file:/k/KeyTable|signing_table = refile:/k/SigningTable",
	 NULL, NULL},
	{"inline_key_noted_with_its_line", "KeyTable /k/KeyTable\n"
					   "SigningTable /k/st\n",
	 "key_table = file:/k/KeyTable", NULL,
	 "/k/KeyTable:2|not carried over|in the table itself"},
	{"relative_key_path_noted", "KeyTable /k/KeyTable\nSigningTable /k/s\n",
	 "", NULL, "/k/KeyTable:3|changed|relative key path ./r.private"},
	{"database_table_lost", "KeyTable dsn:mysql://h/d/table=k\n"
				"SigningTable refile:/s\n", "", "key_table",
	 "main:1|not carried over|file: and refile:"},
	{"one_table_alone_lost", "SigningTable refile:/s\n",
	 "signing_table = refile:/s", NULL,
	 "main:1|not carried over|both a KeyTable and a SigningTable"},
	{"basedir_makes_paths_absolute", "BaseDirectory /base\n"
					 "KeyTable file:KeyTable\nSigningTable refile:st\n",
	 "key_table = file:/base/KeyTable|signing_table = refile:/base/st", NULL,
	 "|changed|made absolute"},
	{"single_key_becomes_table_lines", "Domain a.test,b.test\n"
					   "Selector s1\nKeyFile /k/a\n"
					   "SubDomains yes\n",
	 "#   s1._domainkey.a.test a.test:s1:/k/a|"
	 "#   *@*.b.test s1._domainkey.b.test", "key_table =",
	 "main:3|changed|2 domains"},
	{"single_key_ignored_with_keytable", "KeyTable /k/KeyTable\n"
					     "SigningTable /s\nDomain a.test\n",
	 "", NULL, "main:3|not needed|ignores it"},
	{"canonicalization_pair", "Canonicalization Relaxed/Simple\n",
	 "canonicalization = relaxed/simple", NULL, NULL},
	{"canonicalization_one_word_body_simple", "Canonicalization relaxed\n",
	 "canonicalization = relaxed/simple", NULL, NULL},
	{"canonicalization_bad_lost", "Canonicalization nofws\n", "",
	 "canonicalization =", "main:1|not carried over|simple or relaxed"},
	{"no_canonicalization_noted", "Mode s\n", "", "canonicalization",
	 "|changed|simple/simple"},
	{"signheaders_list_from_added", "SignHeaders To,Subject\n",
	 "sign_headers = to, subject, from", NULL, NULL},
	{"signheaders_delta", "SignHeaders *,+X-Ticket,-list-id\n",
	 "", "list-id", NULL},
	{"omitheaders_taken_out_of_the_default",
	 "OmitHeaders *,+subject\n", "", "subject,",
	 "main:1|changed|left out"},
	{"oversign_list", "OversignHeaders From,To\n",
	 "oversign_headers = from, to", NULL, NULL},
	{"multiple_signatures_default_no", "Mode s\n",
	 "multiple_signatures = no", NULL, NULL},
	{"multiple_signatures_yes", "MultipleSignatures true\n",
	 "multiple_signatures = yes", NULL, NULL},
	{"require_safe_keys_no", "RequireSafeKeys 0\n",
	 "require_safe_keys = no", NULL, NULL},
	{"sign_error_carried", "On-SignatureError Accept\n",
	 "on_sign_error = accept", NULL, NULL},
	{"sign_error_from_on_default", "On-Default tempfail\n",
	 "on_sign_error = tempfail", NULL, "main:1|changed|"},
	{"sign_error_quarantine_lost", "On-SignatureError quarantine\n", "",
	 "on_sign_error", "main:1|not carried over|tempfail, accept or reject"},
	{"internal_hosts_file", "InternalHosts /hosts\n",
	 "internal_hosts = 10.0.0.0/13, 10.8.0.0/16, 10.9.0.0/21, "
	 "10.9.8.0/24,", "10.9.9.9,",
	 "/hosts:3|changed|192.0.2.25 2001:db8::25"},
	{"internal_hosts_domain_lost", "InternalHosts /hosts\n", "", NULL,
	 "/hosts:4|not carried over|client host names"},
	{"internal_hosts_refile_pattern", "InternalHosts refile:/hosts.re\n",
	 "internal_hosts = 192.168.0.0/16", NULL,
	 "/hosts.re:2|not carried over|client host names"},
	{"internal_hosts_unresolved_lost", "InternalHosts 127.0.0.1,nx.test\n",
	 "internal_hosts = 127.0.0.1", NULL,
	 "main:1|not carried over|does not resolve"},
	{"internal_hosts_database_lost", "InternalHosts db:/h.db\n", "",
	 "internal_hosts", "main:1|not carried over|database"},
	{"facility_lower_case", "SyslogFacility LOCAL3\n",
	 "syslog_facility = local3", NULL, NULL},
	{"bad_facility_commented_out", "SyslogFacility nosuch\n",
	 "#syslog_facility = nosuch", "syslog_facility = nosuch",
	 "main:1|not carried over|would be refused"},
	{"authservid_carried", "AuthservID mx.example\n",
	 "authserv_id = mx.example", NULL, "main:1|changed|SPF"},
	{"mode_verify_only_lost", "Mode v\n", "", NULL,
	 "main:1|not carried over|only verified"},
	{"mode_sv_verification_noted", "Mode sv\n", "", NULL,
	 "main:1|verification only|"},
	{"verification_setting_noted", "TrustAnchorFile /usr/share/dns/root.key\n",
	 "", NULL, "main:1|verification only|verifies nothing"},
	{"unneeded_setting_noted", "AutoRestart yes\n", "", NULL,
	 "main:1|not needed|systemd"},
	{"unknown_setting_noted", "Frobnicate yes\n", "", NULL,
	 "main:1|not carried over|not an OpenDKIM setting"},
	{"empty_value_noted", "Canonicalization\n", "", "canonicalization =",
	 "main:1|not carried over|no value"},
	{"overridden_line_noted", "Mode s\nMode sv\n", "", NULL,
	 "main:1|not needed|overridden by main:2"},
	{"include_followed", "Include /inc\n", "canonicalization = simple/simple",
	 NULL, NULL},
	{"include_missing_noted", "Include /nope\n", "", NULL,
	 "|not carried over|/nope: No such file"},
	{"signing_only_always", "",
	 "sender_login_check = no|own_domain_action = accept|spf_check = no",
	 NULL, NULL},
	{"control_bytes_cleaned_in_comments", "UserID a\001b\n", "", "\001",
	 NULL},
};

/* has_line - does text hold line as a whole line (or a prefix with
 * "," at the end, for a wrapped list)? */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0' || line[n - 1] == ','))
			return 1;
		p++;
	}
	print_error("expected the line \"%s\" in:\n%s\n", line, text);
	return 0;
}

/* lacks - no line of text starts with what (a control byte: nowhere) */
static int
lacks(const char *text, const char *what)
{
	const char *p = text;

	if ((unsigned char)what[0] < 0x20)
		return strstr(text, what) == NULL;
	while ((p = strstr(p, what)) != NULL) {
		if (p == text || p[-1] == '\n') {
			print_error("unexpected \"%s\" in:\n%s\n", what, text);
			return 0;
		}
		p++;
	}
	return 1;
}

/* has_note - a note with this place, kind and text */
static int
has_note(const struct odk_migration *m, const char *spec)
{
	char where[256];
	char kind[64];
	const char *text;
	const char *bar = strchr(spec, '|');
	const char *bar2 = strchr(bar + 1, '|');
	size_t i;

	(void)snprintf(where, sizeof(where), "%.*s", (int)(bar - spec), spec);
	(void)snprintf(kind, sizeof(kind), "%.*s", (int)(bar2 - bar - 1),
		       bar + 1);
	text = bar2 + 1;
	for (i = 0; i < m->nnotes; i++)
		if (strcmp(m->notes[i].where, where) == 0 &&
		    strcmp(odk_note_kind_name(m->notes[i].kind), kind) == 0 &&
		    strstr(m->notes[i].text, text) != NULL)
			return 1;
	print_error("no note \"%s\"; the notes:\n", spec);
	for (i = 0; i < m->nnotes; i++)
		print_error("  %s | %s | %s\n", m->notes[i].where,
			    odk_note_kind_name(m->notes[i].kind),
			    m->notes[i].text);
	return 0;
}

/* loads - does relayguard's parser take the text? */
static int
loads(const struct odk_migration *m)
{
	struct conf *c = NULL;
	struct err e;
	FILE *fp = fmemopen(m->conf.data, m->conf.len, "r");
	int rc;

	if (fp == NULL)
		return 0;
	rc = conf_load_stream(fp, "migrated", &c, &e);
	(void)fclose(fp);
	conf_free(c);
	if (rc < 0)
		print_error("%s\n", e.text);
	return rc == 0;
}

/* test_mig - one row */
static void
test_mig(void **state)
{
	const struct mig_row *r = *state;
	const struct odk_env env = {fake_read, fake_resolve, NULL};
	struct odk_migration m;
	char lines[1024];
	char *save = NULL;
	char *l;

	assert_int_equal(odk_migrate(r->conf, strlen(r->conf), "main", &env,
				     &m), 0);
	assert_non_null(m.conf.data);
	(void)snprintf(lines, sizeof(lines), "%s", r->lines);
	for (l = strtok_r(lines, "|", &save); l != NULL;
	     l = strtok_r(NULL, "|", &save))
		assert_true(has_line(m.conf.data, l));
	if (r->absent != NULL)
		assert_true(lacks(m.conf.data, r->absent));
	if (r->note != NULL)
		assert_true(has_note(&m, r->note));
	assert_true(loads(&m));
	odk_migration_free(&m);
}

/* test_signs_flag - tables carried over make signs true */
static void
test_signs_flag(void **state)
{
	const struct odk_env env = {fake_read, NULL, NULL};
	static const char both[] = "KeyTable /k/KeyTable\nSigningTable /s\n";
	struct odk_migration m;

	(void)state;
	assert_int_equal(odk_migrate(both, strlen(both), "main", &env, &m), 0);
	assert_true(m.signs);
	odk_migration_free(&m);
	assert_int_equal(odk_migrate("Mode s\n", 7, "main", &env, &m), 0);
	assert_false(m.signs);
	odk_migration_free(&m);
}

/* test_lines_fit - a long list and long notes are broken into lines of
 * at most 76 columns (a tab is 8), and still load */
static void
test_lines_fit(void **state)
{
	const struct odk_env env = {fake_read, NULL, NULL};
	static const char conf[] =
		"InternalHosts /many\nExternalIgnoreList /many\n"
		"UserID opendkim:mail\nMode s\n"
		"Socket inet:8891\n";
	struct odk_migration m;
	const char *p;
	size_t col = 0;
	size_t lines = 0;

	(void)state;
	assert_int_equal(odk_migrate(conf, sizeof(conf) - 1, "main", &env, &m),
			 0);
	for (p = m.conf.data; *p != '\0'; p++) {
		if (*p == '\n') {
			lines++;
			col = 0;
			continue;
		}
		col = *p == '\t' ? (col / 8 + 1) * 8 : col + 1;
		if (col > 76)
			print_error("a line passes column 76:\n%.80s\n",
				    p - col + 1);
		assert_true(col <= 76);
	}
	assert_true(has_line(m.conf.data, "internal_hosts = 10.1.0.0/16,"));
	assert_non_null(strstr(m.conf.data, "\n\t"));
	assert_true(loads(&m));
	assert_true(lines > 10);
	odk_migration_free(&m);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, mig_rows, test_mig);
	rg_case_add(&c, "signs_only_with_both_tables", test_signs_flag, NULL);
	rg_case_add(&c, "lines_fit_76_columns", test_lines_fit, NULL);
	return rg_cases_run(&c, "odkmigrate", NULL, NULL);
}
