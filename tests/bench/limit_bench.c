/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * limit_bench - limit decisions per second through the engine: THREADS
 * callers (the milter's threads) each run limit_decide() in a loop for
 * SECONDS, with its own transactions, 1,000 logins and 250 client
 * addresses (two subjects per decision, never over a limit), against
 * whatever limit_backend the configuration names.
 *
 *   limit_bench -c CONF [-t THREADS] [-d SECONDS] [-o reserve|check|send]
 *
 * (send: a whole message, RESERVE then COMMIT, counted as one decision.)
 * Prints "decisions=N seconds=S per_second=R unavailable=U cpu_us=C" (C:
 * this process's CPU time per decision, user + system).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "limit.h"
#include "log.h"
#include "str.h"

#define BENCH_THREADS_MAX 512

static struct limiter *lim;
static enum limit_op bench_op = LIMIT_RESERVE;
static bool bench_send;
static atomic_bool stop;
static atomic_ulong done;
static atomic_ulong unavailable;

/* now_s - monotonic seconds */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cpu_s - this process's CPU time, user + system, seconds */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* caller - decisions until told to stop */
static void *
caller(void *arg)
{
	unsigned long id = (unsigned long)(uintptr_t)arg;
	struct limit_result *res = malloc(sizeof(*res));
	unsigned long i = 0;
	unsigned long n = 0;
	unsigned long u = 0;

	if (res == NULL)
		abort();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct limit_req r;
		char txn[48];
		char login[48];
		char ip[24];

		memset(&r, 0, sizeof(r));
		(void)str_format(txn, sizeof(txn), "b%lu-%lu", id, i);
		(void)str_format(login, sizeof(login), "u%lu@bench.example",
				 (id * 7919 + i) % 1000);
		(void)str_format(ip, sizeof(ip), "10.%lu.%lu.%lu", id % 200,
				 i % 250, (i / 250) % 250 + 1);
		r.op = bench_op;
		r.txn_id = txn;
		r.rcpt = "rcpt@bench.example";
		r.login = login;
		r.sender = login;
		r.client_addr = ip;
		r.messages = 1;
		r.recipients = 1;
		r.bytes = 4096;
		if (limit_decide(lim, &r, res) == LIMIT_UNAVAILABLE)
			u++;
		else if (bench_send) {
			r.op = LIMIT_COMMIT;
			r.qid = txn;
			if (limit_decide(lim, &r, res) == LIMIT_UNAVAILABLE)
				u++;
		}
		n++;
		i++;
	}
	atomic_fetch_add(&done, n);
	atomic_fetch_add(&unavailable, u);
	free(res);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t tid[BENCH_THREADS_MAX];
	const char *conf_path = NULL;
	unsigned long threads = 50;
	unsigned long seconds = 5;
	struct conf *c = NULL;
	struct err e;
	double t0;
	double t1;
	double c0;
	double c1;
	unsigned long i;
	int ch;

	while ((ch = getopt(argc, argv, "c:d:o:t:")) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'd': (void)str_to_ulong(optarg, 10, 3600, &seconds); break;
		case 't': (void)str_to_ulong(optarg, 10, BENCH_THREADS_MAX,
					     &threads); break;
		case 'o': bench_op = strcmp(optarg, "check") == 0
				     ? LIMIT_CHECK : LIMIT_RESERVE;
			  bench_send = strcmp(optarg, "send") == 0; break;
		default: goto usage;
		}
	}
	if (conf_path == NULL || threads == 0 || seconds == 0)
		goto usage;
	log_open("limit_bench", true, 0);
	if (conf_load(conf_path, &c, &e) < 0 ||
	    limit_new(c, NULL, &lim, &e) < 0) {
		fprintf(stderr, "limit_bench: %s\n", e.text);
		return 78;
	}
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, caller,
				   (void *)(uintptr_t)i) != 0)
			return 1;
	sleep((unsigned)seconds);
	atomic_store(&stop, true);
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = now_s();
	c1 = cpu_s();
	printf("decisions=%lu seconds=%.2f per_second=%.0f unavailable=%lu "
	       "cpu_us=%.1f\n", atomic_load(&done), t1 - t0,
	       (double)atomic_load(&done) / (t1 - t0),
	       atomic_load(&unavailable),
	       atomic_load(&done) ? (c1 - c0) * 1e6 /
				    (double)atomic_load(&done) : 0.0);
	limit_free(lim);
	conf_free(c);
	return atomic_load(&unavailable) > 0 ? 2 : 0;
usage:
	fprintf(stderr, "usage: limit_bench -c CONF [-t THREADS] [-d SECONDS]"
		" [-o reserve|check]\n");
	return 64;
}
