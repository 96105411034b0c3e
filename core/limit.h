/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit - rate limits and quotas: which limits apply to a message, one
 * atomic decision over all of them, and the reply when one is reached.
 *
 * The model (relayguard-limits(5)): subjects (SASL login, envelope sender,
 * sender domain, customer, client IP, client /24 or /64) are given plans
 * by the limit map; a plan is a set of named limits "amount / period"
 * counting messages, recipients or bytes, or a recipients_per_message cap.
 * Counting is a GCRA leaky bucket per subject and limit name: smooth (no
 * double burst at a window edge), O(1) state, and a changed limit keeps
 * the subject's history.  A message has at most LIMIT_SUBJECTS_MAX
 * subjects: one account subject chosen by precedence (explicit login >
 * sender > domain assignment > customer > the "*" defaults for login,
 * sender, domain) plus the client address and the client network.
 *
 * One call to limit_decide() checks (and for the consuming operations
 * applies) every limit of every subject of the message at once: all or
 * nothing.  With the redis backend that is one EVALSHA, one round trip;
 * in a Redis Cluster, where subjects live in different slots, one script
 * per slot, in a fixed order, and a refusal by a later slot undoes the
 * earlier ones (each subject's own step is atomic; see limit_redis.h).
 *
 * How the front ends count a message (txn_id: unique per SMTP
 * transaction, marked with this process's random id so no other process
 * ever meets it; rcpt: the recipient address; qid: the MTA queue id):
 *
 *   RCPT   LIMIT_RESERVE  messages=1 recipients=1 bytes=SIZE= or 0
 *          (milter and policy service alike)
 *   end    LIMIT_COMMIT   messages=1 recipients=accepted bytes=actual size
 *          qid=queue id
 *   RSET, abort, a later reject of the message (milter): LIMIT_RELEASE
 *
 * A reservation is a lease: it counts against every limit only while its
 * transaction is alive, and never goes into a bucket.  Each RESERVE of a
 * transaction renews it for limit_lease_time; a transaction that can no
 * longer finish (filter killed, client gone, the policy service never
 * told) stops counting then, by itself.  A recipient is reserved once per
 * transaction (a repeat, e.g. the policy client retrying, adds nothing);
 * the first recipient also takes the message and the bytes.  A COMMIT
 * turns the transaction into the final counts, checked against every
 * limit with the others' leases (bytes may be known only now): refused,
 * it counts nothing and gives the lease back; accepted, it is counted
 * once per qid (a second COMMIT of that qid, e.g. by the policy service
 * for the same message, only drops its own lease: duplicate) and once per
 * transaction.
 *
 * Late commands: every call carries a deadline (redis_timeout after it
 * was sent: when this side stops waiting); one that the store runs later
 * does nothing (LIMIT_CODE_LATE), whatever it was.  The Redis backend
 * writes the deadline in the server's clock, as its replies tell it
 * (store_clock_skew), so a server clock set wrong neither refuses every
 * call nor lets late ones through.  A finished
 * transaction leaves a tombstone for limit_txn_ttl: a RESERVE or UNDO of
 * it, or a COMMIT of a released one, changes nothing (result.stale).
 *
 * When the store does not answer: a RESERVE that may have run sets
 * result.maybe_held, so the front end still releases at the end; a
 * RELEASE that could not be sent is retried in the background (store.h
 * store_defer) until the lease would have ended anyway; a COMMIT that
 * may have run (timeout, lost connection) is never refused - limit.c
 * tries again (LIMIT_SETTLE, fenced the same way) for limit_commit_wait
 * and answers once the message is counted, or accepts it and counts it
 * in the background as soon as Redis answers (result.unsettled); a COMMIT
 * that surely did not run follows limit_fail_mode, and its lease is given
 * back in the background.  A message is never refused and counted, and
 * never counted twice - unless the process dies between the store's
 * answer to its COMMIT and the MTA's receipt of the verdict: the MTA
 * then tempfails a counted message (high by one, never low).
 *
 * limit_decide() returns LIMIT_OK, LIMIT_OVER or LIMIT_UNAVAILABLE (the
 * store could not answer in time).  With limit_fail_mode = local an
 * unavailable store is replaced by an in-memory limiter whose limits are
 * limit_local_percent of the configured ones (result.local is set); every
 * message it lets through is counted in Redis too once Redis answers
 * (LIMIT_SETTLE in the background), as is one let through unchecked
 * with limit_fail_mode = accept.
 * limit_verdict() turns any result into the struct verdict the front
 * ends send, so the milter and the policy service agree on codes and
 * text.  Backend choice, fail mode and the change of the store's state
 * (down, up again, logged once each way) belong to the store (store.h),
 * which the limits share with abuse control; the decision itself is logged
 * by the front end (limit_result_log formats the fields).
 *
 * Thread-safe: a limiter may be used by any number of threads at once.
 * The memory backend's counters live in the process and survive a
 * configuration reload; the redis backend uses the store's connections
 * (one pool per server for the whole process).  Strings in requests are
 * borrowed for the call.
 */
#ifndef RG_LIMIT_H
#define RG_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"
#include "limitmap.h"
#include "txn.h"

#define LIMIT_SUBJECTS_MAX 3	/* account, client address, network */
#define LIMIT_HITS_MAX (LIMIT_SUBJECTS_MAX * LIMIT_PLAN_MAX)
#define LIMIT_SUBJECT_MAX 320	/* "kind:value", escaped */
#define LIMIT_ID_MAX 160	/* txn id, queue id, escaped */
#define LIMIT_RCPT_HASH 8	/* hex digits of a recipient's hash */

enum limit_op {
	LIMIT_CHECK,	/* would these units fit?  nothing changes */
	LIMIT_RESERVE,	/* take units for one recipient of a transaction */
	LIMIT_UNDO,	/* give back what one recipient's RESERVE took */
	LIMIT_COMMIT,	/* the message is sent: final counts, once per qid */
	LIMIT_RELEASE,	/* the transaction ended without a message */
	LIMIT_SETTLE,	/* a message accepted while its COMMIT's answer was
			 * lost (or decided locally): count it now, once,
			 * whatever the limits say (limit.c's settler) */
};

enum limit_outcome {
	LIMIT_OK = 0,
	LIMIT_OVER = 1,
	LIMIT_UNAVAILABLE = 2,
};

struct limit_req {
	enum limit_op op;
	const char *txn_id;	/* RESERVE, UNDO, COMMIT, RELEASE */
	const char *qid;	/* COMMIT: queue id; "" or NULL: txn_id */
	const char *rcpt;	/* RESERVE, UNDO: the recipient address */
	const char *login;	/* SASL login; "" or NULL: none */
	const char *sender;	/* envelope sender without <>; "" : null */
	const char *client_addr; /* IPv4 or IPv6 text; "" : not IP */
	uint64_t messages;	/* units, see above */
	uint64_t recipients;
	uint64_t bytes;
	bool may_repeat;	/* COMMIT: another process may have made this
				 * very commit (the MTA asks again when its
				 * policy service died answering): a store
				 * that does not answer is taken as "it may
				 * have run" (accepted, settled later) */
};

enum limit_state {
	LIMIT_STATE_OK,
	LIMIT_STATE_OVER,	/* this limit refuses the request */
	LIMIT_STATE_DRY_OVER,	/* would refuse, but it is a dry-run limit */
};

/* One limit of one subject, as the store saw it after the request. */
struct limit_hit {
	unsigned subject;	/* index in limit_result.subjects */
	char name[LIMIT_NAME_MAX];
	enum limit_counter counter;
	enum limit_state state;
	bool dry_run;
	bool hard;
	uint64_t used;		/* units in the bucket (after consuming) */
	uint64_t amount;	/* the limit in force (an override, if set) */
	uint64_t period_ms;
	uint64_t retry_ms;	/* OVER: when the request would fit */
	uint64_t reset_ms;	/* when the bucket is empty again */
};

struct limit_result {
	enum limit_outcome outcome;
	size_t nsubjects;
	char subjects[LIMIT_SUBJECTS_MAX][LIMIT_SUBJECT_MAX];
	size_t nhits;
	struct limit_hit hits[LIMIT_HITS_MAX];
	int over;		/* index of the refusing hit, -1 when none */
	bool local;		/* answered by the in-memory fallback */
	bool duplicate;		/* COMMIT: this qid was counted before */
	bool stale;		/* the transaction was already finished */
	bool unsettled;		/* COMMIT: accepted, counted later */
	bool maybe_held;	/* RESERVE unavailable, yet a reservation may
				 * exist: release it when the transaction ends */
	char error[ERR_TEXT_MAX]; /* UNAVAILABLE: why (no secrets) */
};

/* Test hooks; NULL in production. */
struct limit_opts {
	uint64_t (*now_ms)(void *arg);	/* clock for every decision */
	void *now_arg;
	bool private_memory;		/* memory backend: own counters */
	const char *map_text;		/* map given inline, not limit_map */
};

struct limiter;

int limit_new(const struct conf *c, const struct limit_opts *o,
	      struct limiter **out, struct err *e);
void limit_free(struct limiter *l);

enum limit_outcome limit_decide(struct limiter *l, const struct limit_req *r,
				struct limit_result *res);
void limit_verdict(const struct limiter *l, const struct limit_result *res,
		   struct verdict *v);
void limit_result_log(const struct limit_result *res, char *buf,
		      size_t size);
const char *limit_outcome_name(enum limit_outcome o);
int limit_probe(struct limiter *l, struct err *e);
int limit_flush(struct limiter *l, unsigned long timeout_ms);
void limit_summary(const struct limiter *l, char *buf, size_t size);

/*
 * Admin operations (relayguardctl).  SUBJECT is "kind:value" as in the
 * keys and log lines: login:alice@example.com, sender:a@example.com,
 * domain:example.com, customer:acme, ip:192.0.2.7, net:192.0.2.0/24 (or
 * any address in it).  Its plan is found with the same precedence as a
 * decision's.  NAME NULL means every limit of the plan.  An override
 * replaces one limit's amount and period for one subject, in the store
 * (Redis: no restart, every node sees it), until cleared or ttl_ms (0:
 * kept).  Each returns 0, or -1 with the reason in e.
 */
struct limit_usage {
	char name[LIMIT_NAME_MAX];
	enum limit_counter counter;
	uint64_t amount;
	uint64_t period_ms;
	uint64_t used;
	uint64_t remaining;
	uint64_t reset_ms;
	bool overridden;
	bool dry_run;
	bool hard;
};

int limit_show(struct limiter *l, const char *subject,
	       struct limit_usage *out, size_t max, size_t *n, char *key,
	       size_t keysize, struct err *e);
int limit_reset(struct limiter *l, const char *subject, const char *name,
		struct err *e);
int limit_override_set(struct limiter *l, const char *subject,
		       const char *name, uint64_t amount, uint64_t period_ms,
		       uint64_t ttl_ms, struct err *e);
int limit_override_clear(struct limiter *l, const char *subject,
			 const char *name, struct err *e);

/* --- for the backends (limit_mem.c, limit_redis.c) ------------------- */

/* One subject of a backend call, with the limits in force for it. */
struct limit_call_subject {
	char key[LIMIT_SUBJECT_MAX];	/* "login:alice@example.com" */
	size_t ndefs;
	const struct limit_def *defs;
};

struct limit_call {
	enum limit_op op;
	uint64_t now_ms;	/* 0: the store's own clock */
	uint64_t deadline_ms;	/* 0: none; run later than this (the store's
				 * clock), the call does nothing: LATE */
	uint64_t lease_ms;	/* how long a reservation counts unrenewed */
	uint64_t ttl_ms;	/* tombstones and qid markers */
	char txn[LIMIT_ID_MAX];
	char qid[LIMIT_ID_MAX];	/* "": none */
	char rcpt[LIMIT_RCPT_HASH + 1];	/* the recipient's hash; "": none */
	uint64_t units[3];	/* messages, recipients, bytes */
	bool may_repeat;	/* limit_req's */
	size_t nsubjects;
	struct limit_call_subject subjects[LIMIT_SUBJECTS_MAX];
};

/* What a backend answers: a code and one row per def, subject-major. */
enum limit_code {
	LIMIT_CODE_OK = 0,
	LIMIT_CODE_OVER = 1,
	LIMIT_CODE_DUPLICATE = 2,	/* COMMIT of a counted qid */
	LIMIT_CODE_STALE = 3,		/* the transaction is finished */
	LIMIT_CODE_LATE = 4,		/* past the deadline: nothing done */
};

struct limit_row {
	enum limit_state state;
	uint64_t used;
	uint64_t amount;
	uint64_t period_ms;
	uint64_t retry_ms;
	uint64_t reset_ms;
};

struct limit_answer {
	enum limit_code code;
	bool maybe_ran;		/* failed; may run in the store all the same */
	size_t nrows;
	struct limit_row rows[LIMIT_HITS_MAX];
};

/*
 * The operations a backend provides.  decide: 0 with the answer filled,
 * -1 when the store cannot answer (e says why; never a secret).  reset
 * forgets the counters of the named limits (all of defs when name is
 * NULL); override_set stores d (its amount, period and quantum) for
 * subject + d->name; override_clear removes one (name) or all (NULL).
 */
struct limit_backend {
	const char *name;
	int (*decide)(struct limit_backend *b, const struct limit_call *c,
		      struct limit_answer *a, struct err *e);
	int (*reset)(struct limit_backend *b, const char *subject,
		     const struct limit_def *defs, size_t ndefs,
		     const char *name, struct err *e);
	int (*override_set)(struct limit_backend *b, const char *subject,
			    const struct limit_def *d, uint64_t until_ms,
			    uint64_t ttl_ms, struct err *e);
	int (*override_clear)(struct limit_backend *b, const char *subject,
			      const struct limit_def *defs, size_t ndefs,
			      const char *name, struct err *e);
	void (*free)(struct limit_backend *b);
};

/*
 * For an asynchronous caller (the policy service's event loop with
 * hiredis's async API): limit_prepare() resolves the subjects of a request
 * into a call (0 subjects: nothing to ask, the result says ok);
 * limit_redis_args(limit_key_prefix(l), call, ...) builds the EVALSHA
 * arguments (sha of limit_redis_lua, see rconn_script_init), the caller
 * sends them itself (its context's reader capped with rconn_reader_limit
 * and rconn_reader_budget), parses the reply with limit_redis_parse() into
 * a struct limit_answer, and limit_finish() makes the result: with the
 * answer, or with NULL and the reason when Redis failed, so that
 * limit_fail_mode (and the once-per-change log line) apply as in
 * limit_decide().  One script per call covers a standalone server or
 * Sentinel master; in a Cluster group the subjects by slot (cmd.slot) as
 * limit_redis.c does.
 */
size_t limit_prepare(struct limiter *l, const struct limit_req *r,
		     struct limit_call *c, struct limit_result *res);
enum limit_outcome limit_finish(struct limiter *l, struct limit_call *c,
				const struct limit_answer *a, const char *why,
				struct limit_result *res);
const char *limit_key_prefix(const struct limiter *l);

/* Which counters a memory backend uses (see limit_mem.c). */
enum limit_mem_store {
	LIMIT_MEM_PRIMARY,	/* the process's counters (survive reloads) */
	LIMIT_MEM_FALLBACK,	/* limit_fail_mode = local */
	LIMIT_MEM_PRIVATE,	/* its own, freed with it (tests) */
};

struct limit_backend *limit_mem_new(enum limit_mem_store which);
void limit_mem_clear(enum limit_mem_store which);
struct store;
int limit_redis_new(struct store *st, bool module,
		    struct limit_backend **out, struct err *e);
int limit_redis_call(struct store *st, const struct limit_call *c,
		     struct limit_answer *a, struct err *e);
int limit_escape(const char *in, bool lower, char *out, size_t size);
int limit_join(char *out, size_t size, const char *a, const char *b,
	       const char *c);
/* Subject keys and client networks exactly as the limits name them (for
 * abuse.c, whose blocks and penalty box use the same subjects):
 * limit_subject_key() writes "kind:value", lower-cased and escaped (a
 * digest when too long); limit_client_net() the normalised address and
 * its /24 or /64 ("192.0.2.0/24"), -1 when in is no IP address. */
void limit_subject_key(enum limit_kind kind, const char *value, char *out,
		       size_t size);
int limit_client_net(const char *in, char *addr, size_t asize, char *net,
		     size_t nsize);

#endif
