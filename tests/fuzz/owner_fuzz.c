/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * owner_fuzz - libFuzzer target: the sender login map parser on arbitrary
 * bytes (through fmemopen, as a file), then a few ownership questions
 * against whatever map loaded.  A refused map must say why with
 * "NAME:LINE: ..." or "NAME: ..."; a loaded map must answer without
 * crashing for any login.
 */
#include "owner.h"

#include <stdint.h>
#include <stdio.h>
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

static const char *const logins[] = {
	"alice@example.com", "bob", "@example.org", "x@example.net", "",
	"ALICE@EXAMPLE.COM",
};

static const char *const senders[] = {
	"alice@example.com", "sales@example.com", "a+b@example.org",
	"x@sub.example.net", "\"q\"@example.com",
};

/* LLVMFuzzerTestOneInput - one map */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct owner_map *m = NULL;
	struct owner_opts o = {true, false, '+'};
	struct err e;
	FILE *fp;
	size_t i;
	size_t j;

	if (size == 0)
		return 0;
	fp = fmemopen((void *)(uintptr_t)data, size, "r");
	check(fp != NULL);
	memset(&e, 0x5a, sizeof(e));
	if (owner_map_load_stream(fp, "map", &m, &e) < 0) {
		check(m == NULL);
		check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
		check(strncmp(e.text, "map:", 4) == 0);
		(void)fclose(fp);
		return 0;
	}
	(void)fclose(fp);
	for (i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
		for (j = 0; j < sizeof(senders) / sizeof(senders[0]); j++) {
			struct addr a;

			check(addr_path_parse(senders[j], &a, &e) == ADDR_OK);
			(void)owner_may_send_as(m, &o, logins[i], &a);
		}
	}
	owner_map_free(m);
	return 0;
}
