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

	/* relayguard-policyd, the Postfix policy service (issue 5) */
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
};

int conf_load(const char *path, struct conf **out, struct err *e);
int conf_load_stream(FILE *fp, const char *path, struct conf **out,
		     struct err *e);
struct conf *conf_defaults(void);
void conf_free(struct conf *c);
void conf_print_defaults(FILE *fp);
const char *conf_action_name(enum conf_action a);

#endif
