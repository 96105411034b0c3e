/* SPDX-License-Identifier: BSD-2-Clause */
#include "rconn.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "fiber.h"
#include "log.h"
#include "str.h"
#include "strbuf.h"
#include "tspec.h"
#include "xalloc.h"

#define RCONN_BACKOFF_MIN 100	/* ms */
#define RCONN_BACKOFF_MAX 2000
#define RCONN_NODES_MAX 256
#define RCONN_DISCOVER_GAP 100	/* ms between two Sentinel queries */
#define RCONN_BATCH 32		/* requests written together */
#define RCONN_LEADERS 2		/* batches on the wire per server: fewer
				 * means bigger batches, less CPU on both
				 * sides (measured: 2 best of 2, 4, 8, off) */
#define RCONN_LEAD_MORE 2	/* batches a thread leads after its own */

/* One Redis server and its pool of idle connections. */
struct rnode {
	char host[RCONN_HOST_MAX];
	int port;
	bool is_unix;
	char name[RCONN_HOST_MAX + 8];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	redisContext **idle;
	size_t nidle;
	size_t total;		/* idle + in use */
	uint64_t backoff_until;
	unsigned backoff_ms;
	bool retired;		/* no longer the master: drain */
	bool script_noted;	/* "script loaded" logged since last failure */
	char last_error[128];
	/* requests that go out together (rconn_batch) */
	pthread_mutex_t bq;
	struct rconn_req *bhead;
	struct rconn_req *btail;
	unsigned leaders;	/* batches on the wire */
};

/* What the users of one Redis share: the servers, their pools, the
 * Sentinel master and the Cluster slot map.  One per set of connection
 * settings in the process (rconn_registry), counted by its handles. */
struct rconn_shared {
	struct rconn_shared *next;	/* in rconn_registry */
	unsigned refs;		/* handles; under rconn_registry_lock */
	char *identity;			/* what makes two settings one */
	enum rconn_mode mode;
	char *user;
	char *password;
	char *master_name;
	unsigned db;
	unsigned pool_size;
	pthread_mutex_t lock;		/* nodes, master, slots */
	struct rnode *nodes[RCONN_NODES_MAX];
	size_t nnodes;
	struct rnode *master;		/* standalone, Sentinel */
	struct rnode *sentinels[RCONN_NODES_MAX];
	size_t nsentinels;
	bool rediscover;
	uint64_t discovered_at;
	struct rnode *seeds[RCONN_NODES_MAX];
	size_t nseeds;
	uint16_t slots[RCONN_SLOTS];	/* node index + 1; 0 unknown */
	bool slots_stale;
	pthread_mutex_t refresh;	/* one slot map refresh at a time */
	char describe[RCONN_HOST_MAX + 32];
};

/* One user's handle: the shared connections and its own timeouts. */
struct rconn {
	struct rconn_shared *s;
	unsigned timeout_ms;
	unsigned connect_timeout_ms;
};

static pthread_mutex_t rconn_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rconn_shared *rconn_registry;

/* Array elements one reply may still hold (reader privdata): with a cap
 * per array only, each 8-byte "*65536" header would still cost 512 kB. */
struct rconn_budget {
	size_t left;
	unsigned timeout_ms;	/* the socket timeouts set on the context */
	struct rconn_ints *ints;	/* compact replies go here */
};

static redisReplyObjectFunctions rconn_fns;
static redisReplyObjectFunctions rconn_compact_fns;
static void *(*rconn_create_array)(const redisReadTask *, int);
static pthread_once_t rconn_fns_once = PTHREAD_ONCE_INIT;

/* --- small helpers ------------------------------------------------------ */

/* rconn_tv - ms as a timeval */
static struct timeval
rconn_tv(unsigned ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

/* rconn_limited_array - reader hook: refuse absurd element counts before
 * hiredis allocates room for them */
static void *
rconn_limited_array(const redisReadTask *task, int elements)
{
	struct rconn_budget *b = task->privdata;

	if (elements < 0 || elements > RCONN_MAX_ELEMENTS)
		return NULL;	/* the reader reports "Out of memory" */
	if (b != NULL) {
		if ((size_t)elements > b->left)
			return NULL;
		b->left -= (size_t)elements;
	}
	return rconn_create_array(task, elements);
}

/* --- compact replies: an array of integers, read without allocating --- */

/* rconn_ints_of - the compact reply a reader task fills */
static struct rconn_ints *
rconn_ints_of(const redisReadTask *task)
{
	return ((struct rconn_budget *)task->privdata)->ints;
}

/* rconn_compact_array - the top array (its size), or a nested one (bad) */
static void *
rconn_compact_array(const redisReadTask *task, int elements)
{
	struct rconn_ints *x = rconn_ints_of(task);

	if (task->parent != NULL) {
		x->bad = true;
		return x;
	}
	if (elements < 0 || elements > RCONN_INTS_MAX)
		return NULL;	/* the reader reports "Out of memory" */
	x->type = REDIS_REPLY_ARRAY;
	x->n = (size_t)elements;
	return x;
}

/* rconn_compact_integer - an element (or the whole reply) */
static void *
rconn_compact_integer(const redisReadTask *task, long long value)
{
	struct rconn_ints *x = rconn_ints_of(task);

	if (task->parent == NULL) {
		x->type = REDIS_REPLY_INTEGER;
		x->n = 0;
	} else if (task->parent->parent != NULL || task->idx < 0 ||
		   (size_t)task->idx >= x->n) {
		x->bad = true;
	} else {
		x->v[task->idx] = value;
	}
	return x;
}

/* rconn_compact_string - an error or status reply (its text kept), or a
 * string element (bad) */
static void *
rconn_compact_string(const redisReadTask *task, char *str, size_t len)
{
	struct rconn_ints *x = rconn_ints_of(task);

	if (task->parent != NULL) {
		x->bad = true;
		return x;
	}
	x->type = task->type;
	x->n = 0;
	(void)str_copyn(x->text, sizeof(x->text), str,
			len < sizeof(x->text) ? len : sizeof(x->text) - 1);
	return x;
}

/* rconn_compact_nil - nil: bad as an element, a type of its own on top */
static void *
rconn_compact_nil(const redisReadTask *task)
{
	struct rconn_ints *x = rconn_ints_of(task);

	if (task->parent != NULL)
		x->bad = true;
	else
		x->type = REDIS_REPLY_NIL;
	return x;
}

/* rconn_compact_free - nothing was allocated */
static void
rconn_compact_free(void *obj)
{
	(void)obj;
}

/* rconn_compact_end - back to ordinary replies after a compact one; a
 * reply left half-read (timeout, bytes cut short) points into the compact
 * reply, which hiredis must not free later with the ordinary functions:
 * it is dropped, and the reader is then only good for freeing */
static void
rconn_compact_end(redisReader *rd, redisReplyObjectFunctions *fn, bool ok)
{
	struct rconn_budget *b = rd->privdata;

	if (!ok) {
		rd->reply = NULL;
		rd->ridx = -1;
	}
	rd->fn = fn;
	b->ints = NULL;
}

/* rconn_fns_init - copy hiredis's default reply functions, hook arrays */
static void
rconn_fns_init(void)
{
	redisReader *rd = redisReaderCreate();

	if (rd == NULL || rd->fn == NULL)
		log_panic("rconn: cannot create a hiredis reader");
	rconn_fns = *rd->fn;
	rconn_create_array = rconn_fns.createArray;
	rconn_fns.createArray = rconn_limited_array;
	redisReaderFree(rd);
	rconn_compact_fns.createString = rconn_compact_string;
	rconn_compact_fns.createArray = rconn_compact_array;
	rconn_compact_fns.createInteger = rconn_compact_integer;
	rconn_compact_fns.createNil = rconn_compact_nil;
	rconn_compact_fns.freeObject = rconn_compact_free;
}

/* rconn_reader_limit - install the element cap on a reader */
void
rconn_reader_limit(redisReader *rd)
{
	pthread_once(&rconn_fns_once, rconn_fns_init);
	rd->fn = &rconn_fns;
	if (rd->privdata == NULL)
		rd->privdata = xcalloc(1, sizeof(struct rconn_budget));
	rconn_reader_budget(rd);
}

/* rconn_reader_budget - a fresh element budget, before each reply */
void
rconn_reader_budget(redisReader *rd)
{
	struct rconn_budget *b = rd->privdata;

	if (b != NULL)
		b->left = RCONN_MAX_ELEMENTS;
}

/* rconn_reader_compact - the next reply of a capped reader as a compact
 * reply (x): 0 when one was read, -1 when none is complete or the bytes
 * are no reply, after which the reader is only good for freeing (fuzzing;
 * the connections do the same in rconn_exec) */
int
rconn_reader_compact(redisReader *rd, struct rconn_ints *x)
{
	int got = rconn_reader_compact_part(rd, x, true);

	if (got == 0)
		rconn_reader_compact_drop(rd);
	return got == 1 ? 0 : -1;
}

/* rconn_reader_compact_part - rconn_reader_compact for a reply whose
 * bytes come in pieces (see rconn.h) */
int
rconn_reader_compact_part(redisReader *rd, struct rconn_ints *x, bool fresh)
{
	struct rconn_budget *b = rd->privdata;
	redisReplyObjectFunctions *fn = rd->fn;
	void *rep = NULL;
	int rc;

	if (b == NULL)
		return -1;
	if (fresh) {
		rconn_reader_budget(rd);
		memset(x, 0, offsetof(struct rconn_ints, v));
	}
	b->ints = x;
	rd->fn = &rconn_compact_fns;
	rc = redisReaderGetReply(rd, &rep);
	rd->fn = fn;
	b->ints = NULL;
	if (rc != REDIS_OK) {
		rconn_reader_compact_drop(rd);
		return -1;
	}
	return rep != NULL ? 1 : 0;
}

/* rconn_reader_compact_drop - forget a half-read compact reply */
void
rconn_reader_compact_drop(redisReader *rd)
{
	rd->reply = NULL;
	rd->ridx = -1;
}

/* rconn_reader_new - a reader with the cap (fuzzing, async callers) */
redisReader *
rconn_reader_new(void)
{
	redisReader *rd = redisReaderCreate();

	if (rd != NULL)
		rconn_reader_limit(rd);
	return rd;
}

/* rconn_reader_unlimit - drop the budget rconn_reader_limit gave a reader
 * (before its context is freed) */
void
rconn_reader_unlimit(redisReader *rd)
{
	if (rd == NULL)
		return;
	free(rd->privdata);
	rd->privdata = NULL;
}

/* rconn_reader_free - a reader made by rconn_reader_new */
void
rconn_reader_free(redisReader *rd)
{
	if (rd == NULL)
		return;
	free(rd->privdata);
	rd->privdata = NULL;
	redisReaderFree(rd);
}

/* rconn_ctx_free - close a context and its reader's budget */
static void
rconn_ctx_free(redisContext *c)
{
	if (c == NULL)
		return;
	rconn_reader_unlimit(c->reader);
	redisFree(c);
}

/* rconn_ctx_timeout - the command timeout of a context, set only when it
 * differs from the one it has (handles of one server may differ) */
static int
rconn_ctx_timeout(redisContext *c, unsigned ms)
{
	struct rconn_budget *b = c->reader->privdata;

	if (b != NULL && b->timeout_ms == ms)
		return 0;
	if (redisSetTimeout(c, rconn_tv(ms)) != REDIS_OK)
		return -1;
	if (b != NULL)
		b->timeout_ms = ms;
	return 0;
}

/* The CRC16 of rconn_crc16, a byte at a time, made once. */
static uint16_t rconn_crc_table[256];
static pthread_once_t rconn_crc_once = PTHREAD_ONCE_INIT;

/* rconn_crc_init - the table of rconn_crc16 */
static void
rconn_crc_init(void)
{
	int i;
	int b;

	for (i = 0; i < 256; i++) {
		uint16_t crc = (uint16_t)(i << 8);

		for (b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021)
					     : (uint16_t)(crc << 1);
		rconn_crc_table[i] = crc;
	}
}

/* rconn_crc16 - CRC16-CCITT (XMODEM), as Redis Cluster's key slots */
static uint16_t
rconn_crc16(const char *buf, size_t len)
{
	uint16_t crc = 0;
	size_t i;

	pthread_once(&rconn_crc_once, rconn_crc_init);
	for (i = 0; i < len; i++)
		crc = (uint16_t)((crc << 8) ^
				 rconn_crc_table[((crc >> 8) ^
						  (unsigned char)buf[i]) & 0xff]);
	return crc;
}

/* rconn_slot - the Cluster slot of a key (its {hash tag} if it has one) */
int
rconn_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len);

	if (open != NULL) {
		size_t rest = len - (size_t)(open - key) - 1;
		const char *close = memchr(open + 1, '}', rest);

		if (close != NULL && close > open + 1)
			return rconn_crc16(open + 1,
					   (size_t)(close - open - 1)) &
			       (RCONN_SLOTS - 1);
	}
	return rconn_crc16(key, len) & (RCONN_SLOTS - 1);
}

/* rconn_addr_parse - "host:port", "[v6]:port", "host", "unix:/path" */
int
rconn_addr_parse(const char *text, int default_port, char *host,
		 size_t hsize, int *port, bool *is_unix, struct err *e)
{
	const char *colon;
	unsigned long p = (unsigned long)default_port;
	size_t hl;

	*is_unix = false;
	if (strncmp(text, "unix:", 5) == 0 || text[0] == '/') {
		const char *path = text[0] == '/' ? text : text + 5;

		if (path[0] != '/' || str_copy(host, hsize, path) < 0)
			goto bad;
		*is_unix = true;
		*port = 0;
		return 0;
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close == text + 1)
			goto bad;
		hl = (size_t)(close - text - 1);
		if (str_copyn(host, hsize, text + 1, hl) < 0)
			goto bad;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(text, ':');
		if (colon != NULL && strchr(text, ':') != colon)
			goto bad;	/* a bare IPv6 address needs [] */
		hl = colon ? (size_t)(colon - text) : strlen(text);
		if (hl == 0 || str_copyn(host, hsize, text, hl) < 0)
			goto bad;
	}
	if (colon != NULL && str_to_ulong(colon + 1, 10, 65535, &p) < 0)
		goto bad;
	if (p == 0)
		goto bad;
	*port = (int)p;
	return 0;
bad:
	err_set(e, "\"%.80s\" is not a Redis address (examples: "
		"127.0.0.1:6379, [::1]:6379, unix:/run/redis/redis.sock)", text);
	return -1;
}

/* rconn_script_init - a script and its SHA-1, for EVALSHA */
void
rconn_script_init(struct rconn_script *s, const char *text)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	unsigned int i;

	s->text = text;
	if (EVP_Digest(text, strlen(text), md, &n, EVP_sha1(), NULL) != 1 ||
	    n != 20)
		log_panic("rconn: SHA-1 failed");
	for (i = 0; i < n; i++)
		(void)str_format(s->sha + 2 * i, sizeof(s->sha) - 2 * i,
				 "%02x", md[i]);
}

/* --- nodes and their pools ---------------------------------------------- */

/* rnode_new - a server, no connections yet */
static struct rnode *
rnode_new(const char *host, int port, bool is_unix)
{
	struct rnode *n = xcalloc(1, sizeof(*n));

	(void)str_copy(n->host, sizeof(n->host), host);
	n->port = port;
	n->is_unix = is_unix;
	if (is_unix)
		(void)str_format(n->name, sizeof(n->name), "unix:%s", host);
	else if (strchr(host, ':') != NULL)
		(void)str_format(n->name, sizeof(n->name), "[%s]:%d", host,
				 port);
	else
		(void)str_format(n->name, sizeof(n->name), "%s:%d", host, port);
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	pthread_mutex_init(&n->bq, NULL);
	return n;
}

/* rnode_free - close every idle connection and release the node */
static void
rnode_free(struct rnode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nidle; i++)
		rconn_ctx_free(n->idle[i]);
	free(n->idle);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->bq);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* rconn_node_locked - the node for host:port, made when new (s->lock
 * held) */
static struct rnode *
rconn_node_locked(struct rconn_shared *s, const char *host, int port,
		  bool is_unix)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++) {
		struct rnode *n = s->nodes[i];

		if (n->port == port && n->is_unix == is_unix &&
		    strcmp(n->host, host) == 0)
			return n;
	}
	if (s->nnodes == RCONN_NODES_MAX)
		return NULL;
	s->nodes[s->nnodes] = rnode_new(host, port, is_unix);
	return s->nodes[s->nnodes++];
}

/* rconn_simple - run one command on a context; a reply that is not an
 * error, or NULL with e set (the context may then be dead) */
static redisReply *
rconn_simple(redisContext *c, const char *what, int argc, const char **argv,
	     const size_t *lens, struct err *e)
{
	redisReply *rep;

	rconn_reader_budget(c->reader);
	rep = redisCommandArgv(c, argc, argv, lens);
	if (rep == NULL) {
		err_set(e, "%s: %s", what, c->errstr[0] ? c->errstr :
			"no reply");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		err_set(e, "%s: %.200s", what, rep->str ? rep->str : "error");
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

/* rconn_setup - AUTH, SELECT and (Sentinel) ROLE on a new connection */
static int
rconn_setup(struct rconn *r, redisContext *c, bool is_sentinel,
	    struct err *e)
{
	const char *argv[3];
	size_t lens[3];
	redisReply *rep;
	char db[16];

	if (!is_sentinel && r->s->password[0] != '\0') {
		int argc = 0;

		argv[argc] = "AUTH";
		lens[argc++] = 4;
		if (r->s->user[0] != '\0') {
			argv[argc] = r->s->user;
			lens[argc++] = strlen(r->s->user);
		}
		argv[argc] = r->s->password;
		lens[argc++] = strlen(r->s->password);
		/* the reply text never holds the password */
		rep = rconn_simple(c, "AUTH", argc, argv, lens, e);
		if (rep == NULL)
			return -1;
		freeReplyObject(rep);
	}
	if (!is_sentinel && r->s->db != 0 && r->s->mode != RCONN_CLUSTER) {
		(void)str_format(db, sizeof(db), "%u", r->s->db);
		argv[0] = "SELECT";
		lens[0] = 6;
		argv[1] = db;
		lens[1] = strlen(db);
		rep = rconn_simple(c, "SELECT", 2, argv, lens, e);
		if (rep == NULL)
			return -1;
		freeReplyObject(rep);
	}
	if (!is_sentinel && r->s->mode == RCONN_SENTINEL) {
		argv[0] = "ROLE";
		lens[0] = 4;
		rep = rconn_simple(c, "ROLE", 1, argv, lens, e);
		if (rep == NULL)
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    strcmp(rep->element[0]->str, "master") != 0) {
			err_set(e, "not a master (ROLE): failover in progress?");
			freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	return 0;
}

/* rconn_open - a new connection to node, set up */
static redisContext *
rconn_open(struct rconn *r, struct rnode *n, bool is_sentinel,
	   struct err *e)
{
	redisContext *c;
	struct timeval ctv = rconn_tv(r->connect_timeout_ms);

	c = n->is_unix ? redisConnectUnixWithTimeout(n->host, ctv)
		       : redisConnectWithTimeout(n->host, n->port, ctv);
	if (c == NULL) {
		err_set(e, "%s: cannot allocate a connection", n->name);
		return NULL;
	}
	if (c->err) {
		err_set(e, "%s: %s", n->name, c->errstr);
		rconn_ctx_free(c);
		return NULL;
	}
	rconn_reader_limit(c->reader);
	/* redisConnectWithTimeout covers the connect only */
	if (rconn_ctx_timeout(c, r->timeout_ms) < 0) {
		err_set(e, "%s: cannot set the command timeout", n->name);
		rconn_ctx_free(c);
		return NULL;
	}
	if (rconn_setup(r, c, is_sentinel, e) < 0) {
		struct err inner = *e;

		err_set(e, "%s: %s", n->name, inner.text);
		rconn_ctx_free(c);
		return NULL;
	}
	return c;
}

static void rnode_put(struct rnode *n, redisContext *c, bool ok,
		      bool backoff, const char *why);

/* rnode_backoff - refuse calls for a while after a failure (n->lock held) */
static void
rnode_backoff_locked(struct rnode *n, const char *why)
{
	n->backoff_ms = n->backoff_ms ? n->backoff_ms * 2 : RCONN_BACKOFF_MIN;
	if (n->backoff_ms > RCONN_BACKOFF_MAX)
		n->backoff_ms = RCONN_BACKOFF_MAX;
	n->backoff_until = tspec_ms(CLOCK_MONOTONIC) + n->backoff_ms;
	(void)str_copy(n->last_error, sizeof(n->last_error), why);
}

/* rnode_get - a connection to n: idle, new, or after waiting for one */
static redisContext *
rnode_get(struct rconn *r, struct rnode *n, bool *fresh, struct err *e)
{
	uint64_t deadline = tspec_ms(CLOCK_MONOTONIC) + r->timeout_ms;
	redisContext *c;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		uint64_t now = tspec_ms(CLOCK_MONOTONIC);

		if (now < n->backoff_until) {
			err_set(e, "%s: waiting %llu ms to reconnect after: %s",
				n->name,
				(unsigned long long)(n->backoff_until - now),
				n->last_error);
			pthread_mutex_unlock(&n->lock);
			return NULL;
		}
		if (n->nidle > 0) {
			c = n->idle[--n->nidle];
			pthread_mutex_unlock(&n->lock);
			if (rconn_ctx_timeout(c, r->timeout_ms) < 0) {
				rnode_put(n, c, false, false, NULL);
				pthread_mutex_lock(&n->lock);
				continue;
			}
			*fresh = false;
			return c;
		}
		if (n->total < r->s->pool_size)
			break;
		if (now >= deadline) {
			err_set(e, "%s: all %u connections busy for %u ms",
				n->name, r->s->pool_size, r->timeout_ms);
			pthread_mutex_unlock(&n->lock);
			return NULL;
		} else {
			struct timespec ts = tspec_after(
				CLOCK_REALTIME, (unsigned long)(deadline - now));

			(void)pthread_cond_timedwait(&n->cond, &n->lock, &ts);
		}
	}
	n->total++;
	pthread_mutex_unlock(&n->lock);
	c = rconn_open(r, n, false, e);
	if (c == NULL) {
		pthread_mutex_lock(&n->lock);
		n->total--;
		rnode_backoff_locked(n, e->text);
		pthread_cond_signal(&n->cond);
		pthread_mutex_unlock(&n->lock);
		return NULL;
	}
	*fresh = true;
	return c;
}

/* rnode_put - give a connection back; a broken one is closed.  After a
 * failure the idle connections go too (a restarted server broke them
 * all) and, when asked, the node backs off. */
static void
rnode_put(struct rnode *n, redisContext *c, bool ok, bool backoff,
	  const char *why)
{
	redisContext **drop = NULL;
	size_t ndrop = 0;
	size_t i;

	pthread_mutex_lock(&n->lock);
	if (ok && !n->retired && c->err == 0) {
		n->idle = xreallocarray(n->idle, n->nidle + 1,
					sizeof(*n->idle));
		n->idle[n->nidle++] = c;
		n->backoff_ms = 0;
		c = NULL;
	} else {
		n->total--;
		n->script_noted = false;
		drop = n->idle;
		ndrop = n->nidle;
		n->idle = NULL;
		n->total -= n->nidle;
		n->nidle = 0;
		if (backoff)
			rnode_backoff_locked(n, why);
	}
	pthread_cond_broadcast(&n->cond);
	pthread_mutex_unlock(&n->lock);
	if (c != NULL)
		rconn_ctx_free(c);
	for (i = 0; i < ndrop; i++)
		rconn_ctx_free(drop[i]);
	free(drop);
}

/* --- Sentinel ----------------------------------------------------------- */

/* rconn_ask_sentinel - the master address one Sentinel gives */
static int
rconn_ask_sentinel(struct rconn *r, struct rnode *s, char *host,
		   size_t hsize, int *port, struct err *e)
{
	const char *argv[3] = {"SENTINEL", "get-master-addr-by-name",
			       r->s->master_name};
	size_t lens[3];
	redisContext *c;
	redisReply *rep;
	unsigned long p;
	int rc = -1;

	lens[0] = 8;
	lens[1] = strlen(argv[1]);
	lens[2] = strlen(r->s->master_name);
	c = rconn_open(r, s, true, e);
	if (c == NULL)
		return -1;
	rep = rconn_simple(c, s->name, 3, argv, lens, e);
	if (rep == NULL)
		goto out;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[1]->type != REDIS_REPLY_STRING ||
	    str_copy(host, hsize, rep->element[0]->str) < 0 ||
	    str_to_ulong(rep->element[1]->str, 10, 65535, &p) < 0 || p == 0) {
		err_set(e, "%s: no master named %s", s->name, r->s->master_name);
		goto out;
	}
	*port = (int)p;
	rc = 0;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	rconn_ctx_free(c);
	return rc;
}

/* rconn_discover - ask the Sentinels for the master (r->s->lock not held) */
static struct rnode *
rconn_discover(struct rconn *r, struct err *e)
{
	char host[RCONN_HOST_MAX];
	struct rnode *m = NULL;
	struct rnode *old;
	struct err se;
	int port = 0;
	size_t i;

	err_set(e, "no Sentinel answered");
	for (i = 0; i < r->s->nsentinels; i++) {
		if (rconn_ask_sentinel(r, r->s->sentinels[i], host, sizeof(host),
				       &port, &se) == 0)
			break;
		err_set(e, "Sentinels: %s", se.text);
	}
	pthread_mutex_lock(&r->s->lock);
	r->s->discovered_at = tspec_ms(CLOCK_MONOTONIC);
	if (i < r->s->nsentinels) {
		m = rconn_node_locked(r->s, host, port, false);
		old = r->s->master;
		if (m != NULL && old != m) {
			if (old != NULL) {
				pthread_mutex_lock(&old->lock);
				old->retired = true;
				pthread_mutex_unlock(&old->lock);
			}
			pthread_mutex_lock(&m->lock);
			m->retired = false;
			m->backoff_until = 0;
			m->backoff_ms = 0;
			pthread_mutex_unlock(&m->lock);
			log_info("redis: Sentinel names %s as master %s%s%s",
				 m->name, r->s->master_name, old ? ", was " : "",
				 old ? old->name : "");
		}
		r->s->master = m;
		r->s->rediscover = false;
	}
	m = r->s->master;
	pthread_mutex_unlock(&r->s->lock);
	if (i == r->s->nsentinels)
		return NULL;
	return m;
}

/* --- Cluster ------------------------------------------------------------ */

/* rconn_slots_apply - a CLUSTER SLOTS reply into the slot map */
static int
rconn_slots_apply(struct rconn *r, const redisReply *rep, struct err *e)
{
	uint16_t slots[RCONN_SLOTS];
	size_t i;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
		err_set(e, "CLUSTER SLOTS: not a slot map");
		return -1;
	}
	memset(slots, 0, sizeof(slots));
	pthread_mutex_lock(&r->s->lock);
	for (i = 0; i < rep->elements; i++) {
		const redisReply *en = rep->element[i];
		const redisReply *m;
		struct rnode *n;
		long long a;
		long long b;
		size_t k;

		if (en->type != REDIS_REPLY_ARRAY || en->elements < 3 ||
		    en->element[0]->type != REDIS_REPLY_INTEGER ||
		    en->element[1]->type != REDIS_REPLY_INTEGER ||
		    en->element[2]->type != REDIS_REPLY_ARRAY ||
		    en->element[2]->elements < 2)
			goto bad;
		m = en->element[2];
		a = en->element[0]->integer;
		b = en->element[1]->integer;
		if (a < 0 || b < a || b >= RCONN_SLOTS ||
		    m->element[0]->type != REDIS_REPLY_STRING ||
		    m->element[1]->type != REDIS_REPLY_INTEGER ||
		    m->element[1]->integer <= 0 ||
		    m->element[1]->integer > 65535 || m->element[0]->len == 0)
			goto bad;
		n = rconn_node_locked(r->s, m->element[0]->str,
				      (int)m->element[1]->integer, false);
		if (n == NULL)
			goto bad;
		for (k = 0; k < r->s->nnodes; k++)
			if (r->s->nodes[k] == n)
				break;
		for (; a <= b; a++)
			slots[a] = (uint16_t)(k + 1);
	}
	memcpy(r->s->slots, slots, sizeof(slots));
	r->s->slots_stale = false;
	pthread_mutex_unlock(&r->s->lock);
	return 0;
bad:
	pthread_mutex_unlock(&r->s->lock);
	err_set(e, "CLUSTER SLOTS: malformed reply");
	return -1;
}

/* rconn_refresh - read the slot map from any node that answers */
static int
rconn_refresh(struct rconn *r, struct err *e)
{
	const char *argv[2] = {"CLUSTER", "SLOTS"};
	size_t lens[2] = {7, 5};
	struct rnode *cand[2 * RCONN_NODES_MAX];
	size_t nc = 0;
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&r->s->refresh);
	pthread_mutex_lock(&r->s->lock);
	if (!r->s->slots_stale) {	/* another thread did it meanwhile */
		pthread_mutex_unlock(&r->s->lock);
		pthread_mutex_unlock(&r->s->refresh);
		return 0;
	}
	for (i = 0; i < r->s->nnodes; i++)
		cand[nc++] = r->s->nodes[i];
	for (i = 0; i < r->s->nseeds; i++)
		cand[nc++] = r->s->seeds[i];
	pthread_mutex_unlock(&r->s->lock);
	err_set(e, "no Cluster node answered");
	for (i = 0; i < nc && rc < 0; i++) {
		struct err ne;
		bool fresh;
		redisContext *c = rnode_get(r, cand[i], &fresh, &ne);
		redisReply *rep;

		if (c == NULL) {
			err_set(e, "Cluster: %s", ne.text);
			continue;
		}
		rep = rconn_simple(c, cand[i]->name, 2, argv, lens, &ne);
		if (rep == NULL) {
			err_set(e, "Cluster: %s", ne.text);
			rnode_put(cand[i], c, c->err == 0, c->err != 0,
				  ne.text);
			continue;
		}
		rc = rconn_slots_apply(r, rep, e);
		freeReplyObject(rep);
		rnode_put(cand[i], c, true, false, NULL);
	}
	pthread_mutex_unlock(&r->s->refresh);
	return rc;
}

/* rconn_redirect - "MOVED 3999 127.0.0.1:6381": slot and node */
static struct rnode *
rconn_redirect(struct rconn *r, const char *msg, bool moved)
{
	char host[RCONN_HOST_MAX];
	unsigned long slot;
	const char *sp = strchr(msg, ' ');
	const char *addr;
	char num[16];
	struct rnode *n;
	struct err e;
	bool is_unix;
	int port;
	size_t i;

	if (sp == NULL || (addr = strchr(sp + 1, ' ')) == NULL ||
	    str_copyn(num, sizeof(num), sp + 1, (size_t)(addr - sp - 1)) < 0 ||
	    str_to_ulong(num, 10, RCONN_SLOTS - 1, &slot) < 0 ||
	    rconn_addr_parse(addr + 1, 0, host, sizeof(host), &port, &is_unix,
			     &e) < 0 || is_unix)
		return NULL;
	pthread_mutex_lock(&r->s->lock);
	n = rconn_node_locked(r->s, host, port, false);
	if (n != NULL && moved) {
		for (i = 0; i < r->s->nnodes; i++)
			if (r->s->nodes[i] == n)
				r->s->slots[slot] = (uint16_t)(i + 1);
		r->s->slots_stale = true;	/* more slots moved, surely */
	}
	pthread_mutex_unlock(&r->s->lock);
	return n;
}

/* rconn_pick - the node for a call */
static struct rnode *
rconn_pick(struct rconn *r, int slot, struct err *e)
{
	struct rnode *n = NULL;
	bool ask = false;

	switch (r->s->mode) {
	case RCONN_STANDALONE:
		return r->s->master;
	case RCONN_SENTINEL:
		pthread_mutex_lock(&r->s->lock);
		n = r->s->master;
		if ((n == NULL || r->s->rediscover) &&
		    tspec_ms(CLOCK_MONOTONIC) - r->s->discovered_at >= RCONN_DISCOVER_GAP)
			ask = true;
		pthread_mutex_unlock(&r->s->lock);
		if (ask)
			n = rconn_discover(r, e);
		if (n == NULL && !ask)
			err_set(e, "no master known yet (Sentinels asked %u ms "
				"ago)", RCONN_DISCOVER_GAP);
		return n;
	case RCONN_CLUSTER:
		pthread_mutex_lock(&r->s->lock);
		ask = r->s->slots_stale;
		pthread_mutex_unlock(&r->s->lock);
		if (ask && rconn_refresh(r, e) < 0) {
			pthread_mutex_lock(&r->s->lock);
			ask = r->s->slots[slot < 0 ? 0 : slot] == 0;
			pthread_mutex_unlock(&r->s->lock);
			if (ask)
				return NULL;
		}
		pthread_mutex_lock(&r->s->lock);
		if (slot < 0)
			slot = 0;
		if (r->s->slots[slot] != 0)
			n = r->s->nodes[r->s->slots[slot] - 1];
		pthread_mutex_unlock(&r->s->lock);
		if (n == NULL)
			err_set(e, "Cluster: no node serves slot %d", slot);
		return n;
	}
	return NULL;
}

/* rconn_exec - send the command (EVALSHA for a script, or the ready-made
 * bytes, ASKING first when asked); one reply, NULL for a context error;
 * a compact reply (q->ints) comes back as q->ints itself, unless it is an
 * error, which comes back as an ordinary reply */
static redisReply *
rconn_exec(redisContext *c, const struct rconn_req *q, bool asking)
{
	const char *av[2 + RCONN_MAX_ARGS];
	size_t al[2 + RCONN_MAX_ARGS];
	struct rconn_budget *b = c->reader->privdata;
	void *rep = NULL;
	int rc;
	int n = 0;
	int i;

	rconn_reader_budget(c->reader);
	if (asking) {
		if (redisAppendCommand(c, "ASKING") != REDIS_OK ||
		    redisGetReply(c, &rep) != REDIS_OK)
			return NULL;
		freeReplyObject(rep);
		rep = NULL;
	}
	if (q->raw != NULL) {
		rc = redisAppendFormattedCommand(c, q->raw, q->rawlen);
	} else {
		if (q->script != NULL) {
			av[n] = "EVALSHA";
			al[n++] = 7;
			av[n] = q->script->sha;
			al[n++] = 40;
		}
		for (i = 0; i < q->argc; i++) {
			av[n] = q->argv[i];
			al[n++] = q->lens[i];
		}
		rc = redisAppendCommandArgv(c, n, av, al);
	}
	if (rc != REDIS_OK)
		return NULL;
	if (q->ints == NULL || b == NULL) {
		if (redisGetReply(c, &rep) != REDIS_OK)
			return NULL;
		return rep;
	}
	memset(q->ints, 0, offsetof(struct rconn_ints, v));
	b->ints = q->ints;
	c->reader->fn = &rconn_compact_fns;
	rc = redisGetReply(c, &rep);
	rconn_compact_end(c->reader, &rconn_fns, rc == REDIS_OK && rep != NULL);
	if (rc != REDIS_OK || rep == NULL)
		return NULL;
	if (q->ints->type == REDIS_REPLY_ERROR) {
		/* rare: an ordinary reply, for the error handling */
		redisReply *r = xcalloc(1, sizeof(*r));

		r->type = REDIS_REPLY_ERROR;
		r->str = xstrdup(q->ints->text);
		r->len = strlen(r->str);
		return r;
	}
	return rep;
}

/* rconn_load - NOSCRIPT: load the script on this connection; logged once
 * per server until a connection to it fails again */
static int
rconn_load(redisContext *c, const struct rconn_script *s, struct rnode *n,
	   struct err *e)
{
	bool note;
	const char *argv[3] = {"SCRIPT", "LOAD", s->text};
	size_t lens[3] = {6, 4, strlen(s->text)};
	redisReply *rep = rconn_simple(c, "SCRIPT LOAD", 3, argv, lens, e);
	int rc = -1;

	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_STRING && rep->len == 40 &&
	    memcmp(rep->str, s->sha, 40) == 0) {
		pthread_mutex_lock(&n->lock);
		note = !n->script_noted;
		n->script_noted = true;
		pthread_mutex_unlock(&n->lock);
		if (note)
			log_info("redis: script %.12s loaded on %s (the server "
				 "had none: restarted or flushed)", s->sha,
				 n->name);
		rc = 0;
	} else {
		err_set(e, "SCRIPT LOAD: unexpected reply");
	}
	freeReplyObject(rep);
	return rc;
}

/* What one attempt of a call tells rconn_run to do next. */
enum rconn_next {
	RCONN_DONE,	/* a reply (q->reply) */
	RCONN_FAIL,	/* give up; e says why */
	RCONN_AGAIN,	/* send again (redirect, script loaded, ...) */
};

/* State carried from one attempt of a call to the next. */
struct rconn_try {
	struct rnode *ask;	/* ASK: the node to send ASKING to */
	bool loaded;		/* NOSCRIPT handled once */
};

/* rconn_io_failed - the command got no reply: a dead pooled connection
 * is tried again on a new one (most likely the server restarted and the
 * command never ran there; every caller's commands are safe to repeat),
 * anything else fails with the node backing off.  A server killed after
 * it ran the command and before it answered looks the same, so when no
 * later attempt answers either, the command may have run (maybe_ran) */
static enum rconn_next
rconn_io_failed(struct rconn *r, struct rnode *n, redisContext *c,
		bool fresh, struct rconn_req *q, struct err *e)
{
	/* hiredis reports a read timeout as EAGAIN */
	bool timeout = c->err == REDIS_ERR_IO &&
		       (errno == EAGAIN || errno == EWOULDBLOCK ||
			strstr(c->errstr, "temporarily") != NULL);

	err_set(e, "%s: %s", n->name, timeout ? "timeout" : c->errstr);
	if (!timeout && !fresh) {
		rnode_put(n, c, false, false, NULL);
		q->written_before = true;
		return RCONN_AGAIN;
	}
	/* written, no answer: it may run (or have run) all the same */
	q->maybe_ran = true;
	rnode_put(n, c, false, true, e->text);
	pthread_mutex_lock(&r->s->lock);
	r->s->rediscover = true;
	r->s->slots_stale = r->s->mode == RCONN_CLUSTER;
	pthread_mutex_unlock(&r->s->lock);
	return RCONN_FAIL;
}

/* rconn_error_reply - an error reply: NOSCRIPT, a Cluster redirect or
 * TRYAGAIN, a Sentinel master turned replica, or the caller's to see */
static enum rconn_next
rconn_error_reply(struct rconn *r, struct rnode *n, redisContext *c,
		  struct rconn_try *t, struct rconn_req *q, redisReply *rep,
		  struct err *e)
{
	const char *msg = rep->str != NULL ? rep->str : "error";
	struct rnode *to;

	err_set(e, "%s: %.200s", n->name, msg);
	if (q->script != NULL && !t->loaded &&
	    strncmp(msg, "NOSCRIPT", 8) == 0) {
		freeReplyObject(rep);
		t->loaded = true;
		if (rconn_load(c, q->script, n, e) < 0) {
			rnode_put(n, c, c->err == 0, c->err != 0, e->text);
			return RCONN_FAIL;
		}
		rnode_put(n, c, true, false, NULL);
		return RCONN_AGAIN;
	}
	if (r->s->mode == RCONN_CLUSTER && (strncmp(msg, "MOVED ", 6) == 0 ||
					    strncmp(msg, "ASK ", 4) == 0)) {
		to = rconn_redirect(r, msg, msg[0] == 'M');
		if (to != NULL && msg[0] == 'A')
			t->ask = to;
		freeReplyObject(rep);
		rnode_put(n, c, true, false, NULL);
		return to != NULL ? RCONN_AGAIN : RCONN_FAIL;
	}
	if (r->s->mode == RCONN_CLUSTER && strncmp(msg, "TRYAGAIN", 8) == 0) {
		/* a multi-key command in a slot being migrated: wait a
		 * little, start over from the slot's owner */
		freeReplyObject(rep);
		rnode_put(n, c, true, false, NULL);
		(void)nanosleep(&(struct timespec){0, 20000000}, NULL);
		return RCONN_AGAIN;
	}
	if (r->s->mode == RCONN_SENTINEL && strncmp(msg, "READONLY", 8) == 0) {
		/* the old master, now a replica: ask the Sentinels again */
		freeReplyObject(rep);
		rnode_put(n, c, false, false, NULL);
		pthread_mutex_lock(&r->s->lock);
		r->s->rediscover = true;
		r->s->discovered_at = 0;
		pthread_mutex_unlock(&r->s->lock);
		return RCONN_AGAIN;
	}
	freeReplyObject(rep);
	rnode_put(n, c, true, false, NULL);
	q->refused = true;
	return RCONN_FAIL;
}

/* rconn_attempt - one send of q and its reply */
static enum rconn_next
rconn_attempt(struct rconn *r, struct rconn_try *t, struct rconn_req *q,
	      struct err *e)
{
	struct rnode *n = t->ask ? t->ask : rconn_pick(r, q->slot, e);
	bool asking = t->ask != NULL;
	redisContext *c;
	redisReply *rep;
	bool fresh;

	t->ask = NULL;
	if (n == NULL)
		return RCONN_FAIL;
	c = rnode_get(r, n, &fresh, e);
	if (c == NULL) {
		pthread_mutex_lock(&r->s->lock);
		r->s->rediscover = true;
		pthread_mutex_unlock(&r->s->lock);
		return RCONN_FAIL;
	}
	rep = rconn_exec(c, q, asking);
	if (rep == NULL)
		return rconn_io_failed(r, n, c, fresh, q, e);
	if (rep->type == REDIS_REPLY_ERROR)
		return rconn_error_reply(r, n, c, t, q, rep, e);
	rnode_put(n, c, true, false, NULL);
	q->reply = q->ints != NULL ? NULL : rep;
	return RCONN_DONE;
}

/* rconn_batch_read - the reply of one batched request into its ints;
 * false when the connection failed */
static bool
rconn_batch_read(redisContext *c, struct rconn_req *q)
{
	struct rconn_budget *b = c->reader->privdata;
	void *rep = NULL;
	int rc;

	rconn_reader_budget(c->reader);
	memset(q->ints, 0, offsetof(struct rconn_ints, v));
	b->ints = q->ints;
	c->reader->fn = &rconn_compact_fns;
	rc = redisGetReply(c, &rep);
	rconn_compact_end(c->reader, &rconn_fns, rc == REDIS_OK && rep != NULL);
	return rc == REDIS_OK && rep != NULL;
}

/* rconn_batch_send - one batch on one connection: every request written
 * at once, the replies read in order; each request's state into st (the
 * caller publishes it under the queue's lock: the owner may return as
 * soon as it sees it, so nothing of the request is touched after) */
static void
rconn_batch_send(struct rconn *r, struct rnode *n, struct rconn_req **b,
		 int *st, size_t k)
{
	redisContext *c;
	struct err e;
	bool fresh;
	bool timeout;
	size_t i;
	size_t j;

	c = rnode_get(r, n, &fresh, &e);
	for (i = 0; c != NULL && i < k; i++)
		if (redisAppendFormattedCommand(c, b[i]->raw, b[i]->rawlen) !=
		    REDIS_OK)
			break;
	if (c == NULL || i < k) {
		for (j = 0; j < k; j++) {
			st[j] = RCONN_B_FAIL;
			b[j]->berr = e;
		}
		if (c != NULL)
			rnode_put(n, c, false, false, NULL);
		pthread_mutex_lock(&r->s->lock);
		r->s->rediscover = true;
		pthread_mutex_unlock(&r->s->lock);
		return;
	}
	for (i = 0; i < k; i++) {
		if (!rconn_batch_read(c, b[i]))
			break;
		/* an error reply (NOSCRIPT, a redirect, ...): its owner runs
		 * it again alone, where each is handled */
		st[i] = b[i]->ints->type == REDIS_REPLY_ERROR
				       ? RCONN_B_AGAIN : RCONN_B_DONE;
	}
	if (i == k) {
		rnode_put(n, c, true, false, NULL);
		return;
	}
	timeout = c->err == REDIS_ERR_IO &&
		  (errno == EAGAIN || errno == EWOULDBLOCK ||
		   strstr(c->errstr, "temporarily") != NULL);
	err_set(&e, "%s: %s", n->name, timeout ? "timeout" : c->errstr);
	for (j = i; j < k; j++) {
		/* a pooled connection to a restarted server: nothing ran;
		 * the owners try again on a new one */
		if (!timeout && !fresh && i == 0) {
			st[j] = RCONN_B_AGAIN;
			b[j]->written_before = true;
			continue;
		}
		st[j] = RCONN_B_FAIL;
		b[j]->berr = e;
		b[j]->maybe_ran = true;
	}
	rnode_put(n, c, false, timeout || fresh || i > 0, e.text);
	pthread_mutex_lock(&r->s->lock);
	r->s->rediscover = true;
	r->s->slots_stale = r->s->mode == RCONN_CLUSTER;
	pthread_mutex_unlock(&r->s->lock);
}

/* A thread's wake-up while its request waits in a batch: a semaphore that
 * outlives any one request, so that a leader posts it after letting go of
 * the queue's lock (a follower woken while the lock is held only blocks
 * on the lock again: two more system calls per request).  Taken at a
 * thread's first batch, given back to rconn_wakers when the thread ends,
 * never freed: a post that comes late finds a semaphore, at worst one a
 * newer thread uses, whose wait loop looks at its request's state again. */
struct rconn_waker {
	sem_t sem;
	struct rconn_waker *next;
};

static pthread_mutex_t rconn_wakers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rconn_waker *rconn_wakers;
static pthread_key_t rconn_waker_key;
static pthread_once_t rconn_waker_once = PTHREAD_ONCE_INIT;
static __thread struct rconn_waker *rconn_self;

/* rconn_waker_put - a thread ends: its waker back to the free list */
static void
rconn_waker_put(void *arg)
{
	struct rconn_waker *w = arg;

	pthread_mutex_lock(&rconn_wakers_lock);
	w->next = rconn_wakers;
	rconn_wakers = w;
	pthread_mutex_unlock(&rconn_wakers_lock);
}

/* rconn_waker_key_init - the key whose destructor gives wakers back */
static void
rconn_waker_key_init(void)
{
	if (pthread_key_create(&rconn_waker_key, rconn_waker_put) != 0)
		log_panic("pthread_key_create failed");
}

/* rconn_waker_self - this thread's waker */
static struct rconn_waker *
rconn_waker_self(void)
{
	struct rconn_waker *w = rconn_self;

	if (w != NULL)
		return w;
	(void)pthread_once(&rconn_waker_once, rconn_waker_key_init);
	pthread_mutex_lock(&rconn_wakers_lock);
	w = rconn_wakers;
	if (w != NULL)
		rconn_wakers = w->next;
	pthread_mutex_unlock(&rconn_wakers_lock);
	if (w == NULL) {
		w = xcalloc(1, sizeof(*w));
		if (sem_init(&w->sem, 0, 0) < 0)
			log_panic("sem_init: %s", strerror(errno));
	}
	if (pthread_setspecific(rconn_waker_key, w) != 0)
		log_panic("pthread_setspecific failed");
	rconn_self = w;
	return w;
}

/* rconn_waker_post - wake a waiting thread (never under a lock it takes) */
static void
rconn_waker_post(struct rconn_waker *w)
{
	if (sem_post(&w->sem) < 0)
		log_panic("sem_post: %s", strerror(errno));
}

/* rconn_waker_wait - sleep until posted (a post may be an old one: the
 * caller looks again) */
static void
rconn_waker_wait(struct rconn_waker *w)
{
	while (sem_wait(&w->sem) < 0)
		if (errno != EINTR)
			log_panic("sem_wait: %s", strerror(errno));
}

/* rconn_batch - a ready-made request with a compact reply, sent together
 * with the others that wait for the same server: a thread that finds
 * fewer than RCONN_LEADERS batches on the wire takes up to RCONN_BATCH
 * requests from the queue, its own and others', writes them in one go on
 * one pooled connection, reads the replies in order (pipelining) and
 * wakes their owners; it goes on while requests wait, at most
 * RCONN_LEAD_MORE batches after its own, then hands the lead to the first
 * waiting.  Fewer system calls on both sides, several decisions per round
 * trip when they arrive together.  RCONN_AGAIN: run it alone.  A state
 * is written, and read, only under the queue's lock, and the owners are
 * woken after it is let go. */
static enum rconn_next
rconn_batch(struct rconn *r, struct rconn_req *q, struct err *e)
{
	struct rconn_req *b[RCONN_BATCH];
	struct rconn_waker *wake[RCONN_BATCH];
	int st[RCONN_BATCH];
	struct rnode *n = rconn_pick(r, q->slot, e);
	struct rconn_waker *lead;
	unsigned more = 0;
	size_t nw;
	size_t k;
	size_t i;

	if (n == NULL)
		return RCONN_FAIL;
	q->bwake = rconn_waker_self();
	pthread_mutex_lock(&n->bq);
	q->next = NULL;
	q->bstate = RCONN_B_QUEUED;
	if (n->btail != NULL)
		n->btail->next = q;
	else
		n->bhead = q;
	n->btail = q;
	while (q->bstate == RCONN_B_QUEUED || (more > 0 && n->bhead != NULL &&
					       more <= RCONN_LEAD_MORE)) {
		if (n->leaders >= RCONN_LEADERS) {
			if (q->bstate != RCONN_B_QUEUED)
				break;	/* others lead; ours is done */
			pthread_mutex_unlock(&n->bq);
			rconn_waker_wait(q->bwake);
			pthread_mutex_lock(&n->bq);
			continue;
		}
		n->leaders++;
		for (k = 0, nw = 0; k < RCONN_BATCH && n->bhead != NULL; k++) {
			b[k] = n->bhead;
			n->bhead = n->bhead->next;
			if (b[k] != q)
				wake[nw++] = b[k]->bwake;
		}
		if (n->bhead == NULL)
			n->btail = NULL;
		pthread_mutex_unlock(&n->bq);
		rconn_batch_send(r, n, b, st, k);
		pthread_mutex_lock(&n->bq);
		n->leaders--;
		for (i = 0; i < k; i++)
			b[i]->bstate = st[i];
		if (q->bstate != RCONN_B_QUEUED)
			more++;
		pthread_mutex_unlock(&n->bq);
		for (i = 0; i < nw; i++)
			rconn_waker_post(wake[i]);
		pthread_mutex_lock(&n->bq);
	}
	/* requests still wait and nobody leads: the first of them does */
	lead = n->bhead != NULL && n->leaders < RCONN_LEADERS ? n->bhead->bwake
							       : NULL;
	pthread_mutex_unlock(&n->bq);
	if (lead != NULL)
		rconn_waker_post(lead);
	switch (q->bstate) {
	case RCONN_B_DONE:
		return RCONN_DONE;
	case RCONN_B_FAIL:
		*e = q->berr;
		return RCONN_FAIL;
	default:
		q->maybe_ran = false;
		return RCONN_AGAIN;
	}
}

/* rconn_failed - rconn_run gives up: a command written on a connection
 * that died before the reply, then tried again, may have run */
static int
rconn_failed(struct rconn_req *q)
{
	if (q->written_before)
		q->maybe_ran = true;
	return -1;
}

/* The event loop's own way to send a pipelined request (rconn.h). */
static rconn_divert_fn *rconn_divert;

/* rconn_set_divert - see rconn.h */
void
rconn_set_divert(rconn_divert_fn *fn)
{
	rconn_divert = fn;
}

/* rconn_attempts - one request at a time until a reply or the budget is
 * spent; what rconn_run does after its batch */
static int
rconn_attempts(struct rconn *r, struct rconn_req *q, struct err *e)
{
	struct rconn_try t = {NULL, false};
	int i;

	for (i = 0; i < RCONN_ATTEMPTS; i++) {
		switch (rconn_attempt(r, &t, q, e)) {
		case RCONN_DONE:
			return 0;
		case RCONN_FAIL:
			return rconn_failed(q);
		case RCONN_AGAIN:
			break;
		}
	}
	{
		struct err last = *e;

		err_set(e, "gave up after %d attempts: %s", RCONN_ATTEMPTS,
			last.text);
	}
	return rconn_failed(q);
}

/* rconn_direct - rconn_run on a thread that may block */
static int
rconn_direct(struct rconn *r, struct rconn_req *q, struct err *e)
{
	if (q->raw != NULL && q->ints != NULL) {
		switch (rconn_batch(r, q, e)) {
		case RCONN_DONE:
			return 0;
		case RCONN_FAIL:
			return rconn_failed(q);
		case RCONN_AGAIN:
			break;
		}
	}
	return rconn_attempts(r, q, e);
}

/* A call handed to a thread that may block (fiber_blocking). */
struct rconn_away {
	struct rconn *r;
	struct rconn_req *q;
	struct err *e;
	bool attempts_only;
	int rc;
};

/* rconn_away_run - the call, on that thread */
static void
rconn_away_run(void *arg)
{
	struct rconn_away *a = arg;

	a->rc = a->attempts_only ? rconn_attempts(a->r, a->q, a->e)
				 : rconn_direct(a->r, a->q, a->e);
}

/* rconn_run - run one command for its key slot; see rconn.h.  In a fiber
 * (an event loop's decision) a pipelined request goes out on the loop's
 * own connection (rconn_divert); what that cannot do, and every other
 * request, runs on a thread that may block while the fiber waits. */
int
rconn_run(struct rconn *r, struct rconn_req *q, struct err *e)
{
	struct rconn_away a = {r, q, e, false, -1};

	q->reply = NULL;
	q->maybe_ran = false;
	q->refused = false;
	q->written_before = false;
	if (q->argc > RCONN_MAX_ARGS) {
		err_set(e, "too many arguments (%d)", q->argc);
		return -1;
	}
	if (!fiber_may_offload())
		return rconn_direct(r, q, e);
	if (q->raw != NULL && q->ints != NULL && rconn_divert != NULL) {
		switch (rconn_divert(r, q, e)) {
		case RCONN_DIVERT_DONE:
			return 0;
		case RCONN_DIVERT_FAIL:
			return rconn_failed(q);
		case RCONN_DIVERT_AGAIN:
			a.attempts_only = true;
			break;
		case RCONN_DIVERT_NO:
			break;
		}
	}
	fiber_blocking(rconn_away_run, &a);
	return a.rc;
}

/* rconn_call - rconn_run for callers that need only the reply */
redisReply *
rconn_call(struct rconn *r, int slot, const struct rconn_script *script,
	   int argc, const char **argv, const size_t *lens, struct err *e)
{
	struct rconn_req q;

	memset(&q, 0, sizeof(q));
	q.slot = slot;
	q.script = script;
	q.argc = argc;
	q.argv = argv;
	q.lens = lens;
	return rconn_run(r, &q, e) == 0 ? q.reply : NULL;
}

/* rconn_pipeline, handed to a thread that may block */
struct rconn_away_pipe {
	struct rconn *r;
	int slot;
	struct rconn_req *qs;
	size_t n;
	struct err *e;
	int rc;
};

/* rconn_pipeline_away - the pipeline, on that thread */
static void
rconn_pipeline_away(void *arg)
{
	struct rconn_away_pipe *a = arg;

	a->rc = rconn_pipeline(a->r, a->slot, a->qs, a->n, a->e);
}

/* rconn_pipeline - several commands for one slot, written together and
 * their replies read in order on one connection (one round trip): 0 when
 * every reply came (error replies included: the caller looks at each), -1
 * with e set when the connection failed (the replies that came are kept,
 * the others NULL; those may have run).  No redirects are followed. */
int
rconn_pipeline(struct rconn *r, int slot, struct rconn_req *qs, size_t n,
	       struct err *e)
{
	struct rnode *node;
	redisContext *c;
	bool fresh;
	size_t i;

	if (fiber_may_offload()) {
		struct rconn_away_pipe a = {r, slot, qs, n, e, -1};

		fiber_blocking(rconn_pipeline_away, &a);
		return a.rc;
	}
	for (i = 0; i < n; i++) {
		qs[i].reply = NULL;
		qs[i].maybe_ran = false;
	}
	node = rconn_pick(r, slot, e);
	if (node == NULL)
		return -1;
	c = rnode_get(r, node, &fresh, e);
	if (c == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (redisAppendCommandArgv(c, qs[i].argc, qs[i].argv,
					   qs[i].lens) != REDIS_OK)
			goto io;
	for (i = 0; i < n; i++) {
		void *rep = NULL;

		rconn_reader_budget(c->reader);
		if (redisGetReply(c, &rep) != REDIS_OK || rep == NULL)
			goto io;
		qs[i].reply = rep;
	}
	rnode_put(node, c, true, false, NULL);
	return 0;
io:
	err_set(e, "%s: %s", node->name, c->errstr[0] ? c->errstr
						      : "no reply");
	for (; i < n; i++)
		qs[i].maybe_ran = true;
	rnode_put(node, c, false, true, e->text);
	return -1;
}

/* rconn_lend - see rconn.h */
int
rconn_lend(struct rconn *r, struct rconn_lent *l)
{
	struct rnode *n;
	redisContext *c = NULL;
	bool stale;

	if (r->s->mode == RCONN_CLUSTER)
		return -1;
	pthread_mutex_lock(&r->s->lock);
	n = r->s->master;
	stale = r->s->rediscover;
	pthread_mutex_unlock(&r->s->lock);
	if (n == NULL || (stale && r->s->mode == RCONN_SENTINEL))
		return -1;
	pthread_mutex_lock(&n->lock);
	if (!n->retired && n->nidle > 0 &&
	    tspec_ms(CLOCK_MONOTONIC) >= n->backoff_until)
		c = n->idle[--n->nidle];
	pthread_mutex_unlock(&n->lock);
	if (c == NULL)
		return -1;
	l->shared = r->s;
	l->node = n;
	l->c = c;
	l->name = n->name;
	l->timeout_ms = r->timeout_ms;
	return 0;
}

/* rconn_lent_end - see rconn.h */
void
rconn_lent_end(struct rconn_lent *l, bool ok, bool backoff, const char *why)
{
	struct rconn_shared *s = l->shared;
	struct rnode *n = l->node;

	rnode_put(n, l->c, ok, backoff, why);
	l->c = NULL;
	l->node = NULL;
	if (ok)
		return;
	pthread_mutex_lock(&s->lock);
	s->rediscover = true;
	pthread_mutex_unlock(&s->lock);
}

/* rconn_timeout_ms - the handle's command timeout */
unsigned
rconn_timeout_ms(const struct rconn *r)
{
	return r->timeout_ms;
}

/* rconn_same_server - would r lend from the server l came from? */
bool
rconn_same_server(const struct rconn *r, const struct rconn_lent *l)
{
	return r->s->mode != RCONN_CLUSTER && r->s->master == l->node;
}

/* rconn_is_cluster - are keys spread over slots? */
bool
rconn_is_cluster(const struct rconn *r)
{
	return r->s->mode == RCONN_CLUSTER;
}

/* rconn_identity - what makes two sets of settings the same Redis with
 * the same credentials (timeouts and pool size do not count) */
static char *
rconn_identity(const struct rconn_opts *o)
{
	struct strbuf sb;
	size_t i;
	char *out;

	strbuf_init(&sb, 1 << 20);
	(void)strbuf_printf(&sb, "%d\n%s\n%s\n%s\n%s\n%u", (int)o->mode,
			    o->mode == RCONN_STANDALONE ? o->server : "",
			    o->master_name ? o->master_name : "",
			    o->user ? o->user : "",
			    o->password ? o->password : "", o->db);
	for (i = 0; o->mode != RCONN_STANDALONE && i < o->nnodes; i++)
		(void)strbuf_printf(&sb, "\n%s", o->nodes[i]);
	out = xstrdup(sb.data != NULL ? sb.data : "");
	if (sb.data != NULL)
		explicit_bzero(sb.data, sb.len);
	strbuf_free(&sb);
	return out;
}

/* rconn_shared_free - close every connection and release; no call may be
 * running */
static void
rconn_shared_free(struct rconn_shared *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnodes; i++)
		rnode_free(s->nodes[i]);
	for (i = 0; i < s->nsentinels; i++)
		rnode_free(s->sentinels[i]);
	for (i = 0; i < s->nseeds; i++)
		rnode_free(s->seeds[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->refresh);
	free(s->user);
	if (s->password[0] != '\0')
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s->master_name);
	if (s->identity != NULL)
		explicit_bzero(s->identity, strlen(s->identity));
	free(s->identity);
	free(s);
}

/* rconn_shared_new - the servers of a set of settings; nothing connected */
static struct rconn_shared *
rconn_shared_new(const struct rconn_opts *o, struct err *e)
{
	struct rconn_shared *s = xcalloc(1, sizeof(*s));
	char host[RCONN_HOST_MAX];
	bool is_unix;
	int port;
	size_t i;

	s->mode = o->mode;
	s->user = xstrdup(o->user ? o->user : "");
	s->password = xstrdup(o->password ? o->password : "");
	s->master_name = xstrdup(o->master_name ? o->master_name : "");
	s->db = o->db;
	s->pool_size = o->pool_size ? o->pool_size : 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->refresh, NULL);
	switch (o->mode) {
	case RCONN_STANDALONE:
		if (rconn_addr_parse(o->server, 6379, host, sizeof(host), &port,
				     &is_unix, e) < 0)
			goto fail;
		s->master = rconn_node_locked(s, host, port, is_unix);
		(void)str_copy(s->describe, sizeof(s->describe),
			       s->master->name);
		break;
	case RCONN_SENTINEL:
	case RCONN_CLUSTER:
		if (o->nnodes == 0 || o->nnodes > RCONN_NODES_MAX) {
			err_set(e, "give 1 to %d addresses", RCONN_NODES_MAX);
			goto fail;
		}
		for (i = 0; i < o->nnodes; i++) {
			if (rconn_addr_parse(o->nodes[i],
					     o->mode == RCONN_SENTINEL ? 26379
								       : 6379,
					     host, sizeof(host), &port,
					     &is_unix, e) < 0)
				goto fail;
			if (o->mode == RCONN_SENTINEL)
				s->sentinels[s->nsentinels++] =
					rnode_new(host, port, is_unix);
			else
				s->seeds[s->nseeds++] =
					rnode_new(host, port, is_unix);
		}
		s->slots_stale = true;
		s->rediscover = true;
		if (o->mode == RCONN_SENTINEL)
			(void)str_format(s->describe, sizeof(s->describe),
					 "Sentinel master %.200s",
					 s->master_name);
		else
			(void)str_format(s->describe, sizeof(s->describe),
					 "Cluster %s", s->seeds[0]->name);
		break;
	}
	return s;
fail:
	rconn_shared_free(s);
	return NULL;
}

/* rconn_new - a handle on the connections to the Redis of o: shared with
 * every other handle of the same server and credentials in this process
 * (limits, abuse control, audit stream), with its own timeouts; nothing is
 * connected yet */
int
rconn_new(const struct rconn_opts *o, struct rconn **out, struct err *e)
{
	char *id = rconn_identity(o);
	struct rconn_shared *s;
	struct rconn *r;

	pthread_mutex_lock(&rconn_registry_lock);
	for (s = rconn_registry; s != NULL; s = s->next)
		if (strcmp(s->identity, id) == 0)
			break;
	if (s == NULL) {
		s = rconn_shared_new(o, e);
		if (s == NULL) {
			pthread_mutex_unlock(&rconn_registry_lock);
			explicit_bzero(id, strlen(id));
			free(id);
			return -1;
		}
		s->identity = id;
		id = NULL;
		s->next = rconn_registry;
		rconn_registry = s;
	}
	s->refs++;
	/* the largest pool anyone asked for */
	pthread_mutex_lock(&s->lock);
	if (o->pool_size > s->pool_size)
		s->pool_size = o->pool_size;
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&rconn_registry_lock);
	if (id != NULL) {
		explicit_bzero(id, strlen(id));
		free(id);
	}
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	r->timeout_ms = o->timeout_ms ? o->timeout_ms : 1000;
	r->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms
						      : r->timeout_ms;
	*out = r;
	return 0;
}

/* rconn_free - drop a handle; the last one closes the connections (no
 * call may be running on them); NULL is fine */
void
rconn_free(struct rconn *r)
{
	struct rconn_shared **pp;
	struct rconn_shared *s;

	if (r == NULL)
		return;
	s = r->s;
	free(r);
	pthread_mutex_lock(&rconn_registry_lock);
	if (--s->refs > 0) {
		pthread_mutex_unlock(&rconn_registry_lock);
		return;
	}
	for (pp = &rconn_registry; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&rconn_registry_lock);
	rconn_shared_free(s);
}

/* rconn_describe - the Redis of a handle, for log lines: "127.0.0.1:6379",
 * "Sentinel master mymaster", "Cluster 127.0.0.1:7000" */
const char *
rconn_describe(const struct rconn *r)
{
	return r->s->describe;
}

/* rconn_opts_from_conf - the connection settings of the redis_* keys
 * (shared by the limits and abuse control); -1 for a combination that
 * cannot work, with file and key in e */
int
rconn_opts_from_conf(const struct conf *c, struct rconn_opts *o,
		     struct err *e)
{
	memset(o, 0, sizeof(*o));
	if (c->redis_cluster.count > 0 && c->redis_sentinels.count > 0) {
		err_set(e, "%s: redis_cluster and redis_sentinels: set one "
			"of them, not both", c->path);
		return -1;
	}
	if (c->redis_cluster.count > 0) {
		o->mode = RCONN_CLUSTER;
		o->nodes = c->redis_cluster.items;
		o->nnodes = c->redis_cluster.count;
	} else if (c->redis_sentinels.count > 0) {
		if (c->redis_sentinel_master[0] == '\0') {
			err_set(e, "%s: redis_sentinels needs "
				"redis_sentinel_master (example: "
				"redis_sentinel_master = mymaster)", c->path);
			return -1;
		}
		o->mode = RCONN_SENTINEL;
		o->nodes = c->redis_sentinels.items;
		o->nnodes = c->redis_sentinels.count;
		o->master_name = c->redis_sentinel_master;
	} else {
		o->mode = RCONN_STANDALONE;
		o->server = c->redis_server;
	}
	if (c->redis_user[0] != '\0' && c->redis_password[0] == '\0') {
		err_set(e, "%s: redis_user needs redis_password", c->path);
		return -1;
	}
	o->user = c->redis_user;
	o->password = c->redis_password;
	o->db = (unsigned)c->redis_db;
	o->connect_timeout_ms = (unsigned)c->redis_connect_timeout;
	o->timeout_ms = (unsigned)c->redis_timeout;
	o->pool_size = (unsigned)c->redis_pool_size;
	return 0;
}
