/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * strmap - a string-keyed map of indexes for counting by sender, subject
 * or reason in the report: a util/memtab (seeded, never expiring) finds a
 * key, and keys[]/vals[] list the entries in the order they were added
 * (keys[i] is the map's own copy, stable until strmap_free; slots from
 * count to cap are NULL).  Not thread-safe.
 */
#ifndef RG_STRMAP_H
#define RG_STRMAP_H

#include <stddef.h>

struct memtab;

struct strmap {
	struct memtab *tab;	/* key -> position in keys[] and vals[] */
	const char **keys;
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
