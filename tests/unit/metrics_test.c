/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_test - the Prometheus text exposition: a golden rendering after
 * a fixed series of updates, label cleaning, the "other" overflow series,
 * cumulative histogram buckets, and exact counts under concurrent updates.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "rg_test.h"
#include "strbuf.h"

/* render - the exposition into sb (max 1 MiB) */
static void
render(struct strbuf *sb)
{
	strbuf_init(sb, 1 << 20);
	assert_int_equal(metrics_render(sb), 0);
}

/* reset - each case starts from nothing */
static int
reset(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

static const char golden[] =
	"# HELP relayguard_messages_total Decisions by verdict and reason.\n"
	"# TYPE relayguard_messages_total counter\n"
	"relayguard_messages_total{verdict=\"accept\",reason=\"none\"} 2\n"
	"relayguard_messages_total{verdict=\"tempfail\",reason=\"quota\"} 1\n"
	"# HELP relayguard_signatures_total DKIM signatures made, by "
	"algorithm.\n"
	"# TYPE relayguard_signatures_total counter\n"
	"relayguard_signatures_total{algorithm=\"rsa-sha256\"} 2\n"
	"relayguard_signatures_total{algorithm=\"ed25519-sha256\"} 1\n"
	"# HELP relayguard_spf_results_total SPF evaluations by result.\n"
	"# TYPE relayguard_spf_results_total counter\n"
	"relayguard_spf_results_total{result=\"pass\"} 1\n"
	"# HELP relayguard_limit_decisions_total Rate limit decisions by "
	"outcome.\n"
	"# TYPE relayguard_limit_decisions_total counter\n"
	"relayguard_limit_decisions_total{decision=\"over\"} 1\n"
	"# HELP relayguard_abuse_signals_total Abuse signals raised, by signal "
	"and action.\n"
	"# TYPE relayguard_abuse_signals_total counter\n"
	"relayguard_abuse_signals_total{signal=\"stolen_credentials\","
	"action=\"hold\"} 1\n"
	"# HELP relayguard_audit_records_total Audit records written or "
	"dropped, by sink.\n"
	"# TYPE relayguard_audit_records_total counter\n"
	"relayguard_audit_records_total{sink=\"file\",outcome=\"written\"} 64\n"
	"# HELP relayguard_audit_sink_up 1 while an audit sink writes, 0 "
	"while it fails.\n"
	"# TYPE relayguard_audit_sink_up gauge\n"
	"relayguard_audit_sink_up{sink=\"file\"} 0\n"
	"# HELP relayguard_redis_up 1 while Redis answers, 0 while it does "
	"not.\n"
	"# TYPE relayguard_redis_up gauge\n"
	"relayguard_redis_up 1\n"
	"# HELP relayguard_redis_loop_calls_total Limit calls of the policy "
	"service's event loop, by outcome.\n"
	"# TYPE relayguard_redis_loop_calls_total counter\n"
	"relayguard_redis_loop_calls_total{outcome=\"answered\"} 2\n"
	"relayguard_redis_loop_calls_total{outcome=\"again\"} 1\n"
	"# HELP relayguard_redis_roundtrip_seconds Redis round-trip time of "
	"one decision.\n"
	"# TYPE relayguard_redis_roundtrip_seconds histogram\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.00025\"} 1\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.0005\"} 2\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.001\"} 2\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.0025\"} 2\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.005\"} 2\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.01\"} 2\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.025\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.05\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.1\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.25\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"0.5\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"1\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"2.5\"} 3\n"
	"relayguard_redis_roundtrip_seconds_bucket{le=\"+Inf\"} 4\n"
	"relayguard_redis_roundtrip_seconds_sum 3.020501\n"
	"relayguard_redis_roundtrip_seconds_count 4\n";

/* test_exposition_golden - a fixed series of updates, rendered exactly */
static void
test_exposition_golden(void **state)
{
	struct strbuf sb;

	(void)state;
	metrics_message("accept", "");
	metrics_message("tempfail", "quota");
	metrics_message("accept", NULL);
	metrics_signature("rsa-sha256");
	metrics_signature("ed25519-sha256");
	metrics_signature("rsa-sha256");
	metrics_spf("pass");
	metrics_limit("over");
	metrics_signal("stolen_credentials", "hold");
	metrics_audit("file", "written", 64);
	metrics_audit_sink_up("file", true);
	metrics_audit_sink_up("file", false);
	metrics_redis_up(false);
	metrics_redis_up(true);
	metrics_loop_call("answered");
	metrics_loop_call("again");
	metrics_loop_call("answered");
	metrics_redis_latency(250);	/* on a bound: counted in it */
	metrics_redis_latency(251);
	metrics_redis_latency(20000);
	metrics_redis_latency(3000000);	/* past the last bound: +Inf */
	render(&sb);
	assert_string_equal(sb.data, golden);
	strbuf_free(&sb);
}

/* test_empty_families_have_only_help_and_type - no made-up zeros; the
 * histogram is always there */
static void
test_empty_families_have_only_help_and_type(void **state)
{
	struct strbuf sb;

	(void)state;
	render(&sb);
	assert_null(strstr(sb.data, "\nrelayguard_redis_up "));
	assert_null(strstr(sb.data, "relayguard_messages_total{"));
	assert_true(rg_has(sb.data, "# TYPE relayguard_redis_up gauge\n"));
	assert_true(rg_has(sb.data,
			   "relayguard_redis_roundtrip_seconds_count 0\n"));
	strbuf_free(&sb);
}

struct clean_row {
	const char *name;
	const char *in;
	const char *want;	/* the rendered series line */
};

static const struct clean_row clean_rows[] = {
	{"label_keeps_safe_characters", "a-b_c.d:E9",
	 "relayguard_spf_results_total{result=\"a-b_c.d:E9\"} 1\n"},
	{"label_quote_and_newline_become_underscores", "x\"}\n{y",
	 "relayguard_spf_results_total{result=\"x____y\"} 1\n"},
	{"label_backslash_and_utf8_become_underscores", "\\\xc3\xa9",
	 "relayguard_spf_results_total{result=\"___\"} 1\n"},
	{"empty_label_becomes_none", "",
	 "relayguard_spf_results_total{result=\"none\"} 1\n"},
	{"long_label_is_cut_at_47_bytes",
	 "0123456789012345678901234567890123456789012345678901234567890",
	 "relayguard_spf_results_total{result=\""
	 "01234567890123456789012345678901234567890123456\"} 1\n"},
};

/* test_clean - one label value, cleaned */
static void
test_clean(void **state)
{
	const struct clean_row *r = *state;
	struct strbuf sb;

	metrics_reset();
	metrics_spf(r->in);
	render(&sb);
	assert_true(rg_has(sb.data, r->want));
	strbuf_free(&sb);
}

/* test_too_many_series_go_to_other - cardinality stays bounded */
static void
test_too_many_series_go_to_other(void **state)
{
	struct strbuf sb;
	char label[32];
	int i;
	int lines = 0;
	const char *p;

	(void)state;
	for (i = 0; i < METRICS_SERIES_MAX + 40; i++) {
		snprintf(label, sizeof(label), "r%d", i);
		metrics_message("reject", label);
	}
	render(&sb);
	for (p = sb.data; (p = strstr(p, "relayguard_messages_total{")) != NULL;
	     p++)
		lines++;
	assert_int_equal(lines, METRICS_SERIES_MAX);
	assert_true(rg_has(sb.data, "relayguard_messages_total{verdict=\"reject"
				    "\",reason=\"r62\"} 1\n"));
	/* 64 slots: 63 named, the last one takes the remaining 41 */
	assert_true(rg_has(sb.data, "relayguard_messages_total{verdict=\"other"
				    "\",reason=\"other\"} 41\n"));
	strbuf_free(&sb);
}

#define THREADS 4
#define PER_THREAD 200000

static pthread_barrier_t start_line;

/* bump - one thread's share of updates, all threads starting together
 * so that their updates really overlap */
static void *
bump(void *arg)
{
	int i;

	(void)arg;
	pthread_barrier_wait(&start_line);
	for (i = 0; i < PER_THREAD; i++) {
		metrics_message("accept", i % 2 ? "a" : "b");
		metrics_redis_latency(100);
	}
	return NULL;
}

/* test_concurrent_updates_are_exact - no update is lost */
static void
test_concurrent_updates_are_exact(void **state)
{
	pthread_t t[THREADS];
	struct strbuf sb;
	char want[128];
	int i;

	(void)state;
	assert_int_equal(pthread_barrier_init(&start_line, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bump, NULL), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start_line);
	render(&sb);
	snprintf(want, sizeof(want), "reason=\"a\"} %d\n",
		 THREADS * PER_THREAD / 2);
	assert_true(rg_has(sb.data, want));
	snprintf(want, sizeof(want), "reason=\"b\"} %d\n",
		 THREADS * PER_THREAD / 2);
	assert_true(rg_has(sb.data, want));
	snprintf(want, sizeof(want), "_count %d\n", THREADS * PER_THREAD);
	assert_true(rg_has(sb.data, want));
	strbuf_free(&sb);
}

/* test_render_refuses_a_small_buffer - -1, never a cut exposition */
static void
test_render_refuses_a_small_buffer(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(metrics_render(&sb), -1);
	strbuf_free(&sb);
}

/* add_reset - a case that starts from empty metrics */
static void
add_reset(struct rg_cases *c, const char *name, CMUnitTestFunction fn,
	  const void *row)
{
	rg_case_add(c, name, fn, row);
	c->tests[c->count - 1].setup_func = reset;
}

int
main(void)
{
	static struct rg_cases c;
	size_t i;

	add_reset(&c, "exposition_golden", test_exposition_golden, NULL);
	add_reset(&c, "empty_families_have_only_help_and_type",
		  test_empty_families_have_only_help_and_type, NULL);
	for (i = 0; i < sizeof(clean_rows) / sizeof(clean_rows[0]); i++)
		add_reset(&c, clean_rows[i].name, test_clean, &clean_rows[i]);
	add_reset(&c, "too_many_series_go_to_other",
		  test_too_many_series_go_to_other, NULL);
	add_reset(&c, "concurrent_updates_are_exact",
		  test_concurrent_updates_are_exact, NULL);
	add_reset(&c, "render_refuses_a_small_buffer",
		  test_render_refuses_a_small_buffer, NULL);
	return rg_cases_run(&c, "metrics", NULL, NULL);
}
