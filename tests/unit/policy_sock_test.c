/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_sock_test - reading the policy_socket setting: every form the
 * milter's socket accepts, and the mistakes an admin makes, each with the
 * error text that names the setting and shows examples.
 */
#include "policy_sock.h"

#include <string.h>

#include "rg_test.h"

struct row {
	const char *name;
	const char *spec;
	const char *want;	/* "FAMILY PORT HOST" / "unix PATH" / error */
};

static const struct row rows[] = {
	{"inet_port_at_host", "inet:10045@127.0.0.1", "inet 10045 127.0.0.1"},
	{"inet_port_alone_is_any_address", "inet:10045", "inet 10045 "},
	{"inet_host_name_kept_for_lookup", "inet:10045@localhost",
	 "inet 10045 localhost"},
	{"inet6_bracketed_host", "inet6:10045@[::1]", "inet6 10045 ::1"},
	{"inet6_bare_host", "inet6:10045@::1", "inet6 10045 ::1"},
	{"inet6_port_alone", "inet6:10045", "inet6 10045 "},
	{"unix_path", "unix:/run/relayguard/policy.sock",
	 "unix /run/relayguard/policy.sock"},
	{"local_is_unix", "local:/run/p.sock", "unix /run/p.sock"},
	{"bare_path_is_unix", "/run/p.sock", "unix /run/p.sock"},
	{"port_zero_is_error", "inet:0@127.0.0.1",
	 "error: policy_socket: \"inet:0@127.0.0.1\" is not a socket "
	 "(examples: inet:10045@127.0.0.1, inet6:10045@[::1], "
	 "unix:/run/relayguard/policy.sock)"},
	{"port_too_big_is_error", "inet:65536@127.0.0.1",
	 "error: policy_socket: \"inet:65536@127.0.0.1\" is not a socket"},
	{"port_with_sign_is_error", "inet:+25@127.0.0.1",
	 "error: policy_socket: \"inet:+25@127.0.0.1\" is not a socket"},
	{"postfix_syntax_is_error", "inet:127.0.0.1:10045",
	 "error: policy_socket: \"inet:127.0.0.1:10045\" is not a socket"},
	{"empty_host_is_error", "inet:10045@",
	 "error: policy_socket: \"inet:10045@\" is not a socket"},
	{"unknown_scheme_is_error", "tcp:10045",
	 "error: policy_socket: \"tcp:10045\" is not a socket"},
	{"empty_is_error", "", "error: policy_socket: \"\" is not a socket"},
	{"empty_unix_path_is_error", "unix:",
	 "error: policy_socket: \"unix:\": the path is empty or longer than "
	 "107 bytes"},
	{"long_unix_path_is_error",
	 "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "error: policy_socket: \"unix:/aaaa"},
};

/* test_row - parse and render */
static void
test_row(void **state)
{
	const struct row *row = *state;
	struct policy_sock_addr a;
	struct err e;
	char got[1024];

	if (policy_sock_parse(row->spec, &a, &e) < 0)
		snprintf(got, sizeof(got), "error: %s", e.text);
	else if (a.family == AF_UNIX)
		snprintf(got, sizeof(got), "unix %s", a.path);
	else
		snprintf(got, sizeof(got), "%s %u %s",
			 a.family == AF_INET ? "inet" : "inet6", a.port, a.host);
	if (strncmp(got, row->want, strlen(row->want)) != 0)
		fail_msg("got  %s\nwant %s", got, row->want);
	if (strncmp(row->want, "error:", 6) != 0)
		assert_string_equal(got, row->want);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	return rg_cases_run(&c, "policy_sock", NULL, NULL);
}
