/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics - process-wide counters, gauges and one histogram, rendered in
 * the Prometheus text exposition format (version 0.0.4).
 *
 * Families (labels in braces):
 *   relayguard_messages_total{verdict,reason}	decisions by outcome
 *   relayguard_signatures_total{algorithm}	DKIM signatures made
 *   relayguard_spf_results_total{result}	SPF evaluations
 *   relayguard_limit_decisions_total{decision}	ok, over, unavailable...
 *   relayguard_abuse_signals_total{signal,action}
 *   relayguard_audit_records_total{sink,outcome}	written / dropped
 *   relayguard_audit_sink_up{sink}		1 writing, 0 failing
 *   relayguard_redis_up			1 reachable, 0 not
 *   relayguard_redis_roundtrip_seconds		histogram (0.25 ms .. 2.5 s)
 *   relayguard_redis_loop_calls_total{outcome}	the policy service's pipe:
 *				answered, again, declined, failed
 *
 * Label values are cleaned before use: bytes other than letters, digits,
 * '_', '-', '.' and ':' become '_', and values are cut at
 * METRICS_LABEL_MAX bytes, so wire text can neither break the format nor
 * grow it without end.  Each family holds at most METRICS_SERIES_MAX label
 * combinations; later new ones are counted under the value "other".
 *
 * Cost: an update of an existing series is a lock-free scan of at most
 * METRICS_SERIES_MAX entries and one atomic add; only the first use of a
 * new label combination takes the family's mutex.  Thread-safe, except
 * metrics_reset() (tests only, no concurrent updates).
 */
#ifndef RG_METRICS_H
#define RG_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define METRICS_LABEL_MAX 47
#define METRICS_SERIES_MAX 64

void metrics_message(const char *verdict, const char *reason);
void metrics_signature(const char *algorithm);
void metrics_spf(const char *result);
void metrics_limit(const char *decision);
void metrics_signal(const char *signal, const char *action);
void metrics_audit(const char *sink, const char *outcome, unsigned long n);
void metrics_audit_sink_up(const char *sink, bool up);
void metrics_redis_up(bool up);
void metrics_redis_latency(unsigned long usec);
void metrics_loop_call(const char *outcome);

int metrics_render(struct strbuf *sb);
void metrics_reset(void);

#endif
