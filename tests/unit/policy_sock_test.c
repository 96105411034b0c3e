/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_sock_test - reading the policy_socket setting: the milter's
 * parser (sockspec_test has every form and mistake), with errors that
 * name the setting and show the policy service's examples.
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
	{"inet6_bracketed_host", "inet6:10045@[::1]", "inet6 10045 ::1"},
	{"unix_path", "unix:/var/spool/postfix/relayguard/policy.sock",
	 "unix /var/spool/postfix/relayguard/policy.sock"},
	{"error_names_the_setting_with_policy_examples", "inet:0@127.0.0.1",
	 "error: policy_socket: \"inet:0@127.0.0.1\": port 0 is out of range "
	 "(1 to 65535) (examples: unix:/var/spool/postfix/relayguard/"
	 "policy.sock, inet:10045@127.0.0.1, inet6:10045@[::1])"},
	{"postfix_syntax_names_the_right_form", "inet:127.0.0.1:10045",
	 "error: policy_socket: \"inet:127.0.0.1:10045\" is Postfix's syntax; "
	 "here it is written inet:10045@127.0.0.1"},
	{"unknown_scheme_is_error", "tcp:10045",
	 "error: policy_socket: \"tcp:10045\": unknown socket type \"tcp\""},
};

/* test_row - parse and render */
static void
test_row(void **state)
{
	const struct row *row = *state;
	struct sockspec a;
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
