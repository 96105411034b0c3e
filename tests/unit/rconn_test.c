/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rconn_test - what rconn decides without a server: Cluster key slots
 * (hash tags included, checked against values Redis itself prints for
 * CLUSTER KEYSLOT), server addresses, and the reply reader's element cap.
 * The talking parts are tested against real servers by limit_test and
 * tests/integration/t_limit_*.sh; here only a server that dies between
 * running a command and answering it, which a real one does only when
 * killed at that very moment.
 */
#include "rconn.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

/* compact_reply_read_in_pieces_at_every_split: the replies of
 * test_compact_ok fed one byte at a time and cut at every offset give the
 * same compact replies; a half-read one dropped, then the reader freed
 * (ASan: nothing of x handed to free()) */
static void
test_compact_part(void **state)
{
	static const char in[] = "*3\r\n:1\r\n:-2\r\n:30\r\n:7\r\n"
				 "*1\r\n$2\r\nno\r\n-ERR late\r\n";
	size_t cut;

	(void)state;
	for (cut = 0; cut <= sizeof(in) - 1; cut++) {
		redisReader *rd = rconn_reader_new();
		struct rconn_ints x[4];
		size_t done = 0;
		bool begun = false;
		size_t i;

		/* the first cut bytes one at a time, the rest at once */
		for (i = 0; i <= sizeof(in) - 1 && done < 4; i++) {
			int got;

			if (i < cut)
				assert_int_equal(redisReaderFeed(rd, in + i, 1),
						 REDIS_OK);
			else if (i == cut)
				assert_int_equal(redisReaderFeed(rd, in + i,
						 sizeof(in) - 1 - i), REDIS_OK);
			while (done < 4 && (got = rconn_reader_compact_part(
					rd, &x[done], !begun)) != 0) {
				assert_int_equal(got, 1);
				begun = false;
				done++;
			}
			begun = done < 4 && rd->ridx >= 0;
		}
		assert_int_equal(done, 4);
		assert_int_equal(x[0].type, REDIS_REPLY_ARRAY);
		assert_int_equal(x[0].n, 3);
		assert_false(x[0].bad);
		assert_true(x[0].v[0] == 1 && x[0].v[1] == -2 &&
			    x[0].v[2] == 30);
		assert_int_equal(x[1].type, REDIS_REPLY_INTEGER);
		assert_true(x[2].bad);
		assert_int_equal(x[3].type, REDIS_REPLY_ERROR);
		assert_string_equal(x[3].text, "ERR late");
		rconn_reader_free(rd);
	}
	/* half a reply, dropped, then freed */
	{
		redisReader *rd = rconn_reader_new();
		struct rconn_ints x;

		assert_int_equal(redisReaderFeed(rd, in, 9), REDIS_OK);
		assert_int_equal(rconn_reader_compact_part(rd, &x, true), 0);
		assert_true(rd->ridx >= 0);
		rconn_reader_compact_drop(rd);
		rconn_reader_free(rd);
	}
	/* bytes that are no reply */
	{
		redisReader *rd = rconn_reader_new();
		struct rconn_ints x;

		assert_int_equal(redisReaderFeed(rd, "?garbage\r\n", 10),
				 REDIS_OK);
		assert_int_equal(rconn_reader_compact_part(rd, &x, true), -1);
		rconn_reader_free(rd);
	}
	test_reader_ok(state);
}

/* --- a server killed after it ran a command ------------------------------ */

struct dying {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	int lfd;
	int ran;		/* commands it read (and "ran") */
};

/* dying_run - a server thread: answers ":1" to each command of the first
 * connection but the second, after which it goes away without a word
 * (its socket file too: every new connection is refused) */
static void *
dying_run(void *arg)
{
	struct dying *d = arg;
	redisReader *rd = redisReaderCreate();
	int fd = accept(d->lfd, NULL, NULL);
	char buf[4096];
	ssize_t n;
	void *cmd;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		(void)redisReaderFeed(rd, buf, (size_t)n);
		while (redisReaderGetReply(rd, &cmd) == REDIS_OK &&
		       cmd != NULL) {
			freeReplyObject(cmd);
			if (++d->ran == 2)
				goto gone;
			if (write(fd, ":1\r\n", 4) != 4)
				goto gone;
		}
	}
gone:
	(void)unlink(d->path);
	if (fd >= 0)
		close(fd);
	close(d->lfd);
	redisReaderFree(rd);
	return NULL;
}

/* dying_command - one server, one command that works, then the same
 * command again (batch: the path of ready-made requests with compact
 * replies), which the server runs and dies on: rconn must say it may have
 * run, whatever it tried after */
static void
dying_command(bool batch)
{
	struct sockaddr_un sa;
	struct dying d;
	struct rconn_opts o;
	struct rconn *r;
	struct rconn_req q;
	struct rconn_ints ints;
	struct err e;
	pthread_t t;
	char spec[PATH_MAX + 8];
	static const char raw[] = "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n";
	const char *argv[2] = {"INCR", "k"};
	size_t lens[2] = {4, 1};
	int i;

	memset(&d, 0, sizeof(d));
	assert_int_equal(rg_tmpdir_make("rconn", d.dir, sizeof(d.dir)), 0);
	rg_pathf(d.path, sizeof(d.path), "%s/s", d.dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(d.path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, d.path, strlen(d.path) + 1);
	d.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(d.lfd >= 0);
	assert_int_equal(bind(d.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(d.lfd, 4), 0);
	assert_int_equal(pthread_create(&t, NULL, dying_run, &d), 0);
	memset(&o, 0, sizeof(o));
	o.mode = RCONN_STANDALONE;
	rg_pathf(spec, sizeof(spec), "unix:%s", d.path);
	o.server = spec;
	o.user = "";
	o.password = "";
	o.connect_timeout_ms = 300;
	o.timeout_ms = 300;
	o.pool_size = 1;
	assert_int_equal(rconn_new(&o, &r, &e), 0);
	for (i = 0; i < 2; i++) {
		memset(&q, 0, sizeof(q));
		q.slot = -1;
		if (batch) {
			q.raw = raw;
			q.rawlen = sizeof(raw) - 1;
			q.ints = &ints;
		} else {
			q.argc = 2;
			q.argv = argv;
			q.lens = lens;
		}
		if (i == 0) {
			assert_int_equal(rconn_run(r, &q, &e), 0);
			if (q.reply != NULL)
				freeReplyObject(q.reply);
			continue;
		}
		assert_int_equal(rconn_run(r, &q, &e), -1);
		assert_int_equal(d.ran, 2);
		assert_true(q.maybe_ran);
	}
	pthread_join(t, NULL);
	rconn_free(r);
	rg_tmpdir_remove(d.dir);
}

/* command_run_then_connection_lost_may_have_run: plain commands */
static void
test_dying_plain(void **state)
{
	(void)state;
	dying_command(false);
}

/* the same for a batched request */
static void
test_dying_batch(void **state)
{
	(void)state;
	dying_command(true);
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
	rg_case_add(&c, "compact_reply_read_in_pieces_at_every_split",
		    test_compact_part, NULL);
	rg_case_add(&c, "command_run_then_connection_lost_may_have_run",
		    test_dying_plain, NULL);
	rg_case_add(&c, "batched_command_run_then_connection_lost_may_have_run",
		    test_dying_batch, NULL);
	return rg_cases_run(&c, "rconn", NULL, NULL);
}
