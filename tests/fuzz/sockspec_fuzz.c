/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sockspec_fuzz - libFuzzer target: sockspec_parse() on an arbitrary
 * socket setting (as conf.c hands it over: a NUL-terminated string).
 *
 * Invariants: an accepted unix socket has an absolute path that fits
 * sun_path; an accepted inet socket has a port from 1 to 65535 and a host
 * of the allowed characters only; the same answer twice; a refusal always
 * carries a text with examples.
 */
#include "sockspec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* LLVMFuzzerTestOneInput - one value */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockspec a;
	struct sockspec b;
	struct err e;
	char *spec;
	int rc;

	spec = malloc(size + 1);
	if (spec == NULL)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	rc = sockspec_parse(spec, "/run/x.sock", 8891, &a, &e);
	check(sockspec_parse(spec, "/run/x.sock", 8891, &b, &e) == rc);
	if (rc < 0) {
		check(strstr(e.text, "(examples: unix:/run/x.sock") != NULL);
	} else if (a.family == AF_UNIX) {
		check(a.path[0] == '/' && strlen(a.path) < sizeof(a.path));
		check(strcmp(a.path, b.path) == 0);
	} else {
		check(a.family == AF_INET || a.family == AF_INET6);
		check(a.port >= 1 && a.port <= 65535);
		check(strspn(a.host, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:") ==
		      strlen(a.host));
		check(a.family == AF_INET6 || strchr(a.host, ':') == NULL);
	}
	free(spec);
	return 0;
}
