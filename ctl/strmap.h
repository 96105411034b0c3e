/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * strmap - a string-keyed hash table of indexes (open addressing, FNV-1a,
 * grows at 70% load), for counting by sender, subject or reason in the
 * report.  Keys are copied.  Not thread-safe.
 */
#ifndef RG_STRMAP_H
#define RG_STRMAP_H

#include <stddef.h>

struct strmap {
	char **keys;
	size_t *vals;
	size_t cap;
	size_t count;
};

void strmap_init(struct strmap *m);
size_t *strmap_find(const struct strmap *m, const char *key);
size_t *strmap_add(struct strmap *m, const char *key, size_t value,
		   int *added);
void strmap_free(struct strmap *m);

#endif
