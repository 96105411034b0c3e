/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * err - a fixed-size error text passed down by callers.
 *
 * A function that can fail returns int (0 done, -1 not done) and writes the
 * reason into a caller-supplied struct err.  The layer that decides the fate
 * of the mail (or of startup) logs it, once.  err_set() truncates silently:
 * error texts are for humans.  Thread-safe: no shared state.
 */
#ifndef RG_ERR_H
#define RG_ERR_H

#define ERR_TEXT_MAX 512

struct err {
	char text[ERR_TEXT_MAX];
};

void err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

#endif
