/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_drive - drive the audit module from a shell test: start it from
 * a relayguard configuration, then read one command per line on stdin
 * and answer each with exactly one line on stdout:
 *
 *	time BASE STEP	stamp later records BASE + i * STEP (epoch seconds;
 *			BASE 0: the current time, the default)
 *	send N KIND	submit N records of a kind: accept, tempfail, reject,
 *			hold, stolen, penalty, hostile, or mixed (all in
 *			turn); answers "sent N"
 *	flush SECONDS	wait until the writer has handled everything:
 *			"flushed" or "timeout"
 *	stats		"submitted=... queued=... dropped_queue=...
 *			file_written=... file_dropped=... file_failing=0|1
 *			redis_written=... redis_dropped=... redis_failing=0|1"
 *	reopen		audit_reopen() (what SIGHUP does): "ok"
 *	quit		audit_stop(), then the final stats line
 *
 * Log lines (warnings when a sink fails) go to stderr.  audit_submit()
 * never blocks, so "send" answers at once whatever the sinks do: a test
 * that gets its "sent" line while Redis is stopped has shown that.
 *
 *	audit_drive -c relayguard.conf
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "conf.h"
#include "log.h"
#include "str.h"

static time_t drive_base;
static unsigned long drive_step;
static unsigned long drive_seq;

/* drive_stats - one line of counters */
static void
drive_stats(void)
{
	struct audit_stats s;

	audit_get_stats(&s);
	printf("submitted=%lu queued=%lu dropped_queue=%lu file_written=%lu "
	       "file_dropped=%lu file_failing=%d redis_written=%lu "
	       "redis_dropped=%lu redis_failing=%d\n",
	       s.submitted, s.queued, s.dropped_queue, s.file_written,
	       s.file_dropped, s.file_failing ? 1 : 0, s.redis_written,
	       s.redis_dropped, s.redis_failing ? 1 : 0);
}

/* drive_set - copy text into a record field */
static void
drive_set(char *dst, size_t size, const char *src)
{
	if (str_copy(dst, size, src) < 0)
		dst[0] = '\0';
}

/* drive_record - record number i of a kind */
static void
drive_record(struct audit_rec *r, const char *kind, unsigned long i)
{
	char buf[128];

	audit_rec_init(r);
	if (drive_base != 0) {
		r->time.tv_sec = drive_base + (time_t)(drive_seq * drive_step);
		r->time.tv_nsec = 0;
	}
	drive_seq++;
	(void)snprintf(r->queue_id, sizeof(r->queue_id), "Q%06lu", drive_seq);
	(void)snprintf(r->txn_id, sizeof(r->txn_id), "drive-%lu", drive_seq);
	drive_set(r->stage, sizeof(r->stage), "eom");
	drive_set(r->client_name, sizeof(r->client_name), "client.test");
	drive_set(r->client_addr, sizeof(r->client_addr), "192.0.2.10");
	drive_set(r->helo, sizeof(r->helo), "client.test");
	r->recipients = 1 + i % 3;
	r->size = 1000 + i;
	drive_set(r->action, sizeof(r->action), "accept");
	if (strcmp(kind, "accept") == 0) {
		drive_set(r->login, sizeof(r->login), "ann");
		drive_set(r->sender, sizeof(r->sender), "ann@sign.test");
		(void)audit_rec_add_sig(r, "sign.test", "rsa", "rsa-sha256");
	} else if (strcmp(kind, "tempfail") == 0) {
		drive_set(r->login, sizeof(r->login), "bob");
		drive_set(r->sender, sizeof(r->sender), "bob@sign.test");
		(void)audit_rec_add_limit(r, "hour", "login:bob", 101, 100,
					  true);
		drive_set(r->action, sizeof(r->action), "tempfail");
		drive_set(r->reason, sizeof(r->reason), "quota");
		drive_set(r->reply, sizeof(r->reply),
			  "451 4.7.1 hourly quota reached for login:bob");
	} else if (strcmp(kind, "reject") == 0) {
		drive_set(r->sender, sizeof(r->sender), "mallory@spoof.test");
		drive_set(r->client_addr, sizeof(r->client_addr),
			  "203.0.113.66");
		drive_set(r->spf, sizeof(r->spf), "fail");
		drive_set(r->action, sizeof(r->action), "reject");
		drive_set(r->reason, sizeof(r->reason), "spf-fail");
		drive_set(r->reply, sizeof(r->reply),
			  "550 5.7.23 SPF check failed");
	} else if (strcmp(kind, "hold") == 0) {
		drive_set(r->login, sizeof(r->login), "carol");
		drive_set(r->sender, sizeof(r->sender), "carol@sign.test");
		(void)audit_rec_add_signal(r, AUDIT_SIGNAL_FANOUT,
					   "login:carol", "hold", false);
		drive_set(r->action, sizeof(r->action), "hold");
		drive_set(r->reason, sizeof(r->reason), "fanout");
	} else if (strcmp(kind, "stolen") == 0) {
		drive_set(r->login, sizeof(r->login), "dave");
		drive_set(r->sender, sizeof(r->sender), "dave@sign.test");
		(void)snprintf(buf, sizeof(buf), "198.51.100.%lu", 1 + i % 200);
		drive_set(r->client_addr, sizeof(r->client_addr), buf);
		(void)audit_rec_add_signal(r, AUDIT_SIGNAL_STOLEN_CREDENTIALS,
					   "login:dave", "tempfail", (i / 8) % 2);
		drive_set(r->action, sizeof(r->action), "tempfail");
		drive_set(r->reason, sizeof(r->reason), "stolen-credentials");
		drive_set(r->reply, sizeof(r->reply),
			  "451 4.7.1 login used from too many networks");
	} else if (strcmp(kind, "penalty") == 0) {
		drive_set(r->login, sizeof(r->login), "eve");
		drive_set(r->sender, sizeof(r->sender), "eve@sign.test");
		(void)audit_rec_add_signal(r, AUDIT_SIGNAL_PENALTY_BOX,
					   "login:eve", "tempfail", false);
		drive_set(r->action, sizeof(r->action), "tempfail");
		drive_set(r->reason, sizeof(r->reason), "penalty-box");
	} else {	/* hostile: markup, quotes, controls, bad UTF-8 */
		drive_set(r->login, sizeof(r->login),
			  "<script>alert(1)</script>");
		drive_set(r->sender, sizeof(r->sender),
			  "x\"'<b>&amp;@evil.test");
		drive_set(r->helo, sizeof(r->helo),
			  "evil\r\n\x01helo\xff\xfe");
		(void)audit_rec_add_signal(r, AUDIT_SIGNAL_STOLEN_CREDENTIALS,
					   "login:<img src=x onerror=alert(2)>",
					   "reject", false);
		drive_set(r->action, sizeof(r->action), "reject");
		drive_set(r->reason, sizeof(r->reason), "<i>reason</i>");
	}
}

/* drive_send - submit n records of a kind */
static void
drive_send(unsigned long n, const char *kind)
{
	static const char *const mixed[] = {
		"accept", "accept", "tempfail", "reject", "hold", "stolen",
		"penalty", "hostile",
	};
	struct audit_rec r;
	unsigned long i;

	for (i = 0; i < n; i++) {
		drive_record(&r, strcmp(kind, "mixed") == 0
					 ? mixed[i % (sizeof(mixed) /
						      sizeof(mixed[0]))]
					 : kind, i);
		audit_submit(&r);
	}
	printf("sent %lu\n", n);
}

int
main(int argc, char **argv)
{
	struct audit_opts o;
	struct conf *c = NULL;
	struct err e;
	char line[256];
	char kind[64];
	unsigned long n;
	long base;
	int ch;

	log_open("audit_drive", true, 0);
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c' || conf_load(optarg, &c, &e) < 0) {
			fprintf(stderr, "audit_drive: %s\n",
				ch == 'c' ? e.text : "usage: -c CONFIG");
			return 2;
		}
	}
	if (c == NULL) {
		fprintf(stderr, "usage: audit_drive -c CONFIG\n");
		return 2;
	}
	audit_opts_from_conf(&o, c);
	if (audit_start(&o, &e) < 0) {
		fprintf(stderr, "audit_drive: %s\n", e.text);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "send %lu %63s", &n, kind) == 2) {
			drive_send(n, kind);
		} else if (sscanf(line, "time %ld %lu", &base, &n) == 2) {
			drive_base = (time_t)base;
			drive_step = n;
			drive_seq = 0;
			printf("ok\n");
		} else if (sscanf(line, "flush %lu", &n) == 1) {
			printf("%s\n", audit_flush(n * 1000) == 0 ? "flushed"
								  : "timeout");
		} else if (strcmp(line, "stats\n") == 0) {
			drive_stats();
		} else if (strcmp(line, "reopen\n") == 0) {
			audit_reopen();
			printf("ok\n");
		} else if (strcmp(line, "quit\n") == 0) {
			break;
		} else {
			printf("unknown command\n");
		}
	}
	audit_stop(5000);
	drive_stats();
	conf_free(c);
	return 0;
}
