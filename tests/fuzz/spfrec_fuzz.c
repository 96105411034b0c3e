/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfrec_fuzz - libFuzzer target: spfrec_parse() on arbitrary record text,
 * and spfrec_expand() / spfrec_expand_name() on the same bytes as a macro
 * string (the input attackers control through DNS).
 *
 * Besides crashes: a parsed record has sane terms (known mechanism and
 * qualifier, prefix lengths in range, domain-specs that pass the domain-
 * spec check); an expansion is terminated and within its buffer; an
 * expanded name is at most 253 bytes without a trailing dot; the three
 * agree (a macro string that expands must also pass spfrec_macro_check).
 */
#include "spfrec.h"
#include "spfdns.h"

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

/* fuzz_p - %{p} */
static const char *
fuzz_p(void *arg)
{
	(void)arg;
	return "mail.example.org";
}

/* LLVMFuzzerTestOneInput - one input, the three entry points */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spfrec_macros m = {
		.s = "a.b+c@d-e.example.com", .l = "a.b+c",
		.o = "d-e.example.com", .d = "d-e.example.com",
		.i = "192.0.2.3", .v = "in-addr", .h = "mx.example.org",
		.c = "192.0.2.3", .r = "mx.example.net", .t = "1700000000",
		.p = fuzz_p,
	};
	char *text = malloc(size + 1);
	char out[600];
	struct spfrec rec;
	struct err e;
	size_t i;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (spfrec_parse((const char *)data, size, &rec, &e) == 0) {
		for (i = 0; i < rec.nterms; i++) {
			const struct spfrec_term *t = &rec.terms[i];

			check(t->mech <= SPFREC_EXISTS);
			check(strchr("+-~?", t->qual) != NULL);
			check(t->cidr4 >= -1 && t->cidr4 <= 32);
			check(t->cidr6 >= -1 && t->cidr6 <= 128);
			if (t->domain != NULL)
				check(spfrec_domain_spec_ok(t->domain, &e));
		}
		spfrec_free(&rec);
	} else {
		check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
		check(rec.buf == NULL && rec.terms == NULL);
	}
	if (memchr(data, '\0', size) == NULL) {
		int okx = spfrec_expand(text, &m, true, out, sizeof(out), &e);
		int okn;

		if (okx == 0)
			check(strlen(out) < sizeof(out));
		okn = spfrec_expand_name(text, &m, out, sizeof(out), &e);
		if (okn == 0) {
			size_t n = strlen(out);

			check(n <= SPFREC_NAME_MAX);
			/* "a.." keeps a dot: such a name is never sent */
			check(n == 0 || out[n - 1] != '.' ||
			      !spfdns_name_ok(out));
			check(spfrec_macro_check(text, false, &e) == 0);
		}
	}
	free(text);
	return 0;
}
