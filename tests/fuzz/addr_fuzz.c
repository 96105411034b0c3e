/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * addr_fuzz - libFuzzer target: addr_from_header(), addr_list_parse() and
 * addr_path_parse() on arbitrary bytes.
 *
 * libFuzzer hands over exactly size bytes (no NUL after them), so ASan
 * catches any read past len.  Besides crashes, the result must keep the
 * parser's promises: a known status, a reason whenever there is no
 * mailbox, no mailbox from input holding a NUL byte, and for a mailbox a
 * local part and a valid, lower-case domain within the RFC 5321 limits,
 * free of white space.
 */
#include "addr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* has_blank - any white space or control break in s? */
static int
has_blank(const char *s)
{
	return strpbrk(s, " \t\r\n") != NULL;
}

/* check_addr - a parsed mailbox keeps the parser's promises */
static void
check_addr(const struct addr *a)
{
	const char *d;

	check(memchr(a->local, '\0', sizeof(a->local)) != NULL);
	check(memchr(a->domain, '\0', sizeof(a->domain)) != NULL);
	check(a->local[0] != '\0' && a->domain[0] != '\0');
	check(addr_domain_is_valid(a->domain));
	check(!has_blank(a->domain));
	for (d = a->domain; *d; d++)
		check(!(*d >= 'A' && *d <= 'Z') && (unsigned char)*d < 0x80);
}

/* fuzz_list - every mailbox of the list, never more than asked for */
static void
fuzz_list(const uint8_t *data, size_t size)
{
	struct addr list[4];
	struct err e;
	size_t n = 99;
	size_t i;
	enum addr_status st;

	st = addr_list_parse("From", (const char *)data, size, list, 4, &n,
			     &e);
	check(st == ADDR_OK || st == ADDR_NONE || st == ADDR_SEVERAL ||
	      st == ADDR_BAD);
	check(n <= 4);
	if (st != ADDR_OK) {
		check(e.text[0] != '\0');
		return;
	}
	check(n >= 1);
	for (i = 0; i < n; i++)
		check_addr(&list[i]);
}

/* fuzz_path - an envelope path: NUL-terminated as the MTA gives it */
static void
fuzz_path(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct addr a;
	struct err e;
	enum addr_status st;

	check(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	st = addr_path_parse(s, &a, &e);
	check(st == ADDR_OK || st == ADDR_NONE || st == ADDR_BAD);
	if (st == ADDR_OK) {
		check_addr(&a);
		/* only a quoted local part may hold blanks or controls */
		check(a.local[0] == '"' || !has_blank(a.local));
	}
	free(s);
}

/* LLVMFuzzerTestOneInput - one input, three parsers */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	struct err e;
	enum addr_status st;
	const char *d;

	memset(&a, 0x5a, sizeof(a));
	memset(&e, 0x5a, sizeof(e));
	st = addr_from_header((const char *)data, size, &a, &e);
	check(st == ADDR_OK || st == ADDR_NONE || st == ADDR_SEVERAL ||
	      st == ADDR_BAD);
	check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
	fuzz_list(data, size);
	fuzz_path(data, size);
	/* OK means every byte was read, and a NUL byte is always refused
	 * (an earlier verdict, e.g. ADDR_SEVERAL, may come first) */
	if (size > 0 && memchr(data, '\0', size) != NULL)
		check(st != ADDR_OK);
	if (st != ADDR_OK) {
		check(e.text[0] != '\0');
		return 0;
	}
	check(memchr(a.local, '\0', sizeof(a.local)) != NULL);
	check(memchr(a.domain, '\0', sizeof(a.domain)) != NULL);
	check(a.local[0] != '\0' && a.domain[0] != '\0');
	check(strlen(a.local) <= ADDR_LOCAL_MAX);
	check(strlen(a.domain) <= ADDR_DOMAIN_MAX);
	check(addr_domain_is_valid(a.domain));
	/* blanks survive only inside a quoted local part */
	check(strchr(a.local, '"') != NULL || !has_blank(a.local));
	check(!has_blank(a.domain));
	for (d = a.domain; *d; d++)
		check(!(*d >= 'A' && *d <= 'Z'));
	return 0;
}
