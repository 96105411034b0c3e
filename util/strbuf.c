/* SPDX-License-Identifier: BSD-2-Clause */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

/* strbuf_init - empty buffer that may hold up to max bytes */
void
strbuf_init(struct strbuf *sb, size_t max)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
	/* max + 1 (the NUL) and the doubling below must not wrap */
	sb->max = max > SIZE_MAX / 4 ? SIZE_MAX / 4 : max;
}

/* strbuf_reset - forget the contents, keep the memory */
void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data != NULL)
		sb->data[0] = '\0';
}

/* strbuf_free - release the memory; the buffer is empty again */
void
strbuf_free(struct strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

/* strbuf_append - add len bytes; -1 when the maximum would be passed */
int
strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	size_t need;

	if (len > sb->max || sb->len > sb->max - len)
		return -1;
	need = sb->len + len + 1;
	if (need > sb->cap) {
		size_t ncap = sb->cap ? sb->cap : 256;

		while (ncap < need)
			ncap *= 2;	/* need <= max + 1 <= SIZE_MAX / 4 + 1 */
		if (ncap > sb->max + 1)
			ncap = sb->max + 1;
		sb->data = xrealloc(sb->data, ncap);
		sb->cap = ncap;
	}
	if (len > 0)
		memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
	return 0;
}

/* strbuf_append_str - add a C string */
int
strbuf_append_str(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

/* strbuf_printf - add formatted text; -1 on error or over the maximum */
int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return strbuf_append(sb, tmp, (size_t)n);
}
