/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfcheck - RFC 7208 check_host() for one SMTP identity, and the verdict
 * the configuration gives its result.
 *
 * spfcheck_host() evaluates SPF for the MAIL FROM identity (a null sender
 * is checked as postmaster@HELO, RFC 7208 2.4) or the HELO identity, over
 * any struct spfdns (the system resolver in the SPF worker process, an
 * in-memory zone in tests).  It enforces what RFC 7208 asks and libspf2
 * does not: at most 10 DNS-querying terms, at most 2 void lookups, at
 * most 10 MX or PTR names per term, strict record syntax (spfrec.h), IPv4-
 * mapped IPv6 clients checked as IPv4, correct macro expansion, and one
 * deadline for the whole evaluation (req->timeout_ms): a lookup gets at
 * most the time that is left, and once it is gone the result is
 * temperror.  The record evaluator is our own; libspf2 is not called (see
 * the README, section SPF, for why).
 *
 * The result carries what logs and headers need: the domain and identity
 * checked, the mechanism that matched (or why there was an error), the
 * explanation of a fail, and the number of lookups.  All strings are
 * bounded arrays, so a struct spfcheck_res can cross a socket as it is.
 *
 * spfcheck_verdict() maps a result to the configured action (accept,
 * header, tempfail, reject) and RFC 7372 reply codes.
 *
 * Thread-safe: no shared state.  A call takes what it needs from req and
 * writes only res.
 */
#ifndef RG_SPFCHECK_H
#define RG_SPFCHECK_H

#include <stdbool.h>

#include "conf.h"
#include "spfdns.h"
#include "txn.h"

enum spfcheck_result {
	SPFCHECK_NONE,
	SPFCHECK_NEUTRAL,
	SPFCHECK_PASS,
	SPFCHECK_FAIL,
	SPFCHECK_SOFTFAIL,
	SPFCHECK_TEMPERROR,
	SPFCHECK_PERMERROR,
};
#define SPFCHECK_NRESULTS 7

enum spfcheck_identity {
	SPFCHECK_ID_MAILFROM,
	SPFCHECK_ID_HELO,
};

#define SPFCHECK_IP_MAX 64
#define SPFCHECK_HOST_MAX 256
#define SPFCHECK_SENDER_MAX 320	/* local 64 + '@' + domain 255 */
#define SPFCHECK_TEXT_MAX 256

struct spfcheck_req {
	char ip[SPFCHECK_IP_MAX];	/* client address as text */
	char helo[SPFCHECK_HOST_MAX];	/* HELO/EHLO argument, may be "" */
	char sender[SPFCHECK_SENDER_MAX]; /* MAIL FROM without <>, "" = <> */
	char receiver[SPFCHECK_HOST_MAX]; /* our name, %{r} in exp text */
	enum spfcheck_identity identity;
	unsigned long timeout_ms;	/* the whole evaluation */
	unsigned long dns_timeout_ms;	/* one query */
};

struct spfcheck_res {
	enum spfcheck_result result;
	enum spfcheck_identity identity; /* HELO also for MAIL FROM <> */
	char ip[SPFCHECK_IP_MAX];	/* the address checked (mapped IPv6
					 * written as IPv4) */
	char helo[SPFCHECK_HOST_MAX];
	char sender[SPFCHECK_SENDER_MAX]; /* identity checked: MAIL FROM or
					   * postmaster@HELO */
	char domain[SPFCHECK_HOST_MAX];	/* its domain */
	char mechanism[SPFCHECK_TEXT_MAX]; /* that matched, "default" (no
					    * match), or "" */
	char reason[SPFCHECK_TEXT_MAX];	/* for none/temperror/permerror */
	char explanation[SPFCHECK_TEXT_MAX]; /* for fail, from exp= */
	unsigned lookups;		/* DNS-querying terms */
	unsigned void_lookups;
	unsigned long queries;		/* DNS queries sent */
	unsigned long ms;		/* time taken */
};

int spfcheck_req_init(struct spfcheck_req *req, const struct conf *c,
		      const char *ip, const char *helo, const char *sender,
		      enum spfcheck_identity id);
bool spfcheck_helo_ok(const char *helo);
bool spfcheck_want_helo(const struct conf *c, const char *sender,
			const char *helo);
void spfcheck_host(struct spfdns *dns, const struct spfcheck_req *req,
		   struct spfcheck_res *res);
void spfcheck_run(const struct spfcheck_req *req, struct spfcheck_res *res);
void spfcheck_res_error(const struct spfcheck_req *req,
			struct spfcheck_res *res, enum spfcheck_result r,
			const char *reason);
void spfcheck_res_sanitize(struct spfcheck_res *res);
const char *spfcheck_result_name(enum spfcheck_result r);
const char *spfcheck_identity_name(enum spfcheck_identity id);
int spfcheck_verdict(const struct conf *c, const struct spfcheck_res *res,
		     struct verdict *v);

#endif
