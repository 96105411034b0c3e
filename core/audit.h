/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit - the audit trail: one JSON object per decision (or event), to a
 * JSON-lines file and/or a Redis stream, written off the mail path.
 *
 * The engine fills a struct audit_rec (audit_rec_from_txn() copies what
 * the txn and verdict know; audit_rec_add_*() append signatures, limits
 * and abuse signals) and hands it to audit_submit().  audit_submit()
 * formats the record as one line of JSON (audit_rec_json()) and puts it
 * into a bounded in-memory queue; it never waits for I/O.  One writer
 * thread drains the queue into the sinks:
 *
 *   file   appended with O_APPEND (mode 0640).  Rotation: before each
 *          batch the writer compares the path's inode with the open
 *          file's; a renamed or removed file (logrotate "create") is
 *          reopened by name, a truncated one (logrotate "copytruncate")
 *          just goes on, since every write appends.  audit_reopen()
 *          (SIGHUP) reopens at once.
 *   redis  XADD STREAM MAXLEN ~ N * json LINE, pipelined per batch
 *          (hiredis 0.14, redisAppendCommandArgv).  Each call is bounded
 *          by the timeout; after any error the context is freed and
 *          rebuilt at the next attempt.
 *
 * When the queue is full the new record is dropped and counted; when a
 * sink fails, the records for it are dropped and counted, and the sink
 * is retried after 1 s, then 2, 4, up to 8 s.  Each change of state (queue
 * full / accepting again, sink failing / writing again) is logged once,
 * with the count of records lost, never once per record.  Mail never
 * waits for the audit trail and is never refused because of it.
 *
 * Record fields (strings are "" when not known, see README "Audit trail"):
 * time (UTC, ms), type ("decision" or "event"), event, stage, queue_id,
 * txn_id, client_name, client_addr, helo, login, sender, recipients, size,
 * spf, signatures [{domain, selector, algorithm}], limits [{name,
 * subject, used, limit, over}], signals [{name, subject, action,
 * dry_run}], action, reason, reply.  Wire text is escaped as json.h says.
 *
 * Thread-safe: audit_submit() may be called from any thread, and so may
 * the start/reload/stop calls (serialized by audit_ctl_lock in audit.c);
 * the queue and the settings are guarded by audit_lock.
 */
#ifndef RG_AUDIT_H
#define RG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "strbuf.h"
#include "txn.h"

#define AUDIT_SIGS_MAX 8
#define AUDIT_LIMITS_MAX 16
#define AUDIT_SIGNALS_MAX 8
#define AUDIT_SUBJECT_MAX 320	/* "login:" + a 256-byte login, etc. */
#define AUDIT_LINE_MAX 131072	/* one JSON record, newline included:
				 * the largest possible record fits */

/* Names of the abuse signals, shared with metrics and the
 * report: the engine uses exactly these. */
#define AUDIT_SIGNAL_PENALTY_BOX "penalty_box"
#define AUDIT_SIGNAL_STOLEN_CREDENTIALS "stolen_credentials"
#define AUDIT_SIGNAL_FANOUT "fanout"
#define AUDIT_SIGNAL_SPIKE "spike"
#define AUDIT_SIGNAL_RCPT_CAP "recipients_per_message"
#define AUDIT_SIGNAL_DOMAIN_CAP "domains_per_message"

struct audit_sig {
	char domain[256];
	char selector[64];
	char algorithm[32];	/* "rsa-sha256", "ed25519-sha256" */
};

struct audit_limit {
	char name[64];		/* limit name, e.g. "hour" */
	char subject[AUDIT_SUBJECT_MAX];	/* e.g. "login:ann" */
	unsigned long used;
	unsigned long limit;
	bool over;
};

struct audit_signal {
	char name[32];		/* AUDIT_SIGNAL_* */
	char subject[AUDIT_SUBJECT_MAX];
	char action[16];	/* log, tempfail, reject, hold */
	bool dry_run;
};

struct audit_rec {
	struct timespec time;	/* CLOCK_REALTIME; set by audit_rec_init */
	char event[32];		/* "" for a decision, else the event name */
	char stage[16];		/* connect, mail, rcpt, eoh, eom, ... */
	char queue_id[64];
	char txn_id[TXN_ID_MAX];
	char client_name[TXN_HOST_MAX];
	char client_addr[64];
	char helo[TXN_HOST_MAX];
	char login[TXN_LOGIN_MAX];
	char sender[TXN_PATH_MAX];
	unsigned long recipients;
	unsigned long size;
	char spf[16];		/* pass, fail, ..., "" when not checked */
	size_t nsigs;
	struct audit_sig sigs[AUDIT_SIGS_MAX];
	size_t nlimits;
	struct audit_limit limits[AUDIT_LIMITS_MAX];
	size_t nsignals;
	struct audit_signal signals[AUDIT_SIGNALS_MAX];
	char action[16];	/* accept, tempfail, reject, hold, discard */
	char reason[64];
	char reply[VERDICT_TEXT_MAX + 32];	/* "451 4.7.1 text" */
};

void audit_rec_init(struct audit_rec *r);
void audit_rec_from_txn(struct audit_rec *r, const char *stage,
			const struct txn *t, const struct verdict *v);
int audit_rec_add_sig(struct audit_rec *r, const char *domain,
		      const char *selector, const char *algorithm);
int audit_rec_add_limit(struct audit_rec *r, const char *name,
			const char *subject, unsigned long used,
			unsigned long limit, bool over);
int audit_rec_add_signal(struct audit_rec *r, const char *name,
			 const char *subject, const char *action,
			 bool dry_run);
int audit_rec_json(const struct audit_rec *r, struct strbuf *sb);

/* Settings; the strings are copied by audit_start()/audit_reload(). */
struct audit_opts {
	const char *file;		/* "" or NULL: no file */
	const char *redis_server;	/* host:port, [v6]:port, unix:/path */
	const char *redis_password;	/* "" or NULL: no AUTH */
	const char *stream;		/* "" or NULL: no Redis stream */
	unsigned long stream_maxlen;	/* 0: no trimming */
	unsigned long queue_size;	/* records */
	unsigned long timeout_ms;	/* per Redis call */
};

struct audit_stats {
	unsigned long submitted;	/* handed to audit_submit */
	unsigned long queued;		/* in the queue now */
	unsigned long dropped_queue;	/* queue full */
	unsigned long file_written;
	unsigned long file_dropped;
	bool file_failing;
	unsigned long redis_written;
	unsigned long redis_dropped;
	bool redis_failing;
};

void audit_opts_from_conf(struct audit_opts *o, const struct conf *c);
int audit_start(const struct audit_opts *o, struct err *e);
void audit_reload(const struct audit_opts *o);
void audit_reopen(void);
bool audit_enabled(void);
void audit_submit(const struct audit_rec *r);
int audit_flush(unsigned long timeout_ms);
void audit_stop(unsigned long timeout_ms);
void audit_get_stats(struct audit_stats *s);

#endif
