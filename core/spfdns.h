/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfdns - the DNS lookups of one SPF evaluation, behind one small table
 * of operations with two implementations:
 *
 *   spfdns_resolver_new()	the name servers of /etc/resolv.conf, asked by
 *				our own small stub (UDP, TCP after a truncated
 *				answer; random id and source port, answers
 *				checked against the question): every query
 *				ends within the time it is given, to the
 *				millisecond, however many servers are listed
 *				(glibc's res_nquery counts whole seconds and
 *				waits again for each further server);
 *				spfdns_resolver_server() points it at one
 *				server instead (tests);
 *   spfdns_zone_new()		an in-memory zone for unit tests, fuzzing
 *				and the test driver: no network at all.
 *
 * A lookup returns one of SPFDNS_OK (answers in the struct), SPFDNS_NONE
 * (NXDOMAIN or no record of that type: a "void lookup" in RFC 7208 4.6.4
 * terms) or SPFDNS_TEMP (timeout, SERVFAIL, REFUSED, anything else: a
 * temperror).  The name servers are tried in turn, each with an equal
 * share of the time left.  Names are refused (SPFDNS_NONE, never sent)
 * only when DNS cannot carry them: empty or over-long labels, more than
 * 253 bytes.  Any other byte is sent as it is, so a name that RFC 7208
 * macros expanded to spaces or '%' ("%_", "%%", "%-") is asked for as
 * expanded.
 *
 * An spfdns object belongs to one evaluation, used by one thread.  Answers
 * are owned by the struct spfdns_answer until spfdns_answer_free().
 */
#ifndef RG_SPFDNS_H
#define RG_SPFDNS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum spfdns_type {
	SPFDNS_A = 1,
	SPFDNS_PTR = 12,
	SPFDNS_MX = 15,
	SPFDNS_TXT = 16,
	SPFDNS_AAAA = 28,
};

enum spfdns_status {
	SPFDNS_OK,
	SPFDNS_NONE,	/* NXDOMAIN or NODATA */
	SPFDNS_TEMP,	/* try again later */
};

/* One record: A/AAAA in addr; MX (exchange), PTR (name) and TXT (all
 * strings joined, may hold any byte) in text/len. */
struct spfdns_rr {
	unsigned char addr[16];
	char *text;
	size_t len;
};

struct spfdns_answer {
	struct spfdns_rr *rr;
	size_t n;
};

struct spfdns;

/* A lookup: name without trailing dot, timeout in ms (> 0). */
typedef enum spfdns_status (*spfdns_lookup_fn)(struct spfdns *d,
					       const char *name,
					       enum spfdns_type type,
					       long timeout_ms,
					       struct spfdns_answer *ans,
					       struct err *e);

struct spfdns *spfdns_resolver_new(struct err *e);
int spfdns_resolver_server(struct spfdns *d, const char *ip, unsigned port,
			   struct err *e);
struct spfdns *spfdns_zone_new(void);
int spfdns_zone_add(struct spfdns *z, const char *name, const char *type,
		    const char *data, size_t len, struct err *e);
int spfdns_zone_add_line(struct spfdns *z, const char *line, struct err *e);
int spfdns_zone_load(struct spfdns *z, const char *path, struct err *e);
void spfdns_free(struct spfdns *d);

enum spfdns_status spfdns_lookup(struct spfdns *d, const char *name,
				 enum spfdns_type type, long timeout_ms,
				 struct spfdns_answer *ans, struct err *e);
void spfdns_answer_free(struct spfdns_answer *ans);
bool spfdns_name_ok(const char *name);
unsigned long spfdns_queries(const struct spfdns *d);

#endif
