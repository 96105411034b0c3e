/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * author_test - one author field judged: for a SASL login (owned, not
 * owned, unreadable, nobody) and for an outside client (ours, read
 * leniently when unreadable), with the forms an attacker reads in RFC 5322
 * (empty mailboxes, obsolete routes, groups, comments, encoded-words,
 * look-alike characters, several mailboxes).
 */
#include "author.h"

#include <stdio.h>
#include <string.h>

#include "rg_test.h"
#include "str.h"

static struct owner_map *map;
static const struct owner_opts opts = {true, false, 0};

/* ours - author_ours_fn: a.example and b.example are our domains */
static bool
ours(const void *arg, const char *domain)
{
	(void)arg;
	return strcmp(domain, "a.example") == 0 ||
	       strcmp(domain, "b.example") == 0;
}

struct row {
	const char *name;
	const char *login;	/* NULL: outside client */
	const char *field;
	const char *value;
	const char *want;	/* "result[ lenient] addr|why n=N" */
};

#define AL "alice@a.example"

static const struct row rows[] = {
	/* a SASL login owning only alice@a.example */
	{"login_owns_its_address", AL, "From", "Alice <alice@a.example>",
	 "ok n=1"},
	{"login_every_mailbox_checked", AL, "From",
	 "alice@a.example, bob@b.example", "not-owned bob@b.example n=2"},
	{"login_empty_mailbox_after", AL, "From", "bob@b.example, <>",
	 "unreadable empty address in From n=0"},
	{"login_empty_mailbox_before", AL, "From", "<>, bob@b.example",
	 "unreadable empty address in From n=0"},
	{"login_empty_route_mailbox", AL, "From",
	 "bob@b.example, <@route.example:>",
	 "unreadable empty address in From n=0"},
	{"login_empty_group_is_nobody", AL, "From", "undisclosed:;",
	 "nobody n=0"},
	{"login_comment_address_is_not_nobody", AL, "From",
	 "undisclosed:; (bob@b.example)",
	 "unreadable an address outside a mailbox in From n=0"},
	{"login_quoted_group_name_address", AL, "From",
	 "\"bob@b.example\":;",
	 "unreadable an address outside a mailbox in From n=0"},
	{"login_encoded_word_group_name", AL, "From",
	 "=?utf-8?q?bob=40b.example?=:;",
	 "unreadable an address outside a mailbox in From n=0"},
	{"login_display_name_not_checked", AL, "From",
	 "\"bob@b.example\" <alice@a.example>", "ok n=1"},
	{"login_route_dropped", AL, "Sender",
	 "<@b.example:alice@a.example>", "ok n=1"},
	{"login_obs_cfws_local_part", AL, "From", "alice (x) @ a . example",
	 "ok n=1"},
	{"login_quoted_local_part_same", AL, "From", "\"alice\"@a.example",
	 "ok n=1"},
	{"login_case_of_domain_ignored", AL, "From", "alice@A.EXAMPLE",
	 "ok n=1"},
	{"login_trailing_dot_unreadable", AL, "From", "alice@a.example.",
	 "unreadable From domain is not a domain name n=0"},
	{"login_address_literal_unreadable", AL, "From", "alice@[127.0.0.1]",
	 "unreadable From domain is not a domain name n=0"},
	{"login_percent_hack_not_owned", AL, "From", "alice%a.example@b.example",
	 "not-owned alice%a.example@b.example n=1"},
	{"login_idn_lookalike_not_owned", AL, "From", "alice@\xd0\xb0.example",
	 "not-owned alice@xn--80a.example n=1"},
	{"login_resent_sender_field_named", AL, "Resent-Sender",
	 "x@b.example (c", "unreadable unterminated comment, quote or <> in "
	 "Resent-Sender n=0"},
	{"login_nul_unreadable", AL, "From", "alice@a.example\\0", NULL},
	/* an outside client; our domains a.example and b.example */
	{"outside_foreign_mailbox", NULL, "From", "x@c.example", "ok n=1"},
	{"outside_our_mailbox", NULL, "From", "CEO <ceo@a.example>",
	 "ours ceo@a.example n=1"},
	{"outside_second_mailbox_ours", NULL, "From",
	 "x@c.example, ceo@a.example", "ours ceo@a.example n=2"},
	{"outside_after_empty_mailbox", NULL, "From", "ceo@a.example, <>",
	 "ours lenient ceo@a.example n=1"},
	{"outside_before_empty_mailbox", NULL, "From", "<>, ceo@a.example",
	 "ours lenient ceo@a.example n=1"},
	{"outside_double_close_angle", NULL, "From", "<ceo@a.example>>",
	 "ours lenient ceo@a.example n=1"},
	{"outside_unterminated_comment", NULL, "From", "ceo@a.example (x",
	 "ours lenient ceo@a.example n=1"},
	{"outside_unterminated_quote", NULL, "From", "ceo@a.example, \"",
	 "ours lenient ceo@a.example n=1"},
	{"outside_trailing_dot", NULL, "From", "ceo@a.example.",
	 "ours lenient ceo@a.example n=1"},
	{"outside_address_literal_name", NULL, "From", "ceo@[a.example]",
	 "ours lenient ceo@a.example n=1"},
	{"outside_fullwidth_at_sign", NULL, "From",
	 "ceo\xef\xbc\xa0" "a.example", "ours lenient ceo@a.example n=1"},
	{"outside_encoded_word", NULL, "From",
	 "=?utf-8?b?Y2VvQGEuZXhhbXBsZQ==?=", "ours lenient ceo@a.example n=1"},
	{"outside_run_together", NULL, "From", "x@c.example ceo@a.example",
	 "ours lenient ceo@a.example n=2"},
	{"outside_text_after_angle", NULL, "From",
	 "<x@c.example> ceo@a.example", "ours lenient ceo@a.example n=2"},
	{"outside_unreadable_foreign", NULL, "From", "x@c.example, <>",
	 "unreadable lenient empty address in From n=1"},
	{"outside_unreadable_nothing", NULL, "From", "<>",
	 "unreadable lenient empty address in From n=0"},
	{"outside_display_name_not_checked", NULL, "From",
	 "\"ceo@a.example\" <x@c.example>", "ok n=1"},
	{"outside_comment_not_checked", NULL, "From",
	 "x@c.example (ceo@a.example)", "ok n=1"},
	{"outside_group_name_address", NULL, "From", "ceo@a.example:;",
	 "ours lenient ceo@a.example n=1"},
	{"outside_empty_group", NULL, "From", "undisclosed:;", "nobody n=0"},
	{"outside_subdomain_not_ours", NULL, "From", "x@mx.a.example",
	 "ok n=1"},
};

/* finding_text - "result[ lenient] addr|why n=N" */
static void
finding_text(const struct author_finding *f, char *buf, size_t size)
{
	char a[ADDR_TEXT_SIZE] = "";

	if (f->result == AUTHOR_NOT_OWNED || f->result == AUTHOR_OURS)
		addr_text(&f->addr, a, sizeof(a));
	snprintf(buf, size, "%s%s%s%s n=%zu", author_result_name(f->result),
		 f->lenient ? " lenient" : "", a[0] || f->why[0] ? " " : "",
		 a[0] ? a : f->why, f->naddrs);
}

/* test_row - one field judged */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct author_policy p = {r->login, map, &opts, ours, NULL};
	struct author_finding f;
	char got[512];
	size_t len = strlen(r->value);

	if (r->want == NULL) {	/* "\\0" stands for a NUL byte */
		char v[64];

		assert_true(len < sizeof(v));
		memcpy(v, r->value, len);
		v[len - 2] = '\0';
		author_judge(&p, r->field, v, len - 1, &f);
		assert_int_equal(f.result, AUTHOR_UNREADABLE);
		assert_true(rg_has(f.why, "NUL byte"));
		return;
	}
	author_judge(&p, r->field, r->value, len, &f);
	finding_text(&f, got, sizeof(got));
	assert_string_equal(got, r->want);
}

/* test_many_mailboxes - no cap: the 1000th mailbox is checked too */
static void
test_many_mailboxes(void **state)
{
	struct author_policy p = {AL, map, &opts, ours, NULL};
	struct author_finding f;
	char *v = malloc(40000);
	size_t o = 0;
	int i;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < 999; i++)
		o += (size_t)snprintf(v + o, 40000 - o, "alice@a.example, ");
	o += (size_t)snprintf(v + o, 40000 - o, "bob@b.example");
	author_judge(&p, "From", v, o, &f);
	assert_int_equal(f.result, AUTHOR_NOT_OWNED);
	assert_string_equal(f.addr.local, "bob");
	assert_int_equal(f.naddrs, 1000);
	free(v);
}

/* test_field_names - the author fields, any case; no others */
static void
test_field_names(void **state)
{
	(void)state;
	assert_string_equal(author_field_name("from"), "From");
	assert_string_equal(author_field_name("SENDER"), "Sender");
	assert_string_equal(author_field_name("resent-from"), "Resent-From");
	assert_string_equal(author_field_name("Resent-Sender"),
			    "Resent-Sender");
	assert_null(author_field_name("Reply-To"));
	assert_null(author_field_name("From "));
	assert_null(author_field_name("X-From"));
}

/* setup - the owner map: alice owns herself only */
static int
setup(void **state)
{
	static char text[] = "alice@a.example alice@a.example\n";
	FILE *fp = fmemopen(text, strlen(text), "r");
	struct err e;

	(void)state;
	if (fp == NULL)
		return -1;
	if (owner_map_load_stream(fp, "map", &map, &e) < 0) {
		fprintf(stderr, "author_test: %s\n", e.text);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* teardown - the map */
static int
teardown(void **state)
{
	(void)state;
	owner_map_free(map);
	return 0;
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	rg_case_add(&c, "many_mailboxes", test_many_mailboxes, NULL);
	rg_case_add(&c, "field_names", test_field_names, NULL);
	return rg_cases_run(&c, "author", setup, teardown);
}
