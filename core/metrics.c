/* SPDX-License-Identifier: BSD-2-Clause */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

struct metrics_series {
	char label[2][METRICS_LABEL_MAX + 1];
	atomic_long value;
};

/*
 * A family: the series [0, count) are complete and never change their
 * labels once count covers them (count is published with release order
 * after the labels are written, under lock), so readers scan without it.
 */
struct metrics_family {
	const char *name;
	const char *type;
	const char *help;
	int nlabels;
	const char *lname[2];
	pthread_mutex_t lock;
	atomic_size_t count;
	struct metrics_series series[METRICS_SERIES_MAX];
};

enum metrics_fam {
	FAM_MESSAGES,
	FAM_SIGNATURES,
	FAM_SPF,
	FAM_LIMITS,
	FAM_SIGNALS,
	FAM_AUDIT,
	FAM_AUDIT_UP,
	FAM_REDIS_UP,
	FAM_LOOP_CALLS,
	FAM_COUNT,
};

#define FAMILY(n, t, h, k, a, b)                                        \
	{                                                               \
		.name = (n), .type = (t), .help = (h), .nlabels = (k),  \
		.lname = {(a), (b)}, .lock = PTHREAD_MUTEX_INITIALIZER, \
	}

static struct metrics_family metrics_fams[FAM_COUNT] = {
	[FAM_MESSAGES] = FAMILY("relayguard_messages_total", "counter",
				"Decisions by verdict and reason.", 2,
				"verdict", "reason"),
	[FAM_SIGNATURES] = FAMILY("relayguard_signatures_total", "counter",
				  "DKIM signatures made, by algorithm.", 1,
				  "algorithm", NULL),
	[FAM_SPF] = FAMILY("relayguard_spf_results_total", "counter",
			   "SPF evaluations by result.", 1, "result", NULL),
	[FAM_LIMITS] = FAMILY("relayguard_limit_decisions_total", "counter",
			      "Rate limit decisions by outcome.", 1,
			      "decision", NULL),
	[FAM_SIGNALS] = FAMILY("relayguard_abuse_signals_total", "counter",
			       "Abuse signals raised, by signal and action.",
			       2, "signal", "action"),
	[FAM_AUDIT] = FAMILY("relayguard_audit_records_total", "counter",
			     "Audit records written or dropped, by sink.", 2,
			     "sink", "outcome"),
	[FAM_AUDIT_UP] = FAMILY("relayguard_audit_sink_up", "gauge",
				"1 while an audit sink writes, 0 while it "
				"fails.", 1, "sink", NULL),
	[FAM_REDIS_UP] = FAMILY("relayguard_redis_up", "gauge",
				"1 while Redis answers, 0 while it does not.",
				0, NULL, NULL),
	[FAM_LOOP_CALLS] = FAMILY("relayguard_redis_loop_calls_total",
				  "counter",
				  "Limit calls of the policy service's event "
				  "loop, by outcome.",
				  1, "outcome", NULL),
};

/* Histogram bucket bounds in microseconds, and the same as text in
 * seconds (the "le" label), from 0.25 ms to 2.5 s. */
static const unsigned long metrics_le_us[] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000,
};
static const char *const metrics_le_text[] = {
	"0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
	"0.05", "0.1", "0.25", "0.5", "1", "2.5",
};
#define METRICS_NBUCKETS (sizeof(metrics_le_us) / sizeof(metrics_le_us[0]))

static atomic_ulong metrics_rtt_bucket[METRICS_NBUCKETS + 1];	/* +Inf */
static atomic_ulong metrics_rtt_sum_us;

/* metrics_clean - a label value safe for the text format */
static void
metrics_clean(char *dst, const char *src)
{
	size_t i;

	if (src == NULL || *src == '\0')
		src = "none";
	for (i = 0; i < METRICS_LABEL_MAX && src[i] != '\0'; i++) {
		char c = src[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.' || c == ':')
			dst[i] = c;
		else
			dst[i] = '_';
	}
	dst[i] = '\0';
}

/* metrics_scan - index of the series with these labels in [0, n), or -1 */
static long
metrics_scan(struct metrics_family *f, size_t n, const char *a,
	     const char *b)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f->series[i].label[0], a) == 0 &&
		    strcmp(f->series[i].label[1], b) == 0)
			return (long)i;
	return -1;
}

/* metrics_series - the series for labels a, b (cleaned), made if new */
static struct metrics_series *
metrics_series(enum metrics_fam fam, const char *a, const char *b)
{
	struct metrics_family *f = &metrics_fams[fam];
	char la[METRICS_LABEL_MAX + 1] = "";
	char lb[METRICS_LABEL_MAX + 1] = "";
	struct metrics_series *s;
	size_t n;
	long i;

	if (f->nlabels >= 1)
		metrics_clean(la, a);
	if (f->nlabels >= 2)
		metrics_clean(lb, b);
	n = atomic_load_explicit(&f->count, memory_order_acquire);
	i = metrics_scan(f, n, la, lb);
	if (i >= 0)
		return &f->series[i];
	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->count, memory_order_relaxed);
	i = metrics_scan(f, n, la, lb);
	if (i < 0 && n >= METRICS_SERIES_MAX - 1 && f->nlabels > 0) {
		/* full: the last slot collects everything new */
		if (f->nlabels >= 1)
			memcpy(la, "other", 6);
		if (f->nlabels >= 2)
			memcpy(lb, "other", 6);
		i = metrics_scan(f, n, la, lb);
	}
	if (i < 0) {
		s = &f->series[n];
		memcpy(s->label[0], la, sizeof(la));
		memcpy(s->label[1], lb, sizeof(lb));
		atomic_store_explicit(&s->value, 0, memory_order_relaxed);
		atomic_store_explicit(&f->count, n + 1, memory_order_release);
		i = (long)n;
	}
	pthread_mutex_unlock(&f->lock);
	return &f->series[i];
}

/* metrics_add - add n to a counter */
static void
metrics_add(enum metrics_fam fam, const char *a, const char *b, long n)
{
	atomic_fetch_add_explicit(&metrics_series(fam, a, b)->value, n,
				  memory_order_relaxed);
}

/* metrics_set - set a gauge */
static void
metrics_set(enum metrics_fam fam, const char *a, long v)
{
	atomic_store_explicit(&metrics_series(fam, a, NULL)->value, v,
			      memory_order_relaxed);
}

/* metrics_message - one decision; verdict as verdict_action_name() */
void
metrics_message(const char *verdict, const char *reason)
{
	metrics_add(FAM_MESSAGES, verdict, reason, 1);
}

/* metrics_signature - one DKIM signature made */
void
metrics_signature(const char *algorithm)
{
	metrics_add(FAM_SIGNATURES, algorithm, NULL, 1);
}

/* metrics_spf - one SPF result */
void
metrics_spf(const char *result)
{
	metrics_add(FAM_SPF, result, NULL, 1);
}

/* metrics_limit - one limit decision: ok, over, dry_run, unavailable */
void
metrics_limit(const char *decision)
{
	metrics_add(FAM_LIMITS, decision, NULL, 1);
}

/* metrics_signal - one abuse signal raised, with the action taken */
void
metrics_signal(const char *signal, const char *action)
{
	metrics_add(FAM_SIGNALS, signal, action, 1);
}

/* metrics_loop_call - a limit call offered to the policy service's own
 * Redis pipe: answered there, sent again or declined (at a worker), or
 * failed */
void
metrics_loop_call(const char *outcome)
{
	metrics_add(FAM_LOOP_CALLS, outcome, NULL, 1);
}

/* metrics_audit - n audit records written or dropped by a sink */
void
metrics_audit(const char *sink, const char *outcome, unsigned long n)
{
	metrics_add(FAM_AUDIT, sink, outcome, (long)n);
}

/* metrics_audit_sink_up - an audit sink started or stopped working */
void
metrics_audit_sink_up(const char *sink, bool up)
{
	metrics_set(FAM_AUDIT_UP, sink, up ? 1 : 0);
}

/* metrics_redis_up - Redis became reachable or unreachable */
void
metrics_redis_up(bool up)
{
	metrics_set(FAM_REDIS_UP, NULL, up ? 1 : 0);
}

/* metrics_redis_latency - one Redis round trip of usec microseconds */
void
metrics_redis_latency(unsigned long usec)
{
	size_t i;

	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (usec <= metrics_le_us[i])
			break;
	atomic_fetch_add_explicit(&metrics_rtt_bucket[i], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&metrics_rtt_sum_us, usec,
				  memory_order_relaxed);
}

/* metrics_render_family - HELP, TYPE and one line per series */
static int
metrics_render_family(struct metrics_family *f, struct strbuf *sb)
{
	size_t n = atomic_load_explicit(&f->count, memory_order_acquire);
	size_t i;
	int rc = 0;

	rc |= strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", f->name,
			    f->help, f->name, f->type);
	for (i = 0; i < n; i++) {
		const struct metrics_series *s = &f->series[i];
		long v = atomic_load_explicit(&s->value, memory_order_relaxed);

		if (f->nlabels == 0)
			rc |= strbuf_printf(sb, "%s %ld\n", f->name, v);
		else if (f->nlabels == 1)
			rc |= strbuf_printf(sb, "%s{%s=\"%s\"} %ld\n", f->name,
					    f->lname[0], s->label[0], v);
		else
			rc |= strbuf_printf(sb, "%s{%s=\"%s\",%s=\"%s\"} %ld\n",
					    f->name, f->lname[0], s->label[0],
					    f->lname[1], s->label[1], v);
	}
	return rc;
}

/* metrics_render - the whole exposition; -1 when sb's maximum is hit */
int
metrics_render(struct strbuf *sb)
{
	const char *h = "relayguard_redis_roundtrip_seconds";
	unsigned long cum = 0;
	unsigned long sum;
	size_t i;
	int rc = 0;

	for (i = 0; i < FAM_COUNT; i++)
		rc |= metrics_render_family(&metrics_fams[i], sb);
	rc |= strbuf_printf(sb, "# HELP %s Redis round-trip time of one "
				"decision.\n# TYPE %s histogram\n", h, h);
	for (i = 0; i <= METRICS_NBUCKETS; i++) {
		cum += atomic_load_explicit(&metrics_rtt_bucket[i],
					    memory_order_relaxed);
		rc |= strbuf_printf(sb, "%s_bucket{le=\"%s\"} %lu\n", h,
				    i < METRICS_NBUCKETS ? metrics_le_text[i]
							 : "+Inf",
				    cum);
	}
	sum = atomic_load_explicit(&metrics_rtt_sum_us, memory_order_relaxed);
	/* _count is the +Inf bucket, so the two always agree */
	rc |= strbuf_printf(sb, "%s_sum %lu.%06lu\n%s_count %lu\n", h,
			    sum / 1000000, sum % 1000000, h, cum);
	return rc < 0 ? -1 : 0;
}

/* metrics_reset - forget everything (tests; no concurrent updates) */
void
metrics_reset(void)
{
	size_t i;

	for (i = 0; i < FAM_COUNT; i++)
		atomic_store(&metrics_fams[i].count, 0);
	for (i = 0; i <= METRICS_NBUCKETS; i++)
		atomic_store(&metrics_rtt_bucket[i], 0);
	atomic_store(&metrics_rtt_sum_us, 0);
}
