/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * xalloc - allocation that never returns NULL.
 *
 * On exhaustion these log and abort, as Postfix, OpenSMTPD and Redis do; the
 * MTA then applies its milter_default_action (tempfail in contrib/).  Sizes
 * that are products are checked for overflow (xcalloc, xreallocarray).
 * Thread-safe.
 */
#ifndef RG_XALLOC_H
#define RG_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
