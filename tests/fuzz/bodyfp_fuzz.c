/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bodyfp_fuzz - libFuzzer target for the body fingerprint (bodyfp.c), the
 * code that reads every byte of every body when abuse control is on.
 *
 * The input is fed whole, then again in chunks whose sizes come from the
 * input's first byte: no crash, the same answer both times (chunk
 * boundaries must not matter, even inside "=\r\n"), a fingerprint of
 * exactly 32 lower-case hex digits or none, and a normalised text that is
 * free of white space other than single blanks and of upper-case ASCII.
 */
#include "bodyfp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* run - the fingerprint of data fed in chunks of chunk bytes */
static int
run(const uint8_t *data, size_t size, size_t chunk, char *hex,
    struct strbuf *trace)
{
	struct bodyfp *f = bodyfp_new();
	size_t off;
	int rc;

	if (trace != NULL)
		bodyfp_trace(f, trace);
	for (off = 0; off < size; off += chunk)
		bodyfp_update(f, data + off,
			      size - off < chunk ? size - off : chunk);
	rc = bodyfp_final(f, hex, BODYFP_HEX_MAX);
	bodyfp_free(f);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[BODYFP_HEX_MAX];
	char b[BODYFP_HEX_MAX];
	struct strbuf sb;
	size_t chunk = size > 0 ? (size_t)data[0] % 7 + 1 : 1;
	size_t i;
	int ra;
	int rb;

	strbuf_init(&sb, 1 << 20);
	ra = run(data, size, size > 0 ? size : 1, a, &sb);
	rb = run(data, size, chunk, b, NULL);
	check(ra == rb);
	check(strcmp(a, b) == 0);
	if (ra == 0) {
		check(strlen(a) == 32);
		for (i = 0; i < 32; i++)
			check((a[i] >= '0' && a[i] <= '9') ||
			      (a[i] >= 'a' && a[i] <= 'f'));
	} else {
		check(a[0] == '\0');
	}
	for (i = 0; i < sb.len; i++) {
		char c = sb.data[i];

		check(c != '\t' && c != '\r' && c != '\n' && c != '\f' &&
		      c != '\v');
		check(!(c >= 'A' && c <= 'Z'));
		check(!(c == ' ' && (i == 0 || sb.data[i - 1] == ' ')));
	}
	strbuf_free(&sb);
	return 0;
}
