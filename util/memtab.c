/* SPDX-License-Identifier: BSD-2-Clause */
#include "memtab.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "xalloc.h"

#define MEMTAB_MIN_BUCKETS 64

/* One entry: this header, the value (aligned), then the key. */
struct memtab_ent {
	struct memtab_ent *next;
	uint64_t hash;
	uint64_t expire;	/* ms; 0: never */
	char *key;		/* inside the same allocation */
};

/* The header rounded up so that the value after it is aligned for any
 * type. */
#define MEMTAB_HDR ((sizeof(struct memtab_ent) + alignof(max_align_t) - 1) & \
		    ~(alignof(max_align_t) - 1))

struct memtab {
	struct memtab_ent **slots;
	size_t mask;		/* buckets - 1; buckets a power of two */
	size_t count;
	size_t timed;		/* entries with an expiry time */
	size_t max;
	size_t vsize;
	size_t sweep;		/* next bucket memtab_sweep looks at */
	memtab_free_fn *free_fn;
	unsigned char seed[MEMTAB_SEED_SIZE];
};

/* --- SipHash-2-4 (Aumasson and Bernstein, 2012) -------------------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND							\
	do {								\
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0;			\
		v0 = ROTL(v0, 32);					\
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;			\
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;			\
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2;			\
		v2 = ROTL(v2, 32);					\
	} while (0)

/* memtab_le64 - 8 bytes as a little-endian number */
static uint64_t
memtab_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* memtab_siphash - SipHash-2-4 of data under a 128-bit key */
uint64_t
memtab_siphash(const unsigned char key[MEMTAB_SEED_SIZE], const void *data,
	       size_t len)
{
	const unsigned char *p = data;
	uint64_t k0 = memtab_le64(key);
	uint64_t k1 = memtab_le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56;
	size_t left = len & 7;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = memtab_le64(p + i);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	while (left > 0) {
		left--;
		b |= (uint64_t)p[i + left] << (8 * left);
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* --- the table ----------------------------------------------------------- */

/* memtab_ent_of - the entry header of a value */
static struct memtab_ent *
memtab_ent_of(const void *val)
{
	return (struct memtab_ent *)(void *)((char *)(uintptr_t)val -
					     MEMTAB_HDR);
}

/* memtab_val - the value of an entry */
static void *
memtab_val(struct memtab_ent *en)
{
	return (char *)en + MEMTAB_HDR;
}

/* memtab_new_seeded - an empty table with the caller's hash key */
struct memtab *
memtab_new_seeded(size_t vsize, size_t max, memtab_free_fn *free_fn,
		  const unsigned char seed[MEMTAB_SEED_SIZE])
{
	struct memtab *t = xcalloc(1, sizeof(*t));

	t->vsize = (vsize + alignof(max_align_t) - 1) &
		   ~(alignof(max_align_t) - 1);
	t->max = max;
	t->free_fn = free_fn;
	memcpy(t->seed, seed, MEMTAB_SEED_SIZE);
	return t;
}

/* memtab_new - an empty table with a hash key from getrandom(2) */
struct memtab *
memtab_new(size_t vsize, size_t max, memtab_free_fn *free_fn)
{
	unsigned char seed[MEMTAB_SEED_SIZE];
	size_t got = 0;

	while (got < sizeof(seed)) {
		ssize_t n = getrandom(seed + got, sizeof(seed) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			log_panic("memtab: getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	return memtab_new_seeded(vsize, max, free_fn, seed);
}

/* memtab_hash - the keyed hash of a key */
static uint64_t
memtab_hash(const struct memtab *t, const char *key)
{
	return memtab_siphash(t->seed, key, strlen(key));
}

/* memtab_ent_free - release one entry (already unlinked) */
static void
memtab_ent_free(struct memtab *t, struct memtab_ent *en)
{
	if (t->free_fn != NULL)
		t->free_fn(memtab_val(en));
	if (en->expire != 0)
		t->timed--;
	t->count--;
	free(en);
}

/* memtab_unlink - remove the entry at *pp */
static void
memtab_unlink(struct memtab *t, struct memtab_ent **pp)
{
	struct memtab_ent *en = *pp;

	*pp = en->next;
	memtab_ent_free(t, en);
}

/* memtab_dead - is the entry expired at now? */
static bool
memtab_dead(const struct memtab_ent *en, uint64_t now)
{
	return en->expire != 0 && en->expire <= now;
}

/* memtab_sweep - drop the expired entries of the next few buckets */
void
memtab_sweep(struct memtab *t, uint64_t now, size_t buckets)
{
	size_t i;

	if (t->slots == NULL || t->timed == 0)
		return;
	if (buckets > t->mask + 1)
		buckets = t->mask + 1;
	for (i = 0; i < buckets; i++) {
		struct memtab_ent **pp = &t->slots[t->sweep];

		while (*pp != NULL) {
			if (memtab_dead(*pp, now))
				memtab_unlink(t, pp);
			else
				pp = &(*pp)->next;
		}
		t->sweep = (t->sweep + 1) & t->mask;
	}
}

/* memtab_grow - double the buckets (or make the first ones) */
static void
memtab_grow(struct memtab *t)
{
	size_t n = t->slots ? (t->mask + 1) * 2 : MEMTAB_MIN_BUCKETS;
	struct memtab_ent **slots = xcalloc(n, sizeof(*slots));
	size_t i;

	for (i = 0; t->slots != NULL && i <= t->mask; i++) {
		struct memtab_ent *en = t->slots[i];

		while (en != NULL) {
			struct memtab_ent *next = en->next;
			size_t j = (size_t)en->hash & (n - 1);

			en->next = slots[j];
			slots[j] = en;
			en = next;
		}
	}
	free(t->slots);
	t->slots = slots;
	t->mask = n - 1;
	t->sweep = 0;
}

/* memtab_find - the link to key's entry (live or not), or NULL */
static struct memtab_ent **
memtab_find(struct memtab *t, const char *key, uint64_t h)
{
	struct memtab_ent **pp;

	if (t->slots == NULL)
		return NULL;
	for (pp = &t->slots[h & t->mask]; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0)
			return pp;
	return NULL;
}

/* memtab_get - the live value stored under key, or NULL */
void *
memtab_get(struct memtab *t, const char *key, uint64_t now)
{
	struct memtab_ent **pp = memtab_find(t, key, memtab_hash(t, key));

	if (pp == NULL)
		return NULL;
	if (memtab_dead(*pp, now)) {
		memtab_unlink(t, pp);
		return NULL;
	}
	return memtab_val(*pp);
}

/* memtab_put - the value under key, made zeroed (never expiring) when
 * there is none (*made says which); NULL when the table is full */
void *
memtab_put(struct memtab *t, const char *key, uint64_t now, bool *made)
{
	uint64_t h = memtab_hash(t, key);
	struct memtab_ent **pp = memtab_find(t, key, h);
	struct memtab_ent *en;
	size_t klen;

	if (made != NULL)
		*made = false;
	if (pp != NULL) {
		if (!memtab_dead(*pp, now))
			return memtab_val(*pp);
		memtab_unlink(t, pp);
	}
	memtab_sweep(t, now, MEMTAB_SWEEP_STEP);
	if (t->count >= t->max) {
		memtab_sweep(t, now, t->mask + 1);
		if (t->count >= t->max)
			return NULL;
	}
	if (t->slots == NULL || t->count + 1 > (t->mask + 1) / 4 * 3)
		memtab_grow(t);
	klen = strlen(key);
	if (klen > SIZE_MAX - MEMTAB_HDR - t->vsize - 1)
		log_panic("memtab: key of %zu bytes", klen);
	en = xcalloc(1, MEMTAB_HDR + t->vsize + klen + 1);
	en->hash = h;
	en->key = (char *)en + MEMTAB_HDR + t->vsize;
	memcpy(en->key, key, klen + 1);
	en->next = t->slots[h & t->mask];
	t->slots[h & t->mask] = en;
	t->count++;
	if (made != NULL)
		*made = true;
	return memtab_val(en);
}

/* memtab_del - remove key's entry; false when there was none */
bool
memtab_del(struct memtab *t, const char *key)
{
	struct memtab_ent **pp = memtab_find(t, key, memtab_hash(t, key));

	if (pp == NULL)
		return false;
	memtab_unlink(t, pp);
	return true;
}

/* memtab_reset - release what a value points to and zero it (the entry
 * stays, with its expiry) */
void
memtab_reset(struct memtab *t, void *val)
{
	if (t->free_fn != NULL)
		t->free_fn(val);
	memset(val, 0, t->vsize);
}

/* memtab_expire_at - when the entry of val goes (ms; 0: never) */
void
memtab_expire_at(struct memtab *t, void *val, uint64_t when)
{
	struct memtab_ent *en = memtab_ent_of(val);

	if (en->expire == 0 && when != 0)
		t->timed++;
	else if (en->expire != 0 && when == 0)
		t->timed--;
	en->expire = when;
}

/* memtab_expiry - when the entry of val goes (0: never) */
uint64_t
memtab_expiry(const void *val)
{
	return memtab_ent_of(val)->expire;
}

/* memtab_key - the key of val's entry */
const char *
memtab_key(const void *val)
{
	return memtab_ent_of(val)->key;
}

/* memtab_clear - remove every entry */
void
memtab_clear(struct memtab *t)
{
	size_t i;

	for (i = 0; t->slots != NULL && i <= t->mask; i++)
		while (t->slots[i] != NULL)
			memtab_unlink(t, &t->slots[i]);
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->sweep = 0;
}

/* memtab_free - remove everything and release the table; NULL is fine */
void
memtab_free(struct memtab *t)
{
	if (t == NULL)
		return;
	memtab_clear(t);
	explicit_bzero(t->seed, sizeof(t->seed));
	free(t);
}

/* memtab_count - entries held (expired ones not yet dropped included) */
size_t
memtab_count(const struct memtab *t)
{
	return t->count;
}

/* memtab_buckets - the number of buckets (0 before the first entry) */
size_t
memtab_buckets(const struct memtab *t)
{
	return t->slots ? t->mask + 1 : 0;
}

/* memtab_bucket_of - the bucket key goes to now */
size_t
memtab_bucket_of(const struct memtab *t, const char *key)
{
	return (size_t)memtab_hash(t, key) & t->mask;
}

/* memtab_longest_chain - the most entries any one bucket holds */
size_t
memtab_longest_chain(const struct memtab *t)
{
	size_t best = 0;
	size_t i;

	for (i = 0; t->slots != NULL && i <= t->mask; i++) {
		const struct memtab_ent *en;
		size_t n = 0;

		for (en = t->slots[i]; en != NULL; en = en->next)
			n++;
		if (n > best)
			best = n;
	}
	return best;
}
