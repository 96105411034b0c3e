/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hostport_test - address and port settings: the accepted forms, the
 * default host for a bare port, unix paths only where allowed, and clear
 * refusals.
 */
#include "hostport.h"

#include <string.h>

#include "rg_test.h"

struct hp_row {
	const char *name;
	const char *spec;
	bool allow_unix;
	int rc;
	const char *host;	/* or the unix path */
	unsigned port;
	bool loopback;
};

static const struct hp_row hp_rows[] = {
	{"ipv4_and_port", "127.0.0.1:9187", false, 0, "127.0.0.1", 9187,
	 true},
	{"bare_port_uses_default_host", "9187", false, 0, "127.0.0.1", 9187,
	 true},
	{"colon_port_uses_default_host", ":6379", true, 0, "127.0.0.1", 6379,
	 true},
	{"bracketed_ipv6", "[::1]:9187", false, 0, "::1", 9187, true},
	{"any_address_is_not_loopback", "0.0.0.0:9187", false, 0, "0.0.0.0",
	 9187, false},
	{"host_name_is_kept", "redis.example.net:6380", true, 0,
	 "redis.example.net", 6380, false},
	{"localhost_is_loopback", "localhost:6379", true, 0, "localhost",
	 6379, true},
	{"other_127_address_is_loopback", "127.0.0.158:80", false, 0,
	 "127.0.0.158", 80, true},
	{"unix_path_where_allowed", "unix:/run/redis/redis.sock", true, 0,
	 "/run/redis/redis.sock", 0, true},
	{"absolute_path_where_allowed", "/run/redis.sock", true, 0,
	 "/run/redis.sock", 0, true},
	{"unix_path_refused_for_listen", "unix:/run/x.sock", false, -1, NULL,
	 0, false},
	{"relative_unix_path_refused", "unix:run/x.sock", true, -1, NULL, 0,
	 false},
	{"port_zero_refused", "127.0.0.1:0", false, -1, NULL, 0, false},
	{"port_too_big_refused", "127.0.0.1:65536", false, -1, NULL, 0,
	 false},
	{"port_with_junk_refused", "127.0.0.1:80x", false, -1, NULL, 0, false},
	{"negative_port_refused", "127.0.0.1:-1", false, -1, NULL, 0, false},
	{"empty_refused", "", false, -1, NULL, 0, false},
	{"bare_ipv6_refused", "::1:9187", false, -1, NULL, 0, false},
	{"bad_bracket_refused", "[::1:9187", false, -1, NULL, 0, false},
	{"bracketed_ipv4_refused", "[127.0.0.1]:80", false, -1, NULL, 0,
	 false},
	{"space_in_host_refused", "a b:80", false, -1, NULL, 0, false},
};

/* test_hp - one row */
static void
test_hp(void **state)
{
	const struct hp_row *r = *state;
	struct hostport hp;
	struct err e;

	assert_int_equal(hostport_parse(r->spec, "127.0.0.1", r->allow_unix,
					&hp, &e), r->rc);
	if (r->rc < 0) {
		assert_true(rg_has(e.text, "is not an address and port "
					   "(examples: 127.0.0.1:9187"));
		return;
	}
	if (hp.is_unix) {
		assert_string_equal(hp.path, r->host);
	} else {
		assert_string_equal(hp.host, r->host);
		assert_int_equal(hp.port, r->port);
	}
	assert_int_equal(hostport_is_loopback(&hp), r->loopback);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, hp_rows, test_hp);
	return rg_cases_run(&c, "hostport", NULL, NULL);
}
