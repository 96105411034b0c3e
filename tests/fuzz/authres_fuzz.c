/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authres_fuzz - libFuzzer target: authres_claims() on an arbitrary
 * Authentication-Results value (no NUL after the bytes, so ASan sees any
 * read past len).
 *
 * Invariants: a known answer; the same answer twice; our id followed by
 * ';' and anything is always ours; comments and white space before an id
 * do not change the answer for our id.
 */
#include "authres.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ID "mx.example.net"

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
	static const char pre[] = " (comment (nested)) \r\n\t" FUZZ_ID ";";
	enum authres_claim a;
	char *buf;

	a = authres_claims((const char *)data, size, FUZZ_ID);
	check(a == AUTHRES_OTHER || a == AUTHRES_OURS ||
	      a == AUTHRES_MALFORMED);
	check(authres_claims((const char *)data, size, FUZZ_ID) == a);
	buf = malloc(sizeof(pre) + size);
	if (buf == NULL)
		return 0;
	memcpy(buf, pre, sizeof(pre) - 1);
	memcpy(buf + sizeof(pre) - 1, data, size);
	check(authres_claims(buf, sizeof(pre) - 1 + size, FUZZ_ID) ==
	      AUTHRES_OURS);
	check(authres_claims(buf + 23, sizeof(pre) - 24 + size, FUZZ_ID) ==
	      AUTHRES_OURS);
	free(buf);
	return 0;
}
