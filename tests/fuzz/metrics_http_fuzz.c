/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http_fuzz - libFuzzer target: metrics_http_parse() on arbitrary
 * bytes, as they would arrive from a client.
 *
 * Invariants: a known result; /metrics only for a request that starts
 * with "GET /metrics" or "HEAD /metrics"; TOO_LARGE only at the bound;
 * the answer builds for every complete result; and feeding the same bytes
 * one more byte at a time (as reads may split them) never classifies a
 * prefix differently once it is complete: the result of the first
 * complete prefix is the result for the whole.
 */
#include "metrics_http.h"

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

/* LLVMFuzzerTestOneInput - one input */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	enum metrics_http_result r;
	enum metrics_http_result first = METRICS_HTTP_INCOMPLETE;
	struct strbuf out;
	bool head;
	size_t i;

	if (size > METRICS_HTTP_REQUEST_MAX)
		size = METRICS_HTTP_REQUEST_MAX;	/* the reader's bound */
	r = metrics_http_parse(buf, size, &head);
	check(r >= METRICS_HTTP_INCOMPLETE && r <= METRICS_HTTP_TOO_LARGE);
	if (r == METRICS_HTTP_METRICS)
		check((size >= 13 && memcmp(buf, "GET /metrics", 12) == 0 &&
		       !head) ||
		      (size >= 14 && memcmp(buf, "HEAD /metrics", 13) == 0 &&
		       head));
	if (r == METRICS_HTTP_TOO_LARGE)
		check(size == METRICS_HTTP_REQUEST_MAX);
	strbuf_init(&out, 8 << 20);
	if (r != METRICS_HTTP_INCOMPLETE) {
		check(metrics_http_response(r, head, &out) == 0);
		check(out.len > 12 && memcmp(out.data, "HTTP/1.0 ", 9) == 0);
	}
	strbuf_free(&out);
	for (i = 0; i <= size && first == METRICS_HTTP_INCOMPLETE; i++)
		first = metrics_http_parse(buf, i, &head);
	if (r != METRICS_HTTP_INCOMPLETE)
		check(first == r);
	return 0;
}
