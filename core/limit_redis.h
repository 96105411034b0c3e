/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_redis - the redis backend of limit.h: one Lua script, run with
 * EVALSHA, checks and applies a whole call atomically inside Redis.
 *
 * Keys (PREFIX is redis_key_prefix, "rg"; SUBJECT as in limit.h; NAME a
 * limit name, which never holds ':'), all of one subject in one Cluster
 * slot thanks to the hash tag:
 *
 *	PREFIX:{SUBJECT}	a hash: one per subject, every limit in it
 *		NAME		"USED LEVEL TIME TU": the bucket, followed
 *				by " o AMOUNT PERIOD_MS QUANTUM_MS UNTIL_MS"
 *				when an override is set (UNTIL 0: until
 *				cleared)
 *		l:TXN		"DEADLINE M R B [HASHES]": a transaction's
 *				lease (its recipients' hashes on the first
 *				subject of a call)
 *		R		"M R B FIRST LAST EXPIRY": the open leases in
 *				sum, their first and last deadline, and the
 *				expiry last set on the hash
 *	PREFIX:{SUBJECT}:t:TXN	"c" or "x": the transaction committed or
 *				released (a tombstone, for a lease time;
 *				a commit without a queue id: limit_txn_ttl)
 *	PREFIX:{SUBJECT}:q:QID	"1": this queue id was counted (for
 *				limit_txn_ttl)
 *
 * The last two are kept once per script call, under its first subject
 * (the subjects of one call are always counted together).  The hash
 * lives as long as its longest-lived content (a bucket until it would be
 * empty, a lease until its deadline, an override until its end): its TTL
 * is extended when a write needs more; an override without an end keeps
 * it (PERSIST) until cleared.
 *
 * A decision sends EVALSHA already in RESP (limit_redis_resp: no
 * formatting library, no allocation) and reads the reply as integers
 * (rconn's compact replies), through rconn's queue that sends the
 * requests for one server that arrive together in one write.
 *
 * With limit_redis_module = auto the same arguments go first as
 * RELAYGUARD.LIMIT LIMIT_REDIS_MODULE_PROTO (limit_redis_resp_module),
 * the command of the Redis module redis/relayguard_redis.c, which does
 * what the script does natively (same keys, reply and stored values).
 * Redis answering that it has no such command (or a module of another
 * protocol, which refuses with RGPROTO, or an ACL that does not allow
 * it) means nothing ran: the call is sent again at once as EVALSHA, and
 * the backend uses the script from then on (one log line; a new
 * configuration generation, with a new backend, asks again).  A deferred
 * write (limit_redis_call) always uses the script.
 *
 * The script's interface, for any caller (the threaded backend here, or
 * an asynchronous one with hiredis's libev adapter): limit_redis_args()
 * builds the EVALSHA arguments of one call for subjects [first, first +
 * count) - which must share a Cluster slot - and limit_redis_parse()
 * type-checks the reply (an array of exactly 2 + 6 * rows integers, each
 * in range, or 2 with the code 4: late) into a code, the server's time
 * (ms; NULL: not wanted) and rows.
 * limit_redis_call() runs one call on a store's Redis outside a limiter
 * (limit.c's deferred writes).  Both are pure: no I/O, no globals
 * other than the constant script text.
 *
 * With a standalone server or Sentinel every call is one EVALSHA over all
 * subjects.  In a Cluster the subjects are grouped by slot and run one
 * script per slot in order; a RESERVE refused by a later slot is undone
 * in the earlier ones (LIMIT_UNDO), so a refused recipient costs nothing.
 * A COMMIT refused by a later slot (bytes over a limit) leaves the
 * earlier slots' counts in place: counts then run high, never low.
 */
#ifndef RG_LIMIT_REDIS_H
#define RG_LIMIT_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "err.h"
#include "limit.h"
#include "rconn.h"

extern const char limit_redis_lua[];
extern const char limit_redis_admin_lua[];

#define LIMIT_REDIS_ARGS (8 + LIMIT_SUBJECTS_MAX * (1 + LIMIT_PLAN_MAX))
/* the numbers argument (limit_redis.c) at most */
#define LIMIT_REDIS_NUMS (56 + LIMIT_SUBJECTS_MAX * (1 + 25 * LIMIT_PLAN_MAX))
#define LIMIT_REDIS_ARENA 16384
/* the module's command (redis/relayguard_redis.c) and the protocol of
 * its arguments: the script's, "v4" */
#define LIMIT_REDIS_MODULE_CMD "RELAYGUARD.LIMIT"
#define LIMIT_REDIS_MODULE_PROTO "4"

/* One script call's arguments, in the struct itself (no allocation). */
struct limit_redis_cmd {
	int argc;		/* numkeys, KEYS..., ARGV... (no EVALSHA/sha) */
	const char *argv[LIMIT_REDIS_ARGS];
	size_t lens[LIMIT_REDIS_ARGS];
	int slot;		/* of the subjects' hash tag */
	size_t nrows;		/* rows the reply must hold */
	size_t used;
	char arena[LIMIT_REDIS_ARENA];
};

void limit_redis_cmd_init(struct limit_redis_cmd *cmd);
void limit_redis_cmd_free(struct limit_redis_cmd *cmd);
int limit_redis_args(const char *prefix, const struct limit_call *c,
		     size_t first, size_t count, struct limit_redis_cmd *cmd,
		     struct err *e);
int limit_redis_parse(const redisReply *rep, size_t nrows,
		      enum limit_code *code, uint64_t *server_ms,
		      struct limit_row *rows, struct err *e);
int limit_redis_parse_ints(const struct rconn_ints *x, size_t nrows,
			   enum limit_code *code, uint64_t *server_ms,
			   struct limit_row *rows, struct err *e);
size_t limit_redis_resp(const struct limit_redis_cmd *cmd, const char *sha,
			char *out, size_t size);
size_t limit_redis_resp_module(const struct limit_redis_cmd *cmd, char *out,
			       size_t size);
int limit_redis_key(const char *prefix, const char *subject,
		    const char *suffix, char *out, size_t size);

#endif
