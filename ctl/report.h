/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * report - what "relayguardctl report" counts while reading audit files
 * (report.c) and then renders as one HTML page (report_html.c).  See
 * report.c for the command.  Not thread-safe.
 */
#ifndef RG_REPORT_H
#define RG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "strmap.h"

#define RP_FILES_MAX 64
#define RP_BUCKETS_MAX 96
#define RP_EVENTS_SHOWN 200
#define RP_SUBJECTS_SHOWN 50

enum { RP_TEMPFAIL, RP_REJECT, RP_HOLD, RP_NKINDS };

#define RP_NACTIONS 5	/* accept, tempfail, reject, hold, discard */
extern const char *const rp_actions[RP_NACTIONS];

struct rp_sender {
	const char *key;	/* owned by the map */
	unsigned long msgs;
	unsigned long rcpts;
	unsigned long refused;
	unsigned long held;
};

struct rp_subject {
	const char *subject;
	unsigned long count;
	time_t first;
	time_t last;
	char why[200];
};

struct rp_count {
	const char *name;
	unsigned long count;
};

struct rp_event {
	time_t t;
	char *subject;
	char *signal;
	char *action;
	char *client;
	bool dry_run;
};

struct rp_refusal {
	time_t t;
	int kind;
};

struct report {
	time_t since;
	unsigned long top;
	unsigned long records;
	unsigned long malformed;
	unsigned long events_seen;
	unsigned long by_action[RP_NACTIONS + 1];	/* + other */
	time_t first;
	time_t last;
	struct strmap sender_idx;
	struct rp_sender *senders;
	size_t nsenders;
	size_t csenders;
	struct strmap subject_idx;
	struct rp_subject *subjects;
	size_t nsubjects;
	size_t csubjects;
	struct strmap reason_idx;
	struct rp_count *reasons;
	size_t nreasons;
	size_t creasons;
	struct rp_event *events;
	size_t nevents;
	size_t cevents;
	struct rp_refusal *refusals;
	size_t nrefusals;
	size_t crefusals;
};

void report_init(struct report *rp);
void report_free(struct report *rp);
int report_read(struct report *rp, const char *path);
void report_finish(struct report *rp);
void report_html(struct report *rp, FILE *fp, const char *const *files,
		 size_t nfiles);

#endif
