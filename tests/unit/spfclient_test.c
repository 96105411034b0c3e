/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfclient_test - the SPF process: started by re-executing this very
 * test program (main() hands SPFWORKER_ARG to spfworker_main()), requests
 * answered through a socket pair passed with SCM_RIGHTS, many threads at
 * once, a worker killed and replaced, start failures reported, and the
 * process gone after spfclient_stop().
 *
 * No request here reaches DNS: each one is decided before any lookup
 * (an address that is not an IP, a HELO that is an address literal), so
 * the test needs no network and no test DNS server.
 */
#include "spfclient.h"

#include <glob.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>

#include "rg_test.h"
#include "spfworker.h"

#define THREADS 8
#define CHECKS_PER_THREAD 25

/* make_conf - defaults with a few SPF settings */
static struct conf *
make_conf(const char *user)
{
	struct conf *c = conf_defaults();

	free(c->spf_user);
	c->spf_user = strdup(user);
	c->spf_max_concurrent = 4;
	c->log_level = LOG_LEVEL_ERROR;
	return c;
}

/* no_dns_req - a request decided without DNS: the address is no IP */
static void
no_dns_req(struct spfcheck_req *req, const char *ip)
{
	memset(req, 0, sizeof(*req));
	snprintf(req->ip, sizeof(req->ip), "%s", ip);
	snprintf(req->helo, sizeof(req->helo), "h.example");
	snprintf(req->sender, sizeof(req->sender), "a@example.com");
	req->timeout_ms = 5000;
	req->dns_timeout_ms = 1000;
}

/* worker_pid - the supervisor's child, 0 when there is none (yet) */
static pid_t
worker_pid(pid_t sup)
{
	char path[64];
	long pid = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
		 (long)sup, (long)sup);
	fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld", &pid) != 1)
		pid = 0;
	fclose(fp);
	return (pid_t)pid;
}

/* all_stopped - every thread of pid in state T (stopped)? */
static int
all_stopped(pid_t pid)
{
	char path[128];
	char buf[512];
	int n = 0;
	int stopped = 0;
	glob_t g;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%ld/task/*/stat", (long)pid);
	if (glob(path, 0, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc; i++) {
		FILE *fp = fopen(g.gl_pathv[i], "r");
		char *p;

		if (fp == NULL)
			continue;
		n++;
		if (fgets(buf, sizeof(buf), fp) != NULL &&
		    (p = strrchr(buf, ')')) != NULL && p[1] == ' ' &&
		    (p[2] == 'T' || p[2] == 't'))
			stopped++;
		fclose(fp);
	}
	globfree(&g);
	return n > 0 && n == stopped;
}

/* test_round_trip - a request crosses to the worker and back */
static void
test_round_trip(void **state)
{
	struct conf *c = make_conf("nobody");
	struct spfclient *cl;
	struct spfcheck_req req;
	struct spfcheck_res res;
	struct err e;

	(void)state;
	cl = spfclient_start(c, true, &e);
	if (cl == NULL)
		fail_msg("%s", e.text);
	no_dns_req(&req, "not-an-address");
	assert_int_equal(spfclient_check(cl, &req, &res), 0);
	assert_int_equal(res.result, SPFCHECK_NONE);
	assert_true(rg_has(res.reason, "no usable client IP"));
	assert_string_equal(res.sender, "a@example.com");
	/* a null sender with an address-literal HELO: none, identity helo */
	snprintf(req.helo, sizeof(req.helo), "[192.0.2.1]");
	req.sender[0] = '\0';
	snprintf(req.ip, sizeof(req.ip), "192.0.2.1");
	assert_int_equal(spfclient_check(cl, &req, &res), 0);
	assert_int_equal(res.result, SPFCHECK_NONE);
	assert_int_equal(res.identity, SPFCHECK_ID_HELO);
	spfclient_stop(cl);
	conf_free(c);
}

/* test_runs_as_spf_user - the SPF process is spf_user when we are root,
 * else it keeps our uid; either way NoNewPrivs is set */
static void
test_runs_as_spf_user(void **state)
{
	struct conf *c = make_conf("nobody");
	struct passwd *pw = getpwnam("nobody");
	uid_t want = geteuid() == 0 && pw != NULL ? pw->pw_uid : geteuid();
	struct spfclient *cl;
	char path[64];
	char line[256];
	long uid = -1;
	int nnp = -1;
	FILE *fp;
	struct err e;

	(void)state;
	cl = spfclient_start(c, true, &e);
	if (cl == NULL)
		fail_msg("%s", e.text);
	snprintf(path, sizeof(path), "/proc/%ld/status",
		 (long)spfclient_pid(cl));
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0)
			uid = strtol(line + 4, NULL, 10);
		if (strncmp(line, "NoNewPrivs:", 11) == 0)
			nnp = (int)strtol(line + 11, NULL, 10);
	}
	fclose(fp);
	assert_int_equal(uid, (long)want);
	assert_int_equal(nnp, 1);
	spfclient_stop(cl);
	conf_free(c);
}

/* test_bad_user_fails_start - an unknown or root spf_user stops startup
 * with the reason (root only: others keep their own uid) */
static void
test_bad_user_fails_start(void **state)
{
	static const char *const users[] = {"no-such-user-rg", "root"};
	static const char *const why[] = {"no such user", "must not be root"};
	struct spfclient *cl;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct conf *c = make_conf(users[i]);

		cl = spfclient_start(c, true, &e);
		if (geteuid() == 0) {
			assert_null(cl);
			assert_true(rg_has(e.text, why[i]));
		} else {
			assert_non_null(cl);
			spfclient_stop(cl);
		}
		conf_free(c);
	}
}

struct thread_arg {
	struct spfclient *cl;
	int answered;
};

/* checker - one thread's share of requests */
static void *
checker(void *p)
{
	struct thread_arg *a = p;
	struct spfcheck_req req;
	struct spfcheck_res res;
	int i;

	no_dns_req(&req, "not-an-address");
	for (i = 0; i < CHECKS_PER_THREAD; i++)
		if (spfclient_check(a->cl, &req, &res) == 0 &&
		    res.result == SPFCHECK_NONE)
			a->answered++;
	return NULL;
}

/* test_many_threads - concurrent callers each get their own answer */
static void
test_many_threads(void **state)
{
	struct conf *c = make_conf("nobody");
	struct thread_arg args[THREADS];
	pthread_t tids[THREADS];
	struct spfclient *cl;
	struct err e;
	int i;

	(void)state;
	cl = spfclient_start(c, true, &e);
	if (cl == NULL)
		fail_msg("%s", e.text);
	for (i = 0; i < THREADS; i++) {
		args[i].cl = cl;
		args[i].answered = 0;
		assert_int_equal(pthread_create(&tids[i], NULL, checker,
						&args[i]),
				 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(tids[i], NULL), 0);
		assert_int_equal(args[i].answered, CHECKS_PER_THREAD);
	}
	spfclient_stop(cl);
	conf_free(c);
}

/* test_killed_worker_is_replaced - SIGKILL the worker: the supervisor
 * starts a new one and the next request is answered */
static void
test_killed_worker_is_replaced(void **state)
{
	struct conf *c = make_conf("nobody");
	struct spfcheck_req req;
	struct spfcheck_res res;
	struct spfclient *cl;
	struct err e;
	pid_t w;
	pid_t w2;
	int i;

	(void)state;
	cl = spfclient_start(c, true, &e);
	if (cl == NULL)
		fail_msg("%s", e.text);
	for (i = 0; i < 100 && (w = worker_pid(spfclient_pid(cl))) == 0; i++)
		usleep(50000);
	assert_true(w > 0);
	assert_int_equal(kill(w, SIGKILL), 0);
	/* a request sent while it is dying may still be taken by it (and
	 * answered temperror): wait until the supervisor has reaped it */
	for (i = 0; i < 200 && kill(w, 0) == 0; i++)
		usleep(25000);
	no_dns_req(&req, "not-an-address");
	if (spfclient_check(cl, &req, &res) != 0)
		fail_msg("after the kill: %s", res.reason);
	assert_int_equal(res.result, SPFCHECK_NONE);
	w2 = worker_pid(spfclient_pid(cl));
	assert_true(w2 > 0 && w2 != w);
	spfclient_stop(cl);
	conf_free(c);
}

/* test_stopped_worker_is_temperror - a worker that does not answer
 * (SIGSTOP) costs the caller its deadline, not more: temperror */
static void
test_stopped_worker_is_temperror(void **state)
{
	struct conf *c = make_conf("nobody");
	struct spfcheck_req req;
	struct spfcheck_res res;
	struct spfclient *cl;
	struct err e;
	pid_t w;
	int i;

	(void)state;
	cl = spfclient_start(c, true, &e);
	if (cl == NULL)
		fail_msg("%s", e.text);
	for (i = 0; i < 100 && (w = worker_pid(spfclient_pid(cl))) == 0; i++)
		usleep(50000);
	assert_true(w > 0);
	/* a client that waited forever would hang here: SIGALRM ends it */
	alarm(20);
	assert_int_equal(kill(w, SIGSTOP), 0);
	/* kill() returns before every thread has stopped: a thread still
	 * running could take the request */
	for (i = 0; i < 200 && !all_stopped(w); i++)
		usleep(10000);
	assert_true(all_stopped(w));
	no_dns_req(&req, "not-an-address");
	req.timeout_ms = 300;
	assert_int_equal(spfclient_check(cl, &req, &res), -1);
	assert_int_equal(res.result, SPFCHECK_TEMPERROR);
	assert_true(rg_has(res.reason, "no SPF answer within 300 ms"));
	assert_int_equal(kill(w, SIGCONT), 0);
	/* the stale request is dropped, the next one answered */
	req.timeout_ms = 5000;
	assert_int_equal(spfclient_check(cl, &req, &res), 0);
	assert_int_equal(res.result, SPFCHECK_NONE);
	alarm(0);
	spfclient_stop(cl);
	conf_free(c);
}

/* test_no_client_is_temperror - a front end whose SPF process could not
 * start answers temperror, never pass */
static void
test_no_client_is_temperror(void **state)
{
	struct spfcheck_req req;
	struct spfcheck_res res;

	(void)state;
	no_dns_req(&req, "192.0.2.1");
	assert_int_equal(spfclient_check(NULL, &req, &res), -1);
	assert_int_equal(res.result, SPFCHECK_TEMPERROR);
	assert_true(rg_has(res.reason, "not running"));
}

/* test_stop_ends_the_process - nothing is left behind */
static void
test_stop_ends_the_process(void **state)
{
	struct conf *c = make_conf("nobody");
	struct spfclient *cl;
	struct err e;
	pid_t sup;
	pid_t w;
	int i;

	(void)state;
	cl = spfclient_start(c, true, &e);
	if (cl == NULL)
		fail_msg("%s", e.text);
	sup = spfclient_pid(cl);
	for (i = 0; i < 100 && (w = worker_pid(sup)) == 0; i++)
		usleep(50000);
	assert_true(w > 0);
	spfclient_stop(cl);
	assert_int_equal(kill(sup, 0), -1);	/* reaped */
	/* the worker saw the control socket close and exited */
	for (i = 0; i < 100 && kill(w, 0) == 0; i++)
		usleep(50000);
	assert_int_equal(kill(w, 0), -1);
	conf_free(c);
}

int
main(int argc, char **argv)
{
	static struct rg_cases c;

	if (argc > 1 && strcmp(argv[1], SPFWORKER_ARG) == 0)
		return spfworker_main(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	rg_case_add(&c, "request_round_trip", test_round_trip, NULL);
	rg_case_add(&c, "runs_as_spf_user_without_new_privileges",
		    test_runs_as_spf_user, NULL);
	rg_case_add(&c, "bad_spf_user_fails_start", test_bad_user_fails_start,
		    NULL);
	rg_case_add(&c, "many_threads_at_once", test_many_threads, NULL);
	rg_case_add(&c, "killed_worker_is_replaced",
		    test_killed_worker_is_replaced, NULL);
	rg_case_add(&c, "stopped_worker_is_temperror_at_the_deadline",
		    test_stopped_worker_is_temperror, NULL);
	rg_case_add(&c, "no_spf_process_is_temperror",
		    test_no_client_is_temperror, NULL);
	rg_case_add(&c, "stop_ends_the_process", test_stop_ends_the_process,
		    NULL);
	return rg_cases_run(&c, "spfclient", NULL, NULL);
}
