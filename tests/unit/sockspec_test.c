/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockspec_test - one parser for the milter and the policy socket: every
 * form libmilter and OpenDKIM accept, and each mistake an admin makes with
 * the message that names the right form (Postfix's inet:HOST:PORT, a port
 * out of range, an unknown type, Postfix's relative unix: path).
 */
#include "sockspec.h"

#include <string.h>

#include "rg_test.h"

#define EXAMPLES                                                               \
	" (examples: unix:/var/spool/postfix/relayguard/milter.sock, "         \
	"inet:8891@127.0.0.1, inet6:8891@[::1])"

struct row {
	const char *name;
	const char *spec;
	const char *want;	/* "FAMILY PORT HOST" / "unix PATH" / error */
};

static const struct row rows[] = {
	{"unix_path", "unix:/var/spool/postfix/relayguard/milter.sock",
	 "unix /var/spool/postfix/relayguard/milter.sock"},
	{"local_is_unix", "local:/run/m.sock", "unix /run/m.sock"},
	{"bare_path_is_unix", "/run/m.sock", "unix /run/m.sock"},
	{"inet_port_at_host", "inet:8891@127.0.0.1", "inet 8891 127.0.0.1"},
	{"inet_port_alone_is_every_address", "inet:8891", "inet 8891 "},
	{"inet_host_name_kept_for_lookup", "inet:8891@localhost",
	 "inet 8891 localhost"},
	{"inet_highest_port", "inet:65535@127.0.0.1", "inet 65535 127.0.0.1"},
	{"inet6_bracketed_host", "inet6:8891@[::1]", "inet6 8891 ::1"},
	{"inet6_bare_host", "inet6:8891@::1", "inet6 8891 ::1"},
	{"inet6_port_alone", "inet6:8891", "inet6 8891 "},
	{"postfix_inet_host_port_names_the_right_form", "inet:127.0.0.1:8891",
	 "error: \"inet:127.0.0.1:8891\" is Postfix's syntax; here it is "
	 "written inet:8891@127.0.0.1 (PORT@HOST)" EXAMPLES},
	{"postfix_inet6_bracket_form_names_the_right_form",
	 "inet6:[::1]:8891",
	 "error: \"inet6:[::1]:8891\" is Postfix's syntax; here it is written "
	 "inet6:8891@[::1] (PORT@HOST)" EXAMPLES},
	{"host_port_without_type_names_the_right_form", "127.0.0.1:8891",
	 "error: \"127.0.0.1:8891\" has no type; here it is written "
	 "inet:8891@127.0.0.1" EXAMPLES},
	{"localhost_port_without_type", "localhost:8891",
	 "error: \"localhost:8891\" has no type; here it is written "
	 "inet:8891@localhost" EXAMPLES},
	{"port_above_65535_is_out_of_range", "inet:99999@127.0.0.1",
	 "error: \"inet:99999@127.0.0.1\": port 99999 is out of range (1 to "
	 "65535)" EXAMPLES},
	{"port_zero_is_out_of_range", "inet:0@127.0.0.1",
	 "error: \"inet:0@127.0.0.1\": port 0 is out of range (1 to 65535)"
	 EXAMPLES},
	{"port_with_sign_is_not_a_number", "inet:+25@127.0.0.1",
	 "error: \"inet:+25@127.0.0.1\": \"+25\" is not a port number "
	 "(PORT@HOST)" EXAMPLES},
	{"service_name_is_not_a_number", "inet:milter@127.0.0.1",
	 "error: \"inet:milter@127.0.0.1\": \"milter\" is not a port number "
	 "(PORT@HOST)" EXAMPLES},
	{"unknown_type_is_named", "tcp:8891",
	 "error: \"tcp:8891\": unknown socket type \"tcp\" (unix, local, inet "
	 "or inet6)" EXAMPLES},
	{"postfix_relative_unix_path_names_the_absolute_one",
	 "unix:relayguard/milter.sock",
	 "error: \"unix:relayguard/milter.sock\": the path is relative "
	 "(Postfix names a socket relative to its queue directory; here the "
	 "path is absolute, e.g. unix:/var/spool/postfix/relayguard/"
	 "milter.sock)" EXAMPLES},
	{"empty_unix_path", "unix:", "error: \"unix:\": the path is empty"
	 EXAMPLES},
	{"long_unix_path",
	 "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "error: \"unix:/aaaa"},
	{"empty_host_after_at", "inet:8891@",
	 "error: \"inet:8891@\": \"\" is not a host name or address" EXAMPLES},
	{"host_with_port_after_at", "inet:8891@1.2.3.4:5",
	 "error: \"inet:8891@1.2.3.4:5\": \"1.2.3.4:5\" is not a host name or "
	 "address" EXAMPLES},
	{"host_with_space", "inet:8891@a b",
	 "error: \"inet:8891@a b\": \"a b\" is not a host name or address"},
	{"bare_port_is_not_a_socket", "8891",
	 "error: \"8891\" is not a socket" EXAMPLES},
	{"empty_is_not_a_socket", "", "error: the socket is empty" EXAMPLES},
};

/* test_row - parse and render */
static void
test_row(void **state)
{
	const struct row *row = *state;
	struct sockspec a;
	struct err e;
	char got[1024];

	if (sockspec_parse(row->spec, "/var/spool/postfix/relayguard/milter.sock",
			   8891, &a, &e) < 0)
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
	return rg_cases_run(&c, "sockspec", NULL, NULL);
}
