/* SPDX-License-Identifier: BSD-2-Clause */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/*
 * Set at startup before any thread exists, read-only afterwards.
 */
static const char *log_ident = "relayguard";
static unsigned log_sinks = LOG_SINK_STDERR;
static bool log_stderr_tagged = true;
static enum log_level log_max = LOG_LEVEL_INFO;
static int log_fatal_status = 1;

/* log_stderr_is_journal - is standard error a stream of journald's?
 * systemd names it in JOURNAL_STREAM ("DEVICE:INODE"), so that a program
 * can leave out what the journal adds itself (systemd.exec(5)) */
static bool
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev;
	unsigned long long ino;
	struct stat st;
	char tail;

	if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &tail) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* log_open_sinks - choose the sinks: syslog(3) with this facility,
 * standard error, or both */
void
log_open_sinks(const char *ident, unsigned sinks, int facility)
{
	if (log_sinks & LOG_SINK_SYSLOG)
		closelog();
	log_ident = ident;
	log_sinks = sinks;
	/* the journal tags every line itself: one tag, not two */
	log_stderr_tagged = !log_stderr_is_journal();
	if (sinks & LOG_SINK_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* log_open - one sink: standard error, or syslog(3) */
void
log_open(const char *ident, bool to_stderr, int facility)
{
	log_open_sinks(ident, to_stderr ? LOG_SINK_STDERR : LOG_SINK_SYSLOG,
		       facility);
}

/* log_sinks_now - the sinks in use */
unsigned
log_sinks_now(void)
{
	return log_sinks;
}

/* log_set_level - lines above this level are dropped */
void
log_set_level(enum log_level level)
{
	log_max = level;
}

/* log_level_enabled - would a line of this level be written? */
bool
log_level_enabled(enum log_level level)
{
	return level <= log_max;
}

/* log_set_fatal_status - exit status of log_fatal() */
void
log_set_fatal_status(int status)
{
	log_fatal_status = status;
}

/* log_facility_parse - syslog facility by name, -1 when unknown */
int
log_facility_parse(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} tab[] = {
		{"mail", LOG_MAIL},	{"daemon", LOG_DAEMON},
		{"user", LOG_USER},	{"local0", LOG_LOCAL0},
		{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
		{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
		{"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
		{"local7", LOG_LOCAL7},
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(name, tab[i].name) == 0)
			return tab[i].value;
	return -1;
}

/* log_emit - format one line and send it to the sink */
static void __attribute__((format(printf, 3, 0)))
log_emit(int prio, const char *tag, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;
	int m;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	if (log_sinks & LOG_SINK_SYSLOG)
		syslog(prio, "%s%s", tag, buf);

	/* One write(2) per line, so threads do not interleave. */
	if (log_sinks & LOG_SINK_STDERR) {
		char line[2200];
		ssize_t w;

		if (log_stderr_tagged)
			m = snprintf(line, sizeof(line), "%s[%ld]: %s%s\n",
				     log_ident, (long)getpid(), tag, buf);
		else
			m = snprintf(line, sizeof(line), "%s%s\n", tag, buf);
		if (m < 0)
			return;
		if ((size_t)m >= sizeof(line))
			m = (int)sizeof(line) - 1;
		w = write(STDERR_FILENO, line, (size_t)m);
		(void)w; /* nowhere left to report a failed log write */
	}
}

#define LOG_BODY(prio, tag)                                                    \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_emit(prio, tag, fmt, ap);                                  \
		va_end(ap);                                                    \
	} while (0)

/* log_debug - debugging detail, only with log_level = debug */
void
log_debug(const char *fmt, ...)
{
	if (log_max < LOG_LEVEL_DEBUG)
		return;
	LOG_BODY(LOG_DEBUG, "debug: ");
}

/* log_info - normal operation */
void
log_info(const char *fmt, ...)
{
	if (log_max < LOG_LEVEL_INFO)
		return;
	LOG_BODY(LOG_INFO, "");
}

/* log_warn - something from a peer or dependency went wrong */
void
log_warn(const char *fmt, ...)
{
	if (log_max < LOG_LEVEL_WARN)
		return;
	LOG_BODY(LOG_WARNING, "warning: ");
}

/* log_error - our own operation failed; we keep serving */
void
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, "error: ");
}

/* log_fatal - cannot start (or go on): log and exit */
void
log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal: ");
	exit(log_fatal_status);
}

/* log_panic - a broken invariant: log and abort for a core file */
void
log_panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "panic: ");
	abort();
}

/* log_safe_width - bytes one input byte takes in the output */
static size_t
log_safe_width(unsigned char c)
{
	return (c < 0x20 || c >= 0x7f || c == '\\') ? 4 : 1;
}

/* log_safe - printable, bounded copy of wire text */
char *
log_safe(char *dst, size_t size, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t total = 0;
	size_t limit;
	size_t o = 0;
	size_t i;

	if (size == 0)
		return dst;
	for (i = 0; i < len && total < size; i++)
		total += log_safe_width((unsigned char)src[i]);
	/* everything fits: no "..." needed; else keep room for it */
	limit = total < size ? size - 1 : (size >= 4 ? size - 4 : 0);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = log_safe_width(c);

		if (o + need > limit)
			break;
		if (need == 1) {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (i < len && size >= 4) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}
