/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * str - bounded string helpers and strict number parsing.
 *
 * str_copy() and str_format() report truncation (-1) instead of hiding it:
 * for identities (addresses, domains, selectors, keys) truncation is an
 * error.  str_to_*() parse the whole string or fail: empty strings, trailing
 * junk, signs on unsigned values and out-of-range values are rejected.
 * Thread-safe, no allocation.
 */
#ifndef RG_STR_H
#define RG_STR_H

#include <stdbool.h>
#include <stddef.h>

int str_copy(char *dst, size_t size, const char *src);
int str_copyn(char *dst, size_t size, const char *src, size_t len);
int str_format(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void str_lower(char *s);
char *str_trim(char *s);
bool str_eq_nocase(const char *a, const char *b);
bool str_has_suffix_nocase(const char *s, const char *suffix);

int str_to_ulong(const char *s, int base, unsigned long max,
		 unsigned long *out);

#endif
