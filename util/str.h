/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * str - bounded string helpers and strict number parsing.
 *
 * str_copy() and str_format() report truncation (-1) instead of hiding it:
 * for identities (addresses, domains, selectors, keys) truncation is an
 * error.  str_to_*() parse the whole string or fail: empty strings, trailing
 * junk, signs on unsigned values and out-of-range values are rejected.
 * str_hexval() and str_b64val() give a digit's value, -1 for a byte that
 * is not one (base64: the standard alphabet, RFC 4648 section 4).
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
int str_hexval(char c);
int str_b64val(char c);

#endif
