/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abusectl - the relayguardctl commands on the limit and abuse store:
 *
 *	quota show SUBJECT			used, limit, remaining, reset
 *	quota reset SUBJECT [LIMIT]		forget what was counted
 *	quota set SUBJECT LIMIT AMOUNT[/PERIOD] [--ttl TIME]
 *	quota unset SUBJECT [LIMIT]		back to the plan's values
 *	block SUBJECT [--for TIME | --until DATE] [--reason TEXT]
 *	      [--action tempfail|reject|hold|log]
 *	block show SUBJECT
 *	unblock SUBJECT [--forget] [--reason TEXT]
 *	reputation SUBJECT
 *	top [--window TIME] [--refused] [-n N]
 *
 * They work on the Redis the running relayguard shares (limit_backend =
 * redis): with the memory backend the counters live inside the daemon and
 * the command says so (exit 78).  Every command first checks that Redis
 * answers (exit 3 with the reason when not).  A block or unblock is also
 * written to the audit trail as an event ("block", "unblock") when one is
 * configured, so the report shows who was blocked and why.  Exit codes as
 * in ctl.h: 0 done, 1 nothing there (no limits apply, not blocked, no
 * reputation, no traffic), 2 usage, 3 Redis unavailable, 5 Redis refused
 * the command, 78 configuration.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abuse.h"
#include "audit.h"
#include "conf.h"
#include "limit.h"
#include "str.h"

/* The store of one command: the settings and what they open. */
struct actl {
	struct conf *conf;
	struct limiter *limits;
	struct abuse *abuse;
};

/* actl_close - release what actl_open opened */
static void
actl_close(struct actl *a)
{
	abuse_free(a->abuse);
	limit_free(a->limits);
	conf_free(a->conf);
	memset(a, 0, sizeof(*a));
}

/* actl_open - settings, then the limits (need_limits) or abuse control,
 * on a Redis that answers; CTL_* */
static int
actl_open(const struct ctl *c, bool need_limits, struct actl *a)
{
	struct err e;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = ctl_load_conf(c, &a->conf)) != CTL_OK)
		return rc;
	if (a->conf->limit_backend != CONF_LIMIT_REDIS) {
		ctl_error("%s: limit_backend = memory: the counters live inside "
			  "the relayguard process; relayguardctl needs "
			  "limit_backend = redis", a->conf->path);
		return CTL_CONFIG;
	}
	if (need_limits && !a->conf->limits) {
		ctl_error("%s: limits = no: there are no quotas to show or "
			  "change", a->conf->path);
		return CTL_CONFIG;
	}
	if (!need_limits && !a->conf->abuse_control) {
		ctl_error("%s: abuse_control = no: blocks and reputation are "
			  "not kept (set abuse_control = yes)", a->conf->path);
		return CTL_CONFIG;
	}
	if (need_limits) {
		if (limit_new(a->conf, NULL, &a->limits, &e) < 0) {
			ctl_error("%s", e.text);
			return CTL_CONFIG;
		}
		if (limit_probe(a->limits, &e) < 0) {
			ctl_error("redis %s", e.text);
			return CTL_UNAVAILABLE;
		}
		return CTL_OK;
	}
	if (abuse_new(a->conf, NULL, NULL, &a->abuse, &e) < 0) {
		ctl_error("%s", e.text);
		return CTL_CONFIG;
	}
	if (abuse_probe(a->abuse, &e) < 0) {
		ctl_error("redis %s", e.text);
		return CTL_UNAVAILABLE;
	}
	return CTL_OK;
}

/* actl_subject - a subject from the command line, normalised; CTL_* */
static int
actl_subject(const char *text, char *key, size_t size)
{
	struct err e;

	if (abuse_subject_parse(text, key, size, &e) < 0) {
		ctl_error("%s", e.text);
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* actl_when - "in 12m (2026-11-30T12:00:00Z)" for a time from now */
static void
actl_when(uint64_t in_ms, uint64_t now_ms, char *buf, size_t size)
{
	static const struct {
		char unit;
		uint64_t s;
	} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	uint64_t left = (in_ms + 999) / 1000;
	char period[32] = "";
	char utc[32];
	size_t used = 0;
	size_t i;
	int shown = 0;

	if (in_ms == 0) {
		(void)str_copy(buf, size, "-");
		return;
	}
	/* the two largest units: "19m59s", "2d3h" */
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		if ((left < units[i].s && shown == 0) ||
		    (shown == 1 && left / units[i].s == 0))
			continue;
		(void)str_format(period + used, sizeof(period) - used,
				 "%llu%c", (unsigned long long)(left /
								units[i].s),
				 units[i].unit);
		used = strlen(period);
		left %= units[i].s;
		shown++;
	}
	ctl_utc(now_ms + in_ms, utc, sizeof(utc));
	(void)str_format(buf, size, "in %s (%s)", period, utc);
}

/* --- quota --------------------------------------------------------------- */

/* actl_quota_json - the usage of a subject as one JSON document */
static void
actl_quota_json(struct ctl *c, const char *key, const struct limit_usage *u,
		size_t n, uint64_t now)
{
	struct strbuf sb;
	char utc[32];
	size_t i;

	strbuf_init(&sb, 1 << 20);
	(void)strbuf_append_str(&sb, "{");
	ctl_json_str(&sb, "subject", key);
	ctl_json_raw(&sb, "limits", "[");
	for (i = 0; i < n; i++) {
		ctl_utc(now + u[i].reset_ms, utc, sizeof(utc));
		ctl_json_raw(&sb, NULL, "{");
		ctl_json_str(&sb, "name", u[i].name);
		ctl_json_str(&sb, "counter", limit_counter_name(u[i].counter));
		ctl_json_num(&sb, "used", (unsigned long)u[i].used);
		ctl_json_num(&sb, "limit", (unsigned long)u[i].amount);
		ctl_json_num(&sb, "remaining", (unsigned long)u[i].remaining);
		ctl_json_num(&sb, "period_ms", (unsigned long)u[i].period_ms);
		ctl_json_num(&sb, "reset_ms", (unsigned long)u[i].reset_ms);
		ctl_json_str(&sb, "reset", u[i].reset_ms ? utc : "");
		ctl_json_raw(&sb, "overridden",
			     u[i].overridden ? "true" : "false");
		ctl_json_raw(&sb, "dry_run", u[i].dry_run ? "true" : "false");
		ctl_json_raw(&sb, "hard", u[i].hard ? "true" : "false");
		(void)strbuf_append_str(&sb, "}");
	}
	(void)strbuf_append_str(&sb, "]}");
	ctl_json_print(c, &sb);
	strbuf_free(&sb);
}

/* actl_quota_row - one limit's usage as a table row */
static void
actl_quota_row(struct ctl_table *t, const struct limit_usage *u, uint64_t now)
{
	char used[24];
	char amount[24];
	char rem[24];
	char period[16];
	char reset[64];
	char flags[40];
	const char *row[8];

	(void)str_format(used, sizeof(used), "%llu",
			 (unsigned long long)u->used);
	(void)str_format(amount, sizeof(amount), "%llu",
			 (unsigned long long)u->amount);
	(void)str_format(rem, sizeof(rem), "%llu",
			 (unsigned long long)u->remaining);
	if (u->period_ms > 0)
		limit_period_text(u->period_ms, period, sizeof(period));
	else
		(void)str_copy(period, sizeof(period), "message");
	actl_when(u->reset_ms, now, reset, sizeof(reset));
	(void)str_format(flags, sizeof(flags), "%s%s%s",
			 u->overridden ? "overridden " : "",
			 u->dry_run ? "dry-run " : "", u->hard ? "hard" : "");
	row[0] = u->name;
	row[1] = limit_counter_name(u->counter);
	row[2] = used;
	row[3] = amount;
	row[4] = rem;
	row[5] = period;
	row[6] = reset;
	row[7] = flags;
	ctl_table_add(t, row);
}

/* actl_quota_show - "quota show SUBJECT" */
static int
actl_quota_show(struct ctl *c, struct actl *a, const char *subject)
{
	static const char *const heads[] = {
		"LIMIT", "COUNTER", "USED", "LIMIT", "REMAINING", "PERIOD",
		"RESET", "FLAGS",
	};
	struct limit_usage u[LIMIT_PLAN_MAX];
	char key[LIMIT_SUBJECT_MAX];
	uint64_t now = abuse_now(NULL);
	struct ctl_table t;
	struct err e;
	size_t n;
	size_t i;

	if (limit_show(a->limits, subject, u, LIMIT_PLAN_MAX, &n, key,
		       sizeof(key), &e) < 0) {
		ctl_error("quota show %s: %s", subject, e.text);
		return CTL_NEGATIVE;
	}
	if (c->json) {
		actl_quota_json(c, key, u, n, now);
		return CTL_OK;
	}
	fprintf(c->out, "%s\n", key);
	ctl_table_init(&t, 8, heads);
	for (i = 0; i < n; i++)
		actl_quota_row(&t, &u[i], now);
	ctl_table_print(&t, c->out);
	ctl_table_free(&t);
	return CTL_OK;
}

/* actl_amount - "200", "500M", "10k" (k M G: 1024s) */
static int
actl_amount(const char *s, uint64_t *out)
{
	char num[32];
	size_t len = strlen(s);
	unsigned long n;
	uint64_t mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K':
		mult = 1024;
		break;
	case 'M':
		mult = 1024 * 1024;
		break;
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		break;
	}
	if (mult != 1)
		num[len - 1] = '\0';
	if (str_to_ulong(num, 10, LIMIT_AMOUNT_MAX / mult, &n) < 0)
		return -1;
	*out = (uint64_t)n * mult;
	return 0;
}

/* actl_quota_set - "quota set SUBJECT LIMIT AMOUNT[/PERIOD] [--ttl T]" */
static int
actl_quota_set(struct ctl *c, struct actl *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ttl", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	char key[LIMIT_SUBJECT_MAX];
	uint64_t ttl = 0;
	uint64_t amount;
	uint64_t period = 0;
	char spec[64];
	char *slash;
	struct err e;
	int ch;

	while ((ch = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
		if (ch != 't' || ctl_parse_duration(optarg, &ttl) < 0) {
			ctl_error("quota set: --ttl wants a time (examples: "
				  "30m, 12h, 7d)");
			return CTL_USAGE;
		}
	}
	if (argc - optind != 3 ||
	    str_copy(spec, sizeof(spec), argv[optind + 2]) < 0) {
		ctl_error("usage: relayguardctl quota set SUBJECT LIMIT "
			  "AMOUNT[/PERIOD] [--ttl TIME]");
		return CTL_USAGE;
	}
	if (actl_subject(argv[optind], key, sizeof(key)) != CTL_OK)
		return CTL_USAGE;
	slash = strchr(spec, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (actl_amount(spec, &amount) < 0 ||
	    (slash != NULL && ctl_parse_duration(slash, &period) < 0)) {
		ctl_error("quota set: \"%s\" is not AMOUNT[/PERIOD] (examples: "
			  "500, 1000/1d, 2G/1d)", argv[optind + 2]);
		return CTL_USAGE;
	}
	if (slash == NULL) {
		/* the plan's period stays */
		struct limit_usage u[LIMIT_PLAN_MAX];
		size_t n;
		size_t i;

		if (limit_show(a->limits, argv[optind], u, LIMIT_PLAN_MAX, &n,
			       NULL, 0, &e) < 0)
			goto neg;
		for (i = 0; i < n; i++)
			if (strcmp(u[i].name, argv[optind + 1]) == 0)
				period = u[i].period_ms;
	}
	if (limit_override_set(a->limits, argv[optind], argv[optind + 1],
			       amount, period, ttl, &e) < 0)
		goto neg;
	if (c->json) {
		fprintf(c->out, "{\"subject\":");
		ctl_json_print_str(c, argv[optind]);
		fprintf(c->out, ",\"limit\":");
		ctl_json_print_str(c, argv[optind + 1]);
		fprintf(c->out, ",\"amount\":%llu,\"period_ms\":%llu,"
			"\"ttl_ms\":%llu}\n", (unsigned long long)amount,
			(unsigned long long)period, (unsigned long long)ttl);
	} else {
		fprintf(c->out, "%s %s set to %s%s\n", argv[optind],
			argv[optind + 1], argv[optind + 2],
			ttl ? " for a while (--ttl)" : "");
	}
	return CTL_OK;
neg:
	ctl_error("quota set %s: %s", argv[optind], e.text);
	return CTL_NEGATIVE;
}

/* actl_quota_change - "quota reset|unset SUBJECT [LIMIT]" */
static int
actl_quota_change(struct ctl *c, struct actl *a, bool reset, int argc,
		  char **argv)
{
	const char *name = argc > 2 ? argv[2] : NULL;
	struct err e;
	int rc;

	if (argc < 2 || argc > 3) {
		ctl_error("usage: relayguardctl quota %s SUBJECT [LIMIT]",
			  reset ? "reset" : "unset");
		return CTL_USAGE;
	}
	rc = reset ? limit_reset(a->limits, argv[1], name, &e)
		   : limit_override_clear(a->limits, argv[1], name, &e);
	if (rc < 0) {
		ctl_error("quota %s %s: %s", reset ? "reset" : "unset", argv[1],
			  e.text);
		return CTL_NEGATIVE;
	}
	if (c->json) {
		fprintf(c->out, "{\"subject\":");
		ctl_json_print_str(c, argv[1]);
		fprintf(c->out, ",\"limit\":");
		ctl_json_print_str(c, name ? name : "");
		fprintf(c->out, ",\"%s\":true}\n", reset ? "reset" : "unset");
	} else {
		fprintf(c->out, "%s %s%s%s\n", argv[1],
			reset ? "counters forgotten" : "back to its plan",
			name ? ": " : "", name ? name : "");
	}
	return CTL_OK;
}

/* ctl_quota - "relayguardctl quota show|reset|set|unset ..." */
int
ctl_quota(struct ctl *c, int argc, char **argv)
{
	char key[LIMIT_SUBJECT_MAX];
	struct actl a;
	int rc;

	if (argc < 3) {
		ctl_error("usage: relayguardctl quota show|reset|set|unset "
			  "SUBJECT ...");
		return CTL_USAGE;
	}
	if (strcmp(argv[1], "show") != 0 && strcmp(argv[1], "reset") != 0 &&
	    strcmp(argv[1], "set") != 0 && strcmp(argv[1], "unset") != 0) {
		ctl_error("quota %s: unknown (show, reset, set, unset)",
			  argv[1]);
		return CTL_USAGE;
	}
	/* a subject that is no subject is a usage error before any I/O
	 * ("set" takes options, its subject is checked after them) */
	if (strcmp(argv[1], "set") != 0 &&
	    (rc = actl_subject(argv[2], key, sizeof(key))) != CTL_OK)
		return rc;
	if ((rc = actl_open(c, true, &a)) != CTL_OK) {
		actl_close(&a);
		return rc;
	}
	if (strcmp(argv[1], "show") == 0)
		rc = argc == 3 ? actl_quota_show(c, &a, argv[2]) : CTL_USAGE;
	else if (strcmp(argv[1], "set") == 0)
		rc = actl_quota_set(c, &a, argc - 1, argv + 1);
	else
		rc = actl_quota_change(c, &a, strcmp(argv[1], "reset") == 0,
				       argc - 1, argv + 1);
	if (rc == CTL_USAGE && strcmp(argv[1], "show") == 0)
		ctl_error("usage: relayguardctl quota show SUBJECT");
	actl_close(&a);
	return rc;
}

/* --- block, unblock ------------------------------------------------------ */

/* actl_audit_event - a block or unblock in the audit trail, when one is
 * configured; a sink that fails only says so */
static void
actl_audit_event(const struct conf *conf, const char *event,
		 const char *subject, enum abuse_action action,
		 const char *reason)
{
	struct audit_opts o;
	struct audit_rec *r;
	struct err e;

	audit_opts_from_conf(&o, conf);
	if ((o.file == NULL || o.file[0] == '\0') &&
	    (o.stream == NULL || o.stream[0] == '\0'))
		return;
	if (audit_start(&o, &e) < 0) {
		ctl_error("audit trail: %s (the %s is done all the same)",
			  e.text, event);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r != NULL) {
		audit_rec_init(r);
		(void)str_copy(r->event, sizeof(r->event), event);
		(void)str_copy(r->stage, sizeof(r->stage), "admin");
		(void)str_copy(r->action, sizeof(r->action),
			       abuse_action_name(action));
		(void)str_copy(r->reason, sizeof(r->reason), reason);
		(void)audit_rec_add_signal(r, AUDIT_SIGNAL_PENALTY_BOX,
					   subject, abuse_action_name(action),
					   false);
		audit_submit(r);
		free(r);
	}
	if (audit_flush(3000) < 0)
		ctl_error("audit trail: the %s event was not written in time",
			  event);
	audit_stop(1000);
}

/* actl_block_show - "block show SUBJECT" */
static int
actl_block_show(struct ctl *c, struct actl *a, const char *key)
{
	struct abuse_block b;
	struct strbuf sb;
	char until[32];
	char set[32];
	struct err e;

	if (abuse_block_get(a->abuse, key, &b, &e) < 0) {
		ctl_error("block show %s: %s", key, e.text);
		return CTL_ERROR;
	}
	ctl_utc(b.until_ms, until, sizeof(until));
	ctl_utc(b.set_ms, set, sizeof(set));
	if (c->json) {
		strbuf_init(&sb, 8192);
		(void)strbuf_append_str(&sb, "{");
		ctl_json_str(&sb, "subject", key);
		ctl_json_raw(&sb, "blocked", b.active ? "true" : "false");
		ctl_json_str(&sb, "until", b.active ? until : "");
		ctl_json_str(&sb, "since", b.active ? set : "");
		ctl_json_str(&sb, "action",
			     b.active ? abuse_action_name(b.action) : "");
		ctl_json_str(&sb, "by", !b.active ? "" : b.by_admin
				    ? "admin" : "penalty_box");
		ctl_json_raw(&sb, "dry_run", b.dry_run ? "true" : "false");
		ctl_json_str(&sb, "reason", b.active ? b.reason : "");
		ctl_json_num(&sb, "offences", b.offences);
		ctl_json_num(&sb, "quota_refusals", b.trips);
		(void)strbuf_append_str(&sb, "}");
		ctl_json_print(c, &sb);
		strbuf_free(&sb);
	} else if (b.active) {
		fprintf(c->out, "%s blocked until %s (%s%s), by %s since %s: "
			"%s\n", key, until, abuse_action_name(b.action),
			b.dry_run ? ", dry run" : "",
			b.by_admin ? "the administrator" : "the penalty box",
			set, b.reason[0] ? b.reason : "(no reason given)");
	} else {
		fprintf(c->out, "%s not blocked (%lu quota refusals in the "
			"current window, %lu earlier blocks remembered)\n", key,
			b.trips, b.offences);
	}
	return b.active ? CTL_OK : CTL_NEGATIVE;
}

/* What "block" was asked for. */
struct actl_block_opts {
	enum abuse_action action;
	bool action_set;
	const char *reason;
	uint64_t dur;		/* --for, ms */
	uint64_t until;		/* --until, ms since the epoch */
};

/* actl_block_opts - the options of "block"; -1 on a usage error */
static int
actl_block_opts(int argc, char **argv, struct actl_block_opts *o)
{
	static const struct option longopts[] = {
		{"for", required_argument, NULL, 'f'},
		{"until", required_argument, NULL, 'u'},
		{"reason", required_argument, NULL, 'r'},
		{"action", required_argument, NULL, 'a'},
		{"reject", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->action = ABUSE_TEMPFAIL;
	o->reason = "";
	while ((ch = getopt_long(argc, argv, "f:u:r:a:R", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'f':
			if (ctl_parse_duration(optarg, &o->dur) < 0 ||
			    o->dur == 0)
				return -1;
			break;
		case 'u':
			if (ctl_parse_date(optarg, &o->until) < 0)
				return -1;
			break;
		case 'r':
			o->reason = optarg;
			break;
		case 'a':
			if (abuse_action_parse(optarg, &o->action) < 0)
				return -1;
			o->action_set = true;
			break;
		case 'R':
			o->action = ABUSE_REJECT;
			o->action_set = true;
			break;
		default:
			return -1;
		}
	}
	return argc - optind == 1 && !(o->dur != 0 && o->until != 0) ? 0 : -1;
}

/* ctl_block - "relayguardctl block SUBJECT ..." or "block show SUBJECT" */
int
ctl_block(struct ctl *c, int argc, char **argv)
{
	char key[ABUSE_SUBJECT_MAX];
	struct actl_block_opts o;
	struct actl a;
	struct err e;
	int rc;

	if (argc == 3 && strcmp(argv[1], "show") == 0) {
		if ((rc = actl_subject(argv[2], key, sizeof(key))) != CTL_OK)
			return rc;
		if ((rc = actl_open(c, false, &a)) == CTL_OK)
			rc = actl_block_show(c, &a, key);
		actl_close(&a);
		return rc;
	}
	if (actl_block_opts(argc, argv, &o) < 0) {
		ctl_error("usage: relayguardctl block SUBJECT [--for TIME | "
			  "--until DATE] [--reason TEXT] [--action tempfail|"
			  "reject|hold|log] [--reject]; relayguardctl block "
			  "show SUBJECT");
		return CTL_USAGE;
	}
	if ((rc = actl_subject(argv[optind], key, sizeof(key))) != CTL_OK)
		return rc;
	if ((rc = actl_open(c, false, &a)) != CTL_OK) {
		actl_close(&a);
		return rc;
	}
	if (!o.action_set)
		o.action = (enum abuse_action)a.conf->penalty_box_action;
	if (o.dur != 0)
		o.until = abuse_now(NULL) + o.dur;
	if (abuse_block_set(a.abuse, key, o.until, o.action, o.reason,
			    &e) < 0) {
		ctl_error("block %s: %s", key, e.text);
		actl_close(&a);
		return ctl_status(&e);
	}
	actl_audit_event(a.conf, "block", key, o.action, o.reason);
	rc = actl_block_show(c, &a, key);
	actl_close(&a);
	return rc == CTL_NEGATIVE ? CTL_ERROR : rc;
}

/* ctl_unblock - "relayguardctl unblock SUBJECT [--forget] [--reason T]" */
int
ctl_unblock(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"forget", no_argument, NULL, 'F'},
		{"reason", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	char key[ABUSE_SUBJECT_MAX];
	const char *reason = "";
	bool forget = false;
	bool was = false;
	struct actl a;
	struct err e;
	int ch;
	int rc;

	while ((ch = getopt_long(argc, argv, "Fr:", longopts, NULL)) != -1) {
		if (ch == 'F') {
			forget = true;
		} else if (ch == 'r') {
			reason = optarg;
		} else {
			ctl_error("usage: relayguardctl unblock SUBJECT "
				  "[--forget] [--reason TEXT]");
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1) {
		ctl_error("usage: relayguardctl unblock SUBJECT [--forget] "
			  "[--reason TEXT]");
		return CTL_USAGE;
	}
	if ((rc = actl_subject(argv[optind], key, sizeof(key))) != CTL_OK)
		return rc;
	if ((rc = actl_open(c, false, &a)) != CTL_OK) {
		actl_close(&a);
		return rc;
	}
	if (abuse_block_clear(a.abuse, key, forget, &was, &e) < 0) {
		ctl_error("unblock %s: %s", key, e.text);
		actl_close(&a);
		return CTL_ERROR;
	}
	if (was)
		actl_audit_event(a.conf, "unblock", key, ABUSE_LOG, reason);
	if (c->json) {
		fprintf(c->out, "{\"subject\":");
		ctl_json_print_str(c, key);
		fprintf(c->out, ",\"was_blocked\":%s,\"forgotten\":%s}\n",
			was ? "true" : "false", forget ? "true" : "false");
	} else {
		fprintf(c->out, "%s %s%s\n", key,
			was ? "unblocked" : "was not blocked",
			forget ? "; earlier blocks forgotten" : "");
	}
	actl_close(&a);
	return was ? CTL_OK : CTL_NEGATIVE;
}

/* --- reputation, top ----------------------------------------------------- */

/* actl_rep_row - one period of a reputation as a table row */
static void
actl_rep_row(struct ctl_table *t, const char *period, const unsigned long *v)
{
	char cells[5][24];
	const char *row[6];
	size_t i;

	row[0] = period;
	for (i = 0; i < 5; i++) {
		(void)str_format(cells[i], sizeof(cells[i]), "%lu", v[i]);
		row[1 + i] = cells[i];
	}
	ctl_table_add(t, row);
}

/* actl_rep_json - counts of one period as a JSON object */
static void
actl_rep_json(struct strbuf *sb, const char *key, const unsigned long *v)
{
	ctl_json_raw(sb, key, "{");
	ctl_json_num(sb, "accepted", v[0]);
	ctl_json_num(sb, "tempfailed", v[1]);
	ctl_json_num(sb, "rejected", v[2]);
	ctl_json_num(sb, "spf_failed", v[3]);
	ctl_json_num(sb, "owner_refused", v[4]);
	(void)strbuf_append_str(sb, "}");
}

/* ctl_reputation - "relayguardctl reputation SUBJECT" */
int
ctl_reputation(struct ctl *c, int argc, char **argv)
{
	static const char *const heads[] = {
		"PERIOD", "ACCEPTED", "TEMPFAILED", "REJECTED", "SPF_FAILED",
		"OWNER_REFUSED",
	};
	char key[ABUSE_SUBJECT_MAX];
	struct abuse_reputation r;
	struct abuse_block b;
	struct ctl_table t;
	struct strbuf sb;
	char first[32];
	char last[32];
	char until[32];
	struct actl a;
	struct err e;
	int rc;

	if (argc != 2) {
		ctl_error("usage: relayguardctl reputation SUBJECT");
		return CTL_USAGE;
	}
	if ((rc = actl_subject(argv[1], key, sizeof(key))) != CTL_OK)
		return rc;
	if ((rc = actl_open(c, false, &a)) != CTL_OK) {
		actl_close(&a);
		return rc;
	}
	if (abuse_reputation_get(a.abuse, key, &r, &e) < 0 ||
	    abuse_block_get(a.abuse, key, &b, &e) < 0) {
		ctl_error("reputation %s: %s", key, e.text);
		actl_close(&a);
		return CTL_ERROR;
	}
	actl_close(&a);
	if (!r.known) {
		ctl_error("%s: no reputation (not seen within reputation_ttl, "
			  "or never)", key);
		return CTL_NEGATIVE;
	}
	ctl_utc(r.first_ms, first, sizeof(first));
	ctl_utc(r.last_ms, last, sizeof(last));
	ctl_utc(b.until_ms, until, sizeof(until));
	if (c->json) {
		strbuf_init(&sb, 8192);
		(void)strbuf_append_str(&sb, "{");
		ctl_json_str(&sb, "subject", key);
		ctl_json_str(&sb, "first_seen", first);
		ctl_json_str(&sb, "last_seen", last);
		ctl_json_num(&sb, "networks", r.networks);
		ctl_json_num(&sb, "recipient_domains", r.domains);
		actl_rep_json(&sb, "hour", r.hour);
		actl_rep_json(&sb, "day", r.day);
		ctl_json_str(&sb, "blocked_until", b.active ? until : "");
		(void)strbuf_append_str(&sb, "}");
		ctl_json_print(c, &sb);
		strbuf_free(&sb);
		return CTL_OK;
	}
	fprintf(c->out, "subject            %s\n"
		"first seen         %s\nlast seen          %s\n"
		"client networks    %lu\nrecipient domains  %lu\n"
		"blocked            %s%s\n\n", key, first, last, r.networks,
		r.domains, b.active ? "until " : "no", b.active ? until : "");
	ctl_table_init(&t, 6, heads);
	actl_rep_row(&t, "last hour", r.hour);
	actl_rep_row(&t, "last day", r.day);
	ctl_table_print(&t, c->out);
	ctl_table_free(&t);
	return CTL_OK;
}

/* actl_top_print - the rows of "top", as a table or JSON */
static void
actl_top_print(struct ctl *c, enum abuse_top_by by,
	       const struct abuse_top_row *rows, size_t n)
{
	static const char *const heads[] = {"RANK", "SUBJECT", "DECISIONS"};
	static const char *const heads_r[] = {"RANK", "SUBJECT", "REFUSED"};
	struct ctl_table t;
	struct strbuf sb;
	size_t i;

	if (c->json) {
		strbuf_init(&sb, 1 << 20);
		(void)strbuf_append_str(&sb, "[");
		for (i = 0; i < n; i++) {
			ctl_json_raw(&sb, NULL, "{");
			ctl_json_str(&sb, "subject", rows[i].subject);
			ctl_json_num(&sb, by == ABUSE_TOP_SENT ? "decisions"
							       : "refused",
				     rows[i].count);
			(void)strbuf_append_str(&sb, "}");
		}
		(void)strbuf_append_str(&sb, "]");
		ctl_json_print(c, &sb);
		strbuf_free(&sb);
		return;
	}
	if (n == 0)
		return;
	ctl_table_init(&t, 3, by == ABUSE_TOP_SENT ? heads : heads_r);
	for (i = 0; i < n; i++) {
		char rank[8];
		char count[24];
		const char *row[3];

		(void)str_format(rank, sizeof(rank), "%zu", i + 1);
		(void)str_format(count, sizeof(count), "%lu", rows[i].count);
		row[0] = rank;
		row[1] = rows[i].subject;
		row[2] = count;
		ctl_table_add(&t, row);
	}
	ctl_table_print(&t, c->out);
	ctl_table_free(&t);
}

/* ctl_top - "relayguardctl top [--window TIME] [--refused] [-n N]" */
int
ctl_top(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"window", required_argument, NULL, 'w'},
		{"refused", no_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	struct abuse_top_row rows[ABUSE_TOP_MAX];
	enum abuse_top_by by = ABUSE_TOP_SENT;
	uint64_t window = 3600000;
	unsigned long max = 10;
	struct actl a;
	struct err e;
	size_t n;
	int ch;
	int rc;

	while ((ch = getopt_long(argc, argv, "w:rn:", longopts, NULL)) != -1) {
		if (ch == 'w' && ctl_parse_duration(optarg, &window) == 0 &&
		    window > 0 && window <= 86400000)
			continue;
		if (ch == 'r') {
			by = ABUSE_TOP_REFUSED;
			continue;
		}
		if (ch == 'n' &&
		    str_to_ulong(optarg, 10, ABUSE_TOP_MAX, &max) == 0 &&
		    max > 0)
			continue;
		goto usage;
	}
	if (optind != argc)
		goto usage;
	if ((rc = actl_open(c, false, &a)) != CTL_OK) {
		actl_close(&a);
		return rc;
	}
	rc = abuse_top(a.abuse, by, window, max, rows, &n, &e);
	actl_close(&a);
	if (rc < 0) {
		ctl_error("top: %s", e.text);
		return CTL_ERROR;
	}
	actl_top_print(c, by, rows, n);
	if (n == 0 && !c->json)
		ctl_error("top: no %s within the window",
			  by == ABUSE_TOP_SENT ? "decisions" : "refusals");
	return n > 0 ? CTL_OK : CTL_NEGATIVE;
usage:
	ctl_error("usage: relayguardctl top [--window TIME (at most 24h)] "
		  "[--refused] [-n N (at most %d)]", ABUSE_TOP_MAX);
	return CTL_USAGE;
}
