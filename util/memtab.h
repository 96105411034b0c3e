/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * memtab - a string-keyed hash table of fixed-size values that may
 * expire: the in-process store of the limits (limit_mem.c), of abuse
 * control (abuse_mem.c) and relayguardctl's report counters (strmap).
 *
 * Hashing: SipHash-2-4 under a 128-bit key drawn from getrandom(2) when
 * the table is made.  The keys are chosen by clients (sender addresses,
 * logins, client networks): with a fixed hash an attacker could pick keys
 * that share one bucket and turn every lookup into a walk of a long chain
 * (Postfix seeds its hash tables for the same reason).  Two tables, or one
 * process and the next, lay the same keys out differently.
 * memtab_new_seeded() takes the key from the caller (tests).
 *
 * Buckets: a power of two, the index is hash & mask; the table doubles
 * when its entries reach 3/4 of its buckets; it never shrinks.
 *
 * Expiry has one meaning: every entry has an absolute time in ms (the
 * caller's clock, passed as now) after which it is gone; 0 means never.
 * An entry is live while its time is 0 or now < time.  Expired entries
 * are dropped when a lookup meets them, and memtab_put() sweeps a few
 * buckets on each call, so memory follows the live entries.
 *
 * Bounded: at most max entries.  memtab_put() on a full table first
 * sweeps the whole table; when it is still full it adds nothing and
 * returns NULL.  Nothing is evicted behind the caller's back: the limits
 * and abuse control answer "store full", which their fail mode turns into
 * a tempfail, and the log says so.
 *
 * Values are vsize bytes, zeroed when an entry is made and suitably
 * aligned for any type; free_fn (may be NULL) releases what a value points
 * to when its entry goes (deleted, expired, cleared).  A value pointer
 * stays valid until its entry is removed; memtab_key() gives the entry's
 * own copy of its key.
 *
 * Not thread-safe: the caller holds its own lock around every call.
 * memtab_free(NULL) does nothing.
 */
#ifndef RG_MEMTAB_H
#define RG_MEMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMTAB_SEED_SIZE 16
#define MEMTAB_SWEEP_STEP 16	/* buckets swept by each memtab_put */

typedef void memtab_free_fn(void *val);

struct memtab;

struct memtab *memtab_new(size_t vsize, size_t max, memtab_free_fn *free_fn);
struct memtab *memtab_new_seeded(size_t vsize, size_t max,
				 memtab_free_fn *free_fn,
				 const unsigned char seed[MEMTAB_SEED_SIZE]);
void memtab_free(struct memtab *t);
void memtab_clear(struct memtab *t);

void *memtab_get(struct memtab *t, const char *key, uint64_t now);
void *memtab_put(struct memtab *t, const char *key, uint64_t now,
		 bool *made);
bool memtab_del(struct memtab *t, const char *key);
void memtab_reset(struct memtab *t, void *val);
void memtab_expire_at(struct memtab *t, void *val, uint64_t when);
uint64_t memtab_expiry(const void *val);
const char *memtab_key(const void *val);
void memtab_sweep(struct memtab *t, uint64_t now, size_t buckets);

size_t memtab_count(const struct memtab *t);
size_t memtab_buckets(const struct memtab *t);
size_t memtab_bucket_of(const struct memtab *t, const char *key);
size_t memtab_longest_chain(const struct memtab *t);

uint64_t memtab_siphash(const unsigned char key[MEMTAB_SEED_SIZE],
			const void *data, size_t len);

#endif
