/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * err - a fixed-size error text and a code, passed down by callers.
 *
 * A function that can fail returns int (0 done, -1 not done) and writes the
 * reason into a caller-supplied struct err.  The layer that decides the fate
 * of the mail (or of startup) logs it, once.  The text is for humans;
 * callers that act on the kind of failure (an exit status, a retry) test
 * the code, never the text.  err_set() means ERR_FAILED; err_setc() names
 * the code; err_set_code() changes only the code (a caller that knows
 * better, e.g. "everything conf_load() refuses is ERR_CONFIG").  Texts are
 * truncated silently.  Thread-safe: no shared state.
 */
#ifndef RG_ERR_H
#define RG_ERR_H

#define ERR_TEXT_MAX 512

enum err_code {
	ERR_NONE = 0,		/* err_clear(): no error */
	ERR_FAILED,		/* a local failure (the default) */
	ERR_CONFIG,		/* the configuration or a file it names */
	ERR_USAGE,		/* the request itself cannot be done as asked */
	ERR_UNAVAILABLE,	/* a dependency (Redis, DNS) does not answer */
	ERR_NOT_YET,		/* not available yet; later it may be */
};

struct err {
	enum err_code code;
	char text[ERR_TEXT_MAX];
};

void err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_setc(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void err_set_code(struct err *e, enum err_code code);
void err_clear(struct err *e);

#endif
