/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitmap - the limit map file: plans, customers and which subject gets
 * which plan (relayguard-limits(5)).
 *
 *	plan standard
 *		hour	messages	200/1h
 *		day	recipients	1000/1d
 *		volume	bytes		500M/1d		dry-run
 *		rcpts	recipients_per_message 100
 *	customer acme standard pooled
 *		login	alice@acme.example bob@acme.example
 *		domain	acme.example
 *	login	carol@example.com	standard
 *	domain	example.org		standard
 *	ip	192.0.2.0/24		standard
 *	login	*			standard
 *
 * A line starting with blanks continues the plan or customer above it.
 * '#' at the start of a line (after blanks) is a comment.  Plans may be
 * named before they are defined.  Logins, senders and domains are
 * compared without regard to case (they are stored lower-cased: a quota
 * must not be dodged by writing ALICE for alice).
 *
 * This module only reads and answers lookups; limit.c applies the
 * precedence (login > sender > domain > customer > defaults).  Errors say
 * "FILE:LINE: what is wrong (example: ...)".  A loaded map is read-only
 * and may be shared by threads; limitmap_free() releases it.
 */
#ifndef RG_LIMITMAP_H
#define RG_LIMITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define LIMIT_NAME_MAX 32	/* limit and plan names, NUL included */
#define LIMIT_PLAN_MAX 16	/* limits in one plan */
#define LIMIT_AMOUNT_MAX (1ULL << 40)	/* keeps Redis's Lua (doubles) exact */
#define LIMIT_PERIOD_MAX (366ULL * 86400 * 1000)	/* ms: a year */

/* What a limit counts. */
enum limit_counter {
	LIMIT_MESSAGES,
	LIMIT_RECIPIENTS,
	LIMIT_BYTES,
	LIMIT_PER_MESSAGE,	/* recipients_per_message: a cap, no rate */
};

/* Who is limited.  The order of the first four is the precedence. */
enum limit_kind {
	LIMIT_KIND_LOGIN,
	LIMIT_KIND_SENDER,
	LIMIT_KIND_DOMAIN,
	LIMIT_KIND_CUSTOMER,
	LIMIT_KIND_IP,
	LIMIT_KIND_NET,		/* the client's /24 (IPv4) or /64 (IPv6) */
	LIMIT_KIND_COUNT,
};

/*
 * One limit: amount per period, counted smoothly (GCRA).  unit_ms is the
 * time quantum the counters drain by: 1 ms unless amount * period would
 * not stay exact in a double, then the smallest power of ten (or the
 * period itself) that divides the period and keeps it so.
 */
struct limit_def {
	char name[LIMIT_NAME_MAX];
	enum limit_counter counter;
	uint64_t amount;
	uint64_t period_ms;	/* 0 for LIMIT_PER_MESSAGE */
	uint64_t unit_ms;
	bool dry_run;		/* log and report only, never refuse */
	bool hard;		/* refuse with the reject reply (5.7.1) */
};

struct limit_plan {
	char name[LIMIT_NAME_MAX];
	size_t count;
	struct limit_def defs[LIMIT_PLAN_MAX];
};

struct limitmap_customer {
	char name[LIMIT_NAME_MAX];
	const struct limit_plan *plan;
	bool pooled;		/* one budget for all members (else each) */
};

struct limitmap;

int limitmap_load(const char *path, struct limitmap **out, struct err *e);
int limitmap_parse(const char *text, size_t len, const char *path,
		   struct limitmap **out, struct err *e);
void limitmap_free(struct limitmap *m);

const struct limit_plan *limitmap_plan(const struct limitmap *m,
				       const char *name);
const struct limit_plan *limitmap_assigned(const struct limitmap *m,
					   enum limit_kind kind,
					   const char *value);
const struct limit_plan *limitmap_default(const struct limitmap *m,
					  enum limit_kind kind);
const struct limitmap_customer *limitmap_customer(const struct limitmap *m,
						  const char *name);
const struct limitmap_customer *limitmap_member_of(const struct limitmap *m,
						   enum limit_kind kind,
						   const char *value);
size_t limitmap_plan_count(const struct limitmap *m);
const struct limit_plan *limitmap_plan_at(const struct limitmap *m,
					  size_t i);
size_t limitmap_assign_count(const struct limitmap *m);

const char *limit_kind_name(enum limit_kind k);
int limit_kind_parse(const char *name, enum limit_kind *out);
const char *limit_counter_name(enum limit_counter c);
int limit_def_set(struct limit_def *d, enum limit_counter c, uint64_t amount,
		  uint64_t period_ms, struct err *e);
void limit_period_text(uint64_t ms, char *buf, size_t size);

#endif
