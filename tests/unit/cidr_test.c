/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr_test - parsing networks (IPv4, IPv6, Postfix's [v6]/len form) and
 * membership, IPv4-mapped IPv6 clients included.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "rg_test.h"

/* --- parsing ------------------------------------------------------------- */

struct add_row {
	const char *name;
	const char *text;
	const char *err;	/* NULL: accepted; else part of the error */
	int family;
	unsigned prefix;
};

static const struct add_row add_rows[] = {
	{"v4_network_is_accepted", "192.0.2.0/24", NULL, AF_INET, 24},
	{"v4_bare_address_is_a_host_route", "192.0.2.7", NULL, AF_INET, 32},
	{"v4_zero_prefix_is_everything", "0.0.0.0/0", NULL, AF_INET, 0},
	{"v4_odd_prefix", "172.16.0.0/12", NULL, AF_INET, 12},
	{"v4_prefix_32_host", "198.51.100.9/32", NULL, AF_INET, 32},
	{"v6_network_is_accepted", "2001:db8::/32", NULL, AF_INET6, 32},
	{"v6_bare_address_is_a_host_route", "::1", NULL, AF_INET6, 128},
	{"v6_zero_prefix_is_everything", "::/0", NULL, AF_INET6, 0},
	{"v6_prefix_127", "2001:db8::2/127", NULL, AF_INET6, 127},
	{"postfix_bracket_v6_form", "[2001:db8::]/32", NULL, AF_INET6, 32},
	{"postfix_bracket_bare_v6", "[::1]", NULL, AF_INET6, 128},
	{"leading_zero_prefix_is_decimal", "10.0.0.0/08", NULL, AF_INET, 8},
	{"v4_host_bits_set_is_an_error", "10.0.0.1/8",
	 "host bits set below /8", 0, 0},
	{"v6_host_bits_set_is_an_error", "2001:db8::1/32",
	 "host bits set below /32", 0, 0},
	{"v4_prefix_33_is_rejected", "10.0.0.0/33",
	 "prefix length must be 0-32", 0, 0},
	{"v6_prefix_129_is_rejected", "::/129", "prefix length must be 0-128",
	 0, 0},
	{"empty_prefix_is_rejected", "10.0.0.0/", "prefix length", 0, 0},
	{"signed_prefix_is_rejected", "10.0.0.0/+8", "prefix length", 0, 0},
	{"negative_prefix_is_rejected", "10.0.0.0/-8", "prefix length", 0, 0},
	{"prefix_with_junk_is_rejected", "10.0.0.0/8x", "prefix length", 0, 0},
	{"hostname_is_not_a_network", "mail.example.com",
	 "is not an IP address or network (examples: 192.0.2.0/24", 0, 0},
	{"empty_text_is_not_a_network", "", "is not an IP address", 0, 0},
	{"v4_with_too_many_octets", "192.0.2.0.1/24", "is not an IP address",
	 0, 0},
	{"short_v4_is_not_accepted", "10/8", "is not an IP address", 0, 0},
	{"v6_zone_is_not_accepted", "fe80::1%eth0", "is not an IP address", 0,
	 0},
	{"missing_close_bracket", "[2001:db8::/32", "missing ']'", 0, 0},
	{"too_long_text_is_rejected",
	 "2001:0db8:0000:0000:0000:0000:0000:0000:0000:0000:0000/128",
	 "is too long for a network", 0, 0},
};

/* test_add - one cidr_list_add() row */
static void
test_add(void **state)
{
	const struct add_row *r = *state;
	struct cidr_list l;
	struct err e;
	int rc;

	cidr_list_init(&l);
	err_clear(&e);
	rc = cidr_list_add(&l, r->text, &e);
	if (r->err == NULL) {
		assert_int_equal(rc, 0);
		assert_int_equal(l.count, 1);
		assert_int_equal(l.items[0].family, r->family);
		assert_int_equal(l.items[0].prefix, r->prefix);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(l.count, 0);
		assert_true(rg_has(e.text, r->err));
	}
	cidr_list_free(&l);
	assert_null(l.items);
	assert_int_equal(l.count, 0);
}

/* --- membership ---------------------------------------------------------- */

struct match_row {
	const char *name;
	const char *nets;	/* space separated */
	const char *client;
	bool want;
};

static const struct match_row match_rows[] = {
	{"v4_inside_network", "192.0.2.0/24", "192.0.2.200", true},
	{"v4_outside_network", "192.0.2.0/24", "192.0.3.1", false},
	{"v4_odd_prefix_inside", "172.16.0.0/12", "172.31.255.255", true},
	{"v4_odd_prefix_outside", "172.16.0.0/12", "172.32.0.0", false},
	{"v4_host_route_exact", "192.0.2.7", "192.0.2.7", true},
	{"v4_host_route_neighbour", "192.0.2.7", "192.0.2.6", false},
	{"v4_zero_prefix_matches_any_v4", "0.0.0.0/0", "203.0.113.5", true},
	{"v4_zero_prefix_does_not_match_v6", "0.0.0.0/0", "2001:db8::1",
	 false},
	{"v6_inside_network", "2001:db8::/32", "2001:db8:ffff::1", true},
	{"v6_outside_network", "2001:db8::/32", "2001:db9::1", false},
	{"v6_zero_prefix_matches_any_v6", "::/0", "2001:db8::1", true},
	{"v6_127_pair", "2001:db8::2/127", "2001:db8::3", true},
	{"v6_127_outside", "2001:db8::2/127", "2001:db8::4", false},
	{"postfix_bracket_form_matches", "[2001:db8::]/32", "2001:db8::25",
	 true},
	{"loopback_v6", "127.0.0.0/8 ::1", "::1", true},
	{"mapped_v4_matches_v4_network", "127.0.0.0/8", "::ffff:127.0.0.1",
	 true},
	{"mapped_v4_outside_v4_network", "127.0.0.0/8", "::ffff:10.0.0.1",
	 false},
	{"mapped_v4_needs_v4_entry", "2001:db8::/32", "::ffff:127.0.0.1",
	 false},
	{"v4_client_does_not_match_v6_only_list", "::1", "127.0.0.1", false},
	/*
	 * A mapped client is compared with IPv4 entries only, so a list entry
	 * written in mapped form (::ffff:127.0.0.0/104) never matches
	 * anything, not even the mapped client.  Pinned: a surprise for an
	 * admin, not a crash; say so in relayguard.conf(5) or map entries too.
	 */
	{"mapped_form_entry_never_matches", "::ffff:127.0.0.0/104",
	 "::ffff:127.0.0.1", false},
	{"mapped_form_entry_no_v4_match", "::ffff:127.0.0.0/104", "127.0.0.1",
	 false},
	{"second_entry_matches", "10.0.0.0/8 192.168.0.0/16", "192.168.1.1",
	 true},
	{"empty_list_matches_nothing", "", "127.0.0.1", false},
	{"garbage_client_matches_nothing", "0.0.0.0/0 ::/0", "localhost",
	 false},
	{"empty_client_matches_nothing", "0.0.0.0/0 ::/0", "", false},
};

/* build - a list from space separated networks; every one must parse */
static void
build(struct cidr_list *l, const char *nets)
{
	char buf[256];
	char *save = NULL;
	char *w;
	struct err e;

	cidr_list_init(l);
	assert_true(strlen(nets) < sizeof(buf));
	memcpy(buf, nets, strlen(nets) + 1);
	for (w = strtok_r(buf, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save))
		assert_int_equal(cidr_list_add(l, w, &e), 0);
}

/* test_match - one membership row, by text and by socket address */
static void
test_match(void **state)
{
	const struct match_row *r = *state;
	struct cidr_list l;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;

	build(&l, r->nets);
	assert_int_equal(cidr_list_match_text(&l, r->client), r->want);

	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, r->client, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		assert_int_equal(
			cidr_list_match_sa(&l, (struct sockaddr *)&in4),
			r->want);
	} else if (inet_pton(AF_INET6, r->client, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		assert_int_equal(
			cidr_list_match_sa(&l, (struct sockaddr *)&in6),
			r->want);
	}
	cidr_list_free(&l);
}

/* test_sa_other_families - NULL and AF_UNIX never match */
static void
test_sa_other_families(void **state)
{
	struct cidr_list l;
	struct sockaddr_un un;

	(void)state;
	build(&l, "0.0.0.0/0 ::/0");
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	assert_false(cidr_list_match_sa(&l, NULL));
	assert_false(cidr_list_match_sa(&l, (struct sockaddr *)&un));
	cidr_list_free(&l);
}

/* test_failed_add_keeps_list - an error leaves earlier entries in place */
static void
test_failed_add_keeps_list(void **state)
{
	struct cidr_list l;
	struct err e;

	(void)state;
	build(&l, "10.0.0.0/8");
	assert_int_equal(cidr_list_add(&l, "10.0.0.0/33", &e), -1);
	assert_int_equal(l.count, 1);
	assert_true(cidr_list_match_text(&l, "10.1.2.3"));
	cidr_list_free(&l);
}

/* test_many_entries - the list grows; each entry still matches */
static void
test_many_entries(void **state)
{
	struct cidr_list l;
	struct err e;
	char net[32];
	char host[32];
	int i;

	(void)state;
	cidr_list_init(&l);
	for (i = 0; i < 200; i++) {
		snprintf(net, sizeof(net), "10.%d.0.0/16", i);
		assert_int_equal(cidr_list_add(&l, net, &e), 0);
	}
	assert_int_equal(l.count, 200);
	for (i = 0; i < 200; i++) {
		snprintf(host, sizeof(host), "10.%d.1.2", i);
		assert_true(cidr_list_match_text(&l, host));
	}
	assert_false(cidr_list_match_text(&l, "10.200.1.2"));
	cidr_list_free(&l);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, add_rows, test_add);
	RG_ADD_ROWS(&c, match_rows, test_match);
	rg_case_add(&c, "sa_other_families", test_sa_other_families, NULL);
	rg_case_add(&c, "failed_add_keeps_list", test_failed_add_keeps_list,
		    NULL);
	rg_case_add(&c, "many_entries", test_many_entries, NULL);
	return rg_cases_run(&c, "cidr", NULL, NULL);
}
