/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * memtab_test - the seeded expiring table: lookups, one meaning of expiry,
 * growth, the bound, and that the layout of keys depends on the seed (so
 * keys chosen to collide under one table's seed do not collide in
 * another's).
 */
#include "memtab.h"

#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "rg_test.h"

struct val {
	unsigned long n;
	char *owned;
};

static int freed;

/* val_free - memtab_free_fn: count the calls, release the owned text */
static void
val_free(void *p)
{
	struct val *v = p;

	freed++;
	free(v->owned);
	v->owned = NULL;
}

static const unsigned char seed_a[MEMTAB_SEED_SIZE] = "0123456789abcdef";
static const unsigned char seed_b[MEMTAB_SEED_SIZE] = "fedcba9876543210";

/* mk - a seeded table of struct val */
static struct memtab *
mk(size_t max, const unsigned char *seed)
{
	freed = 0;
	return memtab_new_seeded(sizeof(struct val), max, val_free, seed);
}

/* siphash_matches_the_reference_vectors: key 00..0f, messages 00..len-1 */
static void
t_siphash_vectors(void **state)
{
	unsigned char key[16];
	unsigned char msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	/* the paper's appendix and the reference implementation's table */
	assert_true(memtab_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(memtab_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(memtab_siphash(key, msg, 8) == 0x93f5f5799a932462ULL);
}

/* put_then_get_finds_the_same_zeroed_value */
static void
t_put_get(void **state)
{
	struct memtab *t = mk(100, seed_a);
	struct val *v;
	bool made;

	(void)state;
	assert_null(memtab_get(t, "alice", 1));
	v = memtab_put(t, "alice", 1, &made);
	assert_non_null(v);
	assert_true(made);
	assert_int_equal(v->n, 0);
	assert_null(v->owned);
	assert_int_equal((uintptr_t)v % alignof(max_align_t), 0);
	v->n = 42;
	assert_ptr_equal(memtab_get(t, "alice", 1), v);
	assert_ptr_equal(memtab_put(t, "alice", 1, &made), v);
	assert_false(made);
	assert_string_equal(memtab_key(v), "alice");
	assert_null(memtab_get(t, "Alice", 1));
	assert_int_equal(memtab_count(t), 1);
	memtab_free(t);
	assert_int_equal(freed, 1);
}

/* expiry_zero_means_never */
static void
t_expiry_never(void **state)
{
	struct memtab *t = mk(100, seed_a);
	struct val *v = memtab_put(t, "k", 5, NULL);

	(void)state;
	assert_int_equal(memtab_expiry(v), 0);
	assert_non_null(memtab_get(t, "k", UINT64_MAX));
	memtab_sweep(t, UINT64_MAX, 1000);
	assert_int_equal(memtab_count(t), 1);
	memtab_free(t);
}

/* entry_is_gone_from_its_expiry_time_on */
static void
t_expiry_time(void **state)
{
	struct memtab *t = mk(100, seed_a);
	struct val *v = memtab_put(t, "k", 5, NULL);

	(void)state;
	v->owned = strdup("x");
	memtab_expire_at(t, v, 100);
	assert_int_equal(memtab_expiry(v), 100);
	assert_non_null(memtab_get(t, "k", 99));
	assert_null(memtab_get(t, "k", 100));
	assert_int_equal(freed, 1);
	assert_int_equal(memtab_count(t), 0);
	memtab_free(t);
}

/* put_over_an_expired_entry_makes_a_fresh_one */
static void
t_put_over_expired(void **state)
{
	struct memtab *t = mk(100, seed_a);
	struct val *v = memtab_put(t, "k", 5, NULL);
	bool made;

	(void)state;
	v->n = 7;
	memtab_expire_at(t, v, 10);
	v = memtab_put(t, "k", 10, &made);
	assert_true(made);
	assert_int_equal(v->n, 0);
	assert_int_equal(memtab_expiry(v), 0);
	assert_int_equal(memtab_count(t), 1);
	memtab_free(t);
}

/* del_removes_and_releases */
static void
t_del(void **state)
{
	struct memtab *t = mk(100, seed_a);
	struct val *v = memtab_put(t, "k", 5, NULL);

	(void)state;
	v->owned = strdup("x");
	assert_true(memtab_del(t, "k"));
	assert_false(memtab_del(t, "k"));
	assert_int_equal(freed, 1);
	assert_null(memtab_get(t, "k", 5));
	memtab_free(t);
	assert_int_equal(freed, 1);
}

/* reset_releases_and_zeroes_but_keeps_the_entry */
static void
t_reset(void **state)
{
	struct memtab *t = mk(100, seed_a);
	struct val *v = memtab_put(t, "k", 5, NULL);

	(void)state;
	v->n = 3;
	v->owned = strdup("x");
	memtab_expire_at(t, v, 50);
	memtab_reset(t, v);
	assert_int_equal(freed, 1);
	assert_int_equal(v->n, 0);
	assert_null(v->owned);
	assert_ptr_equal(memtab_get(t, "k", 6), v);
	assert_int_equal(memtab_expiry(v), 50);
	memtab_free(t);
}

/* full_table_sweeps_then_refuses_and_evicts_nothing */
static void
t_full(void **state)
{
	struct memtab *t = mk(4, seed_a);
	char key[16];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct val *v;

		(void)snprintf(key, sizeof(key), "k%d", i);
		v = memtab_put(t, key, 1, NULL);
		assert_non_null(v);
		memtab_expire_at(t, v, i < 2 ? 10 : 0);
	}
	assert_null(memtab_put(t, "more", 5, NULL));
	for (i = 0; i < 4; i++) {	/* nobody was evicted */
		(void)snprintf(key, sizeof(key), "k%d", i);
		assert_non_null(memtab_get(t, key, 5));
	}
	/* at 10 the two expiring entries are gone: room for two */
	assert_non_null(memtab_put(t, "more", 10, NULL));
	assert_non_null(memtab_put(t, "again", 10, NULL));
	assert_null(memtab_put(t, "one-too-many", 10, NULL));
	assert_int_equal(memtab_count(t), 4);
	memtab_free(t);
}

/* grows_keeping_every_entry_with_a_power_of_two */
static void
t_grow(void **state)
{
	struct memtab *t = mk(SIZE_MAX, seed_a);
	char key[32];
	size_t b;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		struct val *v;

		(void)snprintf(key, sizeof(key), "sender%d@example.com", i);
		v = memtab_put(t, key, 1, NULL);
		v->n = (unsigned long)i;
	}
	assert_int_equal(memtab_count(t), 20000);
	b = memtab_buckets(t);
	assert_int_equal(b & (b - 1), 0);
	assert_true(20000 <= b / 4 * 3);
	for (i = 0; i < 20000; i++) {
		struct val *v;

		(void)snprintf(key, sizeof(key), "sender%d@example.com", i);
		v = memtab_get(t, key, 1);
		assert_non_null(v);
		assert_int_equal(v->n, (unsigned long)i);
	}
	/* a keyed hash spreads ordinary keys: no bucket holds many */
	assert_true(memtab_longest_chain(t) < 12);
	memtab_free(t);
	assert_int_equal(freed, 20000);
}

/* sweeping_drops_expired_entries_without_lookups */
static void
t_sweep(void **state)
{
	struct memtab *t = mk(SIZE_MAX, seed_a);
	char key[32];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		struct val *v;

		(void)snprintf(key, sizeof(key), "k%d", i);
		v = memtab_put(t, key, 1, NULL);
		memtab_expire_at(t, v, i % 2 ? 100 : 0);
	}
	memtab_sweep(t, 100, memtab_buckets(t));
	assert_int_equal(memtab_count(t), 500);
	assert_int_equal(freed, 500);
	/* each put also sweeps a few buckets: memory follows live entries */
	for (i = 0; i < 1000; i++) {
		struct val *v;

		(void)snprintf(key, sizeof(key), "j%d", i);
		v = memtab_put(t, key, 200, NULL);
		memtab_expire_at(t, v, 300);
	}
	for (i = 0; i < 2000; i++) {
		(void)snprintf(key, sizeof(key), "n%d", i);
		(void)memtab_put(t, key, 300, NULL);
	}
	assert_true(memtab_count(t) < 500 + 1000 + 2000);
	memtab_free(t);
}

/* clear_releases_every_entry */
static void
t_clear(void **state)
{
	struct memtab *t = mk(SIZE_MAX, seed_a);
	char key[16];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		(void)memtab_put(t, key, 1, NULL);
	}
	memtab_clear(t);
	assert_int_equal(freed, 100);
	assert_int_equal(memtab_count(t), 0);
	assert_null(memtab_get(t, "k1", 1));
	assert_non_null(memtab_put(t, "k1", 1, NULL));
	memtab_free(t);
	memtab_free(NULL);
}

/* filled - a table seeded so, holding 40 ordinary keys (64 buckets) */
static struct memtab *
filled(const unsigned char *seed)
{
	struct memtab *t = mk(SIZE_MAX, seed);
	char key[32];
	int i;

	for (i = 0; i < 40; i++) {
		(void)snprintf(key, sizeof(key), "filler%d", i);
		(void)memtab_put(t, key, 1, NULL);
	}
	return t;
}

/* same_seed_same_layout_other_seed_other_layout */
static void
t_layout_by_seed(void **state)
{
	struct memtab *a = filled(seed_a);
	struct memtab *a2 = filled(seed_a);
	struct memtab *b = filled(seed_b);
	struct memtab *r1 = memtab_new(sizeof(struct val), 100, NULL);
	struct memtab *r2 = memtab_new(sizeof(struct val), 100, NULL);
	char key[32];
	int same_ab = 0;
	int same_r = 0;
	int i;

	(void)state;
	assert_int_equal(memtab_buckets(a), 64);
	assert_int_equal(memtab_buckets(b), 64);
	(void)memtab_put(r1, "x", 1, NULL);
	(void)memtab_put(r2, "x", 1, NULL);
	for (i = 0; i < 1000; i++) {
		(void)snprintf(key, sizeof(key), "user%d@example.com", i);
		assert_int_equal(memtab_bucket_of(a, key),
				 memtab_bucket_of(a2, key));
		same_ab += memtab_bucket_of(a, key) == memtab_bucket_of(b, key);
		same_r += memtab_bucket_of(r1, key) == memtab_bucket_of(r2, key);
	}
	/* 1 in 64 agree by chance: about 16 of 1,000, never most */
	assert_true(same_ab < 100);
	/* two tables seeded from getrandom differ too */
	assert_true(same_r < 100);
	memtab_free(a);
	memtab_free(a2);
	memtab_free(b);
	memtab_free(r1);
	memtab_free(r2);
}

/* keys_colliding_under_one_seed_spread_under_another: the attack a fixed
 * (or known) hash key allows - keys crafted offline to share a bucket -
 * does not carry over to a table whose seed the attacker does not know */
static void
t_collision_attack(void **state)
{
	struct memtab *a = filled(seed_a);
	struct memtab *b = filled(seed_b);
	char keys[40][48];
	size_t found = 0;
	size_t i;

	(void)state;
	/* with 80 entries both tables have 128 buckets: find 40 keys whose
	 * hash under seed_a ends in 7 zero bits */
	for (i = 0; found < 40 && i < 1000000; i++) {
		(void)snprintf(keys[found], sizeof(keys[found]),
			       "evil%zu@example.com", i);
		if ((memtab_siphash(seed_a, keys[found],
				    strlen(keys[found])) & 127) == 0)
			found++;
	}
	assert_int_equal(found, 40);
	for (i = 0; i < found; i++) {
		(void)memtab_put(a, keys[i], 1, NULL);
		(void)memtab_put(b, keys[i], 1, NULL);
	}
	assert_int_equal(memtab_buckets(a), 128);
	assert_int_equal(memtab_buckets(b), 128);
	assert_int_equal(memtab_bucket_of(a, keys[0]), 0);
	assert_true(memtab_longest_chain(a) >= 40);
	/* 80 keys in 128 buckets: the longest chain is a handful */
	assert_true(memtab_longest_chain(b) <= 8);
	memtab_free(a);
	memtab_free(b);
}

int
main(void)
{
	static struct rg_cases c;

	rg_case_add(&c, "siphash_matches_the_reference_vectors",
		    t_siphash_vectors, NULL);
	rg_case_add(&c, "put_then_get_finds_the_same_zeroed_value", t_put_get,
		    NULL);
	rg_case_add(&c, "expiry_zero_means_never", t_expiry_never, NULL);
	rg_case_add(&c, "entry_is_gone_from_its_expiry_time_on",
		    t_expiry_time, NULL);
	rg_case_add(&c, "put_over_an_expired_entry_makes_a_fresh_one",
		    t_put_over_expired, NULL);
	rg_case_add(&c, "del_removes_and_releases", t_del, NULL);
	rg_case_add(&c, "reset_releases_and_zeroes_but_keeps_the_entry",
		    t_reset, NULL);
	rg_case_add(&c, "full_table_sweeps_then_refuses_and_evicts_nothing",
		    t_full, NULL);
	rg_case_add(&c, "grows_keeping_every_entry_with_a_power_of_two",
		    t_grow, NULL);
	rg_case_add(&c, "sweeping_drops_expired_entries_without_lookups",
		    t_sweep, NULL);
	rg_case_add(&c, "clear_releases_every_entry", t_clear, NULL);
	rg_case_add(&c, "same_seed_same_layout_other_seed_other_layout",
		    t_layout_by_seed, NULL);
	rg_case_add(&c, "keys_colliding_under_one_seed_spread_under_another",
		    t_collision_attack, NULL);
	return rg_cases_run(&c, "memtab", NULL, NULL);
}
