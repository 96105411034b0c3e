/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl - what the relayguardctl commands share: the options every command
 * sees, the exit codes scripts rely on, errors on stderr, and output as a
 * human table or as JSON (--json).
 *
 * Exit codes (relayguardctl(8) documents them; part of the interface):
 *   0   done; for a check: everything is fine
 *   1   a negative answer: not found, or a check found a problem
 *   2   usage: unknown command or option, missing argument
 *   3   a service needed did not answer: Redis unreachable or timed out,
 *       DNS temporary failure; trying again later may work
 *   4   the command exists but is not available in this version
 *   5   a local failure: a file cannot be written, a key not generated
 *   78  the configuration file cannot be used (EX_CONFIG, as relayguard)
 *
 * Every command is a function taking argc/argv from its own name on and
 * returning one of these codes.  Single-threaded.
 */
#ifndef RG_CTL_H
#define RG_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "strbuf.h"

enum ctl_exit {
	CTL_OK = 0,
	CTL_NEGATIVE = 1,
	CTL_USAGE = 2,
	CTL_UNAVAILABLE = 3,
	CTL_NOT_YET = 4,
	CTL_ERROR = 5,
	CTL_CONFIG = 78,
};

struct ctl {
	const char *conf_path;
	bool json;
	FILE *out;
};

typedef int ctl_cmd_fn(struct ctl *c, int argc, char **argv);

void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_status(const struct err *e);
struct conf;
int ctl_load_conf(const struct ctl *c, struct conf **out);

/* A human table: columns sized to their widest cell, text cleaned of
 * control bytes.  Cells are copied. */
struct ctl_table {
	size_t ncols;
	const char *const *heads;
	char **cells;		/* nrows * ncols */
	size_t nrows;
};

void ctl_table_init(struct ctl_table *t, size_t ncols,
		    const char *const *heads);
void ctl_table_add(struct ctl_table *t, const char *const *cells);
void ctl_table_print(const struct ctl_table *t, FILE *fp);
void ctl_table_free(struct ctl_table *t);

/* JSON output helpers: a comma is put before a member or element when
 * the buffer does not end with '{' or '['. */
void ctl_json_str(struct strbuf *sb, const char *key, const char *value);
void ctl_json_num(struct strbuf *sb, const char *key, unsigned long n);
void ctl_json_raw(struct strbuf *sb, const char *key, const char *raw);
void ctl_json_print(const struct ctl *c, struct strbuf *sb);
void ctl_json_print_str(const struct ctl *c, const char *s);

/* Times: "90s", "10m", "12h", "7d", "500ms" as ms (-1: not a time);
 * "2026-12-01" or "2026-12-01T08:00:00[Z]" (UTC) as ms since the epoch;
 * ms since the epoch as "2026-12-01T08:00:00Z". */
int ctl_parse_duration(const char *s, uint64_t *ms);
int ctl_parse_date(const char *s, uint64_t *ms);
void ctl_utc(uint64_t ms, char *buf, size_t size);

ctl_cmd_fn ctl_dkim;
ctl_cmd_fn ctl_report;
ctl_cmd_fn ctl_audit;
ctl_cmd_fn ctl_quota;
ctl_cmd_fn ctl_block;
ctl_cmd_fn ctl_unblock;
ctl_cmd_fn ctl_top;
ctl_cmd_fn ctl_reputation;
ctl_cmd_fn ctl_explain;
ctl_cmd_fn ctl_migrate;

#endif
