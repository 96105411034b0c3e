/* SPDX-License-Identifier: BSD-2-Clause */
#include "sockspec.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "str.h"

/* Error texts repeat at most 120 bytes of a value (%.120s), so the
 * examples at their end always fit in struct err. */

/* The examples every error ends with. */
struct sockspec_ex {
	const char *path;
	unsigned port;
};

/* sockspec_bad - "what is wrong (examples: ...)" */
static int __attribute__((format(printf, 3, 4)))
sockspec_bad(struct err *e, const struct sockspec_ex *ex, const char *fmt,
	     ...)
{
	char what[ERR_TEXT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n < 0)
		what[0] = '\0';
	err_set(e, "%s (examples: unix:%s, inet:%u@127.0.0.1, "
		   "inet6:%u@[::1])", what, ex->path, ex->port, ex->port);
	return -1;
}

/* sockspec_port - PORT: 1 a number in range, 0 digits out of range, -1
 * not a number */
static int
sockspec_port(const char *s, size_t len, unsigned *port)
{
	char buf[16];
	unsigned long n;

	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789") < len)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (str_to_ulong(buf, 10, 65535, &n) < 0 || n == 0)
		return 0;
	*port = (unsigned)n;
	return 1;
}

/* sockspec_host_ok - a host name or address literal: letters, digits and
 * "-._:" (':' for IPv6), nothing else */
static bool
sockspec_host_ok(const char *h, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= 'A' && h[i] <= 'Z') ||
		      (h[i] >= '0' && h[i] <= '9') ||
		      strchr("-._:", h[i]) != NULL))
			return false;
	return true;
}

/* sockspec_postfix_form - "HOST:PORT" or "[HOST]:PORT" as Postfix writes
 * it: the right form, or -1 */
static int
sockspec_postfix_form(const char *s, char *right, size_t size)
{
	const char *colon = strrchr(s, ':');
	unsigned port;
	size_t hl;

	if (colon == NULL || colon == s ||
	    sockspec_port(colon + 1, strlen(colon + 1), &port) != 1)
		return -1;
	hl = (size_t)(colon - s);
	if (s[0] == '[' && hl > 2 && s[hl - 1] == ']')
		return str_format(right, size, "inet6:%u@%.*s", port, (int)hl,
				  s);
	if (memchr(s, ':', hl) != NULL || !sockspec_host_ok(s, hl))
		return -1;
	return str_format(right, size, "inet:%u@%.*s", port, (int)hl, s);
}

/* sockspec_unix - unix:/PATH, local:/PATH or /PATH */
static int
sockspec_unix(const char *spec, const char *path, const struct sockspec_ex *ex,
	      struct sockspec *out, struct err *e)
{
	if (path[0] == '\0')
		return sockspec_bad(e, ex, "\"%.120s\": the path is empty", spec);
	if (path[0] != '/')
		return sockspec_bad(e, ex, "\"%.120s\": the path is relative (Postfix "
				    "names a socket relative to its queue "
				    "directory; here the path is absolute, "
				    "e.g. unix:/var/spool/postfix/%.120s)",
				    spec, path);
	if (str_copy(out->path, sizeof(out->path), path) < 0)
		return sockspec_bad(e, ex, "\"%.120s\": the path is longer than %zu "
				    "bytes", spec, sizeof(out->path) - 1);
	out->family = AF_UNIX;
	return 0;
}

/* sockspec_inet - the part after inet: or inet6: */
static int
sockspec_inet(const char *spec, const char *rest, const struct sockspec_ex *ex,
	      struct sockspec *out, struct err *e)
{
	const char *at = strchr(rest, '@');
	size_t plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
	char right[SOCKSPEC_HOST_MAX + 32];
	const char *h;
	size_t hl;
	int rc;

	/* Postfix's inet:127.0.0.1:8891, the likeliest mistake */
	if (at == NULL && sockspec_postfix_form(rest, right, sizeof(right)) == 0)
		return sockspec_bad(e, ex, "\"%.120s\" is Postfix's syntax; here "
				    "it is written %.130s (PORT@HOST)", spec,
				    right);
	rc = sockspec_port(rest, plen, &out->port);
	if (rc == 0)
		return sockspec_bad(e, ex, "\"%.120s\": port %.*s is out of range "
				    "(1 to 65535)", spec, (int)(plen < 32 ? plen : 32),
				    rest);
	if (rc < 0)
		return sockspec_bad(e, ex, "\"%.120s\": \"%.*s\" is not a port "
				    "number (PORT@HOST)", spec,
				    (int)(plen < 32 ? plen : 32), rest);
	if (at == NULL)
		return 0;
	h = at + 1;
	hl = strlen(h);
	/* inet6:PORT@[::1] as well as inet6:PORT@::1 */
	if (out->family == AF_INET6 && hl >= 2 && h[0] == '[' &&
	    h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (!sockspec_host_ok(h, hl) ||
	    (out->family == AF_INET && memchr(h, ':', hl) != NULL) ||
	    str_copyn(out->host, sizeof(out->host), h, hl) < 0)
		return sockspec_bad(e, ex, "\"%.120s\": \"%.120s\" is not a host "
				    "name or address", spec, at + 1);
	return 0;
}

/* sockspec_parse - see the header */
int
sockspec_parse(const char *spec, const char *example_path,
	       unsigned example_port, struct sockspec *out, struct err *e)
{
	const struct sockspec_ex ex = {example_path, example_port};
	char right[SOCKSPEC_HOST_MAX + 32];
	const char *colon = strchr(spec, ':');

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "unix:", 5) == 0)
		return sockspec_unix(spec, spec + 5, &ex, out, e);
	if (strncmp(spec, "local:", 6) == 0)
		return sockspec_unix(spec, spec + 6, &ex, out, e);
	if (spec[0] == '/')
		return sockspec_unix(spec, spec, &ex, out, e);
	if (strncmp(spec, "inet:", 5) == 0) {
		out->family = AF_INET;
		return sockspec_inet(spec, spec + 5, &ex, out, e);
	}
	if (strncmp(spec, "inet6:", 6) == 0) {
		out->family = AF_INET6;
		return sockspec_inet(spec, spec + 6, &ex, out, e);
	}
	/* HOST:PORT where HOST looks like one (a dot, brackets or
	 * localhost): "tcp:8891" is rather a type we do not know */
	if (colon != NULL &&
	    (memchr(spec, '.', (size_t)(colon - spec)) != NULL ||
	     spec[0] == '[' || strncmp(spec, "localhost:", 10) == 0) &&
	    sockspec_postfix_form(spec, right, sizeof(right)) == 0)
		return sockspec_bad(e, &ex, "\"%.120s\" has no type; here it is "
				    "written %.130s", spec, right);
	if (spec[0] == '\0')
		return sockspec_bad(e, &ex, "the socket is empty");
	if (colon != NULL)
		return sockspec_bad(e, &ex, "\"%.120s\": unknown socket type "
				    "\"%.*s\" (unix, local, inet or inet6)",
				    spec, (int)(colon - spec < 32 ? colon - spec : 32),
				    spec);
	return sockspec_bad(e, &ex, "\"%.120s\" is not a socket", spec);
}
