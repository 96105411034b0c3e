/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - the settings file: "key = value" lines, one table of known keys.
 *
 * The table in conf.c names every key with its type, default, bounds and one
 * line of help; defaults live there only.  Types: bool, integer, size (k, M,
 * G), time (ms, s, m, h, d), string, path, enum, list (comma or space
 * separated), octal mode and network list.  A line that starts with white
 * space continues the previous one, as in Postfix's main.cf; '#' starts a
 * comment at the beginning of a line.
 *
 * Errors come back as "FILE:LINE: KEY: what is wrong (examples: ...)";
 * unknown keys name the nearest known key.  A loaded struct conf is
 * read-only and may be shared between threads; conf_free() releases it.
 */
#ifndef RG_CONF_H
#define RG_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cidr.h"
#include "err.h"
#include "log.h"

enum conf_canon {
	CONF_CANON_SIMPLE,
	CONF_CANON_RELAXED,
};

enum conf_action {
	CONF_ACTION_TEMPFAIL,
	CONF_ACTION_ACCEPT,
	CONF_ACTION_REJECT,
};

struct conf_list {
	char **items;
	size_t count;
};

struct conf {
	char *path;			/* the file it was read from */

	/* daemon */
	char *socket;
	unsigned long socket_mode;
	char *socket_group;
	char *user;
	char *pid_file;
	int syslog_facility;
	enum log_level log_level;
	unsigned long milter_timeout;	/* seconds */
	unsigned long max_connections;

	/* who may have mail signed */
	struct cidr_list internal_hosts;

	/* DKIM signing */
	char *key_table;
	char *signing_table;
	enum conf_canon header_canon;
	enum conf_canon body_canon;
	struct conf_list sign_headers;
	struct conf_list oversign_headers;
	bool multiple_signatures;
	bool require_safe_keys;
	unsigned long min_key_bits;
	enum conf_action on_sign_error;
	size_t max_header_bytes;

	/* rate limits and quotas (issue 4; see limit.h) */
	bool limits;
	char *limit_map;
	int limit_backend;		/* enum conf_limit_backend */
	int limit_fail_mode;		/* enum conf_fail_mode */
	unsigned long limit_local_percent;
	unsigned long limit_txn_ttl;	/* seconds */
	char *limit_tempfail_reply;
	char *limit_reject_reply;
	char *limit_unavailable_reply;
	char *redis_server;
	char *redis_password;
	char *redis_user;
	unsigned long redis_db;
	unsigned long redis_connect_timeout;	/* milliseconds */
	unsigned long redis_timeout;		/* milliseconds */
	struct conf_list redis_sentinels;
	char *redis_sentinel_master;
	struct conf_list redis_cluster;
	unsigned long redis_pool_size;
	char *redis_key_prefix;
};

/* Values of limit_backend and limit_fail_mode (conf.c conf_enums order). */
enum conf_limit_backend {
	CONF_LIMIT_MEMORY,
	CONF_LIMIT_REDIS,
};

enum conf_fail_mode {
	CONF_FAIL_TEMPFAIL,
	CONF_FAIL_ACCEPT,
	CONF_FAIL_LOCAL,
};

int conf_load(const char *path, struct conf **out, struct err *e);
int conf_load_stream(FILE *fp, const char *path, struct conf **out,
		     struct err *e);
struct conf *conf_defaults(void);
void conf_free(struct conf *c);
void conf_print_defaults(FILE *fp);
const char *conf_action_name(enum conf_action a);

#endif
