/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitmap_fuzz - libFuzzer target: limitmap_parse() on arbitrary bytes.
 *
 * Besides crashes and leaks, a loaded map must keep the parser's promises:
 * an error names the file and a line; every plan has 1 to LIMIT_PLAN_MAX
 * limits, each with an amount within LIMIT_AMOUNT_MAX, a period from 1 s
 * to 366 d (none for recipients_per_message), a quantum dividing the
 * period, and amount * (period / quantum) within 2^50 so that Redis's Lua
 * arithmetic stays exact; lookups of any value answer.
 */
#include "limitmap.h"

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

/* LLVMFuzzerTestOneInput - one input, one parse */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const probes[] = {
		"alice@example.com", "example.com", "192.0.2.7", "2001:db8::1",
		"*", "", "acme",
	};
	struct limitmap *m = NULL;
	const struct limit_plan *p;
	struct err e;
	size_t i;
	size_t j;
	int k;

	memset(&e, 0x5a, sizeof(e));
	if (limitmap_parse((const char *)data, size, "fuzz", &m, &e) < 0) {
		check(m == NULL);
		check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
		check(strncmp(e.text, "fuzz", 4) == 0);
		return 0;
	}
	for (i = 0; (p = limitmap_plan_at(m, i)) != NULL; i++) {
		check(p->count >= 1 && p->count <= LIMIT_PLAN_MAX);
		check(limitmap_plan(m, p->name) == p);
		for (j = 0; j < p->count; j++) {
			const struct limit_def *d = &p->defs[j];

			check(d->amount <= LIMIT_AMOUNT_MAX);
			if (d->counter == LIMIT_PER_MESSAGE) {
				check(d->period_ms == 0);
				continue;
			}
			check(d->period_ms >= 1000 &&
			      d->period_ms <= LIMIT_PERIOD_MAX);
			check(d->unit_ms >= 1 && d->period_ms % d->unit_ms == 0);
			check(d->amount * (d->period_ms / d->unit_ms) <=
			      (1ULL << 50));
		}
	}
	check(i == limitmap_plan_count(m));
	for (k = 0; k < LIMIT_KIND_COUNT; k++)
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			(void)limitmap_assigned(m, (enum limit_kind)k, probes[i]);
			(void)limitmap_member_of(m, (enum limit_kind)k,
						 probes[i]);
		}
	limitmap_free(m);
	return 0;
}
