/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * odkconf_test - OpenDKIM's configuration read as OpenDKIM reads it:
 * names in any case, '#' anywhere, the last of a name counts, Include
 * (and its depth limit), booleans by their first byte; data sets (lists,
 * files, databases refused); Socket in its three forms; networks with
 * exclusions where the most precise entry wins, and refile patterns of
 * whole octets.
 */
#include "odkconf.h"

#include <arpa/inet.h>
#include <string.h>

#include "rg_test.h"
#include "str.h"

/* A reader over a small in-memory file system: "name=text" pairs. */
struct fake_fs {
	const char *files[8][2];
};

/* fake_read - the text of a file of the fake file system */
static int
fake_read(void *ctx, const char *path, struct strbuf *out, struct err *e)
{
	const struct fake_fs *fs = ctx;
	size_t i;

	for (i = 0; i < 8 && fs->files[i][0] != NULL; i++)
		if (strcmp(fs->files[i][0], path) == 0)
			return strbuf_append_str(out, fs->files[i][1]);
	err_set(e, "%s: No such file or directory", path);
	return -1;
}

/* --- the file ------------------------------------------------------------ */

struct parse_row {
	const char *name;
	const char *text;
	const char *key;	/* looked up */
	const char *value;	/* expected, NULL: absent */
	const char *where;	/* expected place, or NULL */
	size_t nproblems;
};

static const struct parse_row parse_rows[] = {
	{"name_and_value", "Socket inet:8891@localhost\n", "Socket",
	 "inet:8891@localhost", "main:1", 0},
	{"names_match_in_any_case", "kEYtABLE file:/k\n", "KeyTable",
	 "file:/k", "main:1", 0},
	{"tabs_and_blanks_around_the_value", "  Mode\t\t sv  \t\n", "mode",
	 "sv", "main:1", 0},
	{"hash_anywhere_ends_the_line", "Selector sel#ected\n", "Selector",
	 "sel", "main:1", 0},
	{"cr_ends_the_line", "Domain example.com\r\n", "Domain",
	 "example.com", "main:1", 0},
	{"the_last_one_counts", "Mode s\n\n# c\nMode v\n", "Mode", "v",
	 "main:4", 0},
	{"value_keeps_inner_blanks", "UserID  a b\n", "UserID", "a b",
	 "main:1", 0},
	{"name_without_value_is_kept_empty", "Syslog\n", "Syslog", "",
	 "main:1", 0},
	{"comment_only_lines_are_nothing", "# Socket x\n   # y\n", "Socket",
	 NULL, NULL, 0},
	{"no_newline_at_the_end", "Mode s", "Mode", "s", "main:1", 0},
	{"include_reads_the_file_in_place", "Include /inc\nMode x\n",
	 "KeyTable", "file:/inc-k", "/inc:2", 0},
	{"include_of_a_missing_file_is_a_problem",
	 "Include /nonexistent\n", "Mode", NULL, NULL, 1},
	{"include_too_deep_is_a_problem", "Include /loop\n", "Mode", "a",
	 "/loop:2", 1},
	{"nul_ends_the_line", "Mode s\0v\n", "Mode", "s", "main:1", 0},
};

/* test_parse - one row */
static void
test_parse(void **state)
{
	const struct parse_row *r = *state;
	static const struct fake_fs fs = {{
		{"/inc", "# included\nKeyTable file:/inc-k\n"},
		{"/loop", "Include /loop\nMode a\n"},
		{NULL, NULL},
	}};
	struct odk_conf c;
	const struct odk_item *it;
	size_t len = strlen(r->text);

	if (strcmp(r->name, "nul_ends_the_line") == 0)
		len = 9;
	odk_conf_init(&c);
	assert_int_equal(odk_conf_parse(&c, r->text, len, "main", fake_read,
					(void *)(uintptr_t)&fs), 0);
	it = odk_conf_last(&c, r->key);
	if (r->value == NULL) {
		assert_null(it);
	} else {
		assert_non_null(it);
		assert_string_equal(it->value, r->value);
		assert_string_equal(it->where, r->where);
	}
	assert_int_equal(c.nproblems, r->nproblems);
	odk_conf_free(&c);
}

struct bool_row {
	const char *name;
	const char *v;
	int b;
};

static const struct bool_row bool_rows[] = {
	{"bool_yes", "yes", 1}, {"bool_true_by_first_byte", "Trust", 1},
	{"bool_one", "1", 1}, {"bool_no", "no", 0}, {"bool_false", "F", 0},
	{"bool_zero", "0", 0}, {"bool_other_is_neither", "maybe", -1},
	{"bool_empty_is_neither", "", -1},
};

/* test_bool - one row */
static void
test_bool(void **state)
{
	const struct bool_row *r = *state;

	assert_int_equal(odk_bool(r->v), r->b);
}

/* --- data sets ------------------------------------------------------------ */

struct ds_row {
	const char *name;
	const char *value;
	int rc;
	const char *entries;	/* joined with '|' */
	const char *first_where;
};

static const struct ds_row ds_rows[] = {
	{"list_without_prefix", "127.0.0.1, 10.0.0.0/8,::1", 0,
	 "127.0.0.1|10.0.0.0/8|::1", "set"},
	{"csl_prefix", "csl:a,b", 0, "a|b", "set"},
	{"list_skips_empty_elements", "a,, ,b,", 0, "a|b", "set"},
	{"file_prefix_first_word_of_each_line", "file:/hosts", 0,
	 "127.0.0.1|!10.1.2.3|mx.example", "/hosts:2"},
	{"bare_path_is_a_file", "/hosts", 0,
	 "127.0.0.1|!10.1.2.3|mx.example", "/hosts:2"},
	{"refile_prefix", "refile:/hosts", 0,
	 "127.0.0.1|!10.1.2.3|mx.example", "/hosts:2"},
	{"missing_file_fails", "file:/none", -1, NULL, NULL},
	{"database_is_not_read", "db:/etc/x.db", -1, NULL, NULL},
	{"dsn_is_not_read", "dsn:mysql://u@h/d/table=t", -1, NULL, NULL},
	{"dot_db_is_a_database", "/etc/hosts.db", -1, NULL, NULL},
	{"ldap_is_not_read", "ldap://h/dc=x", -1, NULL, NULL},
};

/* test_ds - one row */
static void
test_ds(void **state)
{
	const struct ds_row *r = *state;
	static const struct fake_fs fs = {{
		{"/hosts", "# internal\n127.0.0.1\n!10.1.2.3 # not it\n"
			   "  mx.example  some value\n\n"},
		{NULL, NULL},
	}};
	struct odk_entries l;
	struct strbuf joined;
	struct err e;
	size_t i;

	assert_int_equal(odk_dataset_entries(r->value, "set", fake_read,
					     (void *)(uintptr_t)&fs, &l, &e),
			 r->rc);
	if (r->rc < 0)
		return;
	strbuf_init(&joined, 4096);
	for (i = 0; i < l.count; i++)
		(void)strbuf_printf(&joined, "%s%s", i ? "|" : "",
				    l.v[i].text);
	assert_string_equal(joined.data, r->entries);
	assert_string_equal(l.v[0].where, r->first_where);
	strbuf_free(&joined);
	odk_entries_free(&l);
}

/* --- Socket ------------------------------------------------------------ */

struct sock_row {
	const char *name;
	const char *v;
	int rc;
	bool is_unix;
	bool inet6;
	const char *path_or_host;
	unsigned port;
};

static const struct sock_row sock_rows[] = {
	{"local_path", "local:/run/opendkim/opendkim.sock", 0, true, false,
	 "/run/opendkim/opendkim.sock", 0},
	{"unix_path", "unix:/var/run/x.sock", 0, true, false, "/var/run/x.sock",
	 0},
	{"bare_path", "/run/x.sock", 0, true, false, "/run/x.sock", 0},
	{"inet_port_at_name", "inet:8891@localhost", 0, false, false,
	 "localhost", 8891},
	{"inet_port_at_bracketed_address", "inet:8891@[192.0.2.1]", 0, false,
	 false, "192.0.2.1", 8891},
	{"inet_port_alone_is_every_address", "inet:12301", 0, false, false,
	 "", 12301},
	{"inet6_bracketed", "inet6:8891@[::1]", 0, false, true, "::1", 8891},
	{"relative_local_path_refused", "local:run/x", -1, false, false, NULL,
	 0},
	{"port_zero_refused", "inet:0@localhost", -1, false, false, NULL, 0},
	{"port_too_big_refused", "inet:65536", -1, false, false, NULL, 0},
	{"port_not_a_number_refused", "inet:smtp@localhost", -1, false, false,
	 NULL, 0},
	{"nothing_after_at_refused", "inet:8891@", -1, false, false, NULL, 0},
	{"unclosed_bracket_refused", "inet:8891@[::1", -1, false, false, NULL,
	 0},
	{"postfix_syntax_refused", "inet:127.0.0.1:8891", -1, false, false,
	 NULL, 0},
	{"unknown_scheme_refused", "tcp:8891", -1, false, false, NULL, 0},
};

/* test_sock - one row */
static void
test_sock(void **state)
{
	const struct sock_row *r = *state;
	struct odk_socket s;
	struct err e;

	assert_int_equal(odk_socket_parse(r->v, &s, &e), r->rc);
	if (r->rc < 0) {
		assert_true(rg_has(e.text, r->v));
		return;
	}
	assert_int_equal(s.is_unix, r->is_unix);
	assert_int_equal(s.inet6, r->inet6);
	assert_string_equal(s.is_unix ? s.path : s.host, r->path_or_host);
	assert_int_equal(s.port, r->port);
}

/* --- networks ------------------------------------------------------------ */

struct nets_row {
	const char *name;
	const char *list;	/* entries separated by ' ' */
	const char *want;	/* the networks, ", " separated; "x": parse fails */
};

static const struct nets_row nets_rows[] = {
	{"one_address", "192.0.2.7", "192.0.2.7"},
	{"cidr_host_bits_cleared", "192.0.2.7/24", "192.0.2.0/24"},
	{"brackets_removed", "[192.0.2.7] [2001:db8::1]",
	 "192.0.2.7, 2001:db8::1"},
	{"mapped_ipv6_is_ipv4", "::ffff:192.0.2.0/120", "192.0.2.0/24"},
	{"contained_network_absorbed", "10.0.0.0/8 10.1.0.0/16", "10.0.0.0/8"},
	{"exclusion_cut_out", "192.168.1.0/24 !192.168.1.5",
	 "192.168.1.0/30, 192.168.1.4, 192.168.1.6/31, 192.168.1.8/29, "
	 "192.168.1.16/28, 192.168.1.32/27, 192.168.1.64/26, "
	 "192.168.1.128/25"},
	{"more_precise_inclusion_wins", "!192.168.1.0/24 192.168.1.1",
	 "192.168.1.1"},
	{"exclusion_wins_a_tie", "10.0.0.1 !10.0.0.1", ""},
	{"less_precise_exclusion_loses", "10.0.0.0/8 !10.0.0.0/7", "10.0.0.0/8"},
	{"families_apart", "0.0.0.0/0 !::/0", "0.0.0.0/0"},
	{"ipv6_exclusion", "2001:db8::/32 !2001:db8::/33", "2001:db8:8000::/33"},
	{"name_is_not_a_network", "mx.example", "x"},
	{"prefix_too_long", "192.0.2.0/33", "x"},
	{"prefix_not_a_number", "192.0.2.0/a", "x"},
};

/* test_nets - one row */
static void
test_nets(void **state)
{
	const struct nets_row *r = *state;
	struct odk_net nets[16];
	bool excl[16];
	struct odk_nets set = {NULL, 0, 0};
	struct strbuf out;
	char list[256];
	char *save = NULL;
	char *w;
	size_t n = 0;
	size_t i;

	(void)str_copy(list, sizeof(list), r->list);
	for (w = strtok_r(list, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save)) {
		if (odk_net_parse(w, &nets[n], &excl[n]) < 0) {
			assert_string_equal(r->want, "x");
			return;
		}
		n++;
	}
	odk_nets_apply(&set, nets, excl, n);
	strbuf_init(&out, 4096);
	(void)strbuf_append(&out, "", 0);
	for (i = 0; i < set.count; i++) {
		char a[64];

		odk_net_format(&set.v[i], a, sizeof(a));
		(void)strbuf_printf(&out, "%s%s", i ? ", " : "", a);
	}
	assert_string_equal(out.data != NULL ? out.data : "", r->want);
	strbuf_free(&out);
	odk_nets_free(&set);
}

struct pat_row {
	const char *name;
	const char *pattern;
	const char *want;	/* NULL: not a network pattern */
};

static const struct pat_row pat_rows[] = {
	{"pattern_one_octet", "10.*", "10.0.0.0/8"},
	{"pattern_two_octets", "192.168.*", "192.168.0.0/16"},
	{"pattern_three_octets", "192.168.1.*", "192.168.1.0/24"},
	{"pattern_stars_to_the_end", "172.16.*.*", "172.16.0.0/16"},
	{"pattern_star_alone_is_everything", "*", "0.0.0.0/0"},
	{"pattern_inner_star_refused", "10.*.0.1", NULL},
	{"pattern_partial_octet_refused", "10.1*", NULL},
	{"pattern_host_name_refused", "*.example.com", NULL},
	{"pattern_without_star_refused", "10.0.0.1", NULL},
	{"pattern_octet_too_big_refused", "300.*", NULL},
};

/* test_pat - one row */
static void
test_pat(void **state)
{
	const struct pat_row *r = *state;
	struct odk_net n;
	char a[64];

	if (r->want == NULL) {
		assert_int_equal(odk_net_pattern(r->pattern, &n), -1);
		return;
	}
	assert_int_equal(odk_net_pattern(r->pattern, &n), 0);
	odk_net_format(&n, a, sizeof(a));
	assert_string_equal(a, r->want);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, parse_rows, test_parse);
	RG_ADD_ROWS(&c, bool_rows, test_bool);
	RG_ADD_ROWS(&c, ds_rows, test_ds);
	RG_ADD_ROWS(&c, sock_rows, test_sock);
	RG_ADD_ROWS(&c, nets_rows, test_nets);
	RG_ADD_ROWS(&c, pat_rows, test_pat);
	return rg_cases_run(&c, "odkconf", NULL, NULL);
}
