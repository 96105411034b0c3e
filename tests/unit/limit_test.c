/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_test - the limit engine's behaviour, every case run against both
 * backends: "memory/..." in-process, "redis/..." against a real
 * redis-server this program starts on a unix socket in a temporary
 * directory (and stops at the end), with the Lua script
 * (limit_redis_module = no), and "module/..." against a second one that
 * loaded the module (RG_BUILD/relayguard-redis.so: RELAYGUARD.LIMIT).  A
 * missing redis-server or module fails the run.
 *
 * The clock is the test's (limit_opts.now_ms; the Lua script takes it from
 * ARGV), so refills are tested without waiting.  Fault cases (an
 * unreachable Redis and each limit_fail_mode) run on the redis side only.
 */
#include "limit.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <hiredis/hiredis.h>

#include "limit_redis.h"
#include "rconn.h"
#include "rg_test.h"
#include "str.h"

#define T0 1800000000000ULL	/* ms: any fixed time */
#define H 3600000ULL

static uint64_t test_now = T0;
static char tmp[PATH_MAX];
static char sock[PATH_MAX];	/* the side's server, for rcmd */
static char sock_plain[PATH_MAX];
static char sock_mod[PATH_MAX];
static pid_t redis_pid = -1;
static pid_t mod_pid = -1;
static struct limit_result res;

/* clock - limit_opts.now_ms */
static uint64_t
clock_now(void *arg)
{
	(void)arg;
	return test_now;
}

/* --- a redis-server of our own ------------------------------------------ */

/* rcmd - one command to the test server; the reply (caller frees) */
static redisReply *
rcmd(const char *fmt, ...)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r = NULL;
	va_list ap;

	if (c == NULL || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return r;
}

/* redis_spawn - redis-server --port 0 --unixsocket path (with the module
 * when given); its pid, -1 when it does not answer */
static pid_t
redis_spawn(const char *path, const char *module)
{
	char log[PATH_MAX];
	redisReply *r;
	pid_t pid;
	int i;

	rg_pathf(log, sizeof(log), "redis%s.log", module ? "-module" : "");
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* die with this test, even when it crashes before teardown or
		 * is killed while a fault row has the server stopped (SIGKILL
		 * reaches a stopped process, SIGTERM would wait) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			_exit(127);
		execlp("redis-server", "redis-server", "--port", "0",
		       "--unixsocket", path, "--unixsocketperm", "700",
		       "--save", "", "--appendonly", "no", "--dir", tmp,
		       "--logfile", log,
		       module ? "--loadmodule" : (char *)NULL, module,
		       (char *)NULL);
		fprintf(stderr, "limit_test: cannot run redis-server (Debian "
			"package redis-server): %s\n", strerror(errno));
		_exit(127);
	}
	(void)str_copy(sock, sizeof(sock), path);
	for (i = 0; i < 100; i++) {
		r = rcmd("PING");
		if (r != NULL) {
			freeReplyObject(r);
			return pid;
		}
		usleep(50000);
	}
	fprintf(stderr, "limit_test: redis-server %s did not start\n",
		module ? module : "");
	return -1;
}

/* redis_start - the two servers, with and without the module (group
 * setup) */
static int
redis_start(void **state)
{
	const char *b = getenv("RG_BUILD");
	char rel[PATH_MAX];
	char module[PATH_MAX];

	(void)state;
	if (rg_tmpdir_make("limit", tmp, sizeof(tmp)) < 0)
		return -1;
	rg_pathf(rel, sizeof(rel), "%s/relayguard-redis.so",
		 b != NULL && b[0] != '\0' ? b : "build");
	if (realpath(rel, module) == NULL) {
		fprintf(stderr, "limit_test: no module %s (make)\n", rel);
		return -1;
	}
	rg_pathf(sock_plain, sizeof(sock_plain), "%s/redis.sock", tmp);
	rg_pathf(sock_mod, sizeof(sock_mod), "%s/module.sock", tmp);
	redis_pid = redis_spawn(sock_plain, NULL);
	mod_pid = redis_spawn(sock_mod, module);
	return redis_pid > 0 && mod_pid > 0 ? 0 : -1;
}

/* redis_stop - group teardown */
static int
redis_stop(void **state)
{
	(void)state;
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	if (mod_pid > 0) {
		kill(mod_pid, SIGTERM);
		waitpid(mod_pid, NULL, 0);
	}
	rg_tmpdir_remove(tmp);
	return 0;
}

/* --- fixtures ----------------------------------------------------------- */

struct side {
	bool redis;
	bool module;		/* the server with the module, and auto */
};

static const struct side side_mem = {false, false};
static const struct side side_redis = {true, false};
static const struct side side_mod = {true, true};

static bool real_clock;		/* the next limiter: the real clock */

/* mk - a limiter for map on one side; fail_mode and server for faults */
static struct limiter *
mk_full(const struct side *sd, const char *map, int fail_mode,
	const char *server)
{
	struct limit_opts o = {real_clock ? NULL : clock_now, NULL, false,
			       map};
	struct conf *c = conf_defaults();
	struct limiter *l = NULL;
	struct err e;
	char spec[PATH_MAX + 8];

	c->limits = true;
	c->limit_fail_mode = fail_mode;
	if (sd->redis) {
		(void)str_copy(sock, sizeof(sock),
			       sd->module ? sock_mod : sock_plain);
		c->limit_redis_module = sd->module ? CONF_MODULE_AUTO
						   : CONF_MODULE_NO;
		c->limit_backend = CONF_LIMIT_REDIS;
		free(c->redis_server);
		rg_pathf(spec, sizeof(spec), "unix:%s", server ? server : sock);
		c->redis_server = strdup(spec);
		c->redis_timeout = 500;
		c->limit_commit_wait = 1;
	}
	if (limit_new(c, &o, &l, &e) < 0) {
		print_error("limit_new: %s\n", e.text);
		conf_free(c);
		fail();
	}
	conf_free(c);
	return l;
}

/* mk - a limiter on a clean store */
static struct limiter *
mk(const struct side *sd, const char *map)
{
	redisReply *r;

	test_now = T0;
	limit_mem_clear(LIMIT_MEM_PRIMARY);
	limit_mem_clear(LIMIT_MEM_FALLBACK);
	if (sd->redis) {
		(void)str_copy(sock, sizeof(sock),
			       sd->module ? sock_mod : sock_plain);
		r = rcmd("FLUSHALL");
		assert_non_null(r);
		freeReplyObject(r);
	}
	return mk_full(sd, map, CONF_FAIL_TEMPFAIL, NULL);
}

/* req - a request by login, as the tests make them */
static void
req(struct limit_req *q, enum limit_op o, const char *login, const char *txn,
    const char *rcpt, const char *qid, uint64_t m, uint64_t r, uint64_t b)
{
	memset(q, 0, sizeof(*q));
	q->op = o;
	q->login = login;
	q->sender = "";
	q->client_addr = "";
	q->txn_id = txn;
	q->rcpt = rcpt;
	q->qid = qid;
	q->messages = m;
	q->recipients = r;
	q->bytes = b;
}

/* op - one decision into res */
static enum limit_outcome
op(struct limiter *l, enum limit_op o, const char *login, const char *txn,
   const char *rcpt, const char *qid, uint64_t m, uint64_t r, uint64_t b)
{
	struct limit_req q;

	req(&q, o, login, txn, rcpt, qid, m, r, b);
	return limit_decide(l, &q, &res);
}

/* reserve - the milter's RCPT step for login */
static enum limit_outcome
reserve(struct limiter *l, const char *login, const char *txn,
	const char *rcpt)
{
	return op(l, LIMIT_RESERVE, login, txn, rcpt, NULL, 1, 1, 0);
}

/* sent - the milter's whole message: RESERVE at RCPT, COMMIT at the end
 * (queue id = txn id); the outcome of the reservation */
static enum limit_outcome
sent(struct limiter *l, const char *login, const char *txn)
{
	enum limit_outcome o = reserve(l, login, txn, "a@x");

	if (o == LIMIT_OK)
		assert_int_equal(op(l, LIMIT_COMMIT, login, txn, NULL, txn, 1,
				    1, 0), LIMIT_OK);
	return o;
}

/* hit - the hit of limit name in res (first subject that has it) */
static const struct limit_hit *
hit(const char *name)
{
	size_t i;

	for (i = 0; i < res.nhits; i++)
		if (strcmp(res.hits[i].name, name) == 0)
			return &res.hits[i];
	print_error("no hit for limit %s\n", name);
	fail();
	return NULL;
}

/* used - the usage of a limit of a subject, by limit_show */
static uint64_t
used(struct limiter *l, const char *subject, const char *name)
{
	struct limit_usage u[LIMIT_PLAN_MAX];
	struct err e;
	size_t n;
	size_t i;

	if (limit_show(l, subject, u, LIMIT_PLAN_MAX, &n, NULL, 0, &e) < 0) {
		print_error("limit_show %s: %s\n", subject, e.text);
		fail();
	}
	for (i = 0; i < n; i++)
		if (strcmp(u[i].name, name) == 0)
			return u[i].used;
	print_error("no limit %s for %s\n", name, subject);
	fail();
	return 0;
}

static const char map_basic[] =
	"plan standard\n"
	"\thour\tmessages\t3/1h\n"
	"\trcpt\trecipients\t5/1h\n"
	"\tcap\trecipients_per_message 4\n"
	"\tvolume\tbytes\t10k/1h\n"
	"login alice@example.com standard\n";

#define ALICE "alice@example.com"

/* --- cases -------------------------------------------------------------- */

/* quota_at_limit_passes_then_refuses */
static void
t_quota_at_limit(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	struct verdict v;

	assert_int_equal(sent(l, ALICE, "t1"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t2"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t3"), LIMIT_OK);
	assert_int_equal(hit("hour")->used, 3);
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OVER);
	assert_true(res.over >= 0);
	assert_string_equal(res.hits[res.over].name, "hour");
	assert_int_equal(res.hits[res.over].retry_ms, H / 3);
	limit_verdict(l, &res, &v);
	assert_int_equal(v.action, VERDICT_TEMPFAIL);
	assert_string_equal(v.code, "451");
	assert_string_equal(v.xcode, "4.7.1");
	assert_string_equal(v.text, "hour quota exceeded for "
		"login:alice@example.com, retry in 1200 s");
	/* a refused reservation took nothing */
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 3);
	limit_free(l);
}

/* refill_is_smooth_no_double_burst_at_window_edge */
static void
t_smooth_refill(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	char txn[16];
	int i;
	int ok = 0;

	for (i = 0; i < 3; i++) {
		(void)str_format(txn, sizeof(txn), "a%d", i);
		assert_int_equal(sent(l, ALICE, txn), LIMIT_OK);
	}
	/* just before the hour is over two places came back, not three:
	 * a fixed window would allow a second burst of 3 here */
	test_now = T0 + H - 1;
	for (i = 0; i < 4; i++) {
		(void)str_format(txn, sizeof(txn), "b%d", i);
		if (sent(l, ALICE, txn) == LIMIT_OK)
			ok++;
	}
	assert_int_equal(ok, 2);
	/* one interval (20 minutes) later exactly one more */
	test_now += H / 3;
	assert_int_equal(sent(l, ALICE, "c1"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "c2"), LIMIT_OVER);
	limit_free(l);
}

/* several_windows_all_apply */
static void
t_several_windows(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan p\n\thour messages 3/1h\n"
				   "\tday messages 5/1d\n"
				   "login alice@example.com p\n");

	assert_int_equal(sent(l, ALICE, "a"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "b"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "c"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "d"), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "hour");
	test_now += H;
	assert_int_equal(sent(l, ALICE, "e"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "f"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "g"), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "day");
	assert_int_equal(hit("hour")->state, LIMIT_STATE_OK);
	limit_free(l);
}

/* recipients_count_each_rcpt_message_once */
static void
t_recipients(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "c@x"), LIMIT_OK);
	assert_int_equal(hit("rcpt")->used, 3);
	assert_int_equal(hit("hour")->used, 1);
	assert_int_equal(reserve(l, ALICE, "t2", "d@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t2", "e@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t2", "f@x"), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "rcpt");
	limit_free(l);
}

/* recipients_per_message_caps_one_message */
static void
t_per_message_cap(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan p\n\tcap recipients_per_message 2\n"
				   "login alice@example.com p\n");

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "c@x"), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "cap");
	assert_int_equal(res.hits[res.over].used, 3);
	assert_int_equal(reserve(l, ALICE, "t2", "c@x"), LIMIT_OK);
	/* the policy service's CHECK gives the count so far */
	assert_int_equal(op(l, LIMIT_CHECK, ALICE, "p", NULL, NULL, 1, 3, 0),
			 LIMIT_OVER);
	limit_free(l);
}

/* release_on_abort_gives_everything_back */
static void
t_release(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t2", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t3", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OVER);
	assert_int_equal(op(l, LIMIT_RELEASE, ALICE, "t1", NULL, NULL, 0, 0,
			    0), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 2);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 2);
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OK);
	/* releasing twice gives nothing more back */
	assert_int_equal(op(l, LIMIT_RELEASE, ALICE, "t1", NULL, NULL, 0, 0,
			    0), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 3);
	limit_free(l);
}

/* undo_gives_back_one_recipient */
static void
t_undo(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_UNDO, ALICE, "t1", "b@x", NULL, 0, 0, 0),
			 LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 1);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	/* undoing the recipient that carried the message gives it back */
	assert_int_equal(op(l, LIMIT_UNDO, ALICE, "t1", "a@x", NULL, 0, 0, 0),
			 LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 0);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 0);
	limit_free(l);
}

/* same_rcpt_reserved_twice_counts_once */
static void
t_reserve_idempotent(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "A@X"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 1);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	limit_free(l);
}

/* commit_twice_same_qid_counts_once */
static void
t_commit_once_per_qid(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "p1", NULL, "Q1", 1, 2,
			    100), LIMIT_OK);
	assert_false(res.duplicate);
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "p2", NULL, "Q1", 1, 2,
			    100), LIMIT_OK);
	assert_true(res.duplicate);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 2);
	limit_free(l);
}

/* milter_and_policy_see_one_message */
static void
t_milter_and_policy(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	/* the milter reserves at RCPT, the policy service commits first at
	 * END-OF-MESSAGE, then the milter commits the same queue id */
	assert_int_equal(reserve(l, ALICE, "m1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "m1", "b@x"), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "p1", NULL, "Q7", 1, 2,
			    50), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "m1", NULL, "Q7", 1, 2,
			    50), LIMIT_OK);
	assert_true(res.duplicate);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 2);
	assert_int_equal(used(l, "login:" ALICE, "volume"), 50);
	limit_free(l);
}

/* late_reserve_after_release_counts_nothing (R4: a timed-out command
 * that Redis runs after the release) */
static void
t_late_reserve(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(op(l, LIMIT_RELEASE, ALICE, "t9", NULL, NULL, 0, 0,
			    0), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t9", "a@x"), LIMIT_OK);
	assert_true(res.stale);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 0);
	limit_free(l);
}

/* commit_counts_the_actual_message */
static void
t_commit_corrects(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(op(l, LIMIT_RESERVE, ALICE, "t1", "a@x", NULL, 1, 1,
			    1000), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_RESERVE, ALICE, "t1", "b@x", NULL, 1, 1,
			    1000), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_RESERVE, ALICE, "t1", "c@x", NULL, 1, 1,
			    1000), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "volume"), 1000);
	/* one recipient refused later, the message was 4000 bytes */
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 2,
			    4000), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "volume"), 4000);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 2);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	/* a late release of a committed transaction changes nothing */
	assert_int_equal(op(l, LIMIT_RELEASE, ALICE, "t1", NULL, NULL, 0, 0,
			    0), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	limit_free(l);
}

/* commit_over_bytes_refuses_and_releases */
static void
t_commit_over(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 2,
			    20000), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "volume");
	assert_int_equal(used(l, "login:" ALICE, "hour"), 0);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 0);
	assert_int_equal(used(l, "login:" ALICE, "volume"), 0);
	limit_free(l);
}

/* dry_run_limit_reports_but_never_refuses */
static void
t_dry_run(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan p\n\tday messages 1/1d dry-run\n"
				   "\thour messages 10/1h\n"
				   "login alice@example.com p\n");
	char line[512];

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t2", "a@x"), LIMIT_OK);
	assert_int_equal(hit("day")->state, LIMIT_STATE_DRY_OVER);
	assert_int_equal(res.over, -1);
	limit_result_log(&res, line, sizeof(line));
	assert_true(rg_has(line, "dry_run=day:login:alice@example.com"));
	assert_int_equal(used(l, "login:" ALICE, "hour"), 2);
	limit_free(l);
}

/* hard_limit_rejects_with_550 */
static void
t_hard(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan suspended\n"
				   "\tblocked messages 0/1h hard\n"
				   "login alice@example.com suspended\n");
	struct verdict v;

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OVER);
	limit_verdict(l, &res, &v);
	assert_int_equal(v.action, VERDICT_REJECT);
	assert_string_equal(v.code, "550");
	assert_string_equal(v.xcode, "5.7.1");
	assert_string_equal(v.text, "blocked quota exceeded for "
		"login:alice@example.com");
	limit_free(l);
}

static const char map_customers[] =
	"plan small\n\thour messages 3/1h\n"
	"plan big\n\thour messages 100/1h\n"
	"customer acme small pooled\n"
	"\tlogin alice@acme.example\n"
	"\tdomain acme.example\n"
	"customer solo small each\n"
	"\tlogin ann@solo.example bob@solo.example\n"
	"login vip@acme.example big\n"
	"domain big.acme.example big\n";

/* pooled_customer_shares_one_budget */
static void
t_pooled(const struct side *sd)
{
	struct limiter *l = mk(sd, map_customers);
	struct limit_req q;

	assert_int_equal(reserve(l, "alice@acme.example", "t1", "r@x"),
			 LIMIT_OK);
	assert_string_equal(res.subjects[0], "customer:acme");
	assert_int_equal(reserve(l, "alice@acme.example", "t2", "r@x"),
			 LIMIT_OK);
	/* an unauthenticated sender of the member domain joins the pool */
	memset(&q, 0, sizeof(q));
	q.op = LIMIT_RESERVE;
	q.sender = "carl@acme.example";
	q.txn_id = "t3";
	q.rcpt = "r@x";
	q.messages = 1;
	q.recipients = 1;
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_string_equal(res.subjects[0], "customer:acme");
	assert_int_equal(reserve(l, "alice@acme.example", "t4", "r@x"),
			 LIMIT_OVER);
	assert_int_equal(used(l, "customer:acme", "hour"), 3);
	limit_free(l);
}

/* each_customer_member_has_its_own_budget */
static void
t_each(const struct side *sd)
{
	struct limiter *l = mk(sd, map_customers);
	char txn[16];
	int i;

	for (i = 0; i < 3; i++) {
		(void)str_format(txn, sizeof(txn), "a%d", i);
		assert_int_equal(reserve(l, "ann@solo.example", txn, "r@x"),
				 LIMIT_OK);
		(void)str_format(txn, sizeof(txn), "b%d", i);
		assert_int_equal(reserve(l, "bob@solo.example", txn, "r@x"),
				 LIMIT_OK);
	}
	assert_string_equal(res.subjects[0], "login:bob@solo.example");
	assert_int_equal(reserve(l, "ann@solo.example", "a9", "r@x"),
			 LIMIT_OVER);
	limit_free(l);
}

/* precedence_login_then_domain_then_customer */
static void
t_precedence(const struct side *sd)
{
	struct limiter *l = mk(sd, map_customers);
	struct limit_req q;

	assert_int_equal(reserve(l, "vip@acme.example", "t1", "r@x"), LIMIT_OK);
	assert_string_equal(res.subjects[0], "login:vip@acme.example");
	assert_int_equal(hit("hour")->amount, 100);
	memset(&q, 0, sizeof(q));
	q.op = LIMIT_CHECK;
	q.sender = "x@big.acme.example";
	q.messages = 1;
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_string_equal(res.subjects[0], "domain:big.acme.example");
	q.sender = "x@acme.example";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_string_equal(res.subjects[0], "customer:acme");
	q.sender = "x@elsewhere.example";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_int_equal(res.nsubjects, 0);
	limit_free(l);
}

/* override_changes_a_limit_at_run_time */
static void
t_override(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	struct err e;
	char txn[16];
	int i;

	assert_int_equal(limit_override_set(l, "login:" ALICE, "hour", 5, H, 0,
					    &e), 0);
	for (i = 0; i < 5; i++) {
		(void)str_format(txn, sizeof(txn), "t%d", i);
		assert_int_equal(op(l, LIMIT_RESERVE, ALICE, txn, "r@x", NULL,
				    1, 0, 0), LIMIT_OK);
	}
	assert_int_equal(hit("hour")->amount, 5);
	assert_int_equal(op(l, LIMIT_RESERVE, ALICE, "t9", "r@x", NULL, 1, 0,
			    0), LIMIT_OVER);
	assert_int_equal(limit_override_clear(l, "login:" ALICE, "hour", &e),
			 0);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 5);
	assert_int_equal(limit_override_set(l, "login:" ALICE, "nosuch", 5, H,
					    0, &e), -1);
	assert_true(rg_has(e.text, "no limit named nosuch"));
	limit_free(l);
}

/* changing_a_limit_keeps_its_history */
static void
t_history(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	struct limiter *l2;

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t2", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t3", "a@x"), LIMIT_OK);
	limit_free(l);
	/* the admin raises "hour" from 3 to 5: the 3 sent still count */
	l2 = mk_full(sd, "plan standard\n\thour messages 5/1h\n"
			 "login alice@example.com standard\n",
		     CONF_FAIL_TEMPFAIL, NULL);
	assert_int_equal(used(l2, "login:" ALICE, "hour"), 3);
	assert_int_equal(reserve(l2, ALICE, "t4", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l2, ALICE, "t5", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l2, ALICE, "t6", "a@x"), LIMIT_OVER);
	limit_free(l2);
}

/* client_ip_and_network_are_subjects_too */
static void
t_ip_net(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan perip\n\tipm messages 2/1m\n"
				   "plan pernet\n\tnetm messages 3/1m\n"
				   "ip * perip\nnet * pernet\n");
	struct limit_req q;

	memset(&q, 0, sizeof(q));
	q.op = LIMIT_RESERVE;
	q.messages = 1;
	q.recipients = 1;
	q.rcpt = "r@x";
	q.txn_id = "a";
	q.client_addr = "2001:db8:1:2::10";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_int_equal(res.nsubjects, 2);
	assert_string_equal(res.subjects[0], "ip:2001:db8:1:2::10");
	assert_string_equal(res.subjects[1], "net:2001:db8:1:2::/64");
	q.txn_id = "b";
	q.client_addr = "2001:db8:1:2::11";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	q.txn_id = "c";
	q.client_addr = "2001:db8:1:2::12";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	q.txn_id = "d";
	q.client_addr = "2001:db8:1:2::13";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "netm");
	/* an IPv4-mapped client is the IPv4 client */
	q.txn_id = "e";
	q.client_addr = "::ffff:192.0.2.7";
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_string_equal(res.subjects[0], "ip:192.0.2.7");
	assert_string_equal(res.subjects[1], "net:192.0.2.0/24");
	limit_free(l);
}

/* login_case_does_not_dodge_a_quota */
static void
t_case(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, "ALICE@Example.COM", "t1", "a@x"),
			 LIMIT_OK);
	assert_string_equal(res.subjects[0], "login:alice@example.com");
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	limit_free(l);
}

/* odd_identities_are_escaped_in_keys */
static void
t_escape(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan p\n\thour messages 3/1h\n"
				   "login * p\n");
	char big[600];

	assert_int_equal(reserve(l, "we{ird} name\001", "t1", "a@x"),
			 LIMIT_OK);
	assert_string_equal(res.subjects[0], "login:we%7Bird%7D%20name%01");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(reserve(l, big, "t2", "a@x"), LIMIT_OK);
	assert_true(rg_has(res.subjects[0], "login:#"));
	assert_int_equal(reserve(l, big, "t3", "a@x"), LIMIT_OK);
	assert_int_equal(hit("hour")->used, 2);
	limit_free(l);
}

/* long_login_in_another_case_is_one_subject: the digest of a value too
 * long for a key is taken after it is lower-cased */
static void
t_digest_case(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan p\n\thour messages 3/1h\n"
				   "login * p\n");
	char lower[600];
	char upper[600];
	char key1[LIMIT_SUBJECT_MAX];

	memset(lower, 'x', sizeof(lower) - 1);
	lower[sizeof(lower) - 1] = '\0';
	memset(upper, 'X', sizeof(upper) - 1);
	upper[sizeof(upper) - 1] = '\0';
	assert_int_equal(sent(l, lower, "t1"), LIMIT_OK);
	(void)str_copy(key1, sizeof(key1), res.subjects[0]);
	assert_int_equal(sent(l, upper, "t2"), LIMIT_OK);
	assert_string_equal(res.subjects[0], key1);
	assert_int_equal(hit("hour")->used, 2);
	limit_free(l);
}

/* a_literal_subject_never_looks_like_a_digest: '#' is escaped, so the
 * login "#" + 64 hex digits is not the digest of another login */
static void
t_digest_literal(const struct side *sd)
{
	char big[600];
	char key[LIMIT_SUBJECT_MAX];
	char lit[LIMIT_SUBJECT_MAX];

	(void)sd;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	limit_subject_key(LIMIT_KIND_LOGIN, big, key, sizeof(key));
	assert_true(rg_has(key, "login:#"));
	assert_int_equal(strlen(key), strlen("login:#") + 64);
	/* a client logs in as exactly that text */
	limit_subject_key(LIMIT_KIND_LOGIN, key + strlen("login:"), lit,
			  sizeof(lit));
	assert_string_not_equal(lit, key);
	assert_true(rg_has(lit, "login:%23"));
	limit_subject_key(LIMIT_KIND_SENDER, "a#b@example.com", lit,
			  sizeof(lit));
	assert_string_equal(lit, "sender:a%23b@example.com");
}

/* show_and_reset */
static void
t_show_reset(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	struct limit_usage u[LIMIT_PLAN_MAX];
	char key[LIMIT_SUBJECT_MAX];
	struct err e;
	size_t n;

	assert_int_equal(sent(l, ALICE, "t1"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t2"), LIMIT_OK);
	assert_int_equal(limit_show(l, "login:Alice@example.com", u,
				    LIMIT_PLAN_MAX, &n, key, sizeof(key), &e),
			 0);
	assert_string_equal(key, "login:alice@example.com");
	assert_int_equal(n, 4);
	assert_string_equal(u[0].name, "hour");
	assert_int_equal(u[0].used, 2);
	assert_int_equal(u[0].remaining, 1);
	assert_int_equal(u[0].reset_ms, 2 * H / 3);
	assert_int_equal(limit_reset(l, "login:" ALICE, "hour", &e), 0);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 0);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 2);
	assert_int_equal(limit_show(l, "login:bob@example.com", u,
				    LIMIT_PLAN_MAX, &n, NULL, 0, &e), -1);
	assert_true(rg_has(e.text, "no limits apply"));
	assert_int_equal(limit_show(l, "bogus", u, LIMIT_PLAN_MAX, &n, NULL,
				    0, &e), -1);
	assert_true(rg_has(e.text, "is not a subject"));
	limit_free(l);
}

struct hammer {
	struct limiter *l;
	int id;
	int ok;
};

/* hammer_reserve - n reservations for login, each its own transaction
 * (TAG-ID-I), the passed ones counted in h->ok */
static void
hammer_reserve(struct hammer *h, const char *login, const char *tag, int n)
{
	struct limit_result *r = malloc(sizeof(*r));
	struct limit_req q;
	char txn[32];
	int i;

	if (r == NULL)
		abort();
	for (i = 0; i < n; i++) {
		memset(&q, 0, sizeof(q));
		(void)str_format(txn, sizeof(txn), "%s%d-%d", tag, h->id, i);
		q.op = LIMIT_RESERVE;
		q.login = login;
		q.txn_id = txn;
		q.rcpt = "r@x";
		q.messages = 1;
		q.recipients = 1;
		if (limit_decide(h->l, &q, r) == LIMIT_OK)
			h->ok++;
	}
	free(r);
}

/* hammer_run - 125 reservations for alice */
static void *
hammer_run(void *arg)
{
	hammer_reserve(arg, ALICE, "h", 125);
	return NULL;
}

/* concurrent_callers_get_exactly_the_quota */
static void
t_concurrent(const struct side *sd)
{
	struct limiter *l = mk(sd, "plan p\n\thour messages 100/1h\n"
				   "login alice@example.com p\n");
	struct hammer h[8];
	pthread_t tid[8];
	int total = 0;
	int i;

	for (i = 0; i < 8; i++) {
		h[i].l = l;
		h[i].id = i;
		h[i].ok = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, hammer_run,
						&h[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(tid[i], NULL);
		total += h[i].ok;
	}
	assert_int_equal(total, 100);
	limit_free(l);
}

/* own_run - a thread of t_own_replies: 40 reservations for its own login,
 * whose quota is 4 + its number: exactly that many pass, when every
 * reply reaches the thread that asked (replies sent together in one batch
 * and handed to the wrong caller would show) */
static void *
own_run(void *arg)
{
	struct hammer *h = arg;
	char login[32];

	(void)str_format(login, sizeof(login), "u%d@example.com", h->id);
	hammer_reserve(h, login, "o", 40);
	return NULL;
}

/* batched_callers_each_get_their_own_reply: three generations of eight
 * threads (the wake-ups of ended threads are used again), each login
 * with its own quota */
static void
t_own_replies(const struct side *sd)
{
	char map[2048];
	struct limiter *l;
	struct hammer h[24];
	pthread_t tid[8];
	size_t n = 0;
	int g;
	int i;

	map[0] = '\0';
	for (i = 0; i < 24; i++, n = strlen(map))
		assert_int_equal(str_format(map + n, sizeof(map) - n,
					"plan p%d\n\thour messages %d/1h\n"
					"login u%d@example.com p%d\n", i, 4 + i,
					i, i), 0);
	l = mk(sd, map);
	for (g = 0; g < 3; g++) {
		for (i = 0; i < 8; i++) {
			h[8 * g + i].l = l;
			h[8 * g + i].id = 8 * g + i;
			h[8 * g + i].ok = 0;
			assert_int_equal(pthread_create(&tid[i], NULL, own_run,
							&h[8 * g + i]), 0);
		}
		for (i = 0; i < 8; i++)
			pthread_join(tid[i], NULL);
	}
	for (i = 0; i < 24; i++)
		assert_int_equal(h[i].ok, 4 + i);
	limit_free(l);
}

/* reservation_counts_until_its_lease_runs_out: a transaction that never
 * finishes (filter killed, client gone) stops counting by itself */
static void
t_lease_expires(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t2", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t3", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OVER);
	assert_int_equal(hit("hour")->used, 3);
	test_now += 6 * 60000 - 1;	/* limit_lease_time: 6m */
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OVER);
	test_now += 1;
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OK);
	assert_int_equal(hit("hour")->used, 1);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 1);
	limit_free(l);
}

/* each_recipient_renews_the_lease */
static void
t_lease_renewed(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	test_now += 5 * 60000;
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	test_now += 5 * 60000;
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 2);
	test_now += 60000;
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 0);
	limit_free(l);
}

/* commit_after_the_lease_ran_out_counts_when_it_fits */
static void
t_commit_after_lease(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	test_now += 7 * 60000;
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 1, 0),
			 LIMIT_OK);
	assert_false(res.stale);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	limit_free(l);
}

/* reserve_after_commit_counts_nothing */
static void
t_reserve_after_commit(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(sent(l, ALICE, "t1"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	assert_true(res.stale);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 1);
	limit_free(l);
}

/* commit_of_a_released_transaction_counts_nothing (a late COMMIT of a
 * message that was tempfailed) */
static void
t_commit_after_release(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_RELEASE, ALICE, "t1", NULL, NULL, 0, 0,
			    0), LIMIT_OK);
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 1, 0),
			 LIMIT_OK);
	assert_true(res.stale);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 0);
	limit_free(l);
}

/* settle_counts_once_whatever_the_limits (a message accepted while the
 * store did not answer) */
static void
t_settle(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);

	assert_int_equal(sent(l, ALICE, "t1"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t2"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t3"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t9", "a@x"), LIMIT_OVER);
	assert_int_equal(op(l, LIMIT_SETTLE, ALICE, "t9", NULL, "Q9", 1, 1, 0),
			 LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 4);
	assert_int_equal(op(l, LIMIT_SETTLE, ALICE, "t9", NULL, "Q9", 1, 1, 0),
			 LIMIT_OK);
	assert_true(res.duplicate);
	/* the COMMIT that ran late finds it counted */
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "t9", NULL, "Q9", 1, 1, 0),
			 LIMIT_OK);
	assert_true(res.duplicate);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 4);
	limit_free(l);
}

/* --- redis only --------------------------------------------------------- */

/* keys_are_readable_and_all_expire: one hash per subject, a field per
 * limit, the leases and their sum; tombstones and markers of their own */
static void
t_redis_keys(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	redisReply *r;
	size_t i;

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	assert_int_equal(reserve(l, ALICE, "t1", "b@x"), LIMIT_OK);
	/* reserved: a lease, nothing in the buckets yet */
	r = rcmd("HGET rg:{login:alice@example.com} rcpt");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	r = rcmd("HGET rg:{login:alice@example.com} R");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_true(rg_has(r->str, "1 2 0 "));
	freeReplyObject(r);
	assert_int_equal(op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 2,
			    0), LIMIT_OK);
	/* "USED LEVEL TIME TU": 2 recipients, level 2 * TU, TU = 1 h in ms */
	r = rcmd("HGET rg:{login:alice@example.com} rcpt");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "2 7200000 1800000000000 3600000");
	freeReplyObject(r);
	r = rcmd("EXISTS rg:{login:alice@example.com}:q:Q1");
	assert_int_equal(r->integer, 1);
	freeReplyObject(r);
	r = rcmd("KEYS *");
	assert_non_null(r);
	assert_int_equal(r->elements, 3);	/* hash, tombstone, marker */
	for (i = 0; i < r->elements; i++) {
		redisReply *t = rcmd("PTTL %s", r->element[i]->str);

		assert_non_null(t);
		if (t->integer <= 0)
			print_error("%s has no TTL\n", r->element[i]->str);
		assert_true(t->integer > 0);
		freeReplyObject(t);
	}
	freeReplyObject(r);
	limit_free(l);
}

/* noscript_after_a_flush_is_reloaded_once */
static void
t_redis_noscript(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	redisReply *r;

	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	r = rcmd("SCRIPT FLUSH");
	freeReplyObject(r);
	assert_int_equal(reserve(l, ALICE, "t2", "a@x"), LIMIT_OK);
	assert_int_equal(hit("hour")->used, 2);
	limit_free(l);
}

/* unreachable_store_follows_fail_mode */
static void
t_redis_fail_modes(const struct side *sd)
{
	char dead[PATH_MAX];
	struct limiter *l;
	struct verdict v;

	rg_pathf(dead, sizeof(dead), "%s/nothing.sock", tmp);
	l = mk_full(sd, map_basic, CONF_FAIL_TEMPFAIL, dead);
	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_UNAVAILABLE);
	assert_true(rg_has(res.error, "nothing.sock"));
	limit_verdict(l, &res, &v);
	assert_int_equal(v.action, VERDICT_TEMPFAIL);
	assert_string_equal(v.code, "451");
	assert_string_equal(v.text,
			    "rate limit store unavailable, try again later");
	limit_free(l);

	l = mk_full(sd, map_basic, CONF_FAIL_ACCEPT, dead);
	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_UNAVAILABLE);
	limit_verdict(l, &res, &v);
	assert_int_equal(v.action, VERDICT_CONTINUE);
	assert_string_equal(v.reason, "limit-store-unavailable");
	limit_free(l);

	/* local: 10% of 100 = 10 in memory */
	limit_mem_clear(LIMIT_MEM_FALLBACK);
	l = mk_full(sd, "plan p\n\thour messages 100/1h\n"
			"login alice@example.com p\n", CONF_FAIL_LOCAL, dead);
	{
		char txn[16];
		int i;
		int ok = 0;

		for (i = 0; i < 12; i++) {
			(void)str_format(txn, sizeof(txn), "l%d", i);
			if (reserve(l, ALICE, txn, "a@x") == LIMIT_OK)
				ok++;
			assert_true(res.local);
		}
		assert_int_equal(ok, 10);
		assert_int_equal(hit("hour")->amount, 10);
	}
	limit_free(l);
}

/* commit_that_may_repeat_is_accepted_when_the_store_is_away: the policy
 * service asked at the end of a message it reserved nothing for (Postfix
 * asks again after the service that answered died, perhaps after the
 * commit ran): with the store unreachable the commit is accepted and left
 * to settle, not refused; an ordinary commit follows the fail mode, and a
 * reservation is never taken as "may repeat" */
static void
t_redis_commit_may_repeat(const struct side *sd)
{
	char dead[PATH_MAX];
	struct limiter *l;
	struct limit_req q;
	struct verdict v;

	rg_pathf(dead, sizeof(dead), "%s/nothing.sock", tmp);
	l = mk_full(sd, map_basic, CONF_FAIL_TEMPFAIL, dead);
	req(&q, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 1, 0);
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_UNAVAILABLE);
	limit_verdict(l, &res, &v);
	assert_int_equal(v.action, VERDICT_TEMPFAIL);
	q.may_repeat = true;
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_OK);
	assert_true(res.unsettled);
	limit_verdict(l, &res, &v);
	assert_int_equal(v.action, VERDICT_CONTINUE);
	req(&q, LIMIT_RESERVE, ALICE, "t1", "a@x", NULL, 1, 1, 0);
	q.may_repeat = true;
	assert_int_equal(limit_decide(l, &q, &res), LIMIT_UNAVAILABLE);
	limit_free(l);
}

/* call_after_its_deadline_changes_nothing: a command our side gave up
 * on (timeout) that Redis runs later */
static void
t_redis_late(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	struct limit_redis_cmd cmd;
	struct limit_answer a;
	struct limit_call c;
	struct limit_req q;
	struct rconn_script sc;
	const char *argv[RCONN_MAX_ARGS];
	size_t lens[RCONN_MAX_ARGS];
	struct timeval tv = {2, 0};
	redisContext *ctx = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r;
	struct err e;
	int i;

	assert_non_null(ctx);
	rconn_script_init(&sc, limit_redis_lua);
	memset(&q, 0, sizeof(q));
	q.op = LIMIT_RESERVE;
	q.login = ALICE;
	q.txn_id = "late";
	q.rcpt = "a@x";
	q.messages = 1;
	q.recipients = 1;
	assert_int_equal(limit_prepare(l, &q, &c, &res), 1);
	assert_true(c.deadline_ms == T0 + 500);	/* redis_timeout */
	c.deadline_ms = T0 - 1;
	limit_redis_cmd_init(&cmd);
	assert_int_equal(limit_redis_args(limit_key_prefix(l), &c, 0, 1, &cmd,
					  &e), 0);
	argv[0] = "EVAL";
	lens[0] = 4;
	argv[1] = limit_redis_lua;
	lens[1] = strlen(limit_redis_lua);
	for (i = 0; i < cmd.argc; i++) {
		argv[2 + i] = cmd.argv[i];
		lens[2 + i] = cmd.lens[i];
	}
	r = redisCommandArgv(ctx, 2 + cmd.argc, argv, lens);
	assert_non_null(r);
	assert_int_equal(limit_redis_parse(r, cmd.nrows, &a.code, NULL, a.rows, &e),
			 0);
	assert_int_equal(a.code, LIMIT_CODE_LATE);
	freeReplyObject(r);
	limit_redis_cmd_free(&cmd);
	r = rcmd("DBSIZE");
	assert_int_equal(r->integer, 0);	/* nothing written */
	freeReplyObject(r);
	/* told "late": the store was too slow, the fail mode applies */
	assert_int_equal(limit_finish(l, &c, &a, NULL, &res),
			 LIMIT_UNAVAILABLE);
	redisFree(ctx);
	limit_free(l);
}

/* thaw - wait until the store answers again (after its back-off) */
static void
thaw(struct limiter *l)
{
	struct timespec pause = {0, 50000000};
	struct err e;
	int i;

	for (i = 0; i < 200 && limit_probe(l, &e) < 0; i++)
		nanosleep(&pause, NULL);
}

/* frozen_store: a RESERVE without an answer leaves nothing behind (its
 * late run is past the deadline); a COMMIT without an answer is accepted
 * and counted exactly once */
static void
t_redis_frozen(const struct side *sd)
{
	struct limiter *l;
	enum limit_outcome o1;
	enum limit_outcome o2;
	bool held;
	bool unsettled;

	/* deadlines against the server's clock: the real one */
	real_clock = true;
	l = mk(sd, map_basic);
	real_clock = false;
	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	/* every assertion after SIGCONT: a failed one must not leave the
	 * server stopped for the cases after this one */
	kill(sd->module ? mod_pid : redis_pid, SIGSTOP);
	o1 = reserve(l, ALICE, "t2", "a@x");
	held = res.maybe_held;
	kill(sd->module ? mod_pid : redis_pid, SIGCONT);
	thaw(l);
	kill(sd->module ? mod_pid : redis_pid, SIGSTOP);
	o2 = op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 1, 0);
	unsettled = res.unsettled;
	kill(sd->module ? mod_pid : redis_pid, SIGCONT);
	assert_int_equal(o1, LIMIT_UNAVAILABLE);
	assert_true(held);
	assert_int_equal(o2, LIMIT_OK);
	assert_true(unsettled);
	assert_int_equal(limit_flush(l, 10000), 0);
	thaw(l);
	/* the late RESERVE ran after its deadline: nothing; the COMMIT's
	 * count settled: once */
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	assert_int_equal(used(l, "login:" ALICE, "rcpt"), 1);
	assert_int_equal(op(l, LIMIT_RELEASE, ALICE, "t2", NULL, NULL, 0, 0,
			    0), LIMIT_OK);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	limit_free(l);
}

/* thaw_later - a thread: SIGCONT to the server after 700 ms */
static void *
thaw_later(void *arg)
{
	struct timespec pause = {0, 700000000};

	nanosleep(&pause, NULL);
	kill(*(pid_t *)arg, SIGCONT);
	return NULL;
}

/* commit_without_an_answer_is_counted_before_the_reply_when_redis_returns
 * within limit_commit_wait */
static void
t_redis_commit_wait(const struct side *sd)
{
	struct limiter *l;
	enum limit_outcome o;
	pthread_t t;
	bool unsettled;
	static pid_t pid;

	pid = sd->module ? mod_pid : redis_pid;
	real_clock = true;
	l = mk(sd, map_basic);
	real_clock = false;
	assert_int_equal(reserve(l, ALICE, "t1", "a@x"), LIMIT_OK);
	kill(pid, SIGSTOP);
	if (pthread_create(&t, NULL, thaw_later, &pid) != 0) {
		kill(pid, SIGCONT);
		fail();
	}
	o = op(l, LIMIT_COMMIT, ALICE, "t1", NULL, "Q1", 1, 1, 0);
	unsettled = res.unsettled;
	pthread_join(t, NULL);
	assert_int_equal(o, LIMIT_OK);
	assert_false(unsettled);	/* counted before the answer */
	thaw(l);
	assert_int_equal(used(l, "login:" ALICE, "hour"), 1);
	limit_free(l);
}

/* async_path_decides_like_limit_decide: prepare, build the arguments,
 * send EVALSHA ourselves (as an event loop would), parse, finish */
static void
t_redis_async_path(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	struct limit_redis_cmd cmd;
	struct limit_answer a;
	struct limit_call c;
	struct limit_req q;
	struct rconn_script sc;
	struct timeval tv = {2, 0};
	redisContext *ctx = redisConnectUnixWithTimeout(sock, tv);
	const char *argv[RCONN_MAX_ARGS];
	size_t lens[RCONN_MAX_ARGS];
	redisReply *r;
	struct err e;
	char txn[8];
	int i;
	int k;

	assert_non_null(ctx);
	assert_int_equal(ctx->err, 0);
	rconn_reader_limit(ctx->reader);
	rconn_script_init(&sc, limit_redis_lua);
	r = redisCommand(ctx, "SCRIPT LOAD %s", limit_redis_lua);
	assert_non_null(r);
	assert_string_equal(r->str, sc.sha);
	freeReplyObject(r);
	memset(&q, 0, sizeof(q));
	q.op = LIMIT_RESERVE;
	q.login = ALICE;
	q.rcpt = "a@x";
	q.messages = 1;
	q.recipients = 1;
	for (k = 0; k < 4; k++) {
		(void)str_format(txn, sizeof(txn), "as%d", k);
		q.txn_id = txn;
		assert_int_equal(limit_prepare(l, &q, &c, &res), 1);
		limit_redis_cmd_init(&cmd);
		assert_int_equal(limit_redis_args(limit_key_prefix(l), &c, 0,
						  c.nsubjects, &cmd, &e), 0);
		argv[0] = "EVALSHA";
		lens[0] = 7;
		argv[1] = sc.sha;
		lens[1] = 40;
		for (i = 0; i < cmd.argc; i++) {
			argv[2 + i] = cmd.argv[i];
			lens[2 + i] = cmd.lens[i];
		}
		rconn_reader_budget(ctx->reader);
		r = redisCommandArgv(ctx, 2 + cmd.argc, argv, lens);
		assert_non_null(r);
		a.nrows = cmd.nrows;
		assert_int_equal(limit_redis_parse(r, cmd.nrows, &a.code, NULL, a.rows,
						   &e), 0);
		freeReplyObject(r);
		limit_redis_cmd_free(&cmd);
		assert_int_equal(limit_finish(l, &c, &a, NULL, &res),
				 k < 3 ? LIMIT_OK : LIMIT_OVER);
	}
	assert_string_equal(res.hits[res.over].name, "hour");
	/* a failed store: the fail mode applies as in limit_decide */
	assert_int_equal(limit_prepare(l, &q, &c, &res), 1);
	assert_int_equal(limit_finish(l, &c, NULL, "gone", &res),
			 LIMIT_UNAVAILABLE);
	assert_string_equal(res.error, "gone");
	rconn_reader_unlimit(ctx->reader);
	redisFree(ctx);
	limit_free(l);
}

/* --- registration ------------------------------------------------------- */

/* calls - the count of one INFO line ("cmdstat_evalsha:calls=",
 * "errorstat_ERR:count=") on the side's server, 0 when absent */
static long
calls(const char *section, const char *what)
{
	redisReply *r = rcmd("INFO %s", section);
	const char *p;
	long n = 0;

	assert_non_null(r);
	p = strstr(r->str, what);
	if (p != NULL)
		n = strtol(p + strlen(what), NULL, 10);
	freeReplyObject(r);
	return n;
}

/* module_runs_the_decision_without_lua */
static void
t_module_used(const struct side *sd)
{
	struct limiter *l = mk(sd, map_basic);
	redisReply *r = rcmd("CONFIG RESETSTAT");

	freeReplyObject(r);
	assert_int_equal(sent(l, ALICE, "t1"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t2"), LIMIT_OK);
	assert_int_equal(hit("hour")->used, 2);
	assert_int_equal(calls("commandstats",
			       "cmdstat_relayguard.limit:calls="), 4);
	assert_int_equal(calls("commandstats", "cmdstat_evalsha:calls="), 0);
	limit_free(l);
}

/* server_without_module_falls_back_to_the_script: auto on the server
 * without the module; asked once, then the script, the same results */
static void
t_module_fallback(const struct side *sd)
{
	struct limiter *l;
	redisReply *r;

	(void)sd;
	l = mk(&side_redis, map_basic);
	limit_free(l);
	l = mk_full(&side_mod, map_basic, CONF_FAIL_TEMPFAIL, sock_plain);
	(void)str_copy(sock, sizeof(sock), sock_plain);
	r = rcmd("CONFIG RESETSTAT");
	freeReplyObject(r);
	assert_int_equal(sent(l, ALICE, "t1"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t2"), LIMIT_OK);
	assert_int_equal(sent(l, ALICE, "t3"), LIMIT_OK);
	assert_int_equal(hit("hour")->used, 3);
	assert_int_equal(reserve(l, ALICE, "t4", "a@x"), LIMIT_OVER);
	assert_string_equal(res.hits[res.over].name, "hour");
	assert_int_equal(res.hits[res.over].retry_ms, H / 3);
	/* RELAYGUARD.LIMIT refused once (the queued send and the one
	 * again alone: 2 errors), then every decision by the script */
	assert_int_equal(calls("errorstats", "errorstat_ERR:count="), 2);
	assert_int_equal(calls("commandstats", "cmdstat_evalsha:calls="), 7);
	limit_free(l);
}

struct row {
	const char *name;
	void (*fn)(const struct side *sd);
	bool redis_only;
};

/* the module side's own rows */
static const struct row mod_rows[] = {
	{"module_runs_the_decision_without_lua", t_module_used, true},
	{"server_without_module_falls_back_to_the_script",
	 t_module_fallback, true},
};

static const struct row rows[] = {
	{"quota_at_limit_passes_then_refuses", t_quota_at_limit, false},
	{"refill_is_smooth_no_double_burst", t_smooth_refill, false},
	{"several_windows_all_apply", t_several_windows, false},
	{"recipients_count_each_rcpt_message_once", t_recipients, false},
	{"recipients_per_message_caps_one_message", t_per_message_cap, false},
	{"release_on_abort_gives_everything_back", t_release, false},
	{"undo_gives_back_one_recipient", t_undo, false},
	{"same_rcpt_reserved_twice_counts_once", t_reserve_idempotent, false},
	{"commit_twice_same_qid_counts_once", t_commit_once_per_qid, false},
	{"milter_and_policy_see_one_message", t_milter_and_policy, false},
	{"late_reserve_after_release_counts_nothing", t_late_reserve, false},
	{"commit_counts_the_actual_message", t_commit_corrects, false},
	{"commit_over_bytes_refuses_and_releases", t_commit_over, false},
	{"dry_run_limit_reports_but_never_refuses", t_dry_run, false},
	{"hard_limit_rejects_with_550", t_hard, false},
	{"pooled_customer_shares_one_budget", t_pooled, false},
	{"each_customer_member_has_its_own_budget", t_each, false},
	{"precedence_login_domain_customer", t_precedence, false},
	{"override_changes_a_limit_at_run_time", t_override, false},
	{"changing_a_limit_keeps_its_history", t_history, false},
	{"client_ip_and_network_are_subjects", t_ip_net, false},
	{"login_case_does_not_dodge_a_quota", t_case, false},
	{"odd_identities_are_escaped_in_keys", t_escape, false},
	{"long_login_in_another_case_is_one_subject", t_digest_case, false},
	{"a_literal_subject_never_looks_like_a_digest", t_digest_literal,
	 false},
	{"show_and_reset", t_show_reset, false},
	{"concurrent_callers_get_exactly_the_quota", t_concurrent, false},
	{"batched_callers_each_get_their_own_reply", t_own_replies, false},
	{"reservation_counts_until_its_lease_runs_out", t_lease_expires,
	 false},
	{"each_recipient_renews_the_lease", t_lease_renewed, false},
	{"commit_after_the_lease_ran_out_counts_when_it_fits",
	 t_commit_after_lease, false},
	{"reserve_after_commit_counts_nothing", t_reserve_after_commit,
	 false},
	{"commit_of_a_released_transaction_counts_nothing",
	 t_commit_after_release, false},
	{"settle_counts_once_whatever_the_limits", t_settle, false},
	{"call_after_its_deadline_changes_nothing", t_redis_late, true},
	{"frozen_store_commit_accepted_counted_once", t_redis_frozen, true},
	{"commit_without_answer_counted_before_the_reply",
	 t_redis_commit_wait, true},
	{"keys_are_readable_and_all_expire", t_redis_keys, true},
	{"noscript_after_a_flush_is_reloaded_once", t_redis_noscript, true},
	{"unreachable_store_follows_fail_mode", t_redis_fail_modes, true},
	{"commit_that_may_repeat_is_accepted_when_the_store_is_away",
	 t_redis_commit_may_repeat, true},
	{"async_path_decides_like_limit_decide", t_redis_async_path, true},
};

struct bound {
	const struct row *row;
	const struct side *side;
	char name[128];
};

static struct bound bound[3 * sizeof(rows) / sizeof(rows[0]) +
			  sizeof(mod_rows) / sizeof(mod_rows[0])];

/* run_bound - cmocka entry: one row on one side */
static void
run_bound(void **state)
{
	const struct bound *b = *state;

	b->row->fn(b->side);
}

/* t_client_net_text - the client's address and network as subjects are
 * written without inet_ntop for IPv4: the same text as inet_ntop for
 * every kind of octet, IPv4-mapped IPv6 too; IPv6 as before */
static void
t_client_net_text(void **state)
{
	static const char *const fixed[] = {
		"0.0.0.0", "255.255.255.255", "10.0.0.9", "192.0.2.100",
		"1.20.3.40", "100.10.1.0", "99.199.9.255",
	};
	char in[64];
	char addr[INET6_ADDRSTRLEN];
	char net[INET6_ADDRSTRLEN + 8];
	char want[INET6_ADDRSTRLEN];
	char wnet[INET6_ADDRSTRLEN + 8];
	unsigned char b[4];
	unsigned seed = 7;
	size_t i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			assert_int_equal(inet_pton(AF_INET, fixed[i], b), 1);
		} else {
			seed = seed * 1103515245u + 12345u;
			memcpy(b, &seed, 4);
			b[i % 4] = (unsigned char)(i % 3 == 0 ? 0 : i % 3 == 1
						   ? 9 : 100);
		}
		assert_non_null(inet_ntop(AF_INET, b, want, sizeof(want)));
		(void)str_format(in, sizeof(in), "%s%s", i % 2 ? "::ffff:" : "",
				 want);
		b[3] = 0;
		assert_non_null(inet_ntop(AF_INET, b, wnet, sizeof(wnet)));
		assert_int_equal(limit_client_net(in, addr, sizeof(addr), net,
						  sizeof(net)), 0);
		assert_string_equal(addr, want);
		assert_string_equal(net, strcat(wnet, "/24"));
	}
	assert_int_equal(limit_client_net("2001:DB8::1:2:3:4", addr,
					  sizeof(addr), net, sizeof(net)), 0);
	assert_string_equal(addr, "2001:db8::1:2:3:4");
	assert_string_equal(net, "2001:db8::/64");
	assert_int_equal(limit_client_net("192.0.2.1", addr, 8, net,
					  sizeof(net)), -1);
	assert_int_equal(limit_client_net("not an address", addr,
					  sizeof(addr), net, sizeof(net)), -1);
}

int
main(void)
{
	static struct rg_cases cases;
	size_t n = 0;
	size_t i;
	int s;

	log_open("limit_test", true, 0);
	log_set_level(LOG_LEVEL_ERROR);
	static const struct side *sides[3] = {&side_mem, &side_redis,
					      &side_mod};
	static const char *names[3] = {"memory", "redis", "module"};

	for (s = 0; s < 3; s++) {
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct bound *b = &bound[n];

			if (s == 0 && rows[i].redis_only)
				continue;
			b->row = &rows[i];
			b->side = sides[s];
			(void)str_format(b->name, sizeof(b->name), "%s/%s",
					 names[s], rows[i].name);
			rg_case_add(&cases, b->name, run_bound, b);
			n++;
		}
	}
	for (i = 0; i < sizeof(mod_rows) / sizeof(mod_rows[0]); i++) {
		struct bound *b = &bound[n++];

		b->row = &mod_rows[i];
		b->side = &side_mod;
		(void)str_format(b->name, sizeof(b->name), "module/%s",
				 mod_rows[i].name);
		rg_case_add(&cases, b->name, run_bound, b);
	}
	rg_case_add(&cases, "client_address_and_network_text_as_inet_ntop",
		    t_client_net_text, NULL);
	return rg_cases_run(&cases, "limit", redis_start, redis_stop);
}
