/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rconn - synchronous connections to Redis for threaded callers: one
 * standalone server (TCP or unix socket), the master a set of Sentinels
 * names, or a Redis Cluster.  hiredis 0.14.
 *
 * One client for the whole process: rconn_new() gives a handle on the
 * connections to one Redis; every handle with the same servers and
 * credentials (limits and abuse control through store.h, the audit stream,
 * relayguardctl) shares one set of pools, Sentinel master and slot map,
 * and the last rconn_free() closes them.  Each handle keeps its own
 * timeouts (a pooled connection is given the caller's before use).
 *
 * Each server has a small pool of connections (the largest pool_size any
 * handle asked for); a caller takes one, runs a command with its command
 * timeout, and gives it back.  A connection that failed (I/O error,
 * timeout) is thrown away, as hiredis requires; the server is then in
 * back-off (100 ms, doubling to 2 s) and calls fail at once until it ends,
 * so a dead or frozen Redis costs each message at most one timeout and
 * usually nothing.
 *
 * One retry budget: a command is sent at most RCONN_ATTEMPTS times in all,
 * whatever the reason to send it again - a pooled connection that finds
 * its server gone (restarted: the command never ran), NOSCRIPT (once), a
 * Cluster MOVED or ASK redirect, TRYAGAIN during a slot migration (20 ms
 * apart), or READONLY from a Sentinel master turned replica.  Callers send
 * only commands that are safe to repeat.  A command that was written and
 * got no reply (timeout, connection lost) may still run in Redis later:
 * rconn_run() says so (maybe_ran), and the scripts fence such late runs
 * themselves (limit_redis.h).
 *
 * Pipelining: a request given ready-made (raw) with a compact reply
 * (ints: an array of integers read without allocating - the limit
 * script's) waits in a queue per server; the first threads to come (at
 * most RCONN_LEADERS at once) write up to RCONN_BATCH of them in one go
 * on one pooled connection and read the replies in order, so requests
 * that arrive together share one round trip and the system calls on both
 * sides.  An error reply sends its request through the one-at-a-time path
 * above.
 *
 * Sentinel: the master's address comes from the first Sentinel that
 * answers SENTINEL get-master-addr-by-name; every new connection checks
 * ROLE; after a failure or a READONLY reply the Sentinels are asked again
 * (a failover is followed).  Cluster: the slot map comes from CLUSTER
 * SLOTS of any known node; MOVED updates the slot and schedules a full
 * refresh, ASK sends ASKING first.
 *
 * Scripts: rconn_call() with a script sends EVALSHA; a NOSCRIPT reply
 * (server restarted or flushed) loads the script with SCRIPT LOAD on that
 * connection and sends EVALSHA again, once.
 *
 * Replies are checked before callers see them: error replies become -1
 * with the text in e (never a password), and no reply may hold more than
 * RCONN_MAX_ELEMENTS array elements in all (a hostile server's
 * "*99999999999", or thousands of "*65536" headers, are refused by the
 * reader before hiredis allocates; hiredis CVE-2021-32765 class).  An
 * asynchronous caller installs the same cap with rconn_reader_limit() on
 * its context's reader, calls rconn_reader_budget() before each reply and
 * rconn_reader_unlimit() before freeing the context.  The caller owns a returned reply
 * (freeReplyObject).  Thread-safe; changes of master are logged once.
 */
#ifndef RG_RCONN_H
#define RG_RCONN_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "conf.h"
#include "err.h"

#define RCONN_MAX_ELEMENTS 65536
#define RCONN_ATTEMPTS 6	/* sends of one command, all reasons */
#define RCONN_SLOTS 16384
#define RCONN_HOST_MAX 256
#define RCONN_MAX_ARGS 1024

enum rconn_mode {
	RCONN_STANDALONE,
	RCONN_SENTINEL,
	RCONN_CLUSTER,
};

struct rconn_opts {
	enum rconn_mode mode;
	const char *server;		/* standalone: HOST:PORT, unix:/PATH */
	char *const *nodes;		/* Sentinels, or Cluster seeds */
	size_t nnodes;
	const char *master_name;	/* Sentinel */
	const char *user;		/* "" : AUTH with the password only */
	const char *password;		/* "" : no AUTH */
	unsigned db;
	unsigned connect_timeout_ms;
	unsigned timeout_ms;
	unsigned pool_size;
};

struct rconn_script {
	const char *text;
	char sha[41];
};

/* A compact reply: an array of integers (or a status, error or single
 * integer), filled by the reader without allocating. */
#define RCONN_INTS_MAX 512
struct rconn_ints {
	int type;			/* REDIS_REPLY_* of the whole reply */
	size_t n;			/* array elements */
	bool bad;			/* an element was not an integer */
	char text[200];			/* error or status text */
	long long v[RCONN_INTS_MAX];
};

/* One command: in slot, script (EVALSHA of its sha; NULL: argv is the
 * whole command), argv - or raw, the command already in RESP (an
 * EVALSHA with the script's sha when script is set: NOSCRIPT loads it
 * and sends raw again); out: the reply (caller frees), or, when ints is
 * given, the reply in *ints; or none and whether it may have run all the
 * same. */
struct rconn_waker;

struct rconn_req {
	int slot;			/* -1: any */
	const struct rconn_script *script;
	int argc;
	const char **argv;
	const size_t *lens;
	const char *raw;		/* NULL: argv */
	size_t rawlen;
	struct rconn_ints *ints;	/* NULL: q->reply */
	redisReply *reply;		/* out */
	bool maybe_ran;			/* out: written, no reply */
	bool written_before;		/* rconn's own: an attempt tried
					 * again was written, no reply */
	bool refused;			/* out: Redis answered with an error */
	/* rconn's own: the queue of requests sent together */
	struct rconn_req *next;
	int bstate;			/* under the server's queue lock */
	struct err berr;
	struct rconn_waker *bwake;	/* the waiting thread's */
};

enum {
	RCONN_B_QUEUED,
	RCONN_B_DONE,
	RCONN_B_FAIL,
	RCONN_B_AGAIN,
};

struct rconn;

/* An event loop's decisions run in fibers (fiber.h); a pipelined request
 * made in one (raw with ints) is offered to the loop first, which sends
 * it on a connection of its own (rconn_lend) and answers: DONE (the reply
 * in q->ints), FAIL (e and q->maybe_ran set), AGAIN (send it again one
 * at a time: an error reply, or a pooled connection found dead before
 * any reply, q->written_before set then), or NO (not taken).  Whatever is
 * not DONE or FAIL then runs on a worker thread (fiber_blocking), as does
 * every other rconn call made in a fiber. */
enum rconn_divert_result {
	RCONN_DIVERT_NO,
	RCONN_DIVERT_DONE,
	RCONN_DIVERT_FAIL,
	RCONN_DIVERT_AGAIN,
};
typedef enum rconn_divert_result rconn_divert_fn(struct rconn *r,
						 struct rconn_req *q,
						 struct err *e);
void rconn_set_divert(rconn_divert_fn *fn);

/* A pooled connection lent to an event loop, which writes ready-made
 * requests and reads their replies itself (rconn_reader_compact on
 * c->reader).  The socket stays as the pool keeps it (blocking, with its
 * timeouts): the borrower must pass MSG_DONTWAIT to each send and recv,
 * which saves two fcntl calls per loan.  rconn_lend takes only an idle
 * connection of a standalone server or a known Sentinel master outside
 * back-off, never waits and never connects: -1 when there is none (the
 * caller goes the usual way, which makes one).  rconn_lent_end gives it
 * back (while a handle of its server lives): ok when no reply is owed;
 * otherwise it is closed, the server backs
 * off when asked (why), and a Sentinel master is asked for again. */
struct rconn_lent {
	void *shared;
	void *node;
	redisContext *c;
	const char *name;		/* the server, for messages */
	unsigned timeout_ms;		/* the lending handle's */
};

int rconn_lend(struct rconn *r, struct rconn_lent *l);
void rconn_lent_end(struct rconn_lent *l, bool ok, bool backoff,
		    const char *why);
unsigned rconn_timeout_ms(const struct rconn *r);
bool rconn_same_server(const struct rconn *r, const struct rconn_lent *l);

int rconn_opts_from_conf(const struct conf *c, struct rconn_opts *o,
			struct err *e);
int rconn_new(const struct rconn_opts *o, struct rconn **out, struct err *e);
void rconn_free(struct rconn *r);
void rconn_script_init(struct rconn_script *s, const char *text);
int rconn_run(struct rconn *r, struct rconn_req *q, struct err *e);
int rconn_pipeline(struct rconn *r, int slot, struct rconn_req *qs, size_t n,
		   struct err *e);
const char *rconn_describe(const struct rconn *r);
redisReply *rconn_call(struct rconn *r, int slot,
		       const struct rconn_script *script, int argc,
		       const char **argv, const size_t *lens, struct err *e);
int rconn_slot(const char *key, size_t len);
bool rconn_is_cluster(const struct rconn *r);
int rconn_addr_parse(const char *text, int default_port, char *host,
		     size_t hsize, int *port, bool *is_unix, struct err *e);
redisReader *rconn_reader_new(void);
void rconn_reader_free(redisReader *rd);
void rconn_reader_limit(redisReader *rd);
void rconn_reader_budget(redisReader *rd);
void rconn_reader_unlimit(redisReader *rd);
int rconn_reader_compact(redisReader *rd, struct rconn_ints *x);
/* A compact reply read in as many pieces as its bytes come (an event
 * loop's non-blocking socket): fresh for a reply's first try (x cleared,
 * a new element budget), false to go on with the one begun in x.  1: the
 * reply is complete; 0: its bytes are not all there yet - the half-read
 * reply stays in the reader, pointing into x: call again with the same x
 * after more bytes, or rconn_reader_compact_drop() before anything else
 * (freeing the reader included); -1: the bytes are no reply (rd->err). */
int rconn_reader_compact_part(redisReader *rd, struct rconn_ints *x,
			      bool fresh);
void rconn_reader_compact_drop(redisReader *rd);

#endif
