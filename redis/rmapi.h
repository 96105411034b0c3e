/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rmapi - the few parts of the Redis module interface (Redis 7.0) that
 * relayguard_redis.c uses, declared here from Redis's documentation:
 * Debian ships no module header.  A module finds each function by name
 * through the getter Redis stores as the first word of the context it
 * passes to RedisModule_OnLoad ("RedisModule_" and the name); rmapi_init
 * fetches them all and fails when one is missing (an older Redis).
 *
 * The constants' values are Redis's; tests/integration/
 * t_limit_redis_module.sh proves each one against the real server (the
 * key types by a key of each type, the hash flag by reads, the expiry by
 * PTTL, the open modes by writes).
 */
#ifndef RG_RMAPI_H
#define RG_RMAPI_H

#include <stddef.h>

#define RMAPI_OK 0
#define RMAPI_ERR 1
#define RMAPI_APIVER_1 1

#define RMAPI_READ (1 << 0)
#define RMAPI_WRITE (1 << 1)

#define RMAPI_KEYTYPE_EMPTY 0
#define RMAPI_KEYTYPE_STRING 1
#define RMAPI_KEYTYPE_HASH 3

#define RMAPI_HASH_NONE 0
/* HashSet's value that deletes the field */
#define RMAPI_HASH_DELETE ((RedisModuleString *)(long)1)

#define RMAPI_NO_EXPIRE (-1)

#define RMAPI_WRONGTYPE \
	"WRONGTYPE Operation against a key holding the wrong kind of value"

typedef struct RedisModuleCtx RedisModuleCtx;
typedef struct RedisModuleKey RedisModuleKey;
typedef struct RedisModuleString RedisModuleString;
typedef struct RedisModuleScanCursor RedisModuleScanCursor;

typedef int (*rmapi_cmd_fn)(RedisModuleCtx *ctx, RedisModuleString **argv,
			    int argc);
typedef void (*rmapi_scan_fn)(RedisModuleKey *key, RedisModuleString *field,
			      RedisModuleString *value, void *priv);

/* The functions, filled by rmapi_init. */
struct rmapi {
	int (*GetApi)(const char *name, void *out);
	void (*SetModuleAttribs)(RedisModuleCtx *ctx, const char *name,
				 int ver, int apiver);
	int (*CreateCommand)(RedisModuleCtx *ctx, const char *name,
			     rmapi_cmd_fn fn, const char *flags, int first,
			     int last, int step);
	int (*IsKeysPositionRequest)(RedisModuleCtx *ctx);
	void (*KeyAtPos)(RedisModuleCtx *ctx, int pos);
	const char *(*StringPtrLen)(const RedisModuleString *s, size_t *len);
	RedisModuleString *(*CreateString)(RedisModuleCtx *ctx,
					   const char *p, size_t len);
	void (*FreeString)(RedisModuleCtx *ctx, RedisModuleString *s);
	void *(*OpenKey)(RedisModuleCtx *ctx, RedisModuleString *name,
			 int mode);
	void (*CloseKey)(RedisModuleKey *key);
	int (*KeyType)(RedisModuleKey *key);
	int (*HashGet)(RedisModuleKey *key, int flags, ...);
	int (*HashSet)(RedisModuleKey *key, int flags, ...);
	char *(*StringDMA)(RedisModuleKey *key, size_t *len, int mode);
	int (*StringSet)(RedisModuleKey *key, RedisModuleString *s);
	int (*SetAbsExpire)(RedisModuleKey *key, long long when_ms);
	RedisModuleScanCursor *(*ScanCursorCreate)(void);
	void (*ScanCursorDestroy)(RedisModuleScanCursor *c);
	int (*ScanKey)(RedisModuleKey *key, RedisModuleScanCursor *c,
		       rmapi_scan_fn fn, void *priv);
	long long (*Milliseconds)(void);
	int (*Replicate)(RedisModuleCtx *ctx, const char *cmd,
			 const char *fmt, ...);
	int (*ReplyWithError)(RedisModuleCtx *ctx, const char *err);
	int (*ReplyWithArray)(RedisModuleCtx *ctx, long len);
	int (*ReplyWithLongLong)(RedisModuleCtx *ctx, long long v);
	int (*WrongArity)(RedisModuleCtx *ctx);
	void *(*Alloc)(size_t n);
	void *(*Realloc)(void *p, size_t n);
	void (*Free)(void *p);
};

extern struct rmapi rm;

int rmapi_init(RedisModuleCtx *ctx, const char *name, int ver);

#endif
