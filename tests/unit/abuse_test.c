/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abuse_test - the abuse signals, reputation, quota warnings and admin
 * operations, every case against both backends: "memory/..." in-process,
 * "redis/..." against a real redis-server this program starts on a unix
 * socket in a temporary directory (and stops at the end).  A missing
 * redis-server fails the run.
 *
 * The clock is the test's (abuse_opts.now_ms; the Lua script takes it from
 * ARGV), so windows, blocks and decays are tested without waiting.  The
 * writer runs synchronously (abuse_opts.sync_writer).  Fault cases (an
 * unreachable Redis and each limit_fail_mode) run on the redis side only.
 */
#include "abuse.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <hiredis/hiredis.h>

#include "audit.h"
#include "rg_test.h"
#include "str.h"

#define T0 1800000000000ULL	/* ms: any fixed time */
#define MIN 60000ULL
#define H 3600000ULL
#define ALICE "alice@example.com"
#define FP "0123456789abcdef0123456789abcdef"

static uint64_t test_now = T0;
static char tmp[PATH_MAX];
static char sock[PATH_MAX];
static pid_t redis_pid = -1;

/* clock_now - abuse_opts.now_ms */
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

/* redis_start - redis-server --port 0 --unixsocket (group setup) */
static int
redis_start(void **state)
{
	redisReply *r;
	int i;

	(void)state;
	if (rg_tmpdir_make("abuse", tmp, sizeof(tmp)) < 0)
		return -1;
	rg_pathf(sock, sizeof(sock), "%s/redis.sock", tmp);
	redis_pid = fork();
	if (redis_pid < 0)
		return -1;
	if (redis_pid == 0) {
		/* die with this test, even when it crashes before teardown or
		 * is killed while a fault row has the server stopped (SIGKILL
		 * reaches a stopped process, SIGTERM would wait) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			_exit(127);
		execlp("redis-server", "redis-server", "--port", "0",
		       "--unixsocket", sock, "--unixsocketperm", "700",
		       "--save", "", "--appendonly", "no", "--dir", tmp,
		       "--logfile", "redis.log", (char *)NULL);
		fprintf(stderr, "abuse_test: cannot run redis-server (Debian "
			"package redis-server): %s\n", strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		r = rcmd("PING");
		if (r != NULL) {
			freeReplyObject(r);
			return 0;
		}
		usleep(50000);
	}
	fprintf(stderr, "abuse_test: redis-server did not start\n");
	return -1;
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
	rg_tmpdir_remove(tmp);
	return 0;
}

/* --- fixtures ----------------------------------------------------------- */

struct side {
	bool redis;
};

static const struct side side_mem = {false};
static const struct side side_redis = {true};

typedef void tweak_fn(struct conf *c);

/* mk_full - abuse control on one side, settings changed by tweak; server
 * replaces the test's Redis (fault cases) */
static struct abuse *
mk_full(const struct side *sd, tweak_fn *tweak, const char *server)
{
	struct abuse_opts o = {clock_now, NULL, true, true};
	struct conf *c = conf_defaults();
	struct abuse *ab = NULL;
	char spec[PATH_MAX + 8];
	struct err e;

	c->abuse_control = true;
	if (sd->redis) {
		c->limit_backend = CONF_LIMIT_REDIS;
		free(c->redis_server);
		rg_pathf(spec, sizeof(spec), "unix:%s", server ? server : sock);
		c->redis_server = strdup(spec);
		c->redis_timeout = 500;
	}
	if (tweak != NULL)
		tweak(c);
	if (abuse_new(c, NULL, &o, &ab, &e) < 0) {
		print_error("abuse_new: %s\n", e.text);
		conf_free(c);
		fail();
	}
	conf_free(c);
	return ab;
}

/* mk - abuse control on a clean store */
static struct abuse *
mk(const struct side *sd, tweak_fn *tweak)
{
	redisReply *r;

	test_now = T0;
	if (sd->redis) {
		r = rcmd("FLUSHALL");
		assert_non_null(r);
		freeReplyObject(r);
	}
	return mk_full(sd, tweak, NULL);
}

/* txn - a message: login, sender, client address, transaction id */
static void
txn(struct txn *t, const char *login, const char *sender, const char *ip,
    const char *id)
{
	memset(t, 0, sizeof(*t));
	(void)str_copy(t->login, sizeof(t->login), login);
	(void)str_copy(t->sender, sizeof(t->sender), sender);
	(void)str_copy(t->client_addr, sizeof(t->client_addr), ip);
	(void)str_copy(t->id, sizeof(t->id), id);
}

/* mail - abuse_mail for a fresh message; its state in m */
static enum verdict_action
mail(struct abuse *ab, const char *login, const char *sender, const char *ip,
     struct abusemsg *m, struct verdict *v)
{
	struct txn t;

	txn(&t, login, sender, ip, "m");
	abusemsg_reset(m);
	abuse_mail(ab, &t, m, v);
	return v->action;
}

/* has_signal - was the signal name raised for subject? */
static bool
has_signal(const struct abusemsg *m, const char *name, const char *subject,
	   const char *action, bool dry)
{
	size_t i;

	for (i = 0; i < m->nsignals; i++)
		if (strcmp(m->signals[i].name, name) == 0 &&
		    strcmp(m->signals[i].subject, subject) == 0 &&
		    strcmp(m->signals[i].action, action) == 0 &&
		    m->signals[i].dry_run == dry)
			return true;
	for (i = 0; i < m->nsignals; i++)
		print_error("signal %s %s %s dry=%d\n", m->signals[i].name,
			    m->signals[i].subject, m->signals[i].action,
			    m->signals[i].dry_run);
	print_error("no signal %s %s %s dry=%d\n", name, subject, action, dry);
	return false;
}

/* trip - a quota refusal of login in transaction id; true when the
 * penalty box blocked the login now */
static bool
trip(struct abuse *ab, const char *login, const char *id)
{
	struct limit_result *res = calloc(1, sizeof(*res));
	struct abusemsg *m = calloc(1, sizeof(*m));
	struct txn t;
	bool blocked;

	assert_non_null(res);
	assert_non_null(m);
	txn(&t, login, "", "192.0.2.7", id);
	res->outcome = LIMIT_OVER;
	res->nsubjects = 1;
	(void)str_format(res->subjects[0], sizeof(res->subjects[0]),
			 "login:%s", login);
	res->nhits = 1;
	(void)str_copy(res->hits[0].name, sizeof(res->hits[0].name), "hour");
	res->hits[0].state = LIMIT_STATE_OVER;
	res->hits[0].used = 10;
	res->hits[0].amount = 10;
	res->hits[0].period_ms = H;
	res->over = 0;
	abuse_limit(ab, &t, m, res);
	blocked = m->nsignals == 1;
	free(res);
	free(m);
	return blocked;
}

/* block_len - how long the login's block lasts from now, in ms */
static uint64_t
block_len(struct abuse *ab, const char *subject)
{
	struct abuse_block b;
	struct err e;

	assert_int_equal(abuse_block_get(ab, subject, &b, &e), 0);
	assert_true(b.active);
	return b.until_ms - test_now;
}

/* --- blocks and the penalty box ------------------------------------------ */

/* admin_block_tempfails_mail_of_the_login */
static void
t_block_set(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abusemsg m;
	struct verdict v;
	struct err e;

	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.7", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(abuse_block_set(ab, "login:" ALICE, T0 + H,
					 ABUSE_TEMPFAIL, "phished", &e), 0);
	assert_int_equal(mail(ab, "Alice@Example.COM", "x@example.net",
			      "198.51.100.1", &m, &v), VERDICT_TEMPFAIL);
	assert_string_equal(v.code, "451");
	assert_string_equal(v.xcode, "4.7.1");
	assert_string_equal(v.reason, "penalty-box");
	assert_true(rg_has(v.text, "login:alice@example.com is blocked until "
			   "2027-01-15T09:00:00Z"));
	assert_true(has_signal(&m, "penalty_box", "login:" ALICE, "tempfail",
			       false));
	/* another login is not concerned */
	assert_int_equal(mail(ab, "bob@example.com", "", "198.51.100.1", &m,
			      &v), VERDICT_CONTINUE);
	abuse_free(ab);
}

/* suspension_rejects_with_550 */
static void
t_block_reject(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abusemsg m;
	struct verdict v;
	struct err e;

	assert_int_equal(abuse_block_set(ab, "domain:example.org", 0,
					 ABUSE_REJECT, "spam run", &e), 0);
	assert_int_equal(mail(ab, "", "ceo@EXAMPLE.org", "192.0.2.7", &m, &v),
			 VERDICT_REJECT);
	assert_string_equal(v.code, "550");
	assert_string_equal(v.xcode, "5.7.1");
	assert_true(rg_has(v.text, "domain:example.org is suspended until"));
	/* until 0: penalty_box_max_time (1 day) from now */
	assert_int_equal(block_len(ab, "domain:example.org"), 24 * H);
	abuse_free(ab);
}

/* block_expires_by_itself */
static void
t_block_expires(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abusemsg m;
	struct verdict v;
	struct err e;

	assert_int_equal(abuse_block_set(ab, "ip:192.0.2.7", T0 + 10 * MIN,
					 ABUSE_TEMPFAIL, "", &e), 0);
	test_now = T0 + 10 * MIN - 1;
	assert_int_equal(mail(ab, "", "a@example.net", "192.0.2.7", &m, &v),
			 VERDICT_TEMPFAIL);
	test_now = T0 + 10 * MIN;
	assert_int_equal(mail(ab, "", "a@example.net", "192.0.2.7", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(m.nsignals, 0);
	abuse_free(ab);
}

/* unblock_lifts_a_block */
static void
t_unblock(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abusemsg m;
	struct verdict v;
	struct err e;
	bool was = false;

	assert_int_equal(abuse_block_set(ab, "sender:a@example.net", T0 + H,
					 ABUSE_TEMPFAIL, "", &e), 0);
	assert_int_equal(mail(ab, "", "A@example.net", "192.0.2.7", &m, &v),
			 VERDICT_TEMPFAIL);
	assert_int_equal(abuse_block_clear(ab, "sender:a@example.net", false,
					   &was, &e), 0);
	assert_true(was);
	assert_int_equal(mail(ab, "", "a@example.net", "192.0.2.7", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(abuse_block_clear(ab, "sender:a@example.net", false,
					   &was, &e), 0);
	assert_false(was);
	abuse_free(ab);
}

/* network_block_covers_every_address_in_it */
static void
t_block_net(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abusemsg m;
	struct verdict v;
	struct err e;
	char key[ABUSE_SUBJECT_MAX];

	assert_int_equal(abuse_subject_parse("net:192.0.2.77", key,
					     sizeof(key), &e), 0);
	assert_string_equal(key, "net:192.0.2.0/24");
	assert_int_equal(abuse_block_set(ab, key, T0 + H, ABUSE_TEMPFAIL, "",
					 &e), 0);
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.200", &m, &v),
			 VERDICT_TEMPFAIL);
	assert_true(has_signal(&m, "penalty_box", "net:192.0.2.0/24",
			       "tempfail", false));
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.3.1", &m, &v),
			 VERDICT_CONTINUE);
	/* an IPv6 client's /64 */
	assert_int_equal(abuse_subject_parse("net:2001:db8:0:1::99", key,
					     sizeof(key), &e), 0);
	assert_string_equal(key, "net:2001:db8:0:1::/64");
	assert_int_equal(abuse_block_set(ab, key, T0 + H, ABUSE_TEMPFAIL, "",
					 &e), 0);
	assert_int_equal(mail(ab, "", "", "2001:db8:0:1:ffff::1", &m, &v),
			 VERDICT_TEMPFAIL);
	abuse_free(ab);
}

/* penalty_box_blocks_after_k_quota_refusals */
static void
t_penalty_box(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abusemsg m;
	struct verdict v;
	struct abuse_block b;
	struct err e;

	assert_false(trip(ab, ALICE, "t1"));
	assert_false(trip(ab, ALICE, "t2"));
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.7", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(abuse_block_get(ab, "login:" ALICE, &b, &e), 0);
	assert_int_equal(b.trips, 2);
	assert_true(trip(ab, ALICE, "t3"));
	assert_int_equal(block_len(ab, "login:" ALICE), 10 * MIN);
	assert_int_equal(abuse_block_get(ab, "login:" ALICE, &b, &e), 0);
	assert_false(b.by_admin);
	assert_int_equal(b.offences, 1);
	assert_int_equal(b.trips, 0);
	assert_string_equal(b.reason, "quota refused 3 times");
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.7", &m, &v),
			 VERDICT_TEMPFAIL);
	assert_true(rg_has(v.text, "is blocked until"));
	/* while blocked, refusals are not counted */
	assert_false(trip(ab, ALICE, "t4"));
	abuse_free(ab);
}

/* trip_counts_once_per_transaction */
static void
t_trip_once(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abuse_block b;
	struct err e;
	int i;

	for (i = 0; i < 5; i++)
		assert_false(trip(ab, ALICE, "same"));
	assert_int_equal(abuse_block_get(ab, "login:" ALICE, &b, &e), 0);
	assert_false(b.active);
	assert_int_equal(b.trips, 1);
	abuse_free(ab);
}

/* trips_of_an_old_window_do_not_add_up */
static void
t_trip_window(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);

	assert_false(trip(ab, ALICE, "t1"));
	assert_false(trip(ab, ALICE, "t2"));
	test_now += H;		/* penalty_box_window */
	assert_false(trip(ab, ALICE, "t3"));
	assert_false(trip(ab, ALICE, "t4"));
	assert_true(trip(ab, ALICE, "t5"));
	abuse_free(ab);
}

/* penalty_box_grows_on_repeat_offences */
static void
t_penalty_growth(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	const uint64_t want[] = {10 * MIN, 20 * MIN, 40 * MIN, 80 * MIN,
				 160 * MIN, 320 * MIN, 640 * MIN, 1280 * MIN,
				 24 * H, 24 * H};
	char id[16];
	size_t i;
	int j;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (j = 0; j < 3; j++) {
			(void)str_format(id, sizeof(id), "t%zu.%d", i, j);
			assert_int_equal(trip(ab, ALICE, id), j == 2);
		}
		assert_int_equal(block_len(ab, "login:" ALICE), want[i]);
		test_now += want[i];	/* the block ends */
	}
	/* penalty_box_memory (7 days) after the last block: a fresh start */
	test_now += 7 * 24 * H;
	for (j = 0; j < 3; j++) {
		(void)str_format(id, sizeof(id), "late%d", j);
		(void)trip(ab, ALICE, id);
	}
	assert_int_equal(block_len(ab, "login:" ALICE), 10 * MIN);
	abuse_free(ab);
}

/* set_dry_run - penalty_box_dry_run = yes */
static void
set_dry_run(struct conf *c)
{
	c->penalty_box_dry_run = true;
	c->penalty_box_action = CONF_ABUSE_REJECT;
}

/* dry_run_penalty_box_records_but_lets_mail_pass */
static void
t_penalty_dry(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_dry_run);
	struct abusemsg m;
	struct verdict v;

	assert_false(trip(ab, ALICE, "t1"));
	assert_false(trip(ab, ALICE, "t2"));
	assert_true(trip(ab, ALICE, "t3"));
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.7", &m, &v),
			 VERDICT_CONTINUE);
	assert_true(has_signal(&m, "penalty_box", "login:" ALICE, "reject",
			       true));
	abuse_free(ab);
}

/* --- stolen credentials ------------------------------------------------- */

/* set_stolen - 2 networks, action by test */
static void
set_stolen(struct conf *c)
{
	c->stolen_login_networks = 2;
}

/* login_from_more_networks_than_allowed_is_held */
static void
t_stolen(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_stolen);
	struct abusemsg m;
	struct verdict v;

	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.1", &m, &v),
			 VERDICT_CONTINUE);
	assert_false(m.hold);
	/* another address of the same /24 is the same network */
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.99", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(mail(ab, ALICE, ALICE, "198.51.100.1", &m, &v),
			 VERDICT_CONTINUE);
	assert_false(m.hold);
	assert_int_equal(m.nsignals, 0);
	/* a third network: the default action holds the message */
	assert_int_equal(mail(ab, ALICE, ALICE, "203.0.113.1", &m, &v),
			 VERDICT_CONTINUE);
	assert_true(m.hold);
	assert_string_equal(m.hold_why, "stolen_credentials");
	assert_true(has_signal(&m, "stolen_credentials", "login:" ALICE,
			       "hold", false));
	/* another login from those networks is not concerned */
	assert_int_equal(mail(ab, "bob@example.com", "", "203.0.113.1", &m,
			      &v), VERDICT_CONTINUE);
	assert_false(m.hold);
	abuse_free(ab);
}

/* set_stolen_tempfail - 2 networks in 1 h, tempfail */
static void
set_stolen_tempfail(struct conf *c)
{
	c->stolen_login_networks = 2;
	c->stolen_login_action = CONF_ABUSE_TEMPFAIL;
}

/* networks_age_out_of_the_window */
static void
t_stolen_window(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_stolen_tempfail);
	struct abusemsg m;
	struct verdict v;

	(void)mail(ab, ALICE, "", "192.0.2.1", &m, &v);
	test_now += 30 * MIN;
	(void)mail(ab, ALICE, "", "198.51.100.1", &m, &v);
	test_now += 31 * MIN;	/* the first is older than the hour now */
	assert_int_equal(mail(ab, ALICE, "", "203.0.113.1", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(mail(ab, ALICE, "", "2001:db8::1", &m, &v),
			 VERDICT_TEMPFAIL);
	assert_string_equal(v.code, "451");
	assert_string_equal(v.reason, "stolen-credentials");
	abuse_free(ab);
}

/* explain_counts_the_network_without_adding_it */
static void
t_explain(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_stolen);
	struct abuse_explain x;
	struct abusemsg m;
	struct verdict v;
	struct txn t;
	struct err e;

	(void)mail(ab, ALICE, "", "192.0.2.1", &m, &v);
	(void)mail(ab, ALICE, "", "198.51.100.1", &m, &v);
	txn(&t, ALICE, ALICE, "203.0.113.1", "x");
	assert_int_equal(abuse_explain_mail(ab, &t, &x), 0);
	assert_int_equal(x.networks, 3);
	assert_true(x.stolen);
	assert_string_equal(x.blocked, "");
	assert_int_equal(abuse_explain_mail(ab, &t, &x), 0);
	assert_int_equal(x.networks, 3);
	txn(&t, ALICE, ALICE, "192.0.2.1", "x");
	assert_int_equal(abuse_explain_mail(ab, &t, &x), 0);
	assert_int_equal(x.networks, 2);
	assert_false(x.stolen);
	assert_int_equal(abuse_block_set(ab, "domain:example.com", T0 + H,
					 ABUSE_REJECT, "why", &e), 0);
	assert_int_equal(abuse_explain_mail(ab, &t, &x), 0);
	assert_string_equal(x.blocked, "domain:example.com");
	assert_int_equal(x.block.action, ABUSE_REJECT);
	assert_true(x.block.by_admin);
	assert_string_equal(x.block.reason, "why");
	abuse_free(ab);
}

/* --- fan-out ------------------------------------------------------------- */

/* set_fanout - 3 recipients per sender, 5 in all, tempfail */
static void
set_fanout(struct conf *c)
{
	c->fanout_sender_recipients = 3;
	c->fanout_recipients = 5;
	c->fanout_action = CONF_ABUSE_TEMPFAIL;
}

/* eom - one message of login with fingerprint fp to the recipients
 * given as "a@x,b@y"; the verdict's action */
static enum verdict_action
eom(struct abuse *ab, const char *login, const char *fp, const char *rcpts,
    struct abusemsg *m, struct verdict *v)
{
	char list[512];
	char *p;
	char *r;
	struct txn t;

	txn(&t, login, login, "192.0.2.7", "e");
	abusemsg_reset(m);
	(void)str_copy(m->body_fp, sizeof(m->body_fp), fp);
	(void)str_copy(list, sizeof(list), rcpts);
	for (p = list; (r = strsep(&p, ",")) != NULL;)
		abusemsg_add_rcpt(m, r);
	abuse_eom(ab, &t, m, v);
	return v->action;
}

/* one_sender_same_body_to_too_many_recipients */
static void
t_fanout_sender(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_fanout);
	struct abusemsg m;
	struct verdict v;

	assert_int_equal(eom(ab, ALICE, FP, "a@x,b@x", &m, &v),
			 VERDICT_CONTINUE);
	/* the same recipients again count once */
	assert_int_equal(eom(ab, ALICE, FP, "A@x,<b@x>", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(eom(ab, ALICE, FP, "c@y", &m, &v), VERDICT_CONTINUE);
	assert_int_equal(eom(ab, ALICE, FP, "d@y", &m, &v), VERDICT_TEMPFAIL);
	assert_string_equal(v.reason, "fanout");
	assert_true(has_signal(&m, "fanout", "login:" ALICE, "tempfail",
			       false));
	/* another body is another count */
	assert_int_equal(eom(ab, ALICE, "ffff456789abcdef0123456789abcdef",
			     "a@x,b@x,c@x", &m, &v), VERDICT_CONTINUE);
	/* after the window the count starts again */
	test_now += H;
	assert_int_equal(eom(ab, ALICE, FP, "e@z,f@z", &m, &v),
			 VERDICT_CONTINUE);
	abuse_free(ab);
}

/* one_body_over_many_accounts_is_caught */
static void
t_fanout_all(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_fanout);
	struct abusemsg m;
	struct verdict v;

	assert_int_equal(eom(ab, "a1@example.com", FP, "r1@x,r2@x", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(eom(ab, "a2@example.com", FP, "r3@x,r4@x", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(eom(ab, "a3@example.com", FP, "r5@x", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(eom(ab, "a4@example.com", FP, "r6@x", &m, &v),
			 VERDICT_TEMPFAIL);
	assert_true(has_signal(&m, "fanout", "fp:" FP, "tempfail", false));
	/* a message without a fingerprint is not counted */
	assert_int_equal(eom(ab, "a5@example.com", "", "r7@x,r8@x,r9@x,ra@x",
			     &m, &v), VERDICT_CONTINUE);
	abuse_free(ab);
}

/* --- spike --------------------------------------------------------------- */

/* send_one - one message of login at the current time; true on a spike */
static bool
send_one(struct abuse *ab, const char *login)
{
	struct abusemsg m;
	struct verdict v;

	(void)eom(ab, login, "", "r@x", &m, &v);
	return m.nsignals > 0 &&
	       strcmp(m.signals[0].name, "spike") == 0;
}

/* burst_after_a_quiet_history_is_a_spike */
static void
t_spike(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	int i;

	for (i = 0; i < 72; i++) {	/* three days, one an hour */
		assert_false(send_one(ab, ALICE));
		test_now += H;
	}
	/* one a second: the recent count (decayed over spike_window)
	 * reaches spike_min_messages after about 52 */
	for (i = 0; i < 49; i++) {
		assert_false(send_one(ab, ALICE));
		test_now += 1000;
	}
	for (i = 0; i < 11 && !send_one(ab, ALICE); i++)
		test_now += 1000;
	assert_true(i < 11);
	abuse_free(ab);
}

/* a_new_login_has_no_spike_before_it_has_a_history */
static void
t_spike_new(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	int i;

	for (i = 0; i < 100; i++) {
		assert_false(send_one(ab, "new@example.com"));
		test_now += 3000;
	}
	abuse_free(ab);
}

/* set_spike_low - one message is enough, three times the average */
static void
set_spike_low(struct conf *c)
{
	c->spike_min_messages = 1;
	c->spike_factor = 3;
}

/* a_steady_rate_is_no_spike */
static void
t_spike_steady(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_spike_low);
	int i;

	for (i = 0; i < 6 * 60; i++) {	/* one a minute for six hours */
		assert_false(send_one(ab, ALICE));
		test_now += MIN;
	}
	abuse_free(ab);
}

/* --- caps ---------------------------------------------------------------- */

/* set_caps - 3 recipients, 2 domains */
static void
set_caps(struct conf *c)
{
	c->max_recipients_per_message = 3;
	c->max_recipient_domains = 2;
}

/* rcpt - abuse_rcpt, then the recipient is accepted unless refused */
static enum verdict_action
rcpt(struct abuse *ab, struct txn *t, struct abusemsg *m, const char *r,
     struct verdict *v)
{
	abuse_rcpt(ab, t, m, r, v);
	if (v->action == VERDICT_CONTINUE) {
		abusemsg_add_rcpt(m, r);
		t->nrcpt++;
	}
	return v->action;
}

/* recipients_and_domains_per_message_are_capped */
static void
t_caps(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_caps);
	struct abusemsg m;
	struct verdict v;
	struct txn t;

	txn(&t, ALICE, ALICE, "192.0.2.7", "c");
	abusemsg_reset(&m);
	assert_int_equal(rcpt(ab, &t, &m, "<a@one.example>", &v),
			 VERDICT_CONTINUE);
	assert_int_equal(rcpt(ab, &t, &m, "<b@two.example>", &v),
			 VERDICT_CONTINUE);
	assert_int_equal(rcpt(ab, &t, &m, "<c@three.example>", &v),
			 VERDICT_TEMPFAIL);
	assert_string_equal(v.code, "452");
	assert_string_equal(v.xcode, "4.5.3");
	assert_string_equal(v.reason, "domain-cap");
	assert_int_equal(rcpt(ab, &t, &m, "<c@ONE.example>", &v),
			 VERDICT_CONTINUE);
	assert_int_equal(rcpt(ab, &t, &m, "<d@two.example>", &v),
			 VERDICT_TEMPFAIL);
	assert_string_equal(v.reason, "recipient-cap");
	assert_true(rg_has(v.text, "too many recipients in one message "
			   "(at most 3)"));
	/* each cap is raised once a message, refused every time */
	assert_int_equal(rcpt(ab, &t, &m, "<e@two.example>", &v),
			 VERDICT_TEMPFAIL);
	assert_int_equal(m.nsignals, 2);
	assert_true(has_signal(&m, "domains_per_message", "login:" ALICE,
			       "tempfail", false));
	assert_true(has_signal(&m, "recipients_per_message", "login:" ALICE,
			       "tempfail", false));
	abuse_free(ab);
}

/* set_caps_hold - 1 recipient, hold */
static void
set_caps_hold(struct conf *c)
{
	c->max_recipients_per_message = 1;
	c->message_caps_action = CONF_ABUSE_HOLD;
}

/* a_hold_action_holds_the_message_at_its_end */
static void
t_caps_hold(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_caps_hold);
	struct abusemsg m;
	struct verdict v;
	struct txn t;

	txn(&t, "", "a@example.net", "192.0.2.7", "h");
	abusemsg_reset(&m);
	assert_int_equal(rcpt(ab, &t, &m, "a@x", &v), VERDICT_CONTINUE);
	assert_int_equal(rcpt(ab, &t, &m, "b@x", &v), VERDICT_CONTINUE);
	assert_true(m.hold);
	abuse_eom(ab, &t, &m, &v);
	assert_int_equal(v.action, VERDICT_HOLD);
	assert_string_equal(v.reason, "hold");
	assert_true(rg_has(v.text, "recipients_per_message"));
	abuse_free(ab);
}

/* --- quota warnings and reputation --------------------------------------- */

/* usage - an accepted limit decision of alice at used of 100 an hour */
static void
usage(struct abuse *ab, uint64_t used)
{
	struct limit_result *res = calloc(1, sizeof(*res));
	struct abusemsg m;
	struct txn t;

	assert_non_null(res);
	txn(&t, ALICE, ALICE, "192.0.2.7", "w");
	abusemsg_reset(&m);
	res->outcome = LIMIT_OK;
	res->nsubjects = 1;
	(void)str_copy(res->subjects[0], sizeof(res->subjects[0]),
		       "login:" ALICE);
	res->nhits = 2;
	(void)str_copy(res->hits[0].name, sizeof(res->hits[0].name), "hour");
	res->hits[0].used = used;
	res->hits[0].amount = 100;
	res->hits[0].period_ms = H;
	(void)str_copy(res->hits[1].name, sizeof(res->hits[1].name), "cap");
	res->hits[1].counter = LIMIT_PER_MESSAGE;
	res->hits[1].used = 100;
	res->hits[1].amount = 1;
	res->over = -1;
	abuse_limit(ab, &t, &m, res);
	free(res);
}

/* warnings - quota warnings written so far */
static unsigned long
warnings(struct abuse *ab)
{
	struct abuse_stats st;

	assert_int_equal(abuse_flush(ab, 5000), 0);
	abuse_get_stats(ab, &st);
	return st.warnings;
}

/* quota_warnings_once_per_period_each */
static void
t_warnings(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);

	usage(ab, 49);
	assert_int_equal(warnings(ab), 0);
	usage(ab, 85);		/* 50% and 80% at once */
	assert_int_equal(warnings(ab), 2);
	usage(ab, 90);
	assert_int_equal(warnings(ab), 2);
	usage(ab, 100);
	assert_int_equal(warnings(ab), 3);
	test_now += H;		/* the next period */
	usage(ab, 60);
	assert_int_equal(warnings(ab), 4);
	abuse_free(ab);
}

/* note - a final decision of login from ip to rcpt */
static void
note(struct abuse *ab, const char *login, const char *ip, const char *rc,
     enum verdict_action a, const char *reason, const char *spf)
{
	struct abusemsg m;
	struct verdict v;
	struct txn t;

	txn(&t, login, "x@sender.example", ip, "n");
	(void)str_copy(t.spf_result, sizeof(t.spf_result), spf);
	abusemsg_reset(&m);
	abusemsg_add_rcpt(&m, rc);
	verdict_init(&v);
	v.action = a;
	(void)str_copy(v.reason, sizeof(v.reason), reason);
	abuse_note(ab, &t, &m, &v);
}

/* reputation_counts_decisions_by_hour_and_day */
static void
t_reputation(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abuse_reputation r;
	struct err e;

	assert_int_equal(abuse_reputation_get(ab, "login:" ALICE, &r, &e), 0);
	assert_false(r.known);
	note(ab, ALICE, "192.0.2.7", "a@one.example", VERDICT_CONTINUE, "",
	     "");
	test_now += 2 * H;
	note(ab, ALICE, "192.0.2.8", "b@two.example", VERDICT_ACCEPT, "", "");
	note(ab, ALICE, "198.51.100.1", "c@two.example", VERDICT_TEMPFAIL,
	     "quota", "");
	note(ab, ALICE, "198.51.100.1", "d@three.example", VERDICT_REJECT,
	     "sender-not-owned", "");
	note(ab, "", "203.0.113.9", "e@x.example", VERDICT_REJECT,
	     "spf-fail", "fail");
	assert_int_equal(abuse_flush(ab, 5000), 0);
	assert_int_equal(abuse_reputation_get(ab, "login:" ALICE, &r, &e), 0);
	assert_true(r.known);
	assert_int_equal(r.first_ms, T0);
	assert_int_equal(r.last_ms, T0 + 2 * H);
	assert_int_equal(r.networks, 2);
	assert_int_equal(r.domains, 3);
	assert_int_equal(r.hour[0], 1);
	assert_int_equal(r.hour[1], 1);
	assert_int_equal(r.hour[2], 1);
	assert_int_equal(r.hour[4], 1);
	assert_int_equal(r.day[0], 2);
	assert_int_equal(r.day[2], 1);
	assert_int_equal(abuse_reputation_get(ab, "ip:203.0.113.9", &r, &e),
			 0);
	assert_true(r.known);
	assert_int_equal(r.hour[2], 1);
	assert_int_equal(r.hour[3], 1);
	assert_int_equal(abuse_reputation_get(ab, "domain:sender.example",
					      &r, &e), 0);
	assert_int_equal(r.day[0] + r.day[1] + r.day[2], 5);
	/* a day later only first and last seen are left */
	test_now += 25 * H;
	assert_int_equal(abuse_reputation_get(ab, "login:" ALICE, &r, &e), 0);
	assert_true(r.known);
	assert_int_equal(r.day[0] + r.day[1] + r.day[2], 0);
	abuse_free(ab);
}

/* --- subjects ------------------------------------------------------------ */

static const struct {
	const char *in;
	const char *out;	/* NULL: an error */
} subjects[] = {
	{"login:Alice@Example.COM", "login:alice@example.com"},
	{"sender:a@b.example", "sender:a@b.example"},
	{"domain:EXAMPLE.org", "domain:example.org"},
	{"customer:acme", "customer:acme"},
	{"ip:192.0.2.7", "ip:192.0.2.7"},
	{"ip:::ffff:192.0.2.7", "ip:192.0.2.7"},
	{"net:192.0.2.0/24", "net:192.0.2.0/24"},
	{"login:a b{c}", "login:a%20b%7Bc%7D"},
	{"alice", NULL},
	{"user:alice", NULL},
	{"login:", NULL},
	{"ip:999.1.1.1", NULL},
	{":x", NULL},
};

/* subjects_are_normalised_like_the_limits */
static void
t_subjects(const struct side *sd)
{
	char key[ABUSE_SUBJECT_MAX];
	struct err e;
	size_t i;

	(void)sd;
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		int rc = abuse_subject_parse(subjects[i].in, key, sizeof(key),
					     &e);

		if (subjects[i].out == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(key, subjects[i].out);
	}
}

/* --- redis only ------------------------------------------------------------ */

/* top_lists_the_busiest_and_most_refused */
static void
t_redis_top(const struct side *sd)
{
	struct abuse *ab = mk(sd, NULL);
	struct abuse_top_row rows[5];
	struct err e;
	size_t n;
	int i;

	for (i = 0; i < 3; i++)
		note(ab, "busy@example.com", "192.0.2.1", "a@x",
		     VERDICT_CONTINUE, "", "");
	note(ab, "bad@example.com", "192.0.2.2", "a@x", VERDICT_REJECT,
	     "quota", "");
	note(ab, "bad@example.com", "192.0.2.2", "a@x", VERDICT_TEMPFAIL,
	     "quota", "");
	test_now += 30 * MIN;
	note(ab, "late@example.com", "192.0.2.3", "a@x", VERDICT_CONTINUE, "",
	     "");
	assert_int_equal(abuse_top(ab, ABUSE_TOP_SENT, H, 2, rows, &n, &e),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].subject, "domain:sender.example");
	assert_int_equal(rows[0].count, 6);
	assert_string_equal(rows[1].subject, "login:busy@example.com");
	assert_int_equal(rows[1].count, 3);
	assert_int_equal(abuse_top(ab, ABUSE_TOP_REFUSED, H, 5, rows, &n, &e),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].count, 2);
	/* the last 10 minutes hold only the late one */
	assert_int_equal(abuse_top(ab, ABUSE_TOP_SENT, 10 * MIN, 5, rows, &n,
				   &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].count, 1);
	abuse_free(ab);
}

/* every_key_has_a_ttl_and_one_hash_tag */
static void
t_redis_keys(const struct side *sd)
{
	struct abuse *ab = mk(sd, set_stolen);
	struct abusemsg m;
	struct verdict v;
	struct err e;
	redisReply *r;
	size_t i;

	(void)mail(ab, ALICE, ALICE, "192.0.2.1", &m, &v);
	(void)trip(ab, ALICE, "k1");
	(void)trip(ab, "bob@example.com", "k1");
	(void)trip(ab, "bob@example.com", "k2");
	(void)trip(ab, "bob@example.com", "k3");
	assert_int_equal(abuse_block_set(ab, "ip:192.0.2.9", T0 + H,
					 ABUSE_TEMPFAIL, "x", &e), 0);
	(void)eom(ab, ALICE, FP, "a@x,b@y", &m, &v);
	usage(ab, 90);
	note(ab, ALICE, "192.0.2.7", "a@x", VERDICT_CONTINUE, "", "");
	r = rcmd("KEYS *");
	assert_non_null(r);
	assert_true(r->elements >= 15);
	for (i = 0; i < r->elements; i++) {
		const char *k = r->element[i]->str;
		redisReply *t = rcmd("PTTL %s", k);

		assert_non_null(t);
		if (t->integer <= 0)
			print_error("%s has no TTL\n", k);
		assert_true(t->integer > 0);
		freeReplyObject(t);
		/* "rg:{SUBJECT}:..." */
		assert_true(strncmp(k, "rg:{", 4) == 0 &&
			    strchr(k + 4, '}') != NULL);
	}
	freeReplyObject(r);
	abuse_free(ab);
}

/* set_fail_accept - limit_fail_mode = accept */
static void
set_fail_accept(struct conf *c)
{
	c->limit_fail_mode = CONF_FAIL_ACCEPT;
}

/* set_fail_local - limit_fail_mode = local, 2 networks */
static void
set_fail_local(struct conf *c)
{
	c->limit_fail_mode = CONF_FAIL_LOCAL;
	c->stolen_login_networks = 2;
	c->stolen_login_action = CONF_ABUSE_REJECT;
}

/* unreachable_store_follows_limit_fail_mode */
static void
t_redis_down(const struct side *sd)
{
	char gone[PATH_MAX];
	struct abuse *ab;
	struct abusemsg m;
	struct verdict v;
	struct err e;
	struct abuse_block b;

	rg_pathf(gone, sizeof(gone), "%s/gone.sock", tmp);
	ab = mk_full(sd, NULL, gone);
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.1", &m, &v),
			 VERDICT_TEMPFAIL);
	assert_string_equal(v.code, "451");
	assert_string_equal(v.reason, "abuse-store-unavailable");
	assert_int_equal(abuse_block_get(ab, "login:" ALICE, &b, &e), -1);
	assert_int_equal(abuse_probe(ab, &e), -1);
	/* reputation is dropped, and counted */
	note(ab, ALICE, "192.0.2.7", "a@x", VERDICT_CONTINUE, "", "");
	{
		struct abuse_stats st;

		abuse_get_stats(ab, &st);
		assert_int_equal(st.dropped, 1);
	}
	abuse_free(ab);
	ab = mk_full(sd, set_fail_accept, gone);
	assert_int_equal(mail(ab, ALICE, ALICE, "192.0.2.1", &m, &v),
			 VERDICT_CONTINUE);
	abuse_free(ab);
	ab = mk_full(sd, set_fail_local, gone);
	assert_int_equal(mail(ab, ALICE, "", "192.0.2.1", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(mail(ab, ALICE, "", "198.51.100.1", &m, &v),
			 VERDICT_CONTINUE);
	assert_int_equal(mail(ab, ALICE, "", "203.0.113.1", &m, &v),
			 VERDICT_REJECT);
	abuse_free(ab);
}

/* the_background_writer_writes_and_stops_cleanly: notes and warnings
 * queued for the writer thread, flushed, counted; a writer whose store is
 * gone drops and counts; freeing with updates queued neither hangs nor
 * leaks */
static void
t_redis_writer(const struct side *sd)
{
	struct abuse_opts o = {clock_now, NULL, true, false};
	struct conf *c = conf_defaults();
	struct abuse_reputation r;
	struct abuse_stats st;
	struct abuse *ab = NULL;
	char spec[PATH_MAX + 8];
	struct err e;
	int i;

	abuse_free(mk(sd, NULL));	/* a clean store */
	c->abuse_control = true;
	c->limit_backend = CONF_LIMIT_REDIS;
	free(c->redis_server);
	rg_pathf(spec, sizeof(spec), "unix:%s", sock);
	c->redis_server = strdup(spec);
	assert_int_equal(abuse_new(c, NULL, &o, &ab, &e), 0);
	for (i = 0; i < 20; i++)
		note(ab, ALICE, "192.0.2.7", "a@x", VERDICT_CONTINUE, "", "");
	usage(ab, 90);
	assert_int_equal(abuse_flush(ab, 10000), 0);
	abuse_get_stats(ab, &st);
	assert_int_equal(st.notes, 20);
	assert_int_equal(st.warnings, 2);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(abuse_reputation_get(ab, "login:" ALICE, &r, &e), 0);
	assert_int_equal(r.day[0], 20);
	for (i = 0; i < 50; i++)
		note(ab, ALICE, "192.0.2.7", "a@x", VERDICT_CONTINUE, "", "");
	abuse_free(ab);		/* with updates maybe still queued */
	/* a store that is gone: updates dropped and counted, mail goes on */
	free(c->redis_server);
	rg_pathf(spec, sizeof(spec), "unix:%s/gone.sock", tmp);
	c->redis_server = strdup(spec);
	assert_int_equal(abuse_new(c, NULL, &o, &ab, &e), 0);
	note(ab, ALICE, "192.0.2.7", "a@x", VERDICT_CONTINUE, "", "");
	assert_int_equal(abuse_flush(ab, 10000), 0);
	abuse_get_stats(ab, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.notes, 0);
	abuse_free(ab);
	conf_free(c);
}

/* --- registration ------------------------------------------------------- */

struct row {
	const char *name;
	void (*fn)(const struct side *sd);
	bool redis_only;
};

static const struct row rows[] = {
	{"admin_block_tempfails_mail_of_the_login", t_block_set, false},
	{"suspension_rejects_with_550", t_block_reject, false},
	{"block_expires_by_itself", t_block_expires, false},
	{"unblock_lifts_a_block", t_unblock, false},
	{"network_block_covers_every_address_in_it", t_block_net, false},
	{"penalty_box_blocks_after_k_quota_refusals", t_penalty_box, false},
	{"trip_counts_once_per_transaction", t_trip_once, false},
	{"trips_of_an_old_window_do_not_add_up", t_trip_window, false},
	{"penalty_box_grows_on_repeat_offences", t_penalty_growth, false},
	{"dry_run_penalty_box_lets_mail_pass", t_penalty_dry, false},
	{"login_from_too_many_networks_is_held", t_stolen, false},
	{"networks_age_out_of_the_window", t_stolen_window, false},
	{"explain_counts_the_network_without_adding_it", t_explain, false},
	{"one_sender_same_body_to_too_many_recipients", t_fanout_sender,
	 false},
	{"one_body_over_many_accounts_is_caught", t_fanout_all, false},
	{"burst_after_a_quiet_history_is_a_spike", t_spike, false},
	{"new_login_has_no_spike_before_a_history", t_spike_new, false},
	{"steady_rate_is_no_spike", t_spike_steady, false},
	{"recipients_and_domains_per_message_are_capped", t_caps, false},
	{"hold_action_holds_the_message_at_its_end", t_caps_hold, false},
	{"quota_warnings_once_per_period_each", t_warnings, false},
	{"reputation_counts_decisions_by_hour_and_day", t_reputation, false},
	{"subjects_are_normalised_like_the_limits", t_subjects, false},
	{"top_lists_the_busiest_and_most_refused", t_redis_top, true},
	{"every_key_has_a_ttl_and_a_hash_tag", t_redis_keys, true},
	{"unreachable_store_follows_limit_fail_mode", t_redis_down, true},
	{"the_background_writer_writes_and_stops_cleanly", t_redis_writer,
	 true},
};

struct bound {
	const struct row *row;
	const struct side *side;
	char name[128];
};

static struct bound bound[2 * sizeof(rows) / sizeof(rows[0])];

/* run_bound - cmocka entry: one row on one side */
static void
run_bound(void **state)
{
	const struct bound *b = *state;

	b->row->fn(b->side);
}

int
main(void)
{
	static struct rg_cases cases;
	size_t n = 0;
	size_t i;
	int s;

	log_open("abuse_test", true, 0);
	log_set_level(LOG_LEVEL_ERROR);
	for (s = 0; s < 2; s++) {
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct bound *b = &bound[n];

			if (s == 0 && rows[i].redis_only)
				continue;
			b->row = &rows[i];
			b->side = s == 0 ? &side_mem : &side_redis;
			(void)str_format(b->name, sizeof(b->name), "%s/%s",
					 s == 0 ? "memory" : "redis",
					 rows[i].name);
			rg_case_add(&cases, b->name, run_bound, b);
			n++;
		}
	}
	return rg_cases_run(&cases, "abuse", redis_start, redis_stop);
}
