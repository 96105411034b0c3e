/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * strbuf - length-tracked, NUL-terminated, bounded byte buffer.
 *
 * Safe for binary data.  Each buffer has a hard maximum given at creation:
 * an append that would pass it fails (-1) and leaves the buffer unchanged,
 * instead of growing forever.  Not thread-safe: one owner at a time.
 */
#ifndef RG_STRBUF_H
#define RG_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *data;	/* always NUL-terminated when cap > 0 */
	size_t len;
	size_t cap;	/* allocated bytes, NUL included */
	size_t max;	/* largest len allowed */
};

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
int strbuf_append(struct strbuf *sb, const void *data, size_t len);
int strbuf_append_str(struct strbuf *sb, const char *s);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
