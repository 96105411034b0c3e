/* SPDX-License-Identifier: BSD-2-Clause */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* strmap_hash - FNV-1a, 64 bits */
static uint64_t
strmap_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* strmap_init - an empty map */
void
strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

/* strmap_slot - the slot holding key, or the empty one where it goes */
static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = (size_t)strmap_hash(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* strmap_grow - double the table (cap stays a power of two) */
static void
strmap_grow(struct strmap *m)
{
	struct strmap n;
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.count = m->count;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] != NULL) {
			size_t j = strmap_slot(&n, m->keys[i]);

			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
		}
	}
	free(m->keys);
	free(m->vals);
	*m = n;
}

/* strmap_find - the value stored for key, NULL when absent */
size_t *
strmap_find(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = strmap_slot(m, key);
	return m->keys[i] != NULL ? &m->vals[i] : NULL;
}

/* strmap_add - the value slot for key, made with value when absent
 * (*added says which) */
size_t *
strmap_add(struct strmap *m, const char *key, size_t value, int *added)
{
	size_t i;

	if ((m->count + 1) * 10 > m->cap * 7)
		strmap_grow(m);
	i = strmap_slot(m, key);
	*added = m->keys[i] == NULL;
	if (*added) {
		m->keys[i] = xstrdup(key);
		m->vals[i] = value;
		m->count++;
	}
	return &m->vals[i];
}

/* strmap_free - release keys and table */
void
strmap_free(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
