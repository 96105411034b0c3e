/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limitq - run limit decisions and admin operations from the command line,
 * through the same engine the milter and the policy service use (tests,
 * benchmarks, and an admin's quick look before relayguardctl exists).
 *
 *   limitq -c CONF [options] check|reserve|undo|commit|release|settle|send
 *          (send: the milter's whole message, a reservation and, when it
 *          is ok, the commit with the txn id as queue id)
 *   limitq -c CONF show SUBJECT
 *   limitq -c CONF reset SUBJECT [LIMIT]
 *   limitq -c CONF override SUBJECT LIMIT AMOUNT[/PERIOD_MS] [TTL_MS]
 *   limitq -c CONF unoverride SUBJECT [LIMIT]
 *   limitq -c CONF probe
 *   limitq -c CONF [options] args OP	the script's arguments of one call
 *          (one a line, a byte that is not printable as \xHH)
 *   limitq -c CONF [options] resp OP|send COUNT RANGE
 *          COUNT script calls as Redis reads them (RESP, EVALSHA), for
 *          redis-cli --pipe: call I has the transaction xI (and, with -q,
 *          the queue id xI), the login uN@DOMAIN (-l's domain), N random
 *          below RANGE, no deadline; send: a RESERVE and its COMMIT each
 *   limitq -c CONF [options] resp-module OP|send COUNT RANGE
 *          the same calls as RELAYGUARD.LIMIT (the Redis module)
 *   limitq -c CONF script		the script's text
 *
 * Options: -l LOGIN -s SENDER -i CLIENT_IP -x TXN_ID -r RCPT -q QID
 *          -m MESSAGES -R RECIPIENTS -b BYTES (units of the request)
 *          -N COUNT -T THREADS: COUNT decisions over THREADS threads, each
 *             its own transaction (TXN_ID-THREAD-I) and recipient
 *             (I@RCPT's domain): prints "ok=N over=N unavailable=N local=N"
 *          -P PAUSE_MS between two decisions of one thread (fault tests)
 *          -L COUNT: with -N, the login (and sender) of decision I is
 *             uI%COUNT@DOMAIN, DOMAIN the -l value (example.com)
 *          -v: with -N, one line per decision
 *   limitq -c CONF [options] -
 *          one decision per line read: "OP [TXN [RCPT [QID]]]" (OP may
 *          be send), answered
 *          "OUTCOME local=yes|no stale=yes|no duplicate=yes|no LOG" on one
 *          line each (scripts drive decisions around faults this way)
 *
 * One decision prints "outcome=...", the verdict ("reply=..."), the log
 * fields and one "hit ..." line per limit.  Exit status: 0 ok (every
 * decision ok), 1 over (some decision over), 2 unavailable, 64 usage,
 * 78 configuration error.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "limit.h"
#include "limit_redis.h"
#include "log.h"
#include "str.h"

#define LIMITQ_THREADS_MAX 256

struct limitq {
	struct limiter *l;
	bool send;		/* "send": reserve, then commit when ok */
	struct limit_req req;
	const char *txn;
	const char *rcpt;
	unsigned long count;
	unsigned long threads;
	unsigned long pause_ms;
	unsigned long logins;	/* -L: logins cycle among this many */
	bool verbose;
	atomic_ulong next;
	atomic_ulong n[4];	/* ok, over, unavailable, local */
};

struct limitq_thread {
	struct limitq *q;
	unsigned long id;
};

/* usage - print the synopsis and exit 64 */
static void
usage(void)
{
	fprintf(stderr,
		"usage: limitq -c CONF [-l LOGIN] [-s SENDER] [-i IP] [-x TXN]"
		" [-r RCPT] [-q QID]\n"
		"              [-m N] [-R N] [-b N] [-N COUNT] [-T THREADS] "
		"[-P MS] [-v]\n"
		"              check|reserve|undo|commit|release|settle|send|probe\n"
		"       limitq -c CONF show SUBJECT | reset SUBJECT [LIMIT]\n"
		"       limitq -c CONF override SUBJECT LIMIT AMOUNT[/PERIOD_MS]"
		" [TTL_MS] | unoverride SUBJECT [LIMIT]\n");
	exit(64);
}

/* num - a number argument, or usage */
static unsigned long
num(const char *s)
{
	unsigned long v;

	if (str_to_ulong(s, 10, (unsigned long)-1, &v) < 0)
		usage();
	return v;
}

/* print_result - one decision in full */
static void
print_result(const struct limiter *l, const struct limit_result *res)
{
	struct verdict v;
	char line[1024];
	size_t i;

	limit_verdict(l, res, &v);
	limit_result_log(res, line, sizeof(line));
	printf("outcome=%s local=%s duplicate=%s stale=%s unsettled=%s "
	       "held=%s\n", limit_outcome_name(res->outcome),
	       res->local ? "yes" : "no", res->duplicate ? "yes" : "no",
	       res->stale ? "yes" : "no", res->unsettled ? "yes" : "no",
	       res->maybe_held ? "yes" : "no");
	if (v.action == VERDICT_CONTINUE)
		printf("reply=continue%s%s\n", v.reason[0] ? " reason=" : "",
		       v.reason);
	else
		printf("reply=%s %s %s\n", v.code, v.xcode, v.text);
	printf("log=%s\n", line);
	for (i = 0; i < res->nsubjects; i++)
		printf("subject=%s\n", res->subjects[i]);
	for (i = 0; i < res->nhits; i++) {
		const struct limit_hit *h = &res->hits[i];

		printf("hit subject=%s limit=%s counter=%s state=%s used=%llu "
		       "amount=%llu period_ms=%llu retry_ms=%llu reset_ms=%llu\n",
		       res->subjects[h->subject], h->name,
		       limit_counter_name(h->counter),
		       h->state == LIMIT_STATE_OK ? "ok" :
		       h->state == LIMIT_STATE_OVER ? "over" : "dry-over",
		       (unsigned long long)h->used,
		       (unsigned long long)h->amount,
		       (unsigned long long)h->period_ms,
		       (unsigned long long)h->retry_ms,
		       (unsigned long long)h->reset_ms);
	}
}

/* decide - one decision; with "send" the whole message: the reservation,
 * then (ok) the commit with the txn id as queue id */
static enum limit_outcome
decide(struct limitq *q, struct limit_req *r, struct limit_result *res)
{
	enum limit_outcome o = limit_decide(q->l, r, res);
	struct limit_req c;

	if (!q->send || o != LIMIT_OK)
		return o;
	c = *r;
	c.op = LIMIT_COMMIT;
	if (c.qid == NULL || c.qid[0] == '\0')
		c.qid = c.txn_id;
	return limit_decide(q->l, &c, res);
}

/* worker - decisions until the shared count is reached */
static void *
worker(void *arg)
{
	struct limitq_thread *t = arg;
	struct limitq *q = t->q;
	struct limit_result *res = malloc(sizeof(*res));
	const char *at = strchr(q->rcpt, '@');
	unsigned long i;

	if (res == NULL)
		abort();
	while ((i = atomic_fetch_add(&q->next, 1)) < q->count) {
		struct limit_req r = q->req;
		char txn[128];
		char rcpt[320];
		char login[320];
		enum limit_outcome o;

		(void)str_format(txn, sizeof(txn), "%s-%lu-%lu", q->txn, t->id,
				 i);
		(void)str_format(rcpt, sizeof(rcpt), "r%lu%s", i,
				 at ? at : "@example.net");
		r.txn_id = txn;
		r.rcpt = rcpt;
		if (q->logins > 0) {
			(void)str_format(login, sizeof(login), "u%lu@%s",
					 i % q->logins,
					 q->req.login ? q->req.login
						      : "example.com");
			r.login = login;
			r.sender = login;
		}
		o = decide(q, &r, res);
		atomic_fetch_add(&q->n[o], 1);
		if (res->local)
			atomic_fetch_add(&q->n[3], 1);
		if (q->verbose)
			printf("%lu %s%s\n", i, limit_outcome_name(o),
			       res->local ? " local" : "");
		if (q->pause_ms)
			usleep((useconds_t)q->pause_ms * 1000);
	}
	free(res);
	return NULL;
}

/* run_many - -N COUNT -T THREADS */
static int
run_many(struct limitq *q)
{
	pthread_t tid[LIMITQ_THREADS_MAX];
	struct limitq_thread ts[LIMITQ_THREADS_MAX];
	unsigned long i;

	if (q->threads == 0 || q->threads > LIMITQ_THREADS_MAX)
		usage();
	for (i = 0; i < q->threads; i++) {
		ts[i].q = q;
		ts[i].id = i;
		if (pthread_create(&tid[i], NULL, worker, &ts[i]) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	for (i = 0; i < q->threads; i++)
		pthread_join(tid[i], NULL);
	printf("ok=%lu over=%lu unavailable=%lu local=%lu\n",
	       atomic_load(&q->n[LIMIT_OK]), atomic_load(&q->n[LIMIT_OVER]),
	       atomic_load(&q->n[LIMIT_UNAVAILABLE]), atomic_load(&q->n[3]));
	if (atomic_load(&q->n[LIMIT_UNAVAILABLE]) > 0)
		return 2;
	return atomic_load(&q->n[LIMIT_OVER]) > 0 ? 1 : 0;
}

/* op_parse - "check" ... "release"; -1 when unknown */
static int
op_parse(const char *w, enum limit_op *op)
{
	static const char *const names[] = {"check", "reserve", "undo",
					    "commit", "release", "settle"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(w, names[i]) == 0) {
			*op = (enum limit_op)i;
			return 0;
		}
	}
	return -1;
}

/* run_lines - decisions read from stdin, one answer line each */
static int
run_lines(struct limitq *q)
{
	struct limit_result *res = malloc(sizeof(*res));
	char line[1024];
	char log[1024];

	if (res == NULL)
		abort();
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct limit_req r = q->req;
		char *w[4] = {NULL, NULL, NULL, NULL};
		char *save = NULL;
		int n = 0;
		enum limit_outcome o;

		for (w[0] = strtok_r(line, " \t\n", &save); w[n] && n < 3;)
			w[++n] = strtok_r(NULL, " \t\n", &save);
		q->send = w[0] != NULL && strcmp(w[0], "send") == 0;
		if (q->send)
			r.op = LIMIT_RESERVE;
		else if (w[0] == NULL || op_parse(w[0], &r.op) < 0) {
			printf("error unknown operation\n");
			fflush(stdout);
			continue;
		}
		r.txn_id = w[1] ? w[1] : q->txn;
		r.rcpt = w[2] ? w[2] : q->rcpt;
		if (w[3] != NULL)
			r.qid = w[3];
		o = decide(q, &r, res);
		limit_result_log(res, log, sizeof(log));
		printf("%s local=%s stale=%s duplicate=%s unsettled=%s "
		       "held=%s %s\n", limit_outcome_name(o),
		       res->local ? "yes" : "no", res->stale ? "yes" : "no",
		       res->duplicate ? "yes" : "no",
		       res->unsettled ? "yes" : "no",
		       res->maybe_held ? "yes" : "no", log);
		fflush(stdout);
	}
	free(res);
	return 0;
}

/* args - the EVALSHA arguments (after the sha) of one call, one a line
 * (benchmarks feed them to redis-benchmark) */
static int
args(struct limitq *q, const char *opname)
{
	struct limit_result *res = malloc(sizeof(*res));
	struct limit_redis_cmd cmd;
	struct limit_call c;
	struct err e;
	int i;

	if (res == NULL)
		abort();
	if (op_parse(opname, &q->req.op) < 0)
		usage();
	q->req.txn_id = q->txn;
	q->req.rcpt = q->rcpt;
	limit_redis_cmd_init(&cmd);
	if (limit_prepare(q->l, &q->req, &c, res) == 0 ||
	    limit_redis_args(limit_key_prefix(q->l), &c, 0, c.nsubjects, &cmd,
			     &e) < 0) {
		fprintf(stderr, "limitq: no call to make\n");
		free(res);
		return 2;
	}
	for (i = 0; i < cmd.argc; i++) {
		size_t k;

		for (k = 0; k < cmd.lens[i]; k++) {
			unsigned char ch = (unsigned char)cmd.argv[i][k];

			if (ch > 32 && ch < 127 && ch != '\\')
				putchar(ch);
			else
				printf("\\x%02x", ch);
		}
		putchar('\n');
	}
	limit_redis_cmd_free(&cmd);
	free(res);
	return 0;
}

/* resp - COUNT script calls in RESP on stdout (see the synopsis) */
static int
resp(struct limitq *q, const char *opname, unsigned long count,
     unsigned long range, bool module)
{
	static char out[LIMIT_REDIS_ARENA + 12 * LIMIT_REDIS_ARGS];
	struct limit_result *res = malloc(sizeof(*res));
	struct limit_redis_cmd *cmd = malloc(sizeof(*cmd));
	struct rconn_script sc;
	struct limit_call c;
	const char *dom = strchr(q->req.login ? q->req.login : "", '@');
	char login[128];
	char txn[32];
	unsigned long i;
	int k;
	bool send = strcmp(opname, "send") == 0;
	size_t n;
	struct err e;

	if (res == NULL || cmd == NULL)
		abort();
	if (range == 0 || (!send && op_parse(opname, &q->req.op) < 0))
		usage();
	rconn_script_init(&sc, limit_redis_lua);
	srandom(1);
	for (i = 0; i < count; i++) {
		(void)str_format(login, sizeof(login), "u%lu%s",
				 (unsigned long)random() % range,
				 dom ? dom : "@example.com");
		(void)str_format(txn, sizeof(txn), "x%lu", i);
		q->req.login = login;
		q->req.sender = login;
		q->req.txn_id = txn;
		q->req.rcpt = q->rcpt;
		if (q->req.qid != NULL)
			q->req.qid = txn;
		for (k = 0; k < (send ? 2 : 1); k++) {
			if (send)
				q->req.op = k == 0 ? LIMIT_RESERVE : LIMIT_COMMIT;
			limit_redis_cmd_init(cmd);
			if (limit_prepare(q->l, &q->req, &c, res) == 0 ||
			    (c.deadline_ms = 0, limit_redis_args(
				    limit_key_prefix(q->l), &c, 0, c.nsubjects,
				    cmd, &e)) < 0 ||
			    (n = module ? limit_redis_resp_module(cmd, out,
								  sizeof(out))
					: limit_redis_resp(cmd, sc.sha, out,
							   sizeof(out))) == 0) {
				fprintf(stderr, "limitq: no call to make\n");
				free(res);
				free(cmd);
				return 2;
			}
			fwrite(out, 1, n, stdout);
		}
	}
	free(res);
	free(cmd);
	return 0;
}

/* admin - show, reset, override, unoverride, probe */
static int
admin(struct limiter *l, int argc, char **argv)
{
	struct limit_usage u[LIMIT_PLAN_MAX];
	char key[LIMIT_SUBJECT_MAX];
	char per[32];
	struct err e;
	size_t n;
	size_t i;
	int rc = -1;

	if (strcmp(argv[0], "probe") == 0) {
		rc = limit_probe(l, &e);
		if (rc == 0)
			printf("store answers\n");
	} else if (strcmp(argv[0], "show") == 0 && argc == 2) {
		rc = limit_show(l, argv[1], u, LIMIT_PLAN_MAX, &n, key,
				sizeof(key), &e);
		if (rc == 0)
			printf("subject=%s\n", key);
		for (i = 0; rc == 0 && i < n; i++) {
			limit_period_text(u[i].period_ms, per, sizeof(per));
			printf("limit=%s counter=%s used=%llu amount=%llu "
			       "period=%s remaining=%llu reset_ms=%llu%s%s%s\n",
			       u[i].name, limit_counter_name(u[i].counter),
			       (unsigned long long)u[i].used,
			       (unsigned long long)u[i].amount,
			       u[i].period_ms ? per : "-",
			       (unsigned long long)u[i].remaining,
			       (unsigned long long)u[i].reset_ms,
			       u[i].overridden ? " overridden" : "",
			       u[i].dry_run ? " dry-run" : "",
			       u[i].hard ? " hard" : "");
		}
	} else if (strcmp(argv[0], "reset") == 0 && (argc == 2 || argc == 3)) {
		rc = limit_reset(l, argv[1], argc == 3 ? argv[2] : NULL, &e);
	} else if (strcmp(argv[0], "override") == 0 &&
		   (argc == 4 || argc == 5)) {
		char *slash = strchr(argv[3], '/');
		unsigned long period = 0;

		if (slash != NULL) {
			*slash = '\0';
			period = num(slash + 1);
		}
		if (slash == NULL) {
			/* keep the plan's period: read it from show */
			rc = limit_show(l, argv[1], u, LIMIT_PLAN_MAX, &n, NULL,
					0, &e);
			for (i = 0; rc == 0 && i < n; i++)
				if (strcmp(u[i].name, argv[2]) == 0)
					period = u[i].period_ms;
		}
		rc = limit_override_set(l, argv[1], argv[2], num(argv[3]),
					period, argc == 5 ? num(argv[4]) : 0,
					&e);
	} else if (strcmp(argv[0], "unoverride") == 0 &&
		   (argc == 2 || argc == 3)) {
		rc = limit_override_clear(l, argv[1],
					  argc == 3 ? argv[2] : NULL, &e);
	} else {
		usage();
	}
	if (rc < 0) {
		fprintf(stderr, "limitq: %s\n", e.text);
		return 2;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct limitq q;
	struct limit_result *res;
	struct conf *c = NULL;
	const char *conf_path = NULL;
	struct err e;
	int ch;
	int rc;

	memset(&q, 0, sizeof(q));
	q.txn = "limitq";
	q.rcpt = "rcpt@example.net";
	q.req.messages = 1;
	q.req.recipients = 1;
	while ((ch = getopt(argc, argv, "b:c:i:l:L:m:N:P:q:r:R:s:T:vx:")) != -1) {
		switch (ch) {
		case 'b': q.req.bytes = num(optarg); break;
		case 'c': conf_path = optarg; break;
		case 'i': q.req.client_addr = optarg; break;
		case 'l': q.req.login = optarg; break;
		case 'L': q.logins = num(optarg); break;
		case 'm': q.req.messages = num(optarg); break;
		case 'N': q.count = num(optarg); break;
		case 'P': q.pause_ms = num(optarg); break;
		case 'q': q.req.qid = optarg; break;
		case 'r': q.rcpt = optarg; break;
		case 'R': q.req.recipients = num(optarg); break;
		case 's': q.req.sender = optarg; break;
		case 'T': q.threads = num(optarg); break;
		case 'v': q.verbose = true; break;
		case 'x': q.txn = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (conf_path == NULL || argc < 1)
		usage();
	log_open("limitq", true, 0);
	if (conf_load(conf_path, &c, &e) < 0 ||
	    limit_new(c, NULL, &q.l, &e) < 0) {
		fprintf(stderr, "limitq: %s\n", e.text);
		conf_free(c);
		return 78;
	}
	if (strcmp(argv[0], "-") == 0) {
		rc = run_lines(&q);
		goto out;
	}
	if (strcmp(argv[0], "script") == 0 && argc == 1) {
		fputs(limit_redis_lua, stdout);
		rc = 0;
		goto out;
	}
	if ((strcmp(argv[0], "resp") == 0 ||
	     strcmp(argv[0], "resp-module") == 0) && argc == 4) {
		rc = resp(&q, argv[1], strtoul(argv[2], NULL, 10),
			  strtoul(argv[3], NULL, 10), argv[0][4] == '-');
		goto out;
	}
	if (strcmp(argv[0], "args") == 0 && argc == 2) {
		rc = args(&q, argv[1]);
		goto out;
	}
	q.send = strcmp(argv[0], "send") == 0;
	if (q.send)
		q.req.op = LIMIT_RESERVE;
	else if (op_parse(argv[0], &q.req.op) < 0) {
		rc = admin(q.l, argc, argv);
		goto out;
	}
	if (argc != 1)
		usage();
	if (q.count > 0) {
		if (q.threads == 0)
			q.threads = 1;
		rc = run_many(&q);
		goto out;
	}
	q.req.txn_id = q.txn;
	q.req.rcpt = q.rcpt;
	res = malloc(sizeof(*res));
	if (res == NULL)
		abort();
	rc = (int)decide(&q, &q.req, res);
	print_result(q.l, res);
	free(res);
out:
	limit_free(q.l);
	conf_free(c);
	return rc;
}
