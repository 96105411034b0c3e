/* SPDX-License-Identifier: BSD-2-Clause */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memtab.h"
#include "xalloc.h"

/* strmap_init - an empty map */
void
strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
	m->tab = memtab_new(sizeof(size_t), SIZE_MAX, NULL);
}

/* strmap_find - the value stored for key, NULL when absent */
size_t *
strmap_find(const struct strmap *m, const char *key)
{
	size_t *pos = memtab_get(m->tab, key, 0);

	return pos != NULL ? &m->vals[*pos] : NULL;
}

/* strmap_add - the value slot for key, made with value when absent
 * (*added says which) */
size_t *
strmap_add(struct strmap *m, const char *key, size_t value, int *added)
{
	bool made;
	size_t *pos = memtab_put(m->tab, key, 0, &made);

	*added = made;
	if (!made)
		return &m->vals[*pos];
	if (m->count == m->cap) {
		size_t n = m->cap ? m->cap * 2 : 64;

		m->keys = xreallocarray(m->keys, n, sizeof(*m->keys));
		m->vals = xreallocarray(m->vals, n, sizeof(*m->vals));
		memset(m->keys + m->cap, 0, (n - m->cap) * sizeof(*m->keys));
		m->cap = n;
	}
	*pos = m->count;
	m->keys[m->count] = memtab_key(pos);
	m->vals[m->count] = value;
	return &m->vals[m->count++];
}

/* strmap_free - release keys and table */
void
strmap_free(struct strmap *m)
{
	memtab_free(m->tab);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
