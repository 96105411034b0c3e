/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * redis_reply_fuzz - libFuzzer target: bytes from a (hostile) Redis server
 * through the capped hiredis reader rconn installs, every reply through
 * limit_redis_parse(), the limit script's reply checker; and the same
 * bytes through the compact reader (integers into a fixed array, no
 * allocation: what the limit decisions use) and
 * limit_redis_parse_ints().
 *
 * The reader must refuse oversized arrays before allocating (at most
 * RCONN_MAX_ELEMENTS elements in all per reply); the checker must accept
 * only an array of exactly 2 + 6 * rows integers in range and fill rows
 * that keep those ranges.  ASan/UBSan catch any read past a reply.
 */
#include "limit_redis.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort (a libFuzzer crash) when an invariant does not hold */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* count - array elements in a reply tree */
static size_t
count(const redisReply *r)
{
	size_t n = 0;
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY)
		return 0;
	n = r->elements;
	for (i = 0; i < r->elements; i++)
		n += count(r->element[i]);
	return n;
}

/* compact - the stream through the compact reader and its checker */
static void
compact(const uint8_t *data, size_t size)
{
	redisReader *rd = rconn_reader_new();
	static struct rconn_ints x;
	struct limit_row rows[LIMIT_HITS_MAX];
	enum limit_code code;
	uint64_t now = 0;
	struct err e;
	int guard;
	size_t nrows;
	size_t i;

	check(rd != NULL);
	if (redisReaderFeed(rd, (const char *)data, size) != REDIS_OK) {
		rconn_reader_free(rd);
		return;
	}
	for (guard = 0; guard < 1000; guard++) {
		if (rconn_reader_compact(rd, &x) < 0)
			break;
		check(x.n <= RCONN_INTS_MAX);
		nrows = x.type == REDIS_REPLY_ARRAY && x.n > 1 ? (x.n - 2) / 6
							       : 1;
		if (nrows > LIMIT_HITS_MAX)
			nrows = LIMIT_HITS_MAX;
		if (limit_redis_parse_ints(&x, nrows, &code, &now, rows,
					   &e) == 0) {
			check(!x.bad && x.type == REDIS_REPLY_ARRAY);
			check(code <= LIMIT_CODE_LATE);
			check(x.n == 2 + 6 * nrows || x.n == 2);
			check(now == (uint64_t)x.v[1]);
			for (i = 0; code != LIMIT_CODE_LATE && i < nrows; i++) {
				check(rows[i].state <= LIMIT_STATE_DRY_OVER);
				check(rows[i].amount <= LIMIT_AMOUNT_MAX);
				check(rows[i].period_ms <= LIMIT_PERIOD_MAX);
			}
		} else {
			check(e.text[0] != '\0');
		}
	}
	rconn_reader_free(rd);
}

/* LLVMFuzzerTestOneInput - one stream of replies */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *rd = rconn_reader_new();
	struct limit_row rows[LIMIT_HITS_MAX];
	int guard;

	check(rd != NULL);
	if (redisReaderFeed(rd, (const char *)data, size) != REDIS_OK) {
		rconn_reader_free(rd);
		return 0;
	}
	for (guard = 0; guard < 1000; guard++) {
		void *rep = NULL;
		const redisReply *r;
		enum limit_code code;
		struct err e;
		size_t nrows;
		size_t i;

		rconn_reader_budget(rd);
		if (redisReaderGetReply(rd, &rep) != REDIS_OK || rep == NULL)
			break;
		r = rep;
		check(count(r) <= RCONN_MAX_ELEMENTS);
		/* as many rows as the array could hold, and one off */
		nrows = r->type == REDIS_REPLY_ARRAY && r->elements > 1
				? (r->elements - 2) / 6 : 1;
		if (nrows > LIMIT_HITS_MAX)
			nrows = LIMIT_HITS_MAX;
		if (limit_redis_parse(r, nrows, &code, NULL, rows, &e) == 0) {
			check(r->type == REDIS_REPLY_ARRAY &&
			      (r->elements == 2 + 6 * nrows ||
			       r->elements == 2));
			check(code <= LIMIT_CODE_LATE);
			check(code != LIMIT_CODE_LATE || r->elements == 2);
			for (i = 0; i < nrows; i++) {
				check(rows[i].state <= LIMIT_STATE_DRY_OVER);
				check(rows[i].amount <= LIMIT_AMOUNT_MAX);
				check(rows[i].period_ms <= LIMIT_PERIOD_MAX);
			}
		} else {
			check(e.text[0] != '\0');
		}
		(void)limit_redis_parse(r, nrows + 1, &code, NULL, rows, &e);
		freeReplyObject(rep);
	}
	rconn_reader_free(rd);
	compact(data, size);
	return 0;
}
