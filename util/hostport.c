/* SPDX-License-Identifier: BSD-2-Clause */
#include "hostport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "str.h"

/* hostport_bad - the one error text */
static int
hostport_bad(const char *spec, bool allow_unix, struct err *e)
{
	err_set(e, "\"%s\" is not an address and port (examples: "
		   "127.0.0.1:9187, [::1]:9187, 9187%s)", spec,
		allow_unix ? ", unix:/run/redis/redis.sock" : "");
	return -1;
}

/* hostport_host_ok - a host name or IPv4 literal: letters, digits, '-',
 * '.', '_' only (an IPv6 literal comes in brackets) */
static bool
hostport_host_ok(const char *h)
{
	if (*h == '\0')
		return false;
	for (; *h; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		      (*h >= '0' && *h <= '9') || *h == '-' || *h == '.' ||
		      *h == '_'))
			return false;
	return true;
}

/* hostport_parse - see the header */
int
hostport_parse(const char *spec, const char *default_host, bool allow_unix,
	       struct hostport *out, struct err *e)
{
	const char *port = spec;
	unsigned long p;
	struct in6_addr a6;

	memset(out, 0, sizeof(*out));
	if (allow_unix && (strncmp(spec, "unix:", 5) == 0 || spec[0] == '/')) {
		const char *path = spec[0] == '/' ? spec : spec + 5;

		if (path[0] != '/' ||
		    str_copy(out->path, sizeof(out->path), path) < 0)
			return hostport_bad(spec, allow_unix, e);
		out->is_unix = true;
		return 0;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':' ||
		    str_copyn(out->host, sizeof(out->host), spec + 1,
			      (size_t)(close - spec - 1)) < 0 ||
		    inet_pton(AF_INET6, out->host, &a6) != 1)
			return hostport_bad(spec, allow_unix, e);
		port = close + 2;
	} else if (strchr(spec, ':') != NULL) {
		const char *colon = strrchr(spec, ':');

		if (strchr(spec, ':') != colon)	/* bare IPv6 */
			return hostport_bad(spec, allow_unix, e);
		if (colon == spec) {
			if (str_copy(out->host, sizeof(out->host),
				     default_host) < 0)
				return hostport_bad(spec, allow_unix, e);
		} else if (str_copyn(out->host, sizeof(out->host), spec,
				     (size_t)(colon - spec)) < 0 ||
			   !hostport_host_ok(out->host)) {
			return hostport_bad(spec, allow_unix, e);
		}
		port = colon + 1;
	} else if (str_copy(out->host, sizeof(out->host), default_host) < 0) {
		return hostport_bad(spec, allow_unix, e);
	}
	if (str_to_ulong(port, 10, 65535, &p) < 0 || p == 0)
		return hostport_bad(spec, allow_unix, e);
	out->port = (unsigned)p;
	return 0;
}

/* hostport_is_loopback - 127.0.0.0/8, ::1 or "localhost" */
bool
hostport_is_loopback(const struct hostport *hp)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (hp->is_unix)
		return true;
	if (strcmp(hp->host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, hp->host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, hp->host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}
