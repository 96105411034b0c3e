/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log - syslog or stderr logging in Postfix's shape.
 *
 * log_open_sinks() picks syslog(3) (ident = program name, facility from the
 * config, mail by default), standard error, or both; log_open() one of
 * them.  On standard error a line starts with "IDENT[PID]: ", except when
 * standard error is journald's stream (JOURNAL_STREAM): the journal tags
 * each line itself.  Lines look like Postfix's: "warning: ...", "fatal:
 * ...", plain text for info.  The caller writes the queue id (or NOQUEUE)
 * first in per-message lines.
 *
 * log_fatal() exits with the status given to log_set_fatal_status() (1 by
 * default; 78 = EX_CONFIG for configuration errors); log_panic() aborts for
 * a core file.  Text from the wire must pass log_safe() first.
 * Thread-safe: syslog(3) and single write(2)s to stderr.
 */
#ifndef RG_LOG_H
#define RG_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Longest text log_safe() produces for one field, "..." included. */
#define LOG_SAFE_MAX 256

/* Sinks of log_open_sinks(), or-ed. */
#define LOG_SINK_SYSLOG 0x1u
#define LOG_SINK_STDERR 0x2u

void log_open_sinks(const char *ident, unsigned sinks, int facility);
void log_open(const char *ident, bool to_stderr, int facility);
unsigned log_sinks_now(void);
void log_set_level(enum log_level level);
bool log_level_enabled(enum log_level level);
void log_set_fatal_status(int status);
int log_facility_parse(const char *name);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/*
 * log_safe - copy len bytes of wire text into dst (size bytes), turning
 * control and non-ASCII bytes into \xNN and cutting with "..." when it does
 * not fit.  Returns dst.
 */
char *log_safe(char *dst, size_t size, const char *src, size_t len);

#endif
