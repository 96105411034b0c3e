/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_fuzz - libFuzzer target: the policy request reader on arbitrary
 * byte streams, cut into pieces the way a socket might deliver them.
 *
 * The first input byte chooses the limits (small ones reach every limit
 * quickly) and the second the piece size; the rest is the stream.  Besides
 * crashes, the reader must keep its promises: every handed-out request has
 * request=smtpd_access_policy, its values are NUL-terminated, inside the
 * buffer, free of NUL and newline, of the stated length; the buffer never
 * grows past max_request; a request never exceeds max_request bytes or
 * max_attrs lines; the same stream fed whole gives the same requests (and
 * the same error) as fed in pieces.
 */
#include "policy_req.h"

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

/* digest - a running hash of the requests seen, to compare two runs */
static uint64_t
digest(uint64_t h, const struct policy_req *req)
{
	size_t a;
	size_t i;

	for (a = 0; a < POLICY_ATTR_COUNT; a++) {
		h = h * 1099511628211ULL ^ (req->value[a] ? req->len[a] : ~0UL);
		for (i = 0; req->value[a] && i < req->len[a]; i++)
			h = h * 1099511628211ULL ^ (uint8_t)req->value[a][i];
	}
	return h * 1099511628211ULL ^ req->size;
}

/* check_req - the invariants of one handed-out request */
static void
check_req(const struct policy_req_reader *r, const struct policy_req *req)
{
	size_t a;

	check(req->value[POLICY_ATTR_REQUEST] != NULL);
	check(strcmp(req->value[POLICY_ATTR_REQUEST],
		     "smtpd_access_policy") == 0);
	check(req->size <= r->lim.max_request);
	check(req->nattrs <= r->lim.max_attrs);
	for (a = 0; a < POLICY_ATTR_COUNT; a++) {
		const char *v = req->value[a];

		if (v == NULL)
			continue;
		check(v >= r->buf && v + req->len[a] < r->buf + r->cap);
		check(v[req->len[a]] == '\0');
		check(memchr(v, '\0', req->len[a]) == NULL);
		check(memchr(v, '\n', req->len[a]) == NULL);
		check(req->len[a] <= r->lim.max_line);
	}
}

/* run - feed the stream in pieces of piece bytes; a digest of what came
 * out, with *rc the last policy_req_next() result */
static uint64_t
run(const struct policy_req_limits *lim, const uint8_t *s, size_t len,
    size_t piece, int *rc)
{
	struct policy_req_reader r;
	struct policy_req req;
	struct err e;
	uint64_t h = 14695981039346656037ULL;
	size_t off = 0;

	policy_req_reader_init(&r, lim);
	*rc = 0;
	while (off < len && *rc >= 0) {
		size_t n = len - off < piece ? len - off : piece;
		size_t took = policy_req_feed(&r, s + off, n);

		off += took;
		while ((*rc = policy_req_next(&r, &req, &e)) == 1) {
			check_req(&r, &req);
			h = digest(h, &req);
		}
		check(r.cap <= lim->max_request);
		if (*rc < 0)
			check(e.text[0] != '\0');
		else if (took == 0)
			abort();	/* full, yet no request and no error */
	}
	policy_req_trim(&r);
	policy_req_reader_free(&r);
	return h;
}

/* LLVMFuzzerTestOneInput - one stream, fed whole and in pieces */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct policy_req_limits lims[4] = {
		{4096, 128, 32768},	/* the defaults */
		{16, 4, 64},
		{64, 8, 256},
		{1, 8, 2},
	};
	const struct policy_req_limits *lim;
	size_t piece;
	int rc1;
	int rc2;
	uint64_t h1;
	uint64_t h2;

	if (size < 2)
		return 0;
	lim = &lims[data[0] & 3];
	piece = (size_t)data[1] + 1;
	h1 = run(lim, data + 2, size - 2, size, &rc1);
	h2 = run(lim, data + 2, size - 2, piece, &rc2);
	check(h1 == h2 && rc1 == rc2);
	return 0;
}
