/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf - the settings file: "key = value" lines, one table of known keys.
 *
 * The table in conf.c names every key with its type, default, bounds and one
 * line of help; defaults live there only.  How each type is read, printed
 * and freed is one entry per type in conftype.c.  Types: bool, integer, size (k, M,
 * G), time (ms, s, m, h, d), string, path, enum, list (comma or space
 * separated), octal mode and network list.  A line that starts with white
 * space continues the previous one, as in Postfix's main.cf; '#' starts a
 * comment at the beginning of a line.
 *
 * Errors come back as "FILE:LINE: KEY: what is wrong (examples: ...)",
 * with code ERR_CONFIG; unknown keys name the nearest known key.
 * conf_print_defaults()/conf_print_default() print defaults (relayguard
 * -d), conf_print_changed() what a file changes, canonically (-p).
 * conf_line()/conf_where() tell where a key was set, for messages of later
 * checks; conf_string()/conf_ulong() read a setting by key name.  A loaded
 * struct conf is read-only and may be shared between threads; conf_free()
 * releases it.
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

/* An SMTP reply: "553 5.7.1 <%a>: text"; the text may hold %a (address),
 * %d (its domain), %u (login) and %% escapes, see conf_reply_expand(). */
#define CONF_REPLY_TEXT_MAX 256

struct conf_reply {
	char code[4];
	char xcode[16];
	char text[CONF_REPLY_TEXT_MAX];
};

/* SPF (spfcheck.h): what to do with a result */
enum conf_spf_action {
	CONF_SPF_ACCEPT,
	CONF_SPF_HEADER,	/* accept, add Received-SPF */
	CONF_SPF_TEMPFAIL,
	CONF_SPF_REJECT,
};

/* SPF: when to check the HELO identity */
enum conf_spf_helo {
	CONF_SPF_HELO_NULL_SENDER,
	CONF_SPF_HELO_ALWAYS,
	CONF_SPF_HELO_NO,
};

struct conf_list {
	char **items;
	size_t count;
};

struct conf {
	char *path;			/* the file it was read from */
	unsigned *lines;		/* per key: line that set it, or 0 */

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

	/* sender authentication: login ownership, own domains */
	bool sender_login_check;
	char *sender_login_map;
	bool sender_login_self;
	bool sender_login_case_sensitive;
	char *sender_login_delimiter;
	bool sender_login_null_sender;
	struct conf_reply sender_login_reply;
	struct conf_list own_domains;
	enum conf_action own_domain_action;
	struct conf_reply own_domain_reply;
	/* SPF */
	bool spf_check;
	enum conf_spf_helo spf_helo_check;
	unsigned long spf_timeout;	/* seconds, whole evaluation */
	unsigned long spf_dns_timeout;	/* seconds, one query */
	char *spf_user;
	unsigned long spf_max_concurrent;
	unsigned long spf_max_concurrent_per_domain;
	size_t spf_memory_limit;
	enum conf_spf_action spf_action_pass;
	enum conf_spf_action spf_action_fail;
	enum conf_spf_action spf_action_softfail;
	enum conf_spf_action spf_action_neutral;
	enum conf_spf_action spf_action_none;
	enum conf_spf_action spf_action_temperror;
	enum conf_spf_action spf_action_permerror;
	bool spf_received_header;
	char *authserv_id;
	/* audit trail and metrics */
	char *audit_file;
	char *audit_redis_server;
	char *audit_redis_password;
	char *audit_redis_stream;
	unsigned long audit_stream_maxlen;
	unsigned long audit_queue_size;
	unsigned long audit_redis_timeout;	/* seconds */
	char *metrics_listen;
	/* rate limits and quotas (see limit.h) */
	bool limits;
	struct conf_list limit_exempt_recipients;
	char *limit_map;
	int limit_backend;		/* enum conf_limit_backend */
	int limit_fail_mode;		/* enum conf_fail_mode */
	int limit_redis_module;		/* enum conf_redis_module */
	unsigned long limit_local_percent;
	unsigned long limit_txn_ttl;	/* seconds */
	unsigned long limit_lease_time;	/* seconds */
	unsigned long limit_commit_wait;	/* seconds */
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
	/* abuse control, reputation, quota warnings
	 * (abuse.h) */
	bool abuse_control;
	unsigned long penalty_box_trips;
	unsigned long penalty_box_window;	/* seconds */
	unsigned long penalty_box_time;		/* seconds */
	unsigned long penalty_box_growth;
	unsigned long penalty_box_max_time;	/* seconds */
	unsigned long penalty_box_memory;	/* seconds */
	int penalty_box_action;			/* enum conf_abuse_action */
	bool penalty_box_dry_run;
	unsigned long stolen_login_networks;
	unsigned long stolen_login_window;	/* seconds */
	int stolen_login_action;
	bool stolen_login_dry_run;
	unsigned long fanout_sender_recipients;
	unsigned long fanout_recipients;
	unsigned long fanout_window;		/* seconds */
	int fanout_action;
	bool fanout_dry_run;
	unsigned long spike_factor;
	unsigned long spike_min_messages;
	unsigned long spike_window;		/* seconds */
	unsigned long spike_baseline;		/* seconds */
	int spike_action;
	bool spike_dry_run;
	unsigned long max_recipients_per_message;
	unsigned long max_recipient_domains;
	int message_caps_action;
	bool message_caps_dry_run;
	bool reputation;
	unsigned long reputation_ttl;		/* seconds */
	struct conf_list quota_warnings;	/* percentages */
	unsigned long abuse_queue_size;
	/* relayguard-policyd, the Postfix policy service */
	char *policy_socket;
	unsigned long policy_socket_mode;
	char *policy_socket_group;
	char *policy_pid_file;
	unsigned long policy_max_connections;
	unsigned long policy_idle_timeout;	/* seconds */
	unsigned long policy_request_timeout;	/* seconds */
	size_t policy_max_line;
	unsigned long policy_max_attributes;
	size_t policy_max_request;
	unsigned long policy_workers;
	bool policy_defer_if_permit;
	bool policy_prepend_headers;
	char *policy_metrics_listen;
};

/* Values of limit_backend and limit_fail_mode (conf.c conf_enums order). */
enum conf_limit_backend {
	CONF_LIMIT_MEMORY,
	CONF_LIMIT_REDIS,
};

/* Values of limit_redis_module (conf.c conf_enums order). */
enum conf_redis_module {
	CONF_MODULE_AUTO,
	CONF_MODULE_NO,
};

enum conf_fail_mode {
	CONF_FAIL_TEMPFAIL,
	CONF_FAIL_ACCEPT,
	CONF_FAIL_LOCAL,
};

/* Values of the abuse signals' *_action keys (conf.c conf_enums order). */
enum conf_abuse_action {
	CONF_ABUSE_LOG,
	CONF_ABUSE_TEMPFAIL,
	CONF_ABUSE_REJECT,
	CONF_ABUSE_HOLD,
};

int conf_load(const char *path, struct conf **out, struct err *e);
int conf_load_stream(FILE *fp, const char *path, struct conf **out,
		     struct err *e);
struct conf *conf_defaults(void);
const char *conf_default_path(void);
unsigned conf_line(const struct conf *c, const char *key);
/* Room for conf_where()'s text: a path, a line number and a key. */
#define CONF_WHERE_MAX 512

const char *conf_string(const struct conf *c, const char *key);
unsigned long conf_ulong(const struct conf *c, const char *key);
void conf_where(const struct conf *c, const char *key, char *buf,
		size_t size);
void conf_free(struct conf *c);
void conf_print_defaults(FILE *fp);
int conf_print_default(FILE *fp, const char *key, struct err *e);
void conf_print_changed(FILE *fp, const struct conf *c);
const char *conf_action_name(enum conf_action a);
int conf_reply_parse(const char *v, struct conf_reply *r, struct err *e);
int conf_percent(const char *w);
void conf_reply_expand(const struct conf_reply *r, char *out, size_t size,
		       const char *addr, const char *login);

#endif
