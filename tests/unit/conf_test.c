/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_test - the settings parser: defaults, every value type, error texts
 * ("FILE:LINE: key: what (examples: ...)"), continuation lines, comments.
 *
 * Rows feed a small file through conf_load_stream() (fmemopen) and check
 * either one rendered setting or the exact error text.  Golden files:
 * every tests/unit/conf/NAME.in is loaded with conf_load() and its output
 * (all settings, or "error: TEXT") compared with NAME.ref.  Paths are
 * relative: tests/run.sh runs the tests from the repository top.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <glob.h>
#include <string.h>
#include <syslog.h>

#include "rg_test.h"
#include "strbuf.h"

#define GOLDEN_DIR "tests/unit/conf"
#define OUT_MAX 8192

/* --- rendering a loaded config ------------------------------------------- */

/* facility_name - syslog facility number back to its name */
static const char *
facility_name(int f)
{
	static const struct {
		const char *name;
		int value;
	} tab[] = {
		{"mail", LOG_MAIL},	{"daemon", LOG_DAEMON},
		{"user", LOG_USER},	{"local0", LOG_LOCAL0},
		{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
		{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
		{"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
		{"local7", LOG_LOCAL7},
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].value == f)
			return tab[i].name;
	return "?";
}

/* level_name - log level back to its name */
static const char *
level_name(enum log_level lv)
{
	switch (lv) {
	case LOG_LEVEL_ERROR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

/* canon_name - "relaxed" or "simple" */
static const char *
canon_name(enum conf_canon cn)
{
	return cn == CONF_CANON_RELAXED ? "relaxed" : "simple";
}

/* put_list - items joined by ", " */
static void
put_list(struct strbuf *sb, const struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		assert_int_equal(strbuf_printf(sb, "%s%s", i ? ", " : "",
					       l->items[i]), 0);
}

/* put_cidrs - networks as ADDR/PREFIX joined by ", " */
static void
put_cidrs(struct strbuf *sb, const struct cidr_list *l)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < l->count; i++) {
		assert_non_null(inet_ntop(l->items[i].family, l->items[i].addr,
					  a, sizeof(a)));
		assert_int_equal(strbuf_printf(sb, "%s%s/%u", i ? ", " : "", a,
					       l->items[i].prefix), 0);
	}
}

/* spf_action_name - an SPF action back to its name */
static const char *
spf_action_name(enum conf_spf_action a)
{
	static const char *const names[] = {"accept", "header", "tempfail",
					    "reject"};

	return (size_t)a < 4 ? names[a] : "?";
}

/* spf_helo_name - an spf_helo_check mode back to its name */
static const char *
spf_helo_name(enum conf_spf_helo h)
{
	static const char *const names[] = {"null_sender", "always", "no"};

	return (size_t)h < 3 ? names[h] : "?";
}

/* abuse_action - the name of an abuse signal's action */
static const char *
abuse_action(int a)
{
	static const char *const n[] = {"log", "tempfail", "reject", "hold"};

	return a >= 0 && a < 4 ? n[a] : "?";
}

/* abuse_key - the abuse control keys; false when key is
 * none of them */
static bool
abuse_key(const struct conf *c, const char *key, struct strbuf *sb, int *rc)
{
#define IS(k) (strcmp(key, (k)) == 0)
#define B(f) (*rc = strbuf_append_str(sb, c->f ? "yes" : "no"))
#define U(f) (*rc = strbuf_printf(sb, "%lu", c->f))
#define A(f) (*rc = strbuf_append_str(sb, abuse_action(c->f)))
	if (IS("abuse_control"))
		B(abuse_control);
	else if (IS("penalty_box_trips"))
		U(penalty_box_trips);
	else if (IS("penalty_box_window"))
		U(penalty_box_window);
	else if (IS("penalty_box_time"))
		U(penalty_box_time);
	else if (IS("penalty_box_growth"))
		U(penalty_box_growth);
	else if (IS("penalty_box_max_time"))
		U(penalty_box_max_time);
	else if (IS("penalty_box_memory"))
		U(penalty_box_memory);
	else if (IS("penalty_box_action"))
		A(penalty_box_action);
	else if (IS("penalty_box_dry_run"))
		B(penalty_box_dry_run);
	else if (IS("stolen_login_networks"))
		U(stolen_login_networks);
	else if (IS("stolen_login_window"))
		U(stolen_login_window);
	else if (IS("stolen_login_action"))
		A(stolen_login_action);
	else if (IS("stolen_login_dry_run"))
		B(stolen_login_dry_run);
	else if (IS("fanout_sender_recipients"))
		U(fanout_sender_recipients);
	else if (IS("fanout_recipients"))
		U(fanout_recipients);
	else if (IS("fanout_window"))
		U(fanout_window);
	else if (IS("fanout_action"))
		A(fanout_action);
	else if (IS("fanout_dry_run"))
		B(fanout_dry_run);
	else if (IS("spike_factor"))
		U(spike_factor);
	else if (IS("spike_min_messages"))
		U(spike_min_messages);
	else if (IS("spike_window"))
		U(spike_window);
	else if (IS("spike_baseline"))
		U(spike_baseline);
	else if (IS("spike_action"))
		A(spike_action);
	else if (IS("spike_dry_run"))
		B(spike_dry_run);
	else if (IS("max_recipients_per_message"))
		U(max_recipients_per_message);
	else if (IS("max_recipient_domains"))
		U(max_recipient_domains);
	else if (IS("message_caps_action"))
		A(message_caps_action);
	else if (IS("message_caps_dry_run"))
		B(message_caps_dry_run);
	else if (IS("reputation"))
		B(reputation);
	else if (IS("reputation_ttl"))
		U(reputation_ttl);
	else if (IS("quota_warnings"))
		put_list(sb, &c->quota_warnings);
	else if (IS("abuse_queue_size"))
		U(abuse_queue_size);
	else
		return false;
#undef A
#undef U
#undef B
#undef IS
	return true;
}

/* render_key - one setting as text; -1 for a key this test does not know */
static int
render_key(const struct conf *c, const char *key, struct strbuf *sb)
{
	int rc = 0;

#define IS(k) (strcmp(key, (k)) == 0)
	if (IS("socket"))
		rc = strbuf_append_str(sb, c->socket);
	else if (IS("socket_mode"))
		rc = strbuf_printf(sb, "%04lo", c->socket_mode);
	else if (IS("socket_group"))
		rc = strbuf_append_str(sb, c->socket_group);
	else if (IS("user"))
		rc = strbuf_append_str(sb, c->user);
	else if (IS("pid_file"))
		rc = strbuf_append_str(sb, c->pid_file);
	else if (IS("syslog_facility"))
		rc = strbuf_append_str(sb, facility_name(c->syslog_facility));
	else if (IS("log_level"))
		rc = strbuf_append_str(sb, level_name(c->log_level));
	else if (IS("milter_timeout"))
		rc = strbuf_printf(sb, "%lu", c->milter_timeout);
	else if (IS("max_connections"))
		rc = strbuf_printf(sb, "%lu", c->max_connections);
	else if (IS("internal_hosts"))
		put_cidrs(sb, &c->internal_hosts);
	else if (IS("key_table"))
		rc = strbuf_append_str(sb, c->key_table);
	else if (IS("signing_table"))
		rc = strbuf_append_str(sb, c->signing_table);
	else if (IS("canonicalization"))
		rc = strbuf_printf(sb, "%s/%s", canon_name(c->header_canon),
				   canon_name(c->body_canon));
	else if (IS("sign_headers"))
		put_list(sb, &c->sign_headers);
	else if (IS("oversign_headers"))
		put_list(sb, &c->oversign_headers);
	else if (IS("multiple_signatures"))
		rc = strbuf_append_str(sb, c->multiple_signatures ? "yes"
								    : "no");
	else if (IS("require_safe_keys"))
		rc = strbuf_append_str(sb, c->require_safe_keys ? "yes"
								  : "no");
	else if (IS("min_key_bits"))
		rc = strbuf_printf(sb, "%lu", c->min_key_bits);
	else if (IS("on_sign_error"))
		rc = strbuf_append_str(sb, conf_action_name(c->on_sign_error));
	else if (IS("max_header_bytes"))
		rc = strbuf_printf(sb, "%zu", c->max_header_bytes);
	else if (IS("sender_login_check"))
		rc = strbuf_append_str(sb, c->sender_login_check ? "yes" : "no");
	else if (IS("sender_login_map"))
		rc = strbuf_append_str(sb, c->sender_login_map);
	else if (IS("sender_login_self"))
		rc = strbuf_append_str(sb, c->sender_login_self ? "yes" : "no");
	else if (IS("sender_login_case_sensitive"))
		rc = strbuf_append_str(sb, c->sender_login_case_sensitive
						   ? "yes" : "no");
	else if (IS("sender_login_delimiter"))
		rc = strbuf_append_str(sb, c->sender_login_delimiter);
	else if (IS("sender_login_null_sender"))
		rc = strbuf_append_str(sb, c->sender_login_null_sender ? "yes"
									: "no");
	else if (IS("sender_login_reply"))
		rc = strbuf_printf(sb, "%s %s %s", c->sender_login_reply.code,
				   c->sender_login_reply.xcode,
				   c->sender_login_reply.text);
	/* SPF */
	else if (IS("spf_check"))
		rc = strbuf_append_str(sb, c->spf_check ? "yes" : "no");
	else if (IS("spf_helo_check"))
		rc = strbuf_append_str(sb, spf_helo_name(c->spf_helo_check));
	else if (IS("spf_timeout"))
		rc = strbuf_printf(sb, "%lu", c->spf_timeout);
	else if (IS("spf_dns_timeout"))
		rc = strbuf_printf(sb, "%lu", c->spf_dns_timeout);
	else if (IS("spf_user"))
		rc = strbuf_append_str(sb, c->spf_user);
	else if (IS("spf_max_concurrent"))
		rc = strbuf_printf(sb, "%lu", c->spf_max_concurrent);
	else if (IS("spf_max_concurrent_per_domain"))
		rc = strbuf_printf(sb, "%lu",
				   c->spf_max_concurrent_per_domain);
	else if (IS("spf_memory_limit"))
		rc = strbuf_printf(sb, "%zu", c->spf_memory_limit);
	else if (IS("spf_action_pass"))
		rc = strbuf_append_str(sb, spf_action_name(c->spf_action_pass));
	else if (IS("spf_action_fail"))
		rc = strbuf_append_str(sb, spf_action_name(c->spf_action_fail));
	else if (IS("spf_action_softfail"))
		rc = strbuf_append_str(sb,
				       spf_action_name(c->spf_action_softfail));
	else if (IS("spf_action_neutral"))
		rc = strbuf_append_str(sb,
				       spf_action_name(c->spf_action_neutral));
	else if (IS("spf_action_none"))
		rc = strbuf_append_str(sb, spf_action_name(c->spf_action_none));
	else if (IS("spf_action_temperror"))
		rc = strbuf_append_str(
			sb, spf_action_name(c->spf_action_temperror));
	else if (IS("spf_action_permerror"))
		rc = strbuf_append_str(
			sb, spf_action_name(c->spf_action_permerror));
	else if (IS("spf_received_header"))
		rc = strbuf_append_str(sb, c->spf_received_header ? "yes"
								  : "no");
	else if (IS("authserv_id"))
		rc = strbuf_append_str(sb, c->authserv_id);
	else if (IS("own_domains"))
		put_list(sb, &c->own_domains);
	else if (IS("own_domain_action"))
		rc = strbuf_append_str(sb,
				       conf_action_name(c->own_domain_action));
	else if (IS("own_domain_reply"))
		rc = strbuf_printf(sb, "%s %s %s", c->own_domain_reply.code,
				   c->own_domain_reply.xcode,
				   c->own_domain_reply.text);
	else if (IS("audit_file"))
		rc = strbuf_append_str(sb, c->audit_file);
	else if (IS("audit_redis_server"))
		rc = strbuf_append_str(sb, c->audit_redis_server);
	else if (IS("audit_redis_password"))
		rc = strbuf_append_str(sb, c->audit_redis_password);
	else if (IS("audit_redis_stream"))
		rc = strbuf_append_str(sb, c->audit_redis_stream);
	else if (IS("audit_stream_maxlen"))
		rc = strbuf_printf(sb, "%lu", c->audit_stream_maxlen);
	else if (IS("audit_queue_size"))
		rc = strbuf_printf(sb, "%lu", c->audit_queue_size);
	else if (IS("audit_redis_timeout"))
		rc = strbuf_printf(sb, "%lu", c->audit_redis_timeout);
	else if (IS("metrics_listen"))
		rc = strbuf_append_str(sb, c->metrics_listen);
	else if (IS("policy_metrics_listen"))
		rc = strbuf_append_str(sb, c->policy_metrics_listen);
	/* rate limits and quotas */
	else if (IS("limits"))
		rc = strbuf_append_str(sb, c->limits ? "yes" : "no");
	else if (IS("limit_exempt_recipients"))
		put_list(sb, &c->limit_exempt_recipients);
	else if (IS("limit_map"))
		rc = strbuf_append_str(sb, c->limit_map);
	else if (IS("limit_backend"))
		rc = strbuf_append_str(sb, c->limit_backend == CONF_LIMIT_REDIS
					   ? "redis" : "memory");
	else if (IS("limit_fail_mode"))
		rc = strbuf_append_str(sb,
			c->limit_fail_mode == CONF_FAIL_TEMPFAIL ? "tempfail" :
			c->limit_fail_mode == CONF_FAIL_ACCEPT ? "accept" :
			"local");
	else if (IS("limit_redis_module"))
		rc = strbuf_append_str(sb, c->limit_redis_module ==
					   CONF_MODULE_NO ? "no" : "auto");
	else if (IS("limit_local_percent"))
		rc = strbuf_printf(sb, "%lu", c->limit_local_percent);
	else if (IS("limit_txn_ttl"))
		rc = strbuf_printf(sb, "%lu", c->limit_txn_ttl);
	else if (IS("limit_lease_time"))
		rc = strbuf_printf(sb, "%lu", c->limit_lease_time);
	else if (IS("limit_commit_wait"))
		rc = strbuf_printf(sb, "%lu", c->limit_commit_wait);
	else if (IS("limit_tempfail_reply"))
		rc = strbuf_append_str(sb, c->limit_tempfail_reply);
	else if (IS("limit_reject_reply"))
		rc = strbuf_append_str(sb, c->limit_reject_reply);
	else if (IS("limit_unavailable_reply"))
		rc = strbuf_append_str(sb, c->limit_unavailable_reply);
	else if (IS("redis_server"))
		rc = strbuf_append_str(sb, c->redis_server);
	else if (IS("redis_password"))
		rc = strbuf_append_str(sb, c->redis_password);
	else if (IS("redis_user"))
		rc = strbuf_append_str(sb, c->redis_user);
	else if (IS("redis_db"))
		rc = strbuf_printf(sb, "%lu", c->redis_db);
	else if (IS("redis_connect_timeout"))
		rc = strbuf_printf(sb, "%lums", c->redis_connect_timeout);
	else if (IS("redis_timeout"))
		rc = strbuf_printf(sb, "%lums", c->redis_timeout);
	else if (IS("redis_sentinels"))
		put_list(sb, &c->redis_sentinels);
	else if (IS("redis_sentinel_master"))
		rc = strbuf_append_str(sb, c->redis_sentinel_master);
	else if (IS("redis_cluster"))
		put_list(sb, &c->redis_cluster);
	else if (IS("redis_pool_size"))
		rc = strbuf_printf(sb, "%lu", c->redis_pool_size);
	else if (IS("redis_key_prefix"))
		rc = strbuf_append_str(sb, c->redis_key_prefix);
	/* abuse control */
	else if (abuse_key(c, key, sb, &rc))
		;
	/* relayguard-policyd */
	else if (IS("policy_socket"))
		rc = strbuf_append_str(sb, c->policy_socket);
	else if (IS("policy_socket_mode"))
		rc = strbuf_printf(sb, "%04lo", c->policy_socket_mode);
	else if (IS("policy_socket_group"))
		rc = strbuf_append_str(sb, c->policy_socket_group);
	else if (IS("policy_pid_file"))
		rc = strbuf_append_str(sb, c->policy_pid_file);
	else if (IS("policy_max_connections"))
		rc = strbuf_printf(sb, "%lu", c->policy_max_connections);
	else if (IS("policy_idle_timeout"))
		rc = strbuf_printf(sb, "%lu", c->policy_idle_timeout);
	else if (IS("policy_request_timeout"))
		rc = strbuf_printf(sb, "%lu", c->policy_request_timeout);
	else if (IS("policy_max_line"))
		rc = strbuf_printf(sb, "%zu", c->policy_max_line);
	else if (IS("policy_max_attributes"))
		rc = strbuf_printf(sb, "%lu", c->policy_max_attributes);
	else if (IS("policy_max_request"))
		rc = strbuf_printf(sb, "%zu", c->policy_max_request);
	else if (IS("policy_workers"))
		rc = strbuf_printf(sb, "%lu", c->policy_workers);
	else if (IS("policy_defer_if_permit"))
		rc = strbuf_append_str(sb, c->policy_defer_if_permit ? "yes"
								      : "no");
	else if (IS("policy_prepend_headers"))
		rc = strbuf_append_str(sb, c->policy_prepend_headers ? "yes"
								      : "no");
	else
		return -1;
#undef IS
	assert_int_equal(rc, 0);
	return 0;
}

static const char *const all_keys[] = {
	"socket", "socket_mode", "socket_group", "user", "pid_file",
	"syslog_facility", "log_level", "milter_timeout", "max_connections",
	"internal_hosts", "key_table", "signing_table", "canonicalization",
	"sign_headers", "oversign_headers", "multiple_signatures",
	"require_safe_keys", "min_key_bits", "on_sign_error",
	"max_header_bytes", "sender_login_check", "sender_login_map",
	"sender_login_self", "sender_login_case_sensitive",
	"sender_login_delimiter", "sender_login_null_sender",
	"sender_login_reply", "own_domains", "own_domain_action",
	"own_domain_reply",
	/* SPF */
	"spf_check", "spf_helo_check", "spf_timeout", "spf_dns_timeout",
	"spf_user", "spf_max_concurrent", "spf_max_concurrent_per_domain",
	"spf_memory_limit",
	"spf_action_pass", "spf_action_fail", "spf_action_softfail",
	"spf_action_neutral", "spf_action_none", "spf_action_temperror",
	"spf_action_permerror", "spf_received_header", "authserv_id",
	/* audit trail and metrics */
	"audit_file", "audit_redis_server", "audit_redis_password",
	"audit_redis_stream", "audit_stream_maxlen", "audit_queue_size",
	"audit_redis_timeout", "metrics_listen",
	/* rate limits and quotas */
	"limits", "limit_exempt_recipients", "limit_map", "limit_backend",
	"limit_fail_mode", "limit_redis_module",
	"limit_local_percent", "limit_txn_ttl", "limit_lease_time",
	"limit_commit_wait",
	"limit_tempfail_reply",
	"limit_reject_reply", "limit_unavailable_reply", "redis_server",
	"redis_password", "redis_user", "redis_db", "redis_connect_timeout",
	"redis_timeout", "redis_sentinels", "redis_sentinel_master",
	"redis_cluster", "redis_pool_size", "redis_key_prefix",
	/* abuse control */
	"abuse_control", "penalty_box_trips", "penalty_box_window",
	"penalty_box_time", "penalty_box_growth", "penalty_box_max_time",
	"penalty_box_memory", "penalty_box_action", "penalty_box_dry_run",
	"stolen_login_networks", "stolen_login_window", "stolen_login_action",
	"stolen_login_dry_run", "fanout_sender_recipients",
	"fanout_recipients", "fanout_window", "fanout_action",
	"fanout_dry_run", "spike_factor", "spike_min_messages",
	"spike_window", "spike_baseline", "spike_action", "spike_dry_run",
	"max_recipients_per_message", "max_recipient_domains",
	"message_caps_action", "message_caps_dry_run", "reputation",
	"reputation_ttl", "quota_warnings", "abuse_queue_size",
	/* relayguard-policyd */
	"policy_socket", "policy_socket_mode", "policy_socket_group",
	"policy_pid_file", "policy_max_connections", "policy_idle_timeout",
	"policy_request_timeout", "policy_max_line", "policy_max_attributes",
	"policy_max_request", "policy_workers", "policy_defer_if_permit",
	"policy_prepend_headers", "policy_metrics_listen",
};

/* render_all - "key = value" (or "key =") per setting, in table order */
static void
render_all(const struct conf *c, struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++) {
		size_t at;

		assert_int_equal(strbuf_printf(sb, "%s = ", all_keys[i]), 0);
		at = sb->len;
		assert_int_equal(render_key(c, all_keys[i], sb), 0);
		if (sb->len == at)	/* "key =" without trailing blank */
			sb->data[--sb->len] = '\0';
		assert_int_equal(strbuf_append_str(sb, "\n"), 0);
	}
}

/* load_text - conf_load_stream() on text named "t.conf"; rc */
static int
load_text(const char *text, struct conf **out, struct err *e)
{
	FILE *fp;
	int rc;

	/* fmemopen wants a writable pointer even for "r" */
	fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	assert_non_null(fp);
	rc = conf_load_stream(fp, "t.conf", out, e);
	fclose(fp);
	return rc;
}

/* --- defaults ------------------------------------------------------------ */

/* test_defaults - the documented defaults, field by field */
static void
test_defaults(void **state)
{
	struct conf *c = conf_defaults();
	struct strbuf sb;

	(void)state;
	assert_string_equal(c->socket,
			    "unix:/var/spool/postfix/relayguard/milter.sock");
	assert_int_equal(c->socket_mode, 0660);
	assert_string_equal(c->socket_group, "postfix");
	assert_string_equal(c->user, "");
	assert_string_equal(c->pid_file, "/run/relayguard/relayguard.pid");
	assert_int_equal(c->syslog_facility, LOG_MAIL);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->milter_timeout, 300);
	assert_int_equal(c->max_connections, 1000);
	assert_int_equal(c->header_canon, CONF_CANON_RELAXED);
	assert_int_equal(c->body_canon, CONF_CANON_RELAXED);
	assert_int_equal(c->oversign_headers.count, 1);
	assert_string_equal(c->oversign_headers.items[0], "from");
	assert_int_equal(c->sign_headers.count, 25);
	assert_string_equal(c->sign_headers.items[0], "from");
	assert_string_equal(c->sign_headers.items[24], "list-archive");
	assert_true(c->multiple_signatures);
	assert_true(c->require_safe_keys);
	assert_int_equal(c->min_key_bits, 1024);
	assert_int_equal(c->on_sign_error, CONF_ACTION_TEMPFAIL);
	assert_int_equal(c->max_header_bytes, 1024 * 1024);
	assert_string_equal(c->key_table, "");
	assert_string_equal(c->signing_table, "");

	strbuf_init(&sb, 1024);
	put_cidrs(&sb, &c->internal_hosts);
	assert_string_equal(sb.data, "127.0.0.0/8, ::1/128");
	assert_true(cidr_list_match_text(&c->internal_hosts, "127.0.0.1"));
	assert_true(cidr_list_match_text(&c->internal_hosts, "::1"));
	assert_false(cidr_list_match_text(&c->internal_hosts, "10.0.0.1"));
	strbuf_free(&sb);
	conf_free(c);
}

/* test_empty_file_gives_defaults - nothing set, the path remembered */
static void
test_empty_file_gives_defaults(void **state)
{
	struct conf *c = NULL;
	struct conf *d = conf_defaults();
	struct strbuf a;
	struct strbuf b;
	struct err e;

	(void)state;
	assert_int_equal(load_text("# nothing\n\n   \n\t\n", &c, &e), 0);
	assert_string_equal(c->path, "t.conf");
	strbuf_init(&a, OUT_MAX);
	strbuf_init(&b, OUT_MAX);
	render_all(c, &a);
	render_all(d, &b);
	assert_string_equal(a.data, b.data);
	strbuf_free(&a);
	strbuf_free(&b);
	conf_free(c);
	conf_free(d);
}

/* test_printed_defaults_reload_as_defaults - relayguard -d round trip */
static void
test_printed_defaults_reload_as_defaults(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct conf *c = NULL;
	struct conf *d = conf_defaults();
	struct strbuf a;
	struct strbuf b;
	struct err e;
	char *line;
	char *save = NULL;
	size_t nkeys = 0;

	(void)state;
	assert_non_null(mem);
	conf_print_defaults(mem);
	fclose(mem);
	assert_int_equal(load_text(text, &c, &e), 0);
	strbuf_init(&a, OUT_MAX);
	strbuf_init(&b, OUT_MAX);
	render_all(c, &a);
	render_all(d, &b);
	assert_string_equal(a.data, b.data);

	/* every key core knows is one this test renders (and no other) */
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strstr(line, " = ");

		assert_non_null(sp);
		*sp = '\0';
		strbuf_reset(&a);
		if (render_key(c, line, &a) < 0)
			fail_msg("key %s is not covered by conf_test", line);
		nkeys++;
	}
	assert_int_equal(nkeys, sizeof(all_keys) / sizeof(all_keys[0]));
	strbuf_free(&a);
	strbuf_free(&b);
	free(text);
	conf_free(c);
	conf_free(d);
}

/* changed_text - conf_print_changed() of a config, as text (malloc'ed) */
static char *
changed_text(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	conf_print_changed(fp, c);
	fclose(fp);
	return buf;
}

/* test_changed_lists_only_what_differs - "-p": a value equal to its
 * default (however written) is not listed; others in canonical form */
static void
test_changed_lists_only_what_differs(void **state)
{
	struct conf *c = NULL;
	struct err e;
	char *got;

	(void)state;
	assert_int_equal(load_text("milter_timeout = 300\n"
				   "max_connections = 2000\n"
				   "redis_timeout = 2000ms\n"
				   "spf_action_fail = REJECT\n"
				   "internal_hosts = 127.0.0.0/8 ::1\n"
				   "socket_mode = 600\n"
				   "canonicalization = simple\n"
				   "max_header_bytes = 1024k\n",
				   &c, &e), 0);
	got = changed_text(c);
	assert_string_equal(got, "socket_mode = 0600\n"
				 "max_connections = 2000\n"
				 "canonicalization = simple/simple\n"
				 "redis_timeout = 2s\n");
	free(got);
	conf_free(c);
}

/* test_errors_are_config_errors - callers test the code, not the text */
static void
test_errors_are_config_errors(void **state)
{
	struct conf *c = NULL;
	struct err e;

	(void)state;
	assert_int_equal(load_text("milter_timeout = 5x\n", &c, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_int_equal(load_text("no_such_key = 1\n", &c, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_int_equal(conf_load("tests/unit/conf/does-not-exist", &c, &e),
			 -1);
	assert_int_equal(e.code, ERR_CONFIG);
}

/* test_defaults_list_nothing_changed */
static void
test_defaults_list_nothing_changed(void **state)
{
	struct conf *c = conf_defaults();
	char *got;

	(void)state;
	got = changed_text(c);
	assert_string_equal(got, "");
	free(got);
	conf_free(c);
}

/* test_changed_text_reads_back_the_same - every value type's canonical
 * form parses to the same value: golden every_key.in through -p twice */
static void
test_changed_text_reads_back_the_same(void **state)
{
	struct conf *c = NULL;
	struct conf *again = NULL;
	struct err e;
	char *first;
	char *second;

	(void)state;
	if (conf_load(GOLDEN_DIR "/every_key.in", &c, &e) < 0)
		fail_msg("%s", e.text);
	first = changed_text(c);
	assert_true(strlen(first) > 1000);	/* most keys are changed */
	if (load_text(first, &again, &e) < 0)
		fail_msg("%s", e.text);
	second = changed_text(again);
	assert_string_equal(second, first);
	free(first);
	free(second);
	conf_free(c);
	conf_free(again);
}

/* test_sample_config_uncommented_gives_defaults - conf/relayguard.conf */
static void
test_sample_config_uncommented_gives_defaults(void **state)
{
	FILE *fp = fopen("conf/relayguard.conf", "r");
	struct strbuf text;
	struct strbuf a;
	struct strbuf b;
	struct conf *c = NULL;
	struct conf *d = conf_defaults();
	struct err e;
	char line[1024];
	size_t n = 0;

	(void)state;
	if (fp == NULL)
		fail_msg("conf/relayguard.conf: run from the repository top");
	strbuf_init(&text, 65536);
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* "#key = value" and "#<TAB>continued" lose their '#' */
		int is_key = line[0] == '#' && line[1] >= 'a' &&
			     line[1] <= 'z' && strstr(line, " =") != NULL;
		int is_cont = line[0] == '#' && line[1] == '\t';

		assert_int_equal(strbuf_append_str(&text, (is_key || is_cont)
							   ? line + 1
							   : line), 0);
		n += is_key;
	}
	fclose(fp);
	assert_true(n >= sizeof(all_keys) / sizeof(all_keys[0]));
	if (load_text(text.data, &c, &e) < 0)
		fail_msg("%s", e.text);
	strbuf_init(&a, OUT_MAX);
	strbuf_init(&b, OUT_MAX);
	render_all(c, &a);
	render_all(d, &b);
	assert_string_equal(a.data, b.data);
	strbuf_free(&a);
	strbuf_free(&b);
	strbuf_free(&text);
	conf_free(c);
	conf_free(d);
}

/* --- rows: one file, one setting or one exact error ---------------------- */

struct row {
	const char *name;
	const char *text;
	const char *key;	/* setting to render when it loads */
	const char *want;	/* its text, or the exact error */
};

static const struct row rows[] = {
	/* bool */
	{"bool_no", "multiple_signatures = no\n", "multiple_signatures",
	 "no"},
	{"bool_true_any_case", "multiple_signatures = TRUE\n",
	 "multiple_signatures", "yes"},
	{"bool_zero", "require_safe_keys = 0\n", "require_safe_keys", "no"},
	{"bool_one", "require_safe_keys = 1\n", "require_safe_keys", "yes"},
	{"bool_bad", "\nmultiple_signatures = maybe\n", NULL,
	 "t.conf:2: multiple_signatures: \"maybe\" is not a boolean "
	 "(examples: yes, no)"},
	/* integer */
	{"uint_plain", "max_connections = 50\n", "max_connections", "50"},
	{"uint_below_min", "max_connections = 0\n", NULL,
	 "t.conf:1: max_connections: \"0\" is not a number from 1 to 100000"},
	{"uint_above_max", "max_connections = 100001\n", NULL,
	 "t.conf:1: max_connections: \"100001\" is not a number from 1 to "
	 "100000"},
	{"uint_sign_rejected", "max_connections = +5\n", NULL,
	 "t.conf:1: max_connections: \"+5\" is not a number from 1 to 100000"},
	{"uint_junk_rejected", "max_connections = 12x\n", NULL,
	 "t.conf:1: max_connections: \"12x\" is not a number from 1 to "
	 "100000"},
	{"uint_min_key_bits_floor", "min_key_bits = 511\n", NULL,
	 "t.conf:1: min_key_bits: \"511\" is not a number from 512 to 16384"},
	{"uint_min_key_bits_2048", "min_key_bits = 2048\n", "min_key_bits",
	 "2048"},
	/* size */
	{"size_64k", "max_header_bytes = 64k\n", "max_header_bytes", "65536"},
	{"size_64K", "max_header_bytes = 64K\n", "max_header_bytes", "65536"},
	{"size_10M", "max_header_bytes = 10M\n", "max_header_bytes",
	 "10485760"},
	{"size_plain_bytes", "max_header_bytes = 1024\n", "max_header_bytes",
	 "1024"},
	{"size_at_max", "max_header_bytes = 64M\n", "max_header_bytes",
	 "67108864"},
	{"size_below_min", "max_header_bytes = 1023\n", NULL,
	 "t.conf:1: max_header_bytes: \"1023\" is out of range (1024 to "
	 "67108864 bytes)"},
	{"size_above_max", "max_header_bytes = 1G\n", NULL,
	 "t.conf:1: max_header_bytes: \"1G\" is out of range (1024 to "
	 "67108864 bytes)"},
	{"size_fraction_rejected", "max_header_bytes = 1.5M\n", NULL,
	 "t.conf:1: max_header_bytes: \"1.5M\" is not a size (examples: "
	 "65536, 64k, 10M)"},
	{"size_unit_alone_rejected", "max_header_bytes = k\n", NULL,
	 "t.conf:1: max_header_bytes: \"k\" is not a size (examples: 65536, "
	 "64k, 10M)"},
	{"size_empty_rejected", "max_header_bytes =\n", NULL,
	 "t.conf:1: max_header_bytes: \"\" is not a size (examples: 65536, "
	 "64k, 10M)"},
	{"size_negative_rejected", "max_header_bytes = -1k\n", NULL,
	 "t.conf:1: max_header_bytes: \"-1k\" is not a size (examples: "
	 "65536, 64k, 10M)"},
	{"size_multiplied_overflow_rejected",
	 "max_header_bytes = 18446744073709551615k\n", NULL,
	 "t.conf:1: max_header_bytes: \"18446744073709551615k\" is not a "
	 "size (examples: 65536, 64k, 10M)"},
	/* address and port (audit_redis_server, metrics_listen) */
	{"endpoint_host_port", "metrics_listen = 127.0.0.1:9187\n",
	 "metrics_listen", "127.0.0.1:9187"},
	{"endpoint_bare_port", "metrics_listen = 9187\n", "metrics_listen",
	 "9187"},
	{"endpoint_empty_is_off", "metrics_listen =\n", "metrics_listen", ""},
	{"endpoint_unix_for_redis", "audit_redis_server = unix:/run/r.sock\n",
	 "audit_redis_server", "unix:/run/r.sock"},
	{"endpoint_unix_refused_for_metrics",
	 "metrics_listen = unix:/run/m.sock\n", NULL,
	 "t.conf:1: metrics_listen: \"unix:/run/m.sock\" is not an address "
	 "and port (examples: 127.0.0.1:9187, [::1]:9187, 9187)"},
	{"endpoint_bad_port",
	 "audit_redis_server = 127.0.0.1:http\n", NULL,
	 "t.conf:1: audit_redis_server: \"127.0.0.1:http\" is not an address "
	 "and port (examples: 127.0.0.1:9187, [::1]:9187, 9187, "
	 "unix:/run/redis/redis.sock)"},
	{"audit_file_must_be_absolute", "audit_file = audit.log\n", NULL,
	 "t.conf:1: audit_file: \"audit.log\" is not an absolute path "
	 "(example: /run/relayguard/relayguard.pid)"},
	{"audit_queue_size_zero_refused", "audit_queue_size = 0\n", NULL,
	 "t.conf:1: audit_queue_size: \"0\" is not a number from 1 to "
	 "1000000"},
	/* time (milter_timeout is whole seconds, 1s to 1d) */
	{"time_2s", "milter_timeout = 2s\n", "milter_timeout", "2"},
	{"time_5m", "milter_timeout = 5m\n", "milter_timeout", "300"},
	{"time_1h", "milter_timeout = 1h\n", "milter_timeout", "3600"},
	{"time_1d_is_the_max", "milter_timeout = 1d\n", "milter_timeout",
	 "86400"},
	{"time_bare_number_is_seconds", "milter_timeout = 30\n",
	 "milter_timeout", "30"},
	{"time_ms_rounded_down_to_seconds", "milter_timeout = 1500ms\n",
	 "milter_timeout", "1"},
	{"time_500ms_is_below_one_second", "milter_timeout = 500ms\n", NULL,
	 "t.conf:1: milter_timeout: \"500ms\" is out of range (1s to 86400s)"},
	{"time_2d_above_max", "milter_timeout = 2d\n", NULL,
	 "t.conf:1: milter_timeout: \"2d\" is out of range (1s to 86400s)"},
	{"time_bad_unit", "milter_timeout = 5x\n", NULL,
	 "t.conf:1: milter_timeout: \"5x\" is not a time (examples: 500ms, "
	 "2s, 5m)"},
	{"time_unit_is_case_sensitive", "milter_timeout = 5M\n", NULL,
	 "t.conf:1: milter_timeout: \"5M\" is not a time (examples: 500ms, "
	 "2s, 5m)"},
	{"time_unit_alone", "milter_timeout = s\n", NULL,
	 "t.conf:1: milter_timeout: \"s\" is not a time (examples: 500ms, "
	 "2s, 5m)"},
	{"time_space_before_unit", "milter_timeout = 5 m\n", NULL,
	 "t.conf:1: milter_timeout: \"5 m\" is not a time (examples: 500ms, "
	 "2s, 5m)"},
	{"time_unit_overflow_rejected",
	 "milter_timeout = 18446744073709551615m\n", NULL,
	 "t.conf:1: milter_timeout: \"18446744073709551615m\" is not a time "
	 "(examples: 500ms, 2s, 5m)"},
	{"time_bare_overflow_rejected",
	 "milter_timeout = 18446744073709553\n", NULL,
	 "t.conf:1: milter_timeout: \"18446744073709553\" is not a time "
	 "(examples: 500ms, 2s, 5m)"},
	/* string and path */
	{"string_socket", "socket = unix:/run/relayguard/milter.sock\n",
	 "socket", "unix:/run/relayguard/milter.sock"},
	{"string_empty", "user =\n", "user", ""},
	{"string_inner_spaces_kept", "socket   =   a  b  \n", "socket",
	 "a  b"},
	{"string_equals_in_value", "socket_group = a=b\n", "socket_group",
	 "a=b"},
	{"string_no_spaces_round_equals", "user=relayguard\n", "user",
	 "relayguard"},
	{"path_absolute", "pid_file = /run/relayguard.pid\n", "pid_file",
	 "/run/relayguard.pid"},
	{"path_empty", "pid_file =\n", "pid_file", ""},
	{"path_relative_rejected", "pid_file = run/relayguard.pid\n", NULL,
	 "t.conf:1: pid_file: \"run/relayguard.pid\" is not an absolute path "
	 "(example: /run/relayguard/relayguard.pid)"},
	/* octal mode */
	{"mode_0600", "socket_mode = 0600\n", "socket_mode", "0600"},
	{"mode_without_leading_zero", "socket_mode = 660\n", "socket_mode",
	 "0660"},
	{"mode_digit_8_rejected", "socket_mode = 0680\n", NULL,
	 "t.conf:1: socket_mode: \"0680\" is not an octal mode (examples: "
	 "0660, 0600)"},
	{"mode_above_0777_rejected", "socket_mode = 01777\n", NULL,
	 "t.conf:1: socket_mode: \"01777\" is not an octal mode (examples: "
	 "0660, 0600)"},
	{"mode_letters_rejected", "socket_mode = rw-rw----\n", NULL,
	 "t.conf:1: socket_mode: \"rw-rw----\" is not an octal mode "
	 "(examples: 0660, 0600)"},
	/* facility and level */
	{"facility_local3", "syslog_facility = local3\n", "syslog_facility",
	 "local3"},
	{"facility_any_case", "syslog_facility = DAEMON\n", "syslog_facility",
	 "daemon"},
	{"facility_unknown", "syslog_facility = kern\n", NULL,
	 "t.conf:1: syslog_facility: \"kern\" is not a syslog facility "
	 "(examples: mail, daemon, local0)"},
	{"level_debug", "log_level = debug\n", "log_level", "debug"},
	{"level_warning", "log_level = Warning\n", "log_level", "warning"},
	{"level_warn_abbrev_rejected", "log_level = warn\n", NULL,
	 "t.conf:1: log_level: \"warn\" is not a log level (error, warning, "
	 "info, debug)"},
	/* canonicalization */
	{"canon_relaxed_alone_is_relaxed_simple",
	 "canonicalization = relaxed\n",
	 "canonicalization", "relaxed/simple"},
	{"canon_simple_alone", "canonicalization = simple\n",
	 "canonicalization", "simple/simple"},
	{"canon_simple_relaxed", "canonicalization = simple/relaxed\n",
	 "canonicalization", "simple/relaxed"},
	{"canon_any_case", "canonicalization = RELAXED/Relaxed\n",
	 "canonicalization", "relaxed/relaxed"},
	{"canon_unknown", "canonicalization = loose\n", NULL,
	 "t.conf:1: canonicalization: \"loose\" is not a canonicalization "
	 "(examples: relaxed/relaxed, relaxed/simple)"},
	{"canon_bad_body_names_whole_value",
	 "canonicalization = relaxed/bogus\n", NULL,
	 "t.conf:1: canonicalization: \"relaxed/bogus\" is not a "
	 "canonicalization "
	 "(examples: relaxed/relaxed, relaxed/simple)"},
	/* action */
	{"action_accept", "on_sign_error = accept\n", "on_sign_error",
	 "accept"},
	{"action_reject_any_case", "on_sign_error = REJECT\n", "on_sign_error",
	 "reject"},
	{"action_unknown", "on_sign_error = bounce\n", NULL,
	 "t.conf:1: on_sign_error: \"bounce\" is not an action (tempfail, "
	 "accept, reject)"},
	/* lists */
	{"list_commas_and_spaces", "sign_headers = from,to  subject ,, date\n",
	 "sign_headers", "from, to, subject, date"},
	{"list_empty", "oversign_headers =\n", "oversign_headers", ""},
	/* networks */
	{"cidrs_mixed", "internal_hosts = 10.0.0.0/8, [2001:db8::]/32 "
	 "192.0.2.1\n", "internal_hosts",
	 "10.0.0.0/8, 2001:db8::/32, 192.0.2.1/32"},
	{"cidrs_empty_means_nobody", "internal_hosts =\n", "internal_hosts",
	 ""},
	{"cidrs_prefix_33", "internal_hosts = 127.0.0.0/8, 10.0.0.0/33\n",
	 NULL,
	 "t.conf:1: internal_hosts: \"10.0.0.0/33\": prefix length must be "
	 "0-32"},
	{"cidrs_hostname", "internal_hosts = localhost\n", NULL,
	 "t.conf:1: internal_hosts: \"localhost\" is not an IP address or "
	 "network (examples: 192.0.2.0/24, 2001:db8::/32, ::1)"},
	{"cidrs_host_bits", "internal_hosts = 192.168.1.1/16\n", NULL,
	 "t.conf:1: internal_hosts: \"192.168.1.1/16\" has host bits set "
	 "below /16"},
	/* milliseconds and enums (rate limits) */
	{"msec_ms", "redis_timeout = 250ms\n", "redis_timeout", "250ms"},
	{"msec_seconds", "redis_timeout = 2s\n", "redis_timeout", "2000ms"},
	{"msec_bare_number_is_seconds", "redis_connect_timeout = 1\n",
	 "redis_connect_timeout", "1000ms"},
	{"msec_zero_rejected", "redis_timeout = 0ms\n", NULL,
	 "t.conf:1: redis_timeout: \"0ms\" is out of range (1ms to 60000ms)"},
	{"msec_junk_rejected", "redis_timeout = 5x\n", NULL,
	 "t.conf:1: redis_timeout: \"5x\" is not a time (examples: 500ms, "
	 "2s, 5m)"},
	{"enum_any_case", "limit_backend = Redis\n", "limit_backend", "redis"},
	{"enum_fail_mode_local", "limit_fail_mode = local\n",
	 "limit_fail_mode", "local"},
	{"enum_redis_module_no", "limit_redis_module = no\n",
	 "limit_redis_module", "no"},
	{"enum_redis_module_unknown_lists_the_choices",
	 "limit_redis_module = yes\n", NULL,
	 "t.conf:1: limit_redis_module: \"yes\" is not one of: auto, no"},
	{"enum_unknown_lists_the_choices", "limit_fail_mode = open\n", NULL,
	 "t.conf:1: limit_fail_mode: \"open\" is not one of: tempfail, "
	 "accept, local"},
	{"limit_map_must_be_absolute", "limit_map = limits\n", NULL,
	 "t.conf:1: limit_map: \"limits\" is not an absolute path (example: "
	 "/run/relayguard/relayguard.pid)"},
	/* keys */
	{"unknown_key_suggests_nearest", "socket_mod = 0600\n", NULL,
	 "t.conf:1: socket_mod: unknown key (did you mean socket_mode?)"},
	{"unknown_key_capitalised", "Socket = x\n", NULL,
	 "t.conf:1: Socket: unknown key (did you mean socket?)"},
	{"unknown_key_missing_letter", "min_key_bit = 2048\n", NULL,
	 "t.conf:1: min_key_bit: unknown key (did you mean min_key_bits?)"},
	{"unknown_key_far_from_all", "frobnicate = 1\n", NULL,
	 "t.conf:1: frobnicate: unknown key"},
	{"opendkim_key_name_is_unknown", "KeyTable = file:/etc/kt\n", NULL,
	 "t.conf:1: KeyTable: unknown key (did you mean key_table?)"},
	{"empty_key_is_unknown", "= value\n", NULL, "t.conf:1: : unknown key"},
	{"key_set_twice_names_first_line",
	 "socket = inet:1@127.0.0.1\n# again\nsocket = inet:2@127.0.0.1\n",
	 NULL, "t.conf:3: socket: set twice (first at line 1)"},
	{"missing_equals",
	 "socket = inet:1@127.0.0.1\nuser relayguard\n", NULL,
	 "t.conf:2: missing '=' (example: socket = inet:8891@127.0.0.1)"},
	/* lines */
	{"continuation_lines_join", "sign_headers = from,\n  to,\n\tsubject\n",
	 "sign_headers", "from, to, subject"},
	{"continuation_across_comment", "sign_headers = from\n# x\n  to\n",
	 "sign_headers", "from, to"},
	{"continuation_across_blank_line", "sign_headers = from\n\n  to\n",
	 "sign_headers", "from, to"},
	{"continuation_of_value_after_equals", "socket =\n\tunix:/x\n",
	 "socket", "unix:/x"},
	{"continuation_without_key", "\n  socket = x\n", NULL,
	 "t.conf:2: continuation line without a key before it"},
	{"continued_entry_error_names_first_line",
	 "socket = a\nmin_key_bits =\n  12\n", NULL,
	 "t.conf:2: min_key_bits: \"12\" is not a number from 512 to 16384"},
	{"comment_line_ignored", "# socket = bad\nsocket = good\n", "socket",
	 "good"},
	/*
	 * Only '#' in column one starts a comment: an indented "# ..." line
	 * continues the value (Postfix's main.cf would ignore it), and '#'
	 * after a value is part of it.  Pinned as documented in conf.h.
	 */
	{"indented_hash_line_is_a_comment",
	 "sign_headers = from\n  # to\n", "sign_headers", "from"},
	{"hash_after_value_is_value", "socket = unix:/x # the socket\n",
	 "socket", "unix:/x # the socket"},
	{"crlf_line_endings", "socket = a\r\nuser = b\r\n", "user", "b"},
	{"no_final_newline", "user = last", "user", "last"},
	{"later_error_after_good_lines",
	 "socket = a\nuser = b\nlog_level = loud\n", NULL,
	 "t.conf:3: log_level: \"loud\" is not a log level (error, warning, "
	 "info, debug)"},
};

/* test_row - load the row's text; check the setting or the error */
static void
test_row(void **state)
{
	const struct row *r = *state;
	struct conf *sentinel = (struct conf *)(uintptr_t)0x1;
	struct conf *c = sentinel;
	struct strbuf sb;
	struct err e;
	int rc;

	err_clear(&e);
	rc = load_text(r->text, &c, &e);
	if (r->key == NULL) {
		if (rc == 0) {
			conf_free(c);
			fail_msg("loaded, expected error: %s", r->want);
		}
		assert_string_equal(e.text, r->want);
		assert_ptr_equal(c, sentinel);	/* *out untouched */
		return;
	}
	if (rc < 0)
		fail_msg("unexpected error: %s", e.text);
	strbuf_init(&sb, OUT_MAX);
	assert_int_equal(render_key(c, r->key, &sb), 0);
	assert_string_equal(sb.data != NULL ? sb.data : "", r->want);
	strbuf_free(&sb);
	conf_free(c);
}

/* --- every type: "FILE:LINE: key: ..." with a hint ----------------------- */

struct shape_row {
	const char *name;
	const char *key;
	const char *bad;
	const char *hint;
};

static const struct shape_row shape_rows[] = {
	{"shape_bool", "multiple_signatures", "perhaps",
	 "(examples: yes, no)"},
	{"shape_uint", "max_connections", "many", "from 1 to 100000"},
	{"shape_size", "max_header_bytes", "big", "(examples: 65536"},
	{"shape_time", "milter_timeout", "soon", "(examples: 500ms"},
	{"shape_path", "pid_file", "x.pid", "(example: /run/"},
	{"shape_mode", "socket_mode", "x", "(examples: 0660"},
	{"shape_facility", "syslog_facility", "x", "(examples: mail"},
	{"shape_level", "log_level", "x", "(error, warning, info, debug)"},
	{"shape_canon", "canonicalization", "x", "(examples: relaxed/relaxed"},
	{"shape_action", "on_sign_error", "x", "(tempfail, accept, reject)"},
	{"shape_cidrs", "internal_hosts", "x", "(examples: 192.0.2.0/24"},
};

/* test_shape - error on line 3 starts "t.conf:3: KEY: " and has a hint */
static void
test_shape(void **state)
{
	const struct shape_row *r = *state;
	char text[256];
	char prefix[128];
	struct conf *c = NULL;
	struct err e;

	snprintf(text, sizeof(text), "# x\n\n%s = %s\n", r->key, r->bad);
	snprintf(prefix, sizeof(prefix), "t.conf:3: %s: ", r->key);
	assert_int_equal(load_text(text, &c, &e), -1);
	assert_memory_equal(e.text, prefix, strlen(prefix));
	assert_true(rg_has(e.text, r->bad));
	assert_true(rg_has(e.text, r->hint));
}

/* --- long lines ---------------------------------------------------------- */

/* test_line_too_long - one physical line over the limit is an error */
static void
test_line_too_long(void **state)
{
	struct strbuf sb;
	struct conf *c = NULL;
	struct err e;
	size_t i;

	(void)state;
	strbuf_init(&sb, 20000);
	assert_int_equal(strbuf_append_str(&sb, "user = ok\nsocket = "), 0);
	for (i = 0; i < 9000; i++)
		assert_int_equal(strbuf_append(&sb, "x", 1), 0);
	assert_int_equal(strbuf_append_str(&sb, "\n"), 0);
	assert_int_equal(load_text(sb.data, &c, &e), -1);
	assert_string_equal(e.text, "t.conf:2: line longer than 8190 bytes");
	strbuf_free(&sb);
}

/* test_continued_entry_too_long - joined lines over the limit */
static void
test_continued_entry_too_long(void **state)
{
	struct strbuf sb;
	struct conf *c = NULL;
	struct err e;
	char line[1100];
	char want[64];
	int i;

	(void)state;
	memset(line, 'h', sizeof(line));
	line[0] = '\t';
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	strbuf_init(&sb, 20000);
	assert_int_equal(strbuf_append_str(&sb, "sign_headers = from\n"), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(strbuf_append_str(&sb, line), 0);
	assert_int_equal(load_text(sb.data, &c, &e), -1);
	/* 19 + 8 * 1098 = 8803 >= 8192: the eighth continuation, line 9 */
	snprintf(want, sizeof(want), "t.conf:%d: entry too long", 9);
	assert_string_equal(e.text, want);
	strbuf_free(&sb);
}

/* test_missing_file - conf_load names the path and the reason */
static void
test_missing_file(void **state)
{
	struct conf *c = NULL;
	struct err e;

	(void)state;
	assert_int_equal(conf_load(GOLDEN_DIR "/no-such-file.conf", &c, &e),
			 -1);
	assert_string_equal(e.text, GOLDEN_DIR "/no-such-file.conf: No such "
					       "file or directory");
	assert_null(c);
}

/* test_action_names - conf_action_name for each action and a bad one */
static void
test_action_names(void **state)
{
	(void)state;
	assert_string_equal(conf_action_name(CONF_ACTION_TEMPFAIL),
			    "tempfail");
	assert_string_equal(conf_action_name(CONF_ACTION_ACCEPT), "accept");
	assert_string_equal(conf_action_name(CONF_ACTION_REJECT), "reject");
	assert_string_equal(conf_action_name((enum conf_action)42), "?");
}

/* --- golden files -------------------------------------------------------- */

/* read_all - a whole file into sb; -1 when it cannot be read */
static int
read_all(const char *path, struct strbuf *sb)
{
	FILE *fp = fopen(path, "r");
	char buf[4096];
	size_t n;
	int rc = 0;

	if (fp == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (strbuf_append(sb, buf, n) < 0)
			rc = -1;
	fclose(fp);
	return rc;
}

/* test_golden - load NAME.in, compare the output with NAME.ref */
static void
test_golden(void **state)
{
	const char *in = *state;
	char ref[PATH_MAX];
	struct strbuf got;
	struct strbuf want;
	struct conf *c = NULL;
	struct err e;
	size_t l = strlen(in);

	assert_true(l > 3 && l < sizeof(ref));
	memcpy(ref, in, l - 3);
	memcpy(ref + l - 3, ".ref", 5);
	strbuf_init(&got, OUT_MAX);
	strbuf_init(&want, OUT_MAX);
	if (read_all(ref, &want) < 0)
		fail_msg("%s: cannot read", ref);
	if (conf_load(in, &c, &e) < 0) {
		assert_int_equal(strbuf_printf(&got, "error: %s\n", e.text),
				 0);
	} else {
		render_all(c, &got);
		conf_free(c);
	}
	if (strcmp(got.data, want.data) != 0) {
		print_error("%s: output differs from %s\n--- got\n%s--- want\n"
			    "%s", in, ref, got.data, want.data);
		fail();
	}
	strbuf_free(&got);
	strbuf_free(&want);
}

/* test_golden_files_present - the golden set was found at all */
static void
test_golden_files_present(void **state)
{
	const size_t *n = *state;

	if (*n < 10)
		fail_msg("only %zu files match " GOLDEN_DIR "/*.in: run the "
			 "test from the repository top", *n);
}

int
main(void)
{
	static struct rg_cases c;
	static glob_t g;
	static size_t ngolden;
	static char names[RG_TEST_MAX_CASES][96];
	size_t i;
	int rc;

	rg_case_add(&c, "defaults", test_defaults, NULL);
	rg_case_add(&c, "empty_file_gives_defaults",
		    test_empty_file_gives_defaults, NULL);
	rg_case_add(&c, "printed_defaults_reload_as_defaults",
		    test_printed_defaults_reload_as_defaults, NULL);
	rg_case_add(&c, "sample_config_uncommented_gives_defaults",
		    test_sample_config_uncommented_gives_defaults, NULL);
	rg_case_add(&c, "changed_lists_only_what_differs",
		    test_changed_lists_only_what_differs, NULL);
	rg_case_add(&c, "errors_are_config_errors",
		    test_errors_are_config_errors, NULL);
	rg_case_add(&c, "defaults_list_nothing_changed",
		    test_defaults_list_nothing_changed, NULL);
	rg_case_add(&c, "changed_text_reads_back_the_same",
		    test_changed_text_reads_back_the_same, NULL);
	RG_ADD_ROWS(&c, rows, test_row);
	RG_ADD_ROWS(&c, shape_rows, test_shape);
	rg_case_add(&c, "line_too_long", test_line_too_long, NULL);
	rg_case_add(&c, "continued_entry_too_long",
		    test_continued_entry_too_long, NULL);
	rg_case_add(&c, "missing_file", test_missing_file, NULL);
	rg_case_add(&c, "action_names", test_action_names, NULL);

	if (glob(GOLDEN_DIR "/*.in", 0, NULL, &g) == 0) {
		ngolden = g.gl_pathc;
		for (i = 0; i < g.gl_pathc && i < RG_TEST_MAX_CASES; i++) {
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;

			snprintf(names[i], sizeof(names[i]), "golden_%.*s",
				 (int)(strlen(base) - 3), base);
			rg_case_add(&c, names[i], test_golden, g.gl_pathv[i]);
		}
	}
	rg_case_add(&c, "golden_files_present", test_golden_files_present,
		    &ngolden);
	rc = rg_cases_run(&c, "conf", NULL, NULL);
	globfree(&g);
	return rc;
}
