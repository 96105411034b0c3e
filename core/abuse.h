/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abuse - abuse signals beside the quotas: the penalty box,
 * stolen credentials, fan-out of identical content, sudden spikes and
 * per-message caps; per-subject reputation; quota warnings.
 *
 * Subjects are the limit engine's ("login:alice@example.com",
 * "sender:a@example.com", "domain:example.com", "customer:acme",
 * "ip:192.0.2.7", "net:192.0.2.0/24"; limit.h), plus "fp:HEX" for a body
 * fingerprint (bodyfp.h).  Each signal has its thresholds, an action (log,
 * tempfail, reject, hold) and a dry-run switch (relayguard.conf(5)):
 *
 *   penalty box   a subject refused by a quota penalty_box_trips times
 *                 (one per transaction) within penalty_box_window is
 *                 blocked for penalty_box_time, multiplied by
 *                 penalty_box_growth for each block it had within
 *                 penalty_box_memory, at most penalty_box_max_time.  Blocks
 *                 set by "relayguardctl block" are the same record.  Mail
 *                 of a blocked login, sender, sender domain, customer,
 *                 client address or network is refused at MAIL FROM
 *                 (451 4.7.1, or 550 5.7.1 as a suspension).
 *   stolen        one login used from more than stolen_login_networks
 *   credentials   client networks (/24, /64) within stolen_login_window
 *                 (a bounded sorted set: the newest networks are kept).
 *   fan-out       one body fingerprint to more than fanout_sender_
 *                 recipients distinct recipients from one sender, or
 *                 more than fanout_recipients from all senders together,
 *                 within fanout_window (checked at end of message).
 *   spike         a login's messages over spike_window (decayed count)
 *                 more than spike_factor times what its average rate over
 *                 spike_baseline predicts, once it sent spike_min_messages
 *                 there.  A new login's average is taken over the time it
 *                 has been seen (at least spike_window), so it has to
 *                 build a history before it can spike.
 *   caps          recipients per message and distinct recipient domains
 *                 per message (452 4.5.3 when tempfailed, RFC 5321
 *                 4.5.3.1.10: the client sends the rest later).
 *
 * hold accepts the message into the MTA's hold queue at its end (the
 * milter's smfi_quarantine; the policy service answers HOLD).  dry_run
 * records the signal (log, audit, metrics) and changes nothing.
 *
 * Storage follows limit_backend: "memory" (in this process, same
 * semantics, survives a reload) or "redis" (shared; every key of one
 * subject under one hash tag, each with a TTL; one EVALSHA per decision
 * with a standalone server, one per slot in a Cluster).  When Redis cannot
 * answer, limit_fail_mode applies: tempfail (451 4.7.1), accept (logged)
 * or local (an in-memory store meanwhile).  Keys: see abuse_redis.c.
 *
 * Reputation (per login, sender domain and client address: accepted,
 * tempfailed, rejected, SPF-failed and ownership-refused mail over the
 * last hour and day, first and last seen, distinct client networks and
 * recipient domains) and quota warnings (an audit event "quota_warning"
 * the first time a subject passes each of quota_warnings percent of a
 * limit, once per limit period) are written by one thread per
 * generation from a bounded queue (abuse_queue_size): mail never waits
 * for them; when the queue is full or Redis fails, updates are dropped
 * and counted, and the log says so once.
 *
 * Thread-safe.  A struct abuse belongs to one configuration generation;
 * the limiter given to abuse_new() must outlive it.  The stage functions
 * read and write the message's struct abusemsg (t->abuse) and log each
 * signal once; refusals are logged by the front end as usual.
 */
#ifndef RG_ABUSE_H
#define RG_ABUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abusemsg.h"
#include "conf.h"
#include "err.h"
#include "limit.h"
#include "txn.h"

#define ABUSE_SUBJECT_MAX LIMIT_SUBJECT_MAX
#define ABUSE_REASON_MAX 200
#define ABUSE_SECS_MAX 12	/* sections of one call */
#define ABUSE_NUMS 16		/* numbers in and out of one section */
#define ABUSE_BUCKET_MS 600000ULL	/* reputation and top: 10 minutes */
#define ABUSE_TOP_MAX 100

enum abuse_action {
	ABUSE_LOG = CONF_ABUSE_LOG,
	ABUSE_TEMPFAIL = CONF_ABUSE_TEMPFAIL,
	ABUSE_REJECT = CONF_ABUSE_REJECT,
	ABUSE_HOLD = CONF_ABUSE_HOLD,
};

/* Test hooks; NULL in production. */
struct abuse_opts {
	uint64_t (*now_ms)(void *arg);
	void *now_arg;
	bool private_memory;	/* memory backend: a store of its own */
	bool sync_writer;	/* reputation and warnings written at once */
};

struct abuse;

int abuse_new(const struct conf *c, struct limiter *limits,
	      const struct abuse_opts *o, struct abuse **out, struct err *e);
void abuse_free(struct abuse *ab);
const char *abuse_action_name(enum abuse_action a);
int abuse_action_parse(const char *s, enum abuse_action *out);

/*
 * The stages (engine.c), for the message t whose abuse state is m (in
 * the txn: t->abuse).  Each writes v: VERDICT_CONTINUE when nothing is
 * against the message.  abuse_mail: blocks of every subject of the
 * message and the login's client network.  abuse_rcpt: the caps, counting
 * this recipient (abusemsg_add_rcpt() once it is accepted).  abuse_limit:
 * after a limit decision; a refusal by a quota is a penalty-box trip
 * (which may block the subject; the signal goes into m), an accepted one
 * may write quota warnings (in the background).  abuse_eom: fan-out
 * (m->body_fp, set by the front end) and spike; VERDICT_HOLD when a signal
 * asked to hold.  abuse_note: the final decision of a message or
 * recipient, for the reputation (in the background).  abuse_flush() waits
 * until the background work queued so far is done (tests, shutdown).
 */
void abuse_mail(struct abuse *ab, const struct txn *t, struct abusemsg *m,
		struct verdict *v);
void abuse_rcpt(struct abuse *ab, const struct txn *t, struct abusemsg *m,
		const char *rcpt, struct verdict *v);
void abuse_limit(struct abuse *ab, const struct txn *t, struct abusemsg *m,
		 const struct limit_result *res);
void abuse_eom(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	       struct verdict *v);
void abuse_note(struct abuse *ab, const struct txn *t,
		const struct abusemsg *m, const struct verdict *v);
int abuse_flush(struct abuse *ab, unsigned long timeout_ms);

/* What the background writer did (since abuse_new). */
struct abuse_stats {
	unsigned long notes;		/* reputation notes written */
	unsigned long warnings;		/* quota warnings written (new) */
	unsigned long dropped;		/* updates lost: queue full, store
					 * failing */
};

void abuse_get_stats(struct abuse *ab, struct abuse_stats *st);

/* What a block is, for relayguardctl and explain. */
struct abuse_block {
	bool active;
	uint64_t until_ms;	/* epoch ms */
	uint64_t set_ms;
	enum abuse_action action;
	bool dry_run;
	bool by_admin;
	char reason[ABUSE_REASON_MAX];
	unsigned long offences;	/* blocks remembered (penalty_box_memory) */
	unsigned long trips;	/* quota refusals in the current window */
};

struct abuse_reputation {
	bool known;
	uint64_t first_ms;
	uint64_t last_ms;
	unsigned long networks;		/* distinct client networks */
	unsigned long domains;		/* distinct recipient domains */
	unsigned long hour[5];		/* accepted tempfailed rejected
					 * spf_failed owner_refused */
	unsigned long day[5];
};

enum abuse_top_by {
	ABUSE_TOP_SENT,		/* most decisions */
	ABUSE_TOP_REFUSED,	/* most tempfailed or rejected */
};

struct abuse_top_row {
	char subject[ABUSE_SUBJECT_MAX];
	unsigned long count;
};

/*
 * Admin operations (relayguardctl).  abuse_subject_parse() checks and
 * normalises a subject as given on a command line (kind:value; an address
 * for net: is widened to its network); the others take that form.
 * abuse_block_set(): until_ms 0 uses penalty_box_max_time from now.
 * abuse_block_clear() lifts a block and forgets the quota refusals that
 * led to it; forget also forgets earlier blocks.  Each returns 0, or -1
 * with the reason in e.
 */
int abuse_subject_parse(const char *text, char *key, size_t size,
			struct err *e);
int abuse_block_get(struct abuse *ab, const char *subject,
		    struct abuse_block *out, struct err *e);
int abuse_block_set(struct abuse *ab, const char *subject, uint64_t until_ms,
		    enum abuse_action action, const char *reason,
		    struct err *e);
int abuse_block_clear(struct abuse *ab, const char *subject, bool forget,
		      bool *was_blocked, struct err *e);
int abuse_reputation_get(struct abuse *ab, const char *subject,
			 struct abuse_reputation *out, struct err *e);
int abuse_top(struct abuse *ab, enum abuse_top_by by, uint64_t window_ms,
	      size_t max, struct abuse_top_row *rows, size_t *n,
	      struct err *e);
int abuse_probe(struct abuse *ab, struct err *e);
uint64_t abuse_now(const struct abuse *ab);

/*
 * explain: what the checks of abuse_mail and abuse_rcpt would say,
 * consuming nothing (the login's network is counted as if added).
 */
struct abuse_explain {
	char blocked[ABUSE_SUBJECT_MAX];	/* "" : no block */
	struct abuse_block block;
	unsigned long networks;			/* with this client's */
	bool stolen;
	char error[ERR_TEXT_MAX];		/* store unavailable */
};

int abuse_explain_mail(struct abuse *ab, const struct txn *t,
		       struct abuse_explain *x);

/* --- for the backends (abuse_mem.c, abuse_redis.c) ------------------- */

/*
 * One call is a list of sections, each one operation on one subject's
 * keys (hash tag).  n[] are the numeric arguments, r[] the answers, by
 * operation:
 *
 *   BLOCK_GET	  r: active, until, set, action, dry, by_admin, offences,
 *		  trips; text: reason
 *   NETS	  arg: network; n: window, keep; r: networks (peek: as if
 *		  added)
 *   TRIP	  arg: txn id; n: window, trips, base ms, growth, max ms,
 *		  memory ms, action, dry; r: trips, blocked now, until,
 *		  offences
 *   FANOUT	  arg: "" (all senders) or the sender subject; n: window,
 *		  keep; items: recipients; r: distinct recipients
 *   SPIKE	  n: window, baseline; r: recent x1000, expected x1000
 *   WARN	  arg: "LIMIT:PERCENT"; n: ttl; r: 1 when new
 *   NOTE	  n: outcome (0 accepted, 1 tempfailed, 2 rejected), spf
 *		  failed, owner refused, ttl, network hash (0: none);
 *		  items: recipient domains
 *   TOP	  arg: the subject counted; n: refused (0, 1)
 *   BLOCK_SET	  arg: reason; n: until, action, dry, by_admin
 *   BLOCK_CLEAR  n: forget; r: was blocked
 *   REP_GET	  r: known, first, last, networks, domains, hour[5],
 *		  day[5]
 *
 * now is the call's clock (0: the store's own).  peek asks NETS not to
 * write.
 */
enum abuse_op {
	ABUSE_OP_BLOCK_GET,
	ABUSE_OP_NETS,
	ABUSE_OP_TRIP,
	ABUSE_OP_FANOUT,
	ABUSE_OP_SPIKE,
	ABUSE_OP_WARN,
	ABUSE_OP_NOTE,
	ABUSE_OP_TOP,
	ABUSE_OP_BLOCK_SET,
	ABUSE_OP_BLOCK_CLEAR,
	ABUSE_OP_REP_GET,
};

struct abuse_sec {
	enum abuse_op op;
	char subject[ABUSE_SUBJECT_MAX];
	char arg[ABUSE_SUBJECT_MAX];
	uint64_t n[ABUSE_NUMS];
	const uint64_t *items;
	size_t nitems;
	uint64_t r[ABUSE_NUMS];
	char text[ABUSE_REASON_MAX];
};

struct abuse_call {
	uint64_t now_ms;
	bool peek;
	size_t nsecs;
	struct abuse_sec secs[ABUSE_SECS_MAX];
};

struct abuse_backend {
	const char *name;
	int (*run)(struct abuse_backend *b, struct abuse_call *c,
		   struct err *e);
	int (*top)(struct abuse_backend *b, uint64_t now_ms,
		   enum abuse_top_by by, uint64_t window_ms, size_t max,
		   struct abuse_top_row *rows, size_t *n, struct err *e);
	void (*free)(struct abuse_backend *b);
};

enum abuse_mem_store {
	ABUSE_MEM_PRIMARY,	/* the process's (survives reloads) */
	ABUSE_MEM_FALLBACK,	/* limit_fail_mode = local */
	ABUSE_MEM_PRIVATE,	/* its own, freed with it (tests) */
};

struct abuse_backend *abuse_mem_new(enum abuse_mem_store which);
void abuse_mem_clear(enum abuse_mem_store which);
struct store;
int abuse_redis_new(struct store *st, struct abuse_backend **out,
		    struct err *e);

#endif
