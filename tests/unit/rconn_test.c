/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rconn_test - what rconn decides without a server: Cluster key slots
 * (hash tags included, checked against values Redis itself prints for
 * CLUSTER KEYSLOT), server addresses, and the reply reader's element cap.
 * The talking parts are tested against real servers by limit_test and
 * tests/integration/t_limit_*.sh.
 */
#include "rconn.h"

#include "rg_test.h"
#include "strbuf.h"

struct srow {
	const char *name;
	const char *key;
	int slot;
};

/* slots as "redis-cli CLUSTER KEYSLOT KEY" prints them */
static const struct srow srows[] = {
	{"slot_of_foo", "foo", 12182},
	{"slot_of_bar", "bar", 5061},
	{"slot_of_crc_check_string", "123456789", 12739},
	{"hash_tag_counts_alone", "{user1000}.following", 3443},
	{"hash_tag_same_slot", "{user1000}.followers", 3443},
	{"empty_tag_hashes_whole_key", "foo{}{bar}", 8363},
	{"first_tag_wins", "foo{{bar}}zap", 4015},
	{"limit_keys_share_the_subject_slot",
	 "rg:{login:alice@example.com}:hour", 9041},
};

/* run_slot - one key */
static void
run_slot(void **state)
{
	const struct srow *r = *state;
	assert_int_equal(rconn_slot(r->key, strlen(r->key)), r->slot);
}

struct arow {
	const char *name;
	const char *text;
	const char *host;	/* NULL: refused */
	int port;
	bool is_unix;
};

static const struct arow arows[] = {
	{"host_and_port", "127.0.0.1:6380", "127.0.0.1", 6380, false},
	{"host_alone_default_port", "redis.example", "redis.example", 6379,
	 false},
	{"ipv6_in_brackets", "[::1]:7000", "::1", 7000, false},
	{"ipv6_without_port", "[2001:db8::1]", "2001:db8::1", 6379, false},
	{"unix_socket", "unix:/run/redis/redis.sock", "/run/redis/redis.sock",
	 0, true},
	{"bare_path_is_unix", "/run/redis.sock", "/run/redis.sock", 0, true},
	{"bare_ipv6_refused", "::1:6379", NULL, 0, false},
	{"port_zero_refused", "127.0.0.1:0", NULL, 0, false},
	{"port_too_big_refused", "127.0.0.1:65536", NULL, 0, false},
	{"port_junk_refused", "127.0.0.1:63x", NULL, 0, false},
	{"relative_unix_refused", "unix:redis.sock", NULL, 0, false},
	{"empty_refused", "", NULL, 0, false},
	{"unclosed_bracket_refused", "[::1:6379", NULL, 0, false},
};

/* run_addr - one address */
static void
run_addr(void **state)
{
	const struct arow *r = *state;
	char host[RCONN_HOST_MAX];
	bool is_unix = false;
	struct err e;
	int port = -1;
	int rc;

	rc = rconn_addr_parse(r->text, 6379, host, sizeof(host), &port,
			      &is_unix, &e);
	if (r->host == NULL) {
		assert_int_equal(rc, -1);
		assert_true(rg_has(e.text, "is not a Redis address"));
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(host, r->host);
	assert_int_equal(port, r->port);
	assert_int_equal(is_unix, r->is_unix);
}

/* reader_keeps_ordinary_arrays */
static void
test_reader_ok(void **state)
{
	redisReader *rd = rconn_reader_new();
	void *rep = NULL;
	static const char in[] = "*3\r\n:1\r\n$2\r\nok\r\n*0\r\n";

	(void)state;
	assert_int_equal(redisReaderFeed(rd, in, sizeof(in) - 1), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &rep), REDIS_OK);
	assert_non_null(rep);
	assert_int_equal(((redisReply *)rep)->elements, 3);
	freeReplyObject(rep);
	rconn_reader_free(rd);
}

/* reader_refuses_more_than_the_cap */
static void
test_reader_cap(void **state)
{
	redisReader *rd = rconn_reader_new();
	void *rep = NULL;
	char in[32];

	(void)state;
	snprintf(in, sizeof(in), "*%d\r\n", RCONN_MAX_ELEMENTS + 1);
	assert_int_equal(redisReaderFeed(rd, in, strlen(in)), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &rep), REDIS_ERR);
	assert_null(rep);
	rconn_reader_free(rd);
}

/* reader_budget_counts_every_array_of_a_reply */
static void
test_reader_budget(void **state)
{
	redisReader *rd = rconn_reader_new();
	struct strbuf in;
	void *rep = NULL;
	int i;

	(void)state;
	/* two arrays of 40,000 each: each under the cap, together over it */
	strbuf_init(&in, 1 << 20);
	assert_int_equal(strbuf_append_str(&in, "*2\r\n*40000\r\n"), 0);
	for (i = 0; i < 40000; i++)
		assert_int_equal(strbuf_append_str(&in, ":1\r\n"), 0);
	assert_int_equal(strbuf_append_str(&in, "*40000\r\n"), 0);
	assert_int_equal(redisReaderFeed(rd, in.data, in.len), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &rep), REDIS_ERR);
	assert_null(rep);
	rconn_reader_free(rd);
	/* a fresh budget per reply: one array of 40,000 is fine */
	rd = rconn_reader_new();
	assert_int_equal(redisReaderFeed(rd, in.data + 4, in.len - 4 - 8),
			 REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &rep), REDIS_OK);
	assert_non_null(rep);
	assert_int_equal(((redisReply *)rep)->elements, 40000);
	freeReplyObject(rep);
	rconn_reader_budget(rd);
	assert_int_equal(redisReaderFeed(rd, in.data + 4, in.len - 4 - 8),
			 REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &rep), REDIS_OK);
	assert_non_null(rep);
	freeReplyObject(rep);
	rconn_reader_free(rd);
	strbuf_free(&in);
}

/* compact_reader_reads_integers_without_allocating */
static void
test_compact_ok(void **state)
{
	redisReader *rd = rconn_reader_new();
	struct rconn_ints x;
	static const char in[] = "*3\r\n:1\r\n:-2\r\n:30\r\n:7\r\n"
				 "*1\r\n$2\r\nno\r\n-ERR late\r\n";

	(void)state;
	assert_int_equal(redisReaderFeed(rd, in, sizeof(in) - 1), REDIS_OK);
	assert_int_equal(rconn_reader_compact(rd, &x), 0);
	assert_int_equal(x.type, REDIS_REPLY_ARRAY);
	assert_int_equal(x.n, 3);
	assert_false(x.bad);
	assert_true(x.v[0] == 1 && x.v[1] == -2 && x.v[2] == 30);
	assert_int_equal(rconn_reader_compact(rd, &x), 0);
	assert_int_equal(x.type, REDIS_REPLY_INTEGER);
	assert_int_equal(rconn_reader_compact(rd, &x), 0);
	assert_true(x.bad);	/* a string element */
	assert_int_equal(rconn_reader_compact(rd, &x), 0);
	assert_int_equal(x.type, REDIS_REPLY_ERROR);
	assert_string_equal(x.text, "ERR late");
	rconn_reader_free(rd);
}

/* compact_reply_cut_short_is_never_freed_as_an_ordinary_one: the half-read
 * reply points into x; freeing the reader must not hand it to free() */
static void
test_compact_cut(void **state)
{
	redisReader *rd = rconn_reader_new();
	struct rconn_ints x;
	static const char in[] = "*6\r\n:1\r\n:2\r\n";

	(void)state;
	assert_int_equal(redisReaderFeed(rd, in, sizeof(in) - 1), REDIS_OK);
	assert_int_equal(rconn_reader_compact(rd, &x), -1);
	rconn_reader_free(rd);
	/* and the ordinary functions are back for the next reader */
	test_reader_ok(state);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, srows, run_slot);
	RG_ADD_ROWS(&c, arows, run_addr);
	rg_case_add(&c, "reader_keeps_ordinary_arrays", test_reader_ok, NULL);
	rg_case_add(&c, "reader_refuses_more_than_the_cap", test_reader_cap,
		    NULL);
	rg_case_add(&c, "reader_budget_counts_every_array_of_a_reply",
		    test_reader_budget, NULL);
	rg_case_add(&c, "compact_reader_reads_integers_without_allocating",
		    test_compact_ok, NULL);
	rg_case_add(&c,
		    "compact_reply_cut_short_is_never_freed_as_an_ordinary_one",
		    test_compact_cut, NULL);
	return rg_cases_run(&c, "rconn", NULL, NULL);
}
