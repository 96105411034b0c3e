/* SPDX-License-Identifier: BSD-2-Clause */
#include "policy_req.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "str.h"
#include "xalloc.h"

/* First allocation: a Postfix 3.7 request is 600-900 bytes. */
#define POLICY_REQ_FIRST_CAP 2048

/* Names as Postfix spells them (SMTPD_POLICY_README), by enum value. */
static const struct {
	const char *name;
	size_t len;
} policy_req_names[POLICY_ATTR_COUNT] = {
#define N(s) {s, sizeof(s) - 1}
	[POLICY_ATTR_REQUEST] = N("request"),
	[POLICY_ATTR_PROTOCOL_STATE] = N("protocol_state"),
	[POLICY_ATTR_PROTOCOL_NAME] = N("protocol_name"),
	[POLICY_ATTR_HELO_NAME] = N("helo_name"),
	[POLICY_ATTR_QUEUE_ID] = N("queue_id"),
	[POLICY_ATTR_SENDER] = N("sender"),
	[POLICY_ATTR_RECIPIENT] = N("recipient"),
	[POLICY_ATTR_RECIPIENT_COUNT] = N("recipient_count"),
	[POLICY_ATTR_CLIENT_ADDRESS] = N("client_address"),
	[POLICY_ATTR_CLIENT_NAME] = N("client_name"),
	[POLICY_ATTR_INSTANCE] = N("instance"),
	[POLICY_ATTR_SASL_USERNAME] = N("sasl_username"),
	[POLICY_ATTR_SIZE] = N("size"),
#undef N
};

#define POLICY_REQ_TYPE "smtpd_access_policy"

/* policy_req_attr_name - Postfix's name of an attribute */
const char *
policy_req_attr_name(enum policy_attr a)
{
	if ((unsigned)a >= POLICY_ATTR_COUNT)
		return "?";
	return policy_req_names[a].name;
}

/* policy_req_lookup - the attribute a name stands for, or -1 */
static int
policy_req_lookup(const char *name, size_t len)
{
	int a;

	for (a = 0; a < POLICY_ATTR_COUNT; a++)
		if (policy_req_names[a].len == len &&
		    memcmp(policy_req_names[a].name, name, len) == 0)
			return a;
	return -1;
}

/* policy_req_reset_parse - forget the request being read */
static void
policy_req_reset_parse(struct policy_req_reader *r)
{
	r->line = 0;
	r->scan = 0;
	r->nattrs = 0;
	memset(r->voff, 0, sizeof(r->voff));
}

/* policy_req_reader_init - an empty reader with these limits */
void
policy_req_reader_init(struct policy_req_reader *r,
		       const struct policy_req_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->lim = *lim;
	/* a line must fit in a request and a request must hold something */
	if (r->lim.max_request < 2)
		r->lim.max_request = 2;
}

/* policy_req_reader_free - release the buffer; the reader may be reused
 * after policy_req_reader_init */
void
policy_req_reader_free(struct policy_req_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
	r->len = 0;
}

/* policy_req_drop_out - forget the request handed out last */
static void
policy_req_drop_out(struct policy_req_reader *r)
{
	if (r->out == 0)
		return;
	/* Postfix waits for each reply, so usually nothing follows */
	if (r->len > r->out)
		memmove(r->buf, r->buf + r->out, r->len - r->out);
	r->len -= r->out;
	r->out = 0;
	policy_req_reset_parse(r);
}

/* policy_req_space - where the next bytes go; *avail is 0 when the
 * buffer holds max_request bytes (the reader then has failed) */
char *
policy_req_space(struct policy_req_reader *r, size_t *avail)
{
	size_t hard = r->lim.max_request;

	policy_req_drop_out(r);
	if (r->len == r->cap && r->cap < hard) {
		size_t cap = r->cap ? r->cap * 2 : POLICY_REQ_FIRST_CAP;

		if (cap > hard || cap < r->cap)
			cap = hard;
		r->buf = xrealloc(r->buf, cap);
		r->cap = cap;
	}
	*avail = r->cap - r->len;
	return r->buf + r->len;
}

/* policy_req_space_append - where more bytes go without moving or
 * growing the buffer, so that a handed-out request stays valid (a worker
 * may be reading it); *avail is 0 when the buffer is full */
char *
policy_req_space_append(struct policy_req_reader *r, size_t *avail)
{
	*avail = r->cap - r->len;
	return r->buf + r->len;
}

/* policy_req_commit - n bytes were written at policy_req_space() or
 * policy_req_space_append() */
void
policy_req_commit(struct policy_req_reader *r, size_t n)
{
	if (n > r->cap - r->len)
		n = r->cap - r->len;	/* a caller bug: never trust it */
	r->len += n;
}

/* policy_req_feed - copy bytes in; returns how many fitted */
size_t
policy_req_feed(struct policy_req_reader *r, const void *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t avail;
		char *p = policy_req_space(r, &avail);
		size_t n = len - done < avail ? len - done : avail;

		if (n == 0)
			break;
		memcpy(p, (const char *)data + done, n);
		policy_req_commit(r, n);
		done += n;
	}
	return done;
}

/* policy_req_buffered - bytes held beyond a handed-out request: a partial
 * (or a further pipelined) request */
size_t
policy_req_buffered(const struct policy_req_reader *r)
{
	return r->len - r->out;
}

/* policy_req_trim - give a big buffer back when nothing is held, so an
 * idle connection keeps at most the first allocation */
void
policy_req_trim(struct policy_req_reader *r)
{
	policy_req_drop_out(r);
	if (r->len == 0 && r->cap > POLICY_REQ_FIRST_CAP) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
}

/* policy_req_fail - the reader is broken for good; -1 */
static int
policy_req_fail(struct policy_req_reader *r)
{
	r->failed = true;
	return -1;
}

/* policy_req_finish - the empty line was read: check and hand out */
static int
policy_req_finish(struct policy_req_reader *r, struct policy_req *req,
		  struct err *e)
{
	size_t a;

	memset(req, 0, sizeof(*req));
	for (a = 0; a < POLICY_ATTR_COUNT; a++) {
		if (r->voff[a] == 0)
			continue;
		req->value[a] = r->buf + r->voff[a] - 1;
		req->len[a] = r->vlen[a];
	}
	if (req->value[POLICY_ATTR_REQUEST] == NULL) {
		err_set(e, "request without a request= attribute");
		return policy_req_fail(r);
	}
	if (strcmp(req->value[POLICY_ATTR_REQUEST], POLICY_REQ_TYPE) != 0) {
		char safe[64];

		log_safe(safe, sizeof(safe), req->value[POLICY_ATTR_REQUEST],
			 req->len[POLICY_ATTR_REQUEST]);
		err_set(e, "request=%s is not " POLICY_REQ_TYPE, safe);
		return policy_req_fail(r);
	}
	req->nattrs = r->nattrs;
	req->size = r->scan;
	r->out = r->scan;
	return 1;
}

/* policy_req_attr - one complete "name=value" line of llen bytes at
 * r->line (newline and carriage return excluded) */
static int
policy_req_attr(struct policy_req_reader *r, size_t llen, struct err *e)
{
	char *line = r->buf + r->line;
	char *eq;
	int a;

	if (++r->nattrs > r->lim.max_attrs) {
		err_set(e, "more than %zu attributes in one request",
			r->lim.max_attrs);
		return policy_req_fail(r);
	}
	eq = memchr(line, '=', llen);
	if (eq == NULL || eq == line) {
		char safe[64];

		log_safe(safe, sizeof(safe), line, llen);
		err_set(e, "attribute line %zu %s: \"%s\"", r->nattrs,
			eq == NULL ? "has no '='" : "has an empty name", safe);
		return policy_req_fail(r);
	}
	*eq = '\0';
	line[llen] = '\0';	/* over the newline or the carriage return */
	a = policy_req_lookup(line, (size_t)(eq - line));
	if (a >= 0) {	/* the last one counts */
		r->voff[a] = (size_t)(eq + 1 - r->buf) + 1;
		r->vlen[a] = llen - (size_t)(eq + 1 - line);
	}
	return 0;
}

/* policy_req_next - the next complete request: 1 and *req filled, 0 when
 * more bytes are needed, -1 on a protocol error (reason in e) */
int
policy_req_next(struct policy_req_reader *r, struct policy_req *req,
		struct err *e)
{
	policy_req_drop_out(r);
	if (r->failed) {
		err_set(e, "request reader already failed");
		return -1;
	}
	while (r->scan < r->len) {
		char *start = r->buf + r->scan;
		char *nl = memchr(start, '\n', r->len - r->scan);
		size_t upto = nl ? (size_t)(nl - r->buf) : r->len;
		size_t llen;

		if (memchr(start, '\0', upto - r->scan) != NULL) {
			err_set(e, "NUL byte in attribute line %zu",
				r->nattrs + 1);
			return policy_req_fail(r);
		}
		r->scan = upto;
		if (upto - r->line > r->lim.max_line) {
			err_set(e, "attribute line %zu longer than %zu bytes",
				r->nattrs + 1, r->lim.max_line);
			return policy_req_fail(r);
		}
		if (nl == NULL)
			break;
		r->scan = upto + 1;
		llen = upto - r->line;
		if (llen > 0 && r->buf[upto - 1] == '\r')
			llen--;
		if (llen == 0)
			return policy_req_finish(r, req, e);
		if (policy_req_attr(r, llen, e) < 0)
			return -1;
		r->line = r->scan;
	}
	if (r->len >= r->lim.max_request) {
		err_set(e, "request larger than %zu bytes",
			r->lim.max_request);
		return policy_req_fail(r);
	}
	return 0;
}
