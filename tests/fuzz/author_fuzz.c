/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * author_fuzz - libFuzzer target: one author field body (From:, Sender:,
 * Resent-*) through both readers (addr_list_each strict, addrscan_field
 * lenient) and the judgement they feed (author_judge), for a SASL login
 * and for an outside client.
 *
 * Besides crashes and reads past the input (no NUL follows the bytes), the
 * invariants an attacker would try to break:
 *   - every domain the strict reader reports, the lenient one reports too
 *     (what the milter checks is never less than what a client shows);
 *   - a field is never "nobody" when any address token is in it, and
 *     "nobody" only when the strict reader found no mailbox;
 *   - a login: ok only when the strict reader read the field and the
 *     login owns every mailbox; not-owned names a mailbox it does not
 *     own; a field the strict reader cannot read is unreadable;
 *   - an outside client: ours names one of our domains; when the finding
 *     is not ours, no mailbox (strict reading) or, for an unreadable
 *     field, no address a client would show (lenient reading) is ours;
 *   - every address reported is normalised: a host name in lower case,
 *     ASCII (A-labels), within the RFC 5321 limits.
 */
#include "author.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Our domains, and what the login alice@a.example owns (herself and the
 * whole of b.example). */
static const char *const ours_list[] = {
	"a.example", "b.example", "xn--bcher-kva.example",
};
static struct owner_map *map;
static const struct owner_opts opts = {true, false, 0};
#define LOGIN "alice@a.example"

/* fail - an invariant does not hold: say which, abort (a libFuzzer
 * crash) */
static void
fail(int line)
{
	fprintf(stderr, "author_fuzz: invariant at line %d broken\n", line);
	abort();
}

#define check(ok) ((ok) ? (void)0 : fail(__LINE__))

/* is_ours - author_ours_fn over ours_list */
static bool
is_ours(const void *arg, const char *domain)
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(ours_list) / sizeof(ours_list[0]); i++)
		if (strcmp(domain, ours_list[i]) == 0)
			return true;
	return false;
}

/* What one reader reported. */
#define SEEN_MAX 64
struct seen {
	char domains[SEEN_MAX][ADDR_DOMAIN_MAX + 1];
	size_t n;		/* reported */
	size_t kept;		/* of those, in domains[] */
	bool any_ours;
	bool any_not_owned;	/* by the login */
};

/* check_addr - a reported address keeps the readers' promises */
static void
check_addr(const struct addr *a)
{
	const char *d;

	check(memchr(a->local, '\0', sizeof(a->local)) != NULL);
	check(memchr(a->domain, '\0', sizeof(a->domain)) != NULL);
	check(a->domain[0] != '\0');
	check(addr_domain_is_valid(a->domain));
	for (d = a->domain; *d; d++)
		check(!(*d >= 'A' && *d <= 'Z') && (unsigned char)*d < 0x80 &&
		      *d > ' ');
}

/* seen_one - addr_each_fn: note one address */
static void
seen_one(void *arg, const struct addr *a)
{
	struct seen *s = arg;

	check_addr(a);
	if (s->kept < SEEN_MAX)
		memcpy(s->domains[s->kept++], a->domain, sizeof(a->domain));
	s->n++;
	if (is_ours(NULL, a->domain))
		s->any_ours = true;
	if (!owner_may_send_as(map, &opts, LOGIN, a))
		s->any_not_owned = true;
}

/* seen_has - did the reader report this domain? */
static bool
seen_has(const struct seen *s, const char *domain)
{
	size_t i;

	for (i = 0; i < s->kept; i++)
		if (strcmp(s->domains[i], domain) == 0)
			return true;
	return s->kept < s->n;	/* not all kept: cannot tell */
}

/* check_login - the judgement for the login */
static void
check_login(const char *v, size_t len, enum addr_status st,
	    const struct seen *strict, size_t tokens)
{
	struct author_policy p = {LOGIN, map, &opts, NULL, NULL};
	struct author_finding f;

	author_judge(&p, "From", v, len, &f);
	check(memchr(f.why, '\0', sizeof(f.why)) != NULL);
	check(!f.lenient);
	switch (f.result) {
	case AUTHOR_OK:
		check(st == ADDR_OK && !strict->any_not_owned);
		check(f.naddrs == strict->n);
		break;
	case AUTHOR_NOT_OWNED:
		check(st == ADDR_OK && strict->any_not_owned);
		check_addr(&f.addr);
		check(!owner_may_send_as(map, &opts, LOGIN, &f.addr));
		break;
	case AUTHOR_NOBODY:
		check(st == ADDR_NONE && tokens == 0);
		break;
	case AUTHOR_UNREADABLE:
		check(st == ADDR_BAD || (st == ADDR_NONE && tokens > 0));
		check(f.why[0] != '\0');
		break;
	default:
		check(0);
	}
}

/* check_outside - the judgement for an outside client */
static void
check_outside(const char *v, size_t len, enum addr_status st,
	      const struct seen *strict, const struct seen *lenient,
	      size_t tokens)
{
	struct author_policy p = {NULL, NULL, NULL, is_ours, NULL};
	struct author_finding f;

	author_judge(&p, "From", v, len, &f);
	check(memchr(f.why, '\0', sizeof(f.why)) != NULL);
	switch (f.result) {
	case AUTHOR_OURS:
		check_addr(&f.addr);
		check(is_ours(NULL, f.addr.domain));
		check(f.lenient == (st != ADDR_OK));
		break;
	case AUTHOR_OK:
		check(st == ADDR_OK && !strict->any_ours && !f.lenient);
		break;
	case AUTHOR_NOBODY:
		check(st == ADDR_NONE && tokens == 0);
		break;
	case AUTHOR_UNREADABLE:
		check(st != ADDR_OK && f.lenient && !lenient->any_ours);
		check(f.naddrs == lenient->n);
		break;
	default:
		check(0);
	}
	/* never less than a client shows, for a field we cannot read */
	if (st != ADDR_OK && lenient->any_ours)
		check(f.result == AUTHOR_OURS);
	if (st == ADDR_OK && strict->any_ours)
		check(f.result == AUTHOR_OURS);
}

/* LLVMFuzzerTestOneInput - one field body */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen strict;
	static struct seen lenient;
	const char *v = (const char *)data;
	struct err e;
	enum addr_status st;
	size_t tokens;
	size_t i;

	if (map == NULL) {
		static char text[] = LOGIN " " LOGIN ", @b.example\n";
		FILE *fp = fmemopen(text, strlen(text), "r");

		check(fp != NULL);
		check(owner_map_load_stream(fp, "map", &map, &e) == 0);
		(void)fclose(fp);
	}
	memset(&strict, 0, sizeof(strict));
	memset(&lenient, 0, sizeof(lenient));
	memset(&e, 0x5a, sizeof(e));
	st = addr_list_each("From", v, size, seen_one, &strict, &e);
	check(st == ADDR_OK || st == ADDR_NONE || st == ADDR_BAD);
	check(memchr(e.text, '\0', sizeof(e.text)) != NULL);
	if (st != ADDR_OK)
		check(e.text[0] != '\0');
	if (st == ADDR_OK)
		check(strict.n > 0);
	if (size > 0 && memchr(data, '\0', size) != NULL)
		check(st == ADDR_BAD);
	tokens = addrscan_field(v, size, seen_one, &lenient);
	check(lenient.n <= tokens);
	/* the lenient reader sees at least what the strict one reads */
	if (st == ADDR_OK)
		for (i = 0; i < strict.kept; i++)
			check(seen_has(&lenient, strict.domains[i]));
	check_login(v, size, st, &strict, tokens);
	check_outside(v, size, st, &strict, &lenient, tokens);
	return 0;
}
