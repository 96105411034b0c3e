/* SPDX-License-Identifier: BSD-2-Clause */
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* xmalloc - malloc or die */
void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		log_panic("out of memory allocating %zu bytes", size);
	return p;
}

/* xcalloc - calloc or die; n * size is checked by calloc itself */
void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		log_panic("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

/* xrealloc - realloc or die */
void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		log_panic("out of memory reallocating %zu bytes", size);
	return q;
}

/* xreallocarray - realloc of n elements, overflow-checked */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		log_panic("allocation size overflow: %zu x %zu", n, size);
	return xrealloc(p, n * size);
}

/* xstrdup - strdup or die */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes of s, always NUL-terminated */
char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p;

	if (len == SIZE_MAX)
		log_panic("string too long");
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
