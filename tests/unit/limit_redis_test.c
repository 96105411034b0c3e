/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_redis_test - the pure parts of the redis backend: the EVALSHA
 * arguments one call becomes, and the type check of the script's reply
 * (doc/failures.md R7: a wrong type, a short or huge array, nil, negative or
 * absurd numbers are refused, never indexed blindly).  Replies are made by
 * feeding RESP bytes to the same capped hiredis reader the connections
 * use.
 */
#include "limit_redis.h"

#include "rconn.h"
#include "rg_test.h"
#include "str.h"

/* reply - parse RESP text into a reply; NULL when the reader refuses */
static redisReply *
reply(const char *resp, size_t len)
{
	redisReader *rd = rconn_reader_new();
	void *r = NULL;

	assert_non_null(rd);
	assert_int_equal(redisReaderFeed(rd, resp, len), REDIS_OK);
	if (redisReaderGetReply(rd, &r) != REDIS_OK)
		r = NULL;
	rconn_reader_free(rd);
	return r;
}

/* --- the reply checker -------------------------------------------------- */

struct prow {
	const char *name;
	const char *resp;
	size_t nrows;
	int ok;			/* 1: accepted */
	const char *why;	/* part of the error when refused */
};

#define ROW1 ":0\r\n:1\r\n:3\r\n:3600000\r\n:1200000\r\n:3600000\r\n"
#define NOW ":1700000000123\r\n"	/* the server's time */

static const struct prow prows[] = {
	{"one_row_accepted", "*8\r\n:1\r\n" NOW ROW1, 1, 1, NULL},
	{"no_rows_accepted", "*2\r\n:0\r\n" NOW, 0, 1, NULL},
	{"late_alone_accepted", "*2\r\n:4\r\n" NOW, 2, 1, NULL},
	{"code_alone_refused", "*1\r\n:4\r\n", 2, 0,
	 "has 1 elements, expected 14"},
	{"negative_time_refused", "*2\r\n:4\r\n:-1\r\n", 2, 0,
	 "wrong type or range"},
	{"error_reply_refused", "-ERR boom\r\n", 1, 0, "not an array"},
	{"nil_refused", "$-1\r\n", 1, 0, "not an array"},
	{"null_array_refused", "*-1\r\n", 1, 0, "not an array"},
	{"string_refused", "$2\r\nok\r\n", 1, 0, "not an array"},
	{"short_array_refused",
	 "*7\r\n:1\r\n" NOW ":0\r\n:1\r\n:3\r\n:1\r\n:1\r\n", 1, 0,
	 "has 7 elements, expected 8"},
	{"long_array_refused", "*9\r\n:1\r\n" NOW ROW1 ":0\r\n", 1, 0,
	 "has 9 elements, expected 8"},
	{"code_out_of_range", "*8\r\n:5\r\n" NOW ROW1, 1, 0,
	 "wrong type or range"},
	{"late_with_rows_refused", "*8\r\n:4\r\n" NOW ROW1, 1, 0,
	 "has 8 elements"},
	{"negative_code", "*8\r\n:-1\r\n" NOW ROW1, 1, 0,
	 "wrong type or range"},
	{"state_out_of_range",
	 "*8\r\n:0\r\n" NOW ":3\r\n:1\r\n:3\r\n:3600000\r\n:0\r\n:0\r\n",
	 1, 0, "wrong type or range"},
	{"string_where_integer",
	 "*8\r\n:0\r\n" NOW
	 ":0\r\n$1\r\n1\r\n:3\r\n:3600000\r\n:0\r\n:0\r\n", 1, 0,
	 "wrong type or range"},
	{"nil_element",
	 "*8\r\n:0\r\n" NOW ":0\r\n$-1\r\n:3\r\n:3600000\r\n:0\r\n:0\r\n",
	 1, 0, "wrong type or range"},
	{"nested_array_element",
	 "*8\r\n:0\r\n" NOW
	 ":0\r\n*1\r\n:1\r\n:3\r\n:3600000\r\n:0\r\n:0\r\n", 1, 0,
	 "wrong type or range"},
	{"amount_beyond_limit_max",
	 "*8\r\n:0\r\n" NOW
	 ":0\r\n:1\r\n:9999999999999999\r\n:3600000\r\n:0\r\n:0\r\n", 1, 0,
	 "wrong type or range"},
	{"period_beyond_a_year",
	 "*8\r\n:0\r\n" NOW
	 ":0\r\n:1\r\n:3\r\n:99999999999999\r\n:0\r\n:0\r\n", 1, 0,
	 "wrong type or range"},
};

/* run_parse - one reply through limit_redis_parse */
static void
run_parse(void **state)
{
	const struct prow *r = *state;
	struct limit_row rows[2];
	enum limit_code code;
	redisReply *rep = reply(r->resp, strlen(r->resp));
	uint64_t now = 0;
	struct err e;
	int rc;

	assert_non_null(rep);
	rc = limit_redis_parse(rep, r->nrows, &code, &now, rows, &e);
	freeReplyObject(rep);
	if (r->ok) {
		if (rc != 0)
			fail_msg("refused: %s", e.text);
		assert_true(now == 1700000000123ULL);
		if (r->nrows == 2)
			assert_int_equal(code, LIMIT_CODE_LATE);
		if (r->nrows == 1) {
			assert_int_equal(code, LIMIT_CODE_OVER);
			assert_int_equal(rows[0].state, LIMIT_STATE_OK);
			assert_int_equal(rows[0].used, 1);
			assert_int_equal(rows[0].amount, 3);
			assert_int_equal(rows[0].period_ms, 3600000);
			assert_int_equal(rows[0].retry_ms, 1200000);
			assert_int_equal(rows[0].reset_ms, 3600000);
		}
		return;
	}
	assert_int_equal(rc, -1);
	assert_true(rg_has(e.text, r->why));
}

/* huge_array_refused_by_the_reader (CVE-2021-32765 class) */
static void
test_huge_array(void **state)
{
	static const char *const bad[] = {
		"*99999999999\r\n", "*2147483647\r\n", "*65537\r\n",
		"*-5\r\n:1\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		redisReply *rep = reply(bad[i], strlen(bad[i]));

		if (rep != NULL && rep->type == REDIS_REPLY_ARRAY)
			fail_msg("%s accepted as an array of %zu", bad[i],
				 rep->elements);
		if (rep != NULL)
			freeReplyObject(rep);
	}
}

/* --- the argument builder ----------------------------------------------- */

static const struct limit_def defs_a[2] = {
	{"hour", LIMIT_MESSAGES, 200, 3600000, 1, false, false},
	{"volume", LIMIT_BYTES, 500ULL << 20, 86400000, 100, true, false},
};
static const struct limit_def defs_b[1] = {
	{"cap", LIMIT_PER_MESSAGE, 100, 0, 1, false, true},
};

/* call_two - a RESERVE for two subjects */
static void
call_two(struct limit_call *c)
{
	memset(c, 0, sizeof(*c));
	c->op = LIMIT_RESERVE;
	c->now_ms = 1234;
	c->deadline_ms = 1534;
	c->lease_ms = 360000;
	c->ttl_ms = 3600000;
	(void)str_copy(c->txn, sizeof(c->txn), "conn7.m2");
	(void)str_copy(c->rcpt, sizeof(c->rcpt), "0badc0de");
	c->units[0] = 1;
	c->units[1] = 1;
	c->units[2] = 4096;
	c->nsubjects = 2;
	(void)str_copy(c->subjects[0].key, sizeof(c->subjects[0].key),
		       "login:alice@example.com");
	c->subjects[0].defs = defs_a;
	c->subjects[0].ndefs = 2;
	(void)str_copy(c->subjects[1].key, sizeof(c->subjects[1].key),
		       "ip:192.0.2.7");
	c->subjects[1].defs = defs_b;
	c->subjects[1].ndefs = 1;
}

/* nums_le - v as 8 little-endian bytes at p */
static void
nums_le(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* args_list_keys_then_limits: the tombstone and marker keys (the
 * tombstone twice without a queue id), one hash per subject; op, lease
 * field, recipient hash, the numbers in binary (now, deadline, lease time,
 * ttl, units; per subject its count of limits and per limit counter - 4
 * more for dry-run -, amount, period, quantum), then per subject its
 * names in a row (one HMGET) */
static void
test_args(void **state)
{
	static const char *const want[] = {
		"4",
		"rg:{login:alice@example.com}:t:conn7.m2",
		"rg:{login:alice@example.com}:t:conn7.m2",
		"rg:{login:alice@example.com}",
		"rg:{ip:192.0.2.7}",
		"R", "l:conn7.m2", "0badc0de", NULL,
		"hour", "volume", "cap",
	};
	static const uint64_t head[7] = {1234, 1534, 360000, 3600000, 1, 1,
					 4096};
	static const uint64_t lim[3][3] = {
		{200, 3600000, 1}, {500ULL << 20, 86400000, 100}, {100, 0, 1},
	};
	static const unsigned char kind[3] = {0, 2 + 4, 3};
	unsigned char nums[56 + 2 + 3 * 25];
	unsigned char *p = nums;
	struct limit_redis_cmd cmd;
	struct limit_call c;
	struct err e;
	size_t i;
	size_t j;

	(void)state;
	for (i = 0; i < 7; i++, p += 8)
		nums_le(p, head[i]);
	for (i = 0; i < 3; i++) {
		if (i == 0 || i == 2)
			*p++ = i == 0 ? 2 : 1;
		*p++ = kind[i];
		for (j = 0; j < 3; j++, p += 8)
			nums_le(p, lim[i][j]);
	}
	assert_int_equal(p - nums, sizeof(nums));
	call_two(&c);
	limit_redis_cmd_init(&cmd);
	assert_int_equal(limit_redis_args("rg", &c, 0, 2, &cmd, &e), 0);
	assert_int_equal(cmd.argc, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (want[i] == NULL) {
			assert_int_equal(cmd.lens[i], sizeof(nums));
			assert_memory_equal(cmd.argv[i], nums, sizeof(nums));
			continue;
		}
		assert_int_equal(cmd.lens[i], strlen(want[i]));
		assert_string_equal(cmd.argv[i], want[i]);
	}
	assert_int_equal(cmd.nrows, 3);
	assert_int_equal(cmd.slot, rconn_slot("login:alice@example.com", 23));
	/* one subject alone: its own slot and keys */
	assert_int_equal(limit_redis_args("mx1", &c, 1, 1, &cmd, &e), 0);
	assert_string_equal(cmd.argv[1], "mx1:{ip:192.0.2.7}:t:conn7.m2");
	assert_string_equal(cmd.argv[3], "mx1:{ip:192.0.2.7}");
	assert_int_equal(cmd.lens[7], 56 + 1 + 25);
	assert_string_equal(cmd.argv[8], "cap");
	assert_int_equal(cmd.slot, rconn_slot("ip:192.0.2.7", 12));
	assert_int_equal(cmd.nrows, 1);
	assert_int_equal(limit_redis_args("rg", &c, 2, 1, &cmd, &e), -1);
	limit_redis_cmd_free(&cmd);
}

/* qid_names_the_marker_when_given */
static void
test_args_qid(void **state)
{
	struct limit_redis_cmd cmd;
	struct limit_call c;
	struct err e;

	(void)state;
	call_two(&c);
	c.op = LIMIT_COMMIT;
	(void)str_copy(c.qid, sizeof(c.qid), "4ABCDE12");
	limit_redis_cmd_init(&cmd);
	assert_int_equal(limit_redis_args("rg", &c, 0, 1, &cmd, &e), 0);
	assert_string_equal(cmd.argv[2],
			    "rg:{login:alice@example.com}:q:4ABCDE12");
	assert_string_equal(cmd.argv[1],
			    "rg:{login:alice@example.com}:t:conn7.m2");
	assert_string_equal(cmd.argv[4], "M");
	limit_redis_cmd_free(&cmd);
}

/* module_command_carries_the_same_arguments: RELAYGUARD.LIMIT and its
 * protocol where EVALSHA and the sha were, the rest byte for byte */
static void
test_resp_module(void **state)
{
	char head_s[64];
	char head_m[64];
	static char out_s[LIMIT_REDIS_ARENA + 12 * LIMIT_REDIS_ARGS];
	static char out_m[LIMIT_REDIS_ARENA + 12 * LIMIT_REDIS_ARGS];
	struct limit_redis_cmd cmd;
	struct limit_call c;
	struct rconn_script s;
	struct err e;
	size_t ns;
	size_t nm;

	(void)state;
	call_two(&c);
	rconn_script_init(&s, limit_redis_lua);
	limit_redis_cmd_init(&cmd);
	assert_int_equal(limit_redis_args("rg", &c, 0, 1, &cmd, &e), 0);
	(void)str_format(head_s, sizeof(head_s),
			 "*%d\r\n$7\r\nEVALSHA\r\n$40\r\n", cmd.argc + 2);
	(void)str_format(head_m, sizeof(head_m),
			 "*%d\r\n$16\r\nRELAYGUARD.LIMIT\r\n$1\r\n4\r\n",
			 cmd.argc + 2);
	ns = limit_redis_resp(&cmd, s.sha, out_s, sizeof(out_s));
	nm = limit_redis_resp_module(&cmd, out_m, sizeof(out_m));
	assert_true(ns > 0 && nm > 0);
	assert_memory_equal(out_s, head_s, strlen(head_s));
	assert_memory_equal(out_m, head_m, strlen(head_m));
	/* after the sha line and after the protocol line: the same */
	assert_int_equal(ns - strlen(head_s) - 42, nm - strlen(head_m));
	assert_memory_equal(out_s + strlen(head_s) + 42, out_m + strlen(head_m),
			    nm - strlen(head_m));
	assert_int_equal(limit_redis_resp_module(&cmd, out_m, 64), 0);
	limit_redis_cmd_free(&cmd);
}

/* the script text is what EVALSHA names */
static void
test_script_sha(void **state)
{
	struct rconn_script s;

	(void)state;
	rconn_script_init(&s, "return 1");
	/* sha1("return 1"), as redis-cli SCRIPT LOAD "return 1" prints */
	assert_string_equal(s.sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
	rconn_script_init(&s, limit_redis_lua);
	assert_int_equal(strlen(s.sha), 40);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, prows, run_parse);
	rg_case_add(&c, "huge_array_refused_by_the_reader", test_huge_array,
		    NULL);
	rg_case_add(&c, "args_list_keys_then_limits", test_args, NULL);
	rg_case_add(&c, "qid_names_the_marker_when_given", test_args_qid,
		    NULL);
	rg_case_add(&c, "module_command_carries_the_same_arguments",
		    test_resp_module, NULL);
	rg_case_add(&c, "script_sha_is_sha1_of_the_text", test_script_sha,
		    NULL);
	return rg_cases_run(&c, "limit_redis", NULL, NULL);
}
