/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spfq - SPF test driver: one check per input line, through the SPF
 * process (spfclient -> spfworker -> system resolver), or in this process
 * over an in-memory zone.
 *
 *	spfq [-c CONFIG] [-f]		read "IP HELO SENDER" lines; SENDER
 *					"<>" is the null sender; a fourth
 *					word "helo" checks the HELO identity
 *	spfq -z ZONEFILE [-c CONFIG]	the same over a zone file (spfdns.h
 *					zone lines), no DNS, no worker
 *	spfq -P [-c CONFIG] [-f]	worker mode, every line at once: each
 *					starts its own check as soon as it is
 *					read; results come as they end, each
 *					block after a line "line=N" (N counts
 *					from 1); at end of input spfq waits
 *					for all of them
 *
 * Prints "spf process PID" first (worker mode), then per line:
 *	result=R identity=I domain=D mech=M lookups=N voids=N ms=N
 *	reason=TEXT
 *	explanation=TEXT
 *	verdict=ACTION CODE XCODE
 *	NAME: VALUE			(each header of the verdict)
 *	.
 * A line "kill" in worker mode is not a check: it prints the pid of the
 * current worker (the SPF supervisor's child) for the tests to signal.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "spfcheck.h"
#include "spfclient.h"
#include "spfdns.h"
#include "spfworker.h"
#include "str.h"

/* spfq_print - one result and its verdict */
static void
spfq_print(const struct conf *c, const struct spfcheck_res *res)
{
	struct verdict v;
	size_t i;

	printf("result=%s identity=%s domain=%s mech=%s lookups=%u voids=%u "
	       "ms=%lu\nreason=%s\nexplanation=%s\n",
	       spfcheck_result_name(res->result),
	       spfcheck_identity_name(res->identity), res->domain,
	       res->mechanism, res->lookups, res->void_lookups, res->ms,
	       res->reason, res->explanation);
	(void)spfcheck_verdict(c, res, &v);
	printf("verdict=%s %s %s %s\n", verdict_action_name(v.action), v.code,
	       v.xcode, v.text);
	for (i = 0; i < v.nhdrs; i++)
		printf("%s: %s\n", v.hdrs[i].name, v.hdrs[i].value);
	printf(".\n");
	fflush(stdout);
}

/* At most this many checks at once in -P mode. */
#define SPFQ_JOBS_MAX 256

/* One check of -P mode. */
struct spfq_job {
	pthread_t tid;
	struct spfclient *client;
	const struct conf *c;
	struct spfcheck_req req;
	unsigned line;
};

static pthread_mutex_t spfq_out = PTHREAD_MUTEX_INITIALIZER;

/* spfq_job_run - one check of -P mode, printed when it ends */
static void *
spfq_job_run(void *arg)
{
	struct spfq_job *j = arg;
	struct spfcheck_res res;

	(void)spfclient_check(j->client, &j->req, &res);
	(void)pthread_mutex_lock(&spfq_out);
	printf("line=%u\n", j->line);
	spfq_print(j->c, &res);
	(void)pthread_mutex_unlock(&spfq_out);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct spfclient *client = NULL;
	struct spfdns *zone = NULL;
	struct conf *c = NULL;
	const char *conf_path = NULL;
	const char *zone_path = NULL;
	bool to_stderr = false;
	bool parallel = false;
	struct spfq_job *jobs[SPFQ_JOBS_MAX];
	unsigned njobs = 0;
	unsigned lineno = 0;
	unsigned i;
	char line[2048];
	struct err e;
	int ch;

	if (argc > 1 && strcmp(argv[1], SPFWORKER_ARG) == 0)
		return spfworker_main(argc, argv);
	while ((ch = getopt(argc, argv, "c:fPz:")) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'f': to_stderr = true; break;
		case 'P': parallel = true; break;
		case 'z': zone_path = optarg; break;
		default:
			fprintf(stderr, "usage: spfq [-c conf] [-f] [-P] "
				"[-z zone]\n");
			return 2;
		}
	}
	log_open("spfq", true, 0);
	if (conf_path != NULL ? conf_load(conf_path, &c, &e) < 0 : 0)
		log_fatal("%s", e.text);
	if (c == NULL)
		c = conf_defaults();
	if (zone_path != NULL) {
		zone = spfdns_zone_new();
		if (spfdns_zone_load(zone, zone_path, &e) < 0)
			log_fatal("%s", e.text);
	} else {
		client = spfclient_start(c, to_stderr, &e);
		if (client == NULL)
			log_fatal("%s", e.text);
		printf("spf process %ld\n", (long)spfclient_pid(client));
		fflush(stdout);
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char ip[128], helo[300], sender[400], mode[16];
		struct spfcheck_req req;
		struct spfcheck_res res;
		int n;

		line[strcspn(line, "\r\n")] = '\0';
		lineno++;
		mode[0] = '\0';
		n = sscanf(line, "%127s %299s %399s %15s", ip, helo, sender,
			   mode);
		if (n < 3) {
			printf("? %s\n", line);
			fflush(stdout);
			continue;
		}
		if (strcmp(sender, "<>") == 0)
			sender[0] = '\0';
		if (spfcheck_req_init(&req, c, ip, helo, sender,
				      strcmp(mode, "helo") == 0
					      ? SPFCHECK_ID_HELO
					      : SPFCHECK_ID_MAILFROM) < 0) {
			printf("? too long\n");
			continue;
		}
		if (parallel && client != NULL && njobs < SPFQ_JOBS_MAX) {
			struct spfq_job *j = calloc(1, sizeof(*j));

			if (j == NULL)
				log_fatal("out of memory");
			j->client = client;
			j->c = c;
			j->req = req;
			j->line = lineno;
			if (pthread_create(&j->tid, NULL, spfq_job_run, j) != 0)
				log_fatal("pthread_create failed");
			jobs[njobs++] = j;
			continue;
		}
		if (zone != NULL) {
			struct spfdns *d = zone;

			spfcheck_host(d, &req, &res);
		} else {
			(void)spfclient_check(client, &req, &res);
		}
		spfq_print(c, &res);
	}
	for (i = 0; i < njobs; i++) {
		(void)pthread_join(jobs[i]->tid, NULL);
		free(jobs[i]);
	}
	spfclient_stop(client);
	spfdns_free(zone);
	conf_free(c);
	return 0;
}
