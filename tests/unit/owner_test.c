/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * owner_test - the sender login map: which login may send as which
 * address (exact, @domain, @.subdomains, "@domain" login keys, shared
 * addresses, the self rule, case and +tag options), and the errors a bad
 * map file gets (file:line, what is wrong).
 */
#include "owner.h"

#include <string.h>

#include "rg_test.h"

static char dir[PATH_MAX];
static struct owner_map *map;

static const char map_text[] =
	"# login            may send as\n"
	"alice@example.com  sales@example.com, info@example.com\n"
	"bob                @example.org\n"
	"@example.net       @example.net   # every login @example.net\n"
	"carol              @.example.com\n"
	"dave@example.com   shared@example.com\n"
	"erin@example.com   shared@example.com\n"
	"Frank              frank@example.com\n"
	"                   frank@example.org    # continued\n"
	"frank              frank@example.info\n"
	"gina@example.net   gina@other.example\n"
	"idn                @b\xc3\xbc" "cher.example\n";

struct row {
	const char *name;
	const char *login;
	const char *addr;	/* parsed with addr_path_parse */
	bool self;
	bool exact;
	char delim;
	bool want;
};

static const struct row rows[] = {
	{"login_owns_listed_address", "alice@example.com", "sales@example.com",
	 true, false, 0, true},
	{"login_owns_itself", "alice@example.com", "alice@example.com", true,
	 false, 0, true},
	{"self_rule_off_needs_a_line", "alice@example.com",
	 "alice@example.com", false, false, 0, false},
	{"login_may_not_use_other_address", "alice@example.com",
	 "ceo@example.com", true, false, 0, false},
	{"login_may_not_use_other_domain", "alice@example.com",
	 "alice@example.org", true, false, 0, false},
	{"domain_value_covers_every_address", "bob", "anyone@example.org",
	 true, false, 0, true},
	{"domain_value_is_not_subdomains", "bob", "a@sub.example.org", true,
	 false, 0, false},
	/* domains compare after normalisation: a full-width letter is its
	 * ASCII twin (UTS #46), a Cyrillic look-alike is another domain */
	{"fullwidth_letter_is_the_owned_domain", "bob",
	 "a@\xef\xbd\x85xample.org", true, false, 0, true},
	{"cyrillic_lookalike_is_not_owned", "bob", "a@\xd0\xb5xample.org",
	 true, false, 0, false},
	{"percent_hack_is_its_domain_only", "bob", "a%example.org@evil.example",
	 true, false, 0, false},
	{"subdomain_value_covers_subdomains", "carol", "x@mx.example.com",
	 true, false, 0, true},
	{"subdomain_value_is_not_the_domain", "carol", "x@example.com", true,
	 false, 0, false},
	{"subdomain_value_needs_a_dot", "carol", "x@badexample.com", true,
	 false, 0, false},
	{"domain_login_key_applies", "zoe@example.net", "team@example.net",
	 true, false, 0, true},
	{"domain_login_key_not_other_domain", "zoe@example.net",
	 "zoe@example.org", true, false, 0, false},
	{"own_line_hides_domain_key", "gina@example.net", "x@example.net",
	 true, false, 0, false},
	{"own_line_keeps_self", "gina@example.net", "gina@example.net", true,
	 false, 0, true},
	{"shared_address_first_owner", "dave@example.com",
	 "shared@example.com", true, false, 0, true},
	{"shared_address_second_owner", "erin@example.com",
	 "shared@example.com", true, false, 0, true},
	{"shared_address_not_third", "alice@example.com",
	 "shared@example.com", true, false, 0, false},
	{"login_key_ignores_case", "FRANK", "frank@example.com", true, false,
	 0, true},
	{"continuation_line_counts", "frank", "frank@example.org", true, false,
	 0, true},
	{"second_line_same_login_counts", "frank", "frank@example.info", true,
	 false, 0, true},
	{"local_part_case_ignored", "alice@example.com", "Sales@Example.COM",
	 true, false, 0, true},
	{"local_part_case_exact", "alice@example.com", "Sales@example.com",
	 true, true, 0, false},
	{"quoted_local_part_same", "alice@example.com",
	 "\"sales\"@example.com", true, false, 0, true},
	{"tag_refused_without_delimiter", "alice@example.com",
	 "sales+x@example.com", true, false, 0, false},
	{"tag_stripped_with_delimiter", "alice@example.com",
	 "sales+x@example.com", true, false, '+', true},
	{"tag_stripped_for_self", "alice@example.com", "alice+y@example.com",
	 true, false, '+', true},
	{"unlisted_non_address_login_owns_nothing", "mallory",
	 "mallory@example.com", true, false, 0, false},
	{"unlisted_address_login_owns_itself", "zed@elsewhere.example",
	 "zed@elsewhere.example", true, false, 0, true},
	{"unlisted_address_login_only_itself", "zed@elsewhere.example",
	 "ceo@elsewhere.example", true, false, 0, false},
	{"idn_value_matches_a_label", "idn", "x@xn--bcher-kva.example", true,
	 false, 0, true},
	{"idn_value_matches_u_label", "idn", "x@B\xc3\xbc" "cher.example",
	 true, false, 0, true},
	{"empty_login_owns_nothing", "", "a@example.com", true, false, 0,
	 false},
};

/* test_row - one owner_may_send_as() question */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct owner_opts o = {r->self, r->exact, r->delim};
	struct addr a;
	struct err e;

	assert_int_equal(addr_path_parse(r->addr, &a, &e), ADDR_OK);
	assert_int_equal(owner_may_send_as(map, &o, r->login, &a), r->want);
}

/* test_no_map_self_rule_only - without a map only the self rule */
static void
test_no_map_self_rule_only(void **state)
{
	struct owner_opts o = {true, false, 0};
	struct addr a;
	struct err e;

	(void)state;
	assert_int_equal(addr_path_parse("a@example.com", &a, &e), ADDR_OK);
	assert_true(owner_may_send_as(NULL, &o, "a@example.com", &a));
	assert_false(owner_may_send_as(NULL, &o, "b@example.com", &a));
	assert_false(owner_may_send_as(NULL, &o, "a", &a));
}

struct bad_row {
	const char *name;
	const char *text;
	const char *want;	/* after "DIR/map:" */
};

static const struct bad_row bad_rows[] = {
	{"bad_login_without_address", "alice\n", "1: login \"alice\" has no "
	 "address"},
	{"bad_value_not_an_address", "# c\nalice  nobody\n", "2: \"nobody\": "
	 "sender address has no domain"},
	{"bad_domain_value", "alice @exa mple\n", "1: \"mple\": sender address "
	 "has no domain"},
	{"bad_domain_syntax", "alice @ex..ample\n", "1: \"@ex..ample\": not a "
	 "domain"},
	{"bad_continuation_first", "  a@example.com\n", "1: continuation line "
	 "without a login"},
	{"bad_nul_byte", "alice a@example.com\0x\n", "1: NUL byte"},
	{"bad_value_with_space_in_quotes", "alice \"a b\"@example.com\n",
	 "1: \"\"a\": malformed address"},
};

/* test_bad - a bad map is refused with file:line and the reason */
static void
test_bad(void **state)
{
	const struct bad_row *r = *state;
	char path[PATH_MAX];
	char want[PATH_MAX + 256];
	struct owner_map *m = NULL;
	struct err e;
	FILE *fp;
	size_t len = strlen(r->text);

	if (strcmp(r->name, "bad_nul_byte") == 0)
		len = sizeof("alice a@example.com\0x\n") - 1;
	rg_pathf(path, sizeof(path), "%s/bad", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(r->text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(owner_map_load(path, &m, &e), -1);
	assert_null(m);
	snprintf(want, sizeof(want), "%s:%s", path, r->want);
	if (strncmp(e.text, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want \"%s...\"", e.text, want);
}

/* test_missing_file - names the file and the system's reason */
static void
test_missing_file(void **state)
{
	struct owner_map *m = NULL;
	struct err e;

	(void)state;
	assert_int_equal(owner_map_load("/nonexistent/senders", &m, &e), -1);
	assert_string_equal(e.text,
			    "/nonexistent/senders: No such file or directory");
}

/* test_sample_map_loads - the annotated sample in conf/ is valid */
static void
test_sample_map_loads(void **state)
{
	struct owner_map *m = NULL;
	struct owner_opts o = {true, false, 0};
	struct addr a;
	struct err e;

	(void)state;
	if (owner_map_load("conf/senders", &m, &e) < 0)
		fail_msg("%s", e.text);
	assert_int_equal(addr_path_parse("support@example.com", &a, &e),
			 ADDR_OK);
	assert_true(owner_may_send_as(m, &o, "carol@example.com", &a));
	assert_false(owner_may_send_as(m, &o, "alice@example.com", &a));
	owner_map_free(m);
}

/* test_count - every (login, value) pair is kept */
static void
test_count(void **state)
{
	(void)state;
	assert_int_equal(owner_map_count(map), 12);
	assert_int_equal(owner_map_count(NULL), 0);
}

int
main(void)
{
	static struct rg_cases c;
	char path[PATH_MAX];
	struct err e;
	int rc;

	if (rg_tmpdir_make("owner", dir, sizeof(dir)) < 0)
		return 1;
	rg_pathf(path, sizeof(path), "%s/senders", dir);
	if (rg_write_file(path, map_text, 0644) < 0 ||
	    owner_map_load(path, &map, &e) < 0) {
		fprintf(stderr, "owner_test: %s\n", e.text);
		rg_tmpdir_remove(dir);
		return 1;
	}
	RG_ADD_ROWS(&c, rows, test_row);
	rg_case_add(&c, "no_map_self_rule_only", test_no_map_self_rule_only,
		    NULL);
	RG_ADD_ROWS(&c, bad_rows, test_bad);
	rg_case_add(&c, "missing_file", test_missing_file, NULL);
	rg_case_add(&c, "count", test_count, NULL);
	rg_case_add(&c, "sample_map_loads", test_sample_map_loads, NULL);
	rc = rg_cases_run(&c, "owner", NULL, NULL);
	owner_map_free(map);
	rg_tmpdir_remove(dir);
	return rc;
}
