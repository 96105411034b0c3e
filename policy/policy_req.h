/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_req - the Postfix policy delegation request reader.
 *
 * A request (Postfix SMTPD_POLICY_README) is a sequence of "name=value"
 * lines ended by an empty line.  The reader takes bytes as they come off a
 * socket, split anywhere, several requests in one read (pipelining), and
 * hands out complete requests one at a time.  It holds one bounded buffer:
 * the caller reads into policy_req_space() and reports the count with
 * policy_req_commit(), or copies bytes in with policy_req_feed().
 *
 * Rules: a line without '=', an empty name, a NUL byte anywhere, a line
 * longer than max_line bytes (newline excluded), more than max_attrs lines
 * or more than max_request bytes in one request, and a request without
 * "request=smtpd_access_policy" are protocol errors: the server must then
 * log a warning and close without a reply.  A NUL byte or an over-long
 * line is found as soon as it arrives, not when its newline does.  One
 * carriage return before a newline is dropped (hand-typed tests).  Names
 * are split at the first '=', so values may hold '='.  Unknown attributes
 * are ignored, as the protocol asks.  An attribute given twice: the last
 * value counts.
 *
 * Values of the known attributes come back NUL-terminated, pointing into
 * the reader's buffer: valid until the next call of policy_req_next(),
 * policy_req_feed(), policy_req_space(), policy_req_trim() or
 * policy_req_reader_free(); policy_req_space_append() and
 * policy_req_commit() leave them alone (more bytes may be read while a
 * request is still being answered).  After
 * an error the reader stays failed.  No I/O, no globals; one reader per
 * connection, one thread at a time.
 */
#ifndef RG_POLICY_REQ_H
#define RG_POLICY_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The attributes relayguard-policyd reads; every other one is ignored. */
enum policy_attr {
	POLICY_ATTR_REQUEST,
	POLICY_ATTR_PROTOCOL_STATE,
	POLICY_ATTR_PROTOCOL_NAME,
	POLICY_ATTR_HELO_NAME,
	POLICY_ATTR_QUEUE_ID,
	POLICY_ATTR_SENDER,
	POLICY_ATTR_RECIPIENT,
	POLICY_ATTR_RECIPIENT_COUNT,
	POLICY_ATTR_CLIENT_ADDRESS,
	POLICY_ATTR_CLIENT_NAME,
	POLICY_ATTR_INSTANCE,
	POLICY_ATTR_SASL_USERNAME,
	POLICY_ATTR_SIZE,
	POLICY_ATTR_COUNT
};

struct policy_req_limits {
	size_t max_line;	/* bytes of one line, newline excluded */
	size_t max_attrs;	/* lines in one request */
	size_t max_request;	/* bytes of one request, empty line included */
};

/* One complete request. */
struct policy_req {
	const char *value[POLICY_ATTR_COUNT];	/* NULL when absent */
	size_t len[POLICY_ATTR_COUNT];
	size_t nattrs;		/* attribute lines, known or not */
	size_t size;		/* bytes, empty line included */
};

struct policy_req_reader {
	struct policy_req_limits lim;
	char *buf;
	size_t cap;		/* allocated bytes */
	size_t len;		/* bytes held */
	size_t line;		/* offset of the line being read */
	size_t scan;		/* bytes before this were checked */
	size_t nattrs;		/* lines of the request being read */
	size_t voff[POLICY_ATTR_COUNT];	/* value offset + 1; 0: absent */
	size_t vlen[POLICY_ATTR_COUNT];
	size_t out;		/* >0: a request of this size was handed out */
	bool failed;
};

void policy_req_reader_init(struct policy_req_reader *r,
			    const struct policy_req_limits *lim);
void policy_req_reader_free(struct policy_req_reader *r);
char *policy_req_space(struct policy_req_reader *r, size_t *avail);
char *policy_req_space_append(struct policy_req_reader *r, size_t *avail);
void policy_req_commit(struct policy_req_reader *r, size_t n);
size_t policy_req_feed(struct policy_req_reader *r, const void *data,
		       size_t len);
int policy_req_next(struct policy_req_reader *r, struct policy_req *req,
		    struct err *e);
size_t policy_req_buffered(const struct policy_req_reader *r);
void policy_req_trim(struct policy_req_reader *r);
const char *policy_req_attr_name(enum policy_attr a);

#endif
