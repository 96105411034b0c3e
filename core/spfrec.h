/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfrec - SPF record syntax (RFC 7208 4.5, 4.6, 5, 6, 7): parse and
 * validate one "v=spf1" record, check and expand macro strings.
 *
 * spfrec_parse() reads the whole record before anything is evaluated, as
 * RFC 7208 4.6 asks: any syntax error anywhere (unknown mechanism, bad
 * CIDR length, a domain-spec whose last label is numeric or that has a
 * port, an empty domain-spec after "a:", "mx:", "exists:", a malformed
 * macro, a byte outside printable US-ASCII, a duplicate "redirect=" or
 * "exp=") makes the record unusable: the caller answers permerror with the
 * reason written into the struct err.  Unknown modifiers are checked for
 * syntax and otherwise ignored.  Prefix lengths 0 are valid ("/0").
 *
 * spfrec_expand() expands macros (RFC 7208 7) from the values the caller
 * gives.  It splits, reverses and truncates ("%{d2}", "%{l1r+-}") as the
 * RFC says, keeping every part when fewer parts exist than asked (libspf2
 * drops a character there), and leaves '+' in local parts alone.
 *
 * A struct spfrec owns its memory (spfrec_free()); term strings point into
 * it.  Everything here is pure computation: thread-safe, no I/O.
 */
#ifndef RG_SPFREC_H
#define RG_SPFREC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Longest record we accept (all TXT strings joined).  RFC 7208 sets no
 * limit; 450 bytes fit one UDP answer, real records stay far below this. */
#define SPFREC_TEXT_MAX 8192
/* Longest macro expansion before truncation to a domain name. */
#define SPFREC_EXPAND_MAX 16384
/* A domain name in text form (RFC 7208 4.8: 253 after truncation). */
#define SPFREC_NAME_MAX 253

enum spfrec_mech {
	SPFREC_ALL,
	SPFREC_INCLUDE,
	SPFREC_A,
	SPFREC_MX,
	SPFREC_PTR,
	SPFREC_IP4,
	SPFREC_IP6,
	SPFREC_EXISTS,
};

struct spfrec_term {
	enum spfrec_mech mech;
	char qual;		/* '+', '-', '~' or '?' */
	const char *domain;	/* domain-spec as written, NULL: current */
	unsigned char addr[16];	/* ip4 (4 bytes) or ip6 network */
	int cidr4;		/* prefix length; -1 when not given */
	int cidr6;
	const char *text;	/* the term as written, for logs */
};

struct spfrec {
	char *buf;		/* owned copy of the record, split in place */
	struct spfrec_term *terms;
	size_t nterms;
	const char *redirect;	/* domain-spec, or NULL */
	const char *exp;	/* domain-spec, or NULL */
};

/* The values macros expand to (RFC 7208 7.2).  p is asked for only when
 * a record uses %{p} (it costs DNS lookups); r, t and c only in exp text. */
struct spfrec_macros {
	const char *s;		/* sender: local@domain */
	const char *l;		/* local part */
	const char *o;		/* domain of the sender */
	const char *d;		/* current domain */
	const char *i;		/* IP: dotted quad or 32 dotted nibbles */
	const char *v;		/* "in-addr" or "ip6" */
	const char *h;		/* HELO/EHLO domain */
	const char *c;		/* IP in its usual text form */
	const char *r;		/* our own host name */
	const char *t;		/* seconds since the epoch */
	const char *(*p)(void *arg);	/* validated client name */
	void *parg;
};

bool spfrec_is_spf1(const char *text, size_t len);
int spfrec_parse(const char *text, size_t len, struct spfrec *r,
		 struct err *e);
void spfrec_free(struct spfrec *r);
const char *spfrec_mech_name(enum spfrec_mech m);

int spfrec_macro_check(const char *s, bool exp, struct err *e);
bool spfrec_domain_spec_ok(const char *s, struct err *e);
int spfrec_expand(const char *s, const struct spfrec_macros *m, bool exp,
		  char *out, size_t size, struct err *e);
int spfrec_expand_name(const char *s, const struct spfrec_macros *m,
		       char *out, size_t size, struct err *e);

#endif
