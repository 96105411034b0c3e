/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * authres - the SPF result as header fields, and who claims an existing
 * Authentication-Results field.
 *
 * authres_spf() writes an Authentication-Results value (RFC 8601):
 *	mx.example.net; spf=pass (mechanism ip4:192.0.2.0/24 matched)
 *	    smtp.mailfrom=ann@example.com
 * authres_received_spf() writes a Received-SPF value (RFC 7208 9.1):
 *	pass (mx.example.net: ...) client-ip=192.0.2.7;
 *	    envelope-from="ann@example.com"; helo=h.example.com; ...
 * Values that are not tokens are quoted, comments escaped; text from the
 * wire must already be printable US-ASCII (spfcheck_res_sanitize()).
 * Values are unfolded, without CRLF: the milter adds them as they are.
 *
 * authres_claims() reads the authserv-id of an existing field (RFC 8601
 * 2.2: after optional comments and white space; a token or a quoted
 * string; compared without case and without a trailing dot) and tells
 * whether it is ours, another's, or unreadable.  The milter removes every
 * field that is not AUTHRES_OTHER before adding its own, from the last
 * index down, so that nobody can forge our results (see CVE-2022-48521
 * for what happens otherwise).
 *
 * authres_serv_id() gives the configured authserv_id, or the host name.
 * All functions are thread-safe and write only their output buffers;
 * they return 0, or -1 when the output does not fit.
 */
#ifndef RG_AUTHRES_H
#define RG_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* What an SPF header says; every string may be "" but not NULL. */
struct authres_spf_info {
	const char *result;	/* "pass", "fail", ... */
	const char *identity;	/* "mailfrom" or "helo" */
	const char *sender;	/* MAIL FROM, or postmaster@HELO */
	const char *helo;
	const char *ip;
	const char *mechanism;	/* that matched */
	const char *problem;	/* why none/temperror/permerror */
};

enum authres_claim {
	AUTHRES_OTHER,		/* another authserv-id */
	AUTHRES_OURS,		/* ours: remove it */
	AUTHRES_MALFORMED,	/* no authserv-id can be read: remove it */
};

int authres_serv_id(const struct conf *c, char *out, size_t size);
int authres_spf_value(const char *servid,
		      const struct authres_spf_info *in, char *out,
		      size_t size);
int authres_received_spf_value(const char *servid,
			       const struct authres_spf_info *in, char *out,
			       size_t size);
enum authres_claim authres_claims(const char *value, size_t len,
				  const char *servid);

#endif
