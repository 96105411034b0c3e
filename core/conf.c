/* SPDX-License-Identifier: BSD-2-Clause */
#include "conf.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conftype.h"
#include "str.h"
#include "strbuf.h"
#include "xalloc.h"

/* The build's configuration directory (make SYSCONFDIR=...): the one
 * place the default file name comes from. */
#ifndef RG_SYSCONFDIR
#define RG_SYSCONFDIR "/etc"
#endif
#define CONF_DEFAULT_PATH RG_SYSCONFDIR "/relayguard/relayguard.conf"

#define F(field) offsetof(struct conf, field)

/*
 * The one table of settings.  Keep conf/relayguard.conf and
 * conf/relayguard.conf.5 in step: make check compares them with this.
 */
static const struct conf_key conf_keys[] = {
	{"socket", CONF_STRING, "unix:/var/spool/postfix/relayguard/milter.sock",
	 0, 0, F(socket),
	 "milter socket: unix:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
	{"socket_mode", CONF_MODE, "0660", 0, 0777, F(socket_mode),
	 "permissions of a unix socket"},
	{"socket_group", CONF_STRING, "postfix", 0, 0, F(socket_group),
	 "group of a unix socket (Postfix's); empty: the user's group"},
	{"user", CONF_STRING, "", 0, 0, F(user),
	 "drop privileges to this user after startup; empty: do not"},
	{"pid_file", CONF_PATH, "/run/relayguard/relayguard.pid", 0, 0,
	 F(pid_file), "write the daemon's pid here; empty: no pid file"},
	{"syslog_facility", CONF_FACILITY, "mail", 0, 0, F(syslog_facility),
	 "syslog facility"},
	{"log_level", CONF_LOGLEVEL, "info", 0, 0, F(log_level),
	 "error, warning, info or debug"},
	{"milter_timeout", CONF_TIME, "300s", 1, 86400, F(milter_timeout),
	 "idle time after which a silent MTA connection is dropped"},
	{"max_connections", CONF_UINT, "1000", 1, 100000,
	 F(max_connections),
	 "MTA connections served at once; more are refused at once"},
	{"internal_hosts", CONF_CIDRS, "127.0.0.0/8, ::1", 0, 0,
	 F(internal_hosts),
	 "clients whose mail is signed without SASL authentication"},
	{"key_table", CONF_STRING, "", 0, 0, F(key_table),
	 "OpenDKIM KeyTable: file:PATH, refile:PATH or PATH"},
	{"signing_table", CONF_STRING, "", 0, 0, F(signing_table),
	 "OpenDKIM SigningTable: file:PATH (exact) or refile:PATH (globs)"},
	{"canonicalization", CONF_CANON, "relaxed/relaxed", 0, 0,
	 F(header_canon), "header/body canonicalization"},
	{"sign_headers", CONF_LIST,
	 "from, reply-to, subject, date, to, cc, resent-date, resent-from, "
	 "resent-to, resent-cc, in-reply-to, references, message-id, "
	 "mime-version, content-type, content-transfer-encoding, "
	 "content-disposition, list-id, list-help, list-unsubscribe, "
	 "list-unsubscribe-post, list-subscribe, list-post, list-owner, "
	 "list-archive",
	 0, 0, F(sign_headers), "header fields to sign when present"},
	{"oversign_headers", CONF_LIST, "from", 0, 0, F(oversign_headers),
	 "header fields signed once more than present, so none can be added"},
	{"multiple_signatures", CONF_BOOL, "yes", 0, 0,
	 F(multiple_signatures),
	 "sign with every matching SigningTable entry, not only the first"},
	{"require_safe_keys", CONF_BOOL, "yes", 0, 0, F(require_safe_keys),
	 "refuse keys that other users can read or replace"},
	{"min_key_bits", CONF_UINT, "1024", 512, 16384, F(min_key_bits),
	 "smallest RSA key accepted"},
	{"on_sign_error", CONF_ACTION, "tempfail", 0, 0, F(on_sign_error),
	 "answer when signing fails at run time: tempfail, accept, reject"},
	{"max_header_bytes", CONF_SIZE, "1M", 1024, 64UL << 20,
	 F(max_header_bytes),
	 "header bytes kept per message; larger headers are not signed"},

	/* sender authentication: login ownership and own domains */
	{"sender_login_check", CONF_BOOL, "yes", 0, 0, F(sender_login_check),
	 "SASL logins may only send as addresses they own (MAIL FROM, "
	 "From, Sender)"},
	{"sender_login_map", CONF_PATH, "", 0, 0, F(sender_login_map),
	 "file: login, then the addresses and @domains it may send as"},
	{"sender_login_self", CONF_BOOL, "yes", 0, 0, F(sender_login_self),
	 "a login that is an address may always send as itself"},
	{"sender_login_case_sensitive", CONF_BOOL, "no", 0, 0,
	 F(sender_login_case_sensitive),
	 "compare local parts with their case (domains never)"},
	{"sender_login_delimiter", CONF_STRING, "", 0, 0,
	 F(sender_login_delimiter),
	 "address extension delimiter, e.g. +: a+tag@x counts as a@x"},
	{"sender_login_null_sender", CONF_BOOL, "no", 0, 0,
	 F(sender_login_null_sender),
	 "SASL logins may use the null sender <>"},
	{"sender_login_reply", CONF_REPLY,
	 "553 5.7.1 <%a>: sender address not owned by login %u", 0, 0,
	 F(sender_login_reply),
	 "reply when a login uses an address it does not own"},
	{"own_domains", CONF_LIST, "", 0, 0, F(own_domains),
	 "our domains; empty: the domains named in the SigningTable"},
	{"own_domain_action", CONF_ACTION, "reject", 0, 0,
	 F(own_domain_action),
	 "outside client using one of our domains: reject, tempfail, accept"},
	{"own_domain_reply", CONF_REPLY,
	 "550 5.7.1 <%a>: %d is a local domain, authenticate to send as it",
	 0, 0, F(own_domain_reply),
	 "reply to an outside client using one of our domains"},
	/* SPF for unauthenticated clients (spfcheck.h) */
	{"spf_check", CONF_BOOL, "yes", 0, 0, F(spf_check),
	 "check SPF for clients neither authenticated nor internal"},
	{"spf_helo_check", CONF_SPF_HELO, "null_sender", 0, 0,
	 F(spf_helo_check), "check the HELO identity: null_sender, always, no"},
	{"spf_timeout", CONF_TIME, "10s", 1, 25, F(spf_timeout),
	 "time for one whole SPF evaluation; then temperror"},
	{"spf_dns_timeout", CONF_TIME, "3s", 1, 25, F(spf_dns_timeout),
	 "time for one DNS query of an SPF evaluation"},
	{"spf_user", CONF_STRING, "nobody", 0, 0, F(spf_user),
	 "user the SPF process runs as (started as root)"},
	{"spf_max_concurrent", CONF_UINT, "16", 1, 256,
	 F(spf_max_concurrent), "SPF evaluations running at once"},
	{"spf_max_concurrent_per_domain", CONF_UINT, "4", 1, 256,
	 F(spf_max_concurrent_per_domain),
	 "SPF evaluations of one domain at once; more: temperror"},
	{"spf_memory_limit", CONF_SIZE, "256M", 16UL << 20, 4UL << 30,
	 F(spf_memory_limit), "address space of the SPF process"},
	{"spf_action_pass", CONF_SPF_ACTION, "accept", 0, 0, F(spf_action_pass),
	 "SPF pass: accept, header, tempfail or reject"},
	{"spf_action_fail", CONF_SPF_ACTION, "reject", 0, 0, F(spf_action_fail),
	 "SPF fail: accept, header, tempfail or reject"},
	{"spf_action_softfail", CONF_SPF_ACTION, "accept", 0, 0,
	 F(spf_action_softfail),
	 "SPF softfail: accept, header, tempfail or reject"},
	{"spf_action_neutral", CONF_SPF_ACTION, "accept", 0, 0,
	 F(spf_action_neutral),
	 "SPF neutral: accept, header, tempfail or reject"},
	{"spf_action_none", CONF_SPF_ACTION, "accept", 0, 0, F(spf_action_none),
	 "SPF none: accept, header, tempfail or reject"},
	{"spf_action_temperror", CONF_SPF_ACTION, "tempfail", 0, 0,
	 F(spf_action_temperror),
	 "SPF temperror: accept, header, tempfail or reject"},
	{"spf_action_permerror", CONF_SPF_ACTION, "accept", 0, 0,
	 F(spf_action_permerror),
	 "SPF permerror: accept, header, tempfail or reject"},
	{"spf_received_header", CONF_BOOL, "no", 0, 0,
	 F(spf_received_header), "add Received-SPF to every checked message"},
	{"authserv_id", CONF_STRING, "", 0, 0, F(authserv_id),
	 "authserv-id of Authentication-Results; empty: the host name"},
	/* audit trail and metrics */
	{"audit_file", CONF_PATH, "", 0, 0, F(audit_file),
	 "JSON-lines audit trail, one object per decision; empty: none"},
	{"audit_redis_server", CONF_ENDPOINT, "127.0.0.1:6379", 1, 0,
	 F(audit_redis_server),
	 "Redis for the audit stream: HOST:PORT or unix:PATH"},
	{"audit_redis_password", CONF_STRING, "", 0, 0,
	 F(audit_redis_password), "AUTH password for audit_redis_server"},
	{"audit_redis_stream", CONF_STRING, "", 0, 0, F(audit_redis_stream),
	 "Redis stream key for audit records (XADD); empty: none"},
	{"audit_stream_maxlen", CONF_UINT, "100000", 0, 1000000000UL,
	 F(audit_stream_maxlen),
	 "trim the stream to about this many records; 0: never"},
	{"audit_queue_size", CONF_UINT, "10000", 1, 1000000,
	 F(audit_queue_size),
	 "audit records waiting for the writer; more are dropped"},
	{"audit_redis_timeout", CONF_TIME, "1s", 1, 60,
	 F(audit_redis_timeout), "limit on each audit stream call"},
	{"metrics_listen", CONF_ENDPOINT, "", 0, 0, F(metrics_listen),
	 "Prometheus /metrics on HOST:PORT (a bare PORT: 127.0.0.1); "
	 "empty: off"},
	/* rate limits and quotas (limit, limitmap, limit_mem,
	 * limit_redis, rconn) */
	{"limits", CONF_BOOL, "no", 0, 0, F(limits),
	 "apply the rate limits and quotas of limit_map"},
	{"limit_exempt_recipients", CONF_LIST, "postmaster, abuse", 0, 0,
	 F(limit_exempt_recipients),
	 "recipients never counted nor refused by limits (local parts or "
	 "addresses)"},
	{"limit_map", CONF_PATH, "", 0, 0, F(limit_map),
	 "plans, customers and assignments (relayguard-limits(5))"},
	{"limit_backend", CONF_ENUM, "memory", 0, 0, F(limit_backend),
	 "where counters live: memory (this process) or redis (shared)"},
	{"limit_redis_module", CONF_ENUM, "auto", 0, 0,
	 F(limit_redis_module),
	 "auto: decisions as RELAYGUARD.LIMIT (the Redis module), the Lua "
	 "script where it is missing; no: always the script"},
	{"limit_fail_mode", CONF_ENUM, "tempfail", 0, 0, F(limit_fail_mode),
	 "when Redis cannot answer in time: tempfail, accept or local"},
	{"limit_local_percent", CONF_UINT, "10", 1, 100,
	 F(limit_local_percent),
	 "fail mode local: each limit scaled to this share, in memory"},
	{"limit_txn_ttl", CONF_TIME, "1h", 60, 7 * 86400, F(limit_txn_ttl),
	 "how long a counted queue id is remembered"},
	{"limit_lease_time", CONF_TIME, "6m", 1, 86400, F(limit_lease_time),
	 "a reservation of a transaction that does not finish is given back "
	 "after this"},
	{"limit_commit_wait", CONF_TIME, "10s", 0, 250, F(limit_commit_wait),
	 "how long the end of a message waits to count it when Redis did not "
	 "answer its commit"},
	{"limit_tempfail_reply", CONF_STRING,
	 "451 4.7.1 $limit quota exceeded for $subject, retry in $retry s",
	 0, 0, F(limit_tempfail_reply), "reply when a limit is reached"},
	{"limit_reject_reply", CONF_STRING,
	 "550 5.7.1 $limit quota exceeded for $subject", 0, 0,
	 F(limit_reject_reply), "reply when a hard limit is reached"},
	{"limit_unavailable_reply", CONF_STRING,
	 "451 4.7.1 rate limit store unavailable, try again later", 0, 0,
	 F(limit_unavailable_reply),
	 "reply when Redis cannot answer and limit_fail_mode = tempfail"},
	{"redis_server", CONF_STRING, "127.0.0.1:6379", 0, 0, F(redis_server),
	 "standalone Redis: HOST:PORT, [IPv6]:PORT or unix:/PATH"},
	{"redis_password", CONF_STRING, "", 0, 0, F(redis_password),
	 "AUTH password (never logged); empty: none"},
	{"redis_user", CONF_STRING, "", 0, 0, F(redis_user),
	 "ACL user name for AUTH (Redis 6+); empty: the default user"},
	{"redis_db", CONF_UINT, "0", 0, 65535, F(redis_db),
	 "database index (standalone and Sentinel; Cluster has only 0)"},
	{"redis_connect_timeout", CONF_MSEC, "500ms", 1, 60000,
	 F(redis_connect_timeout), "time to connect, AUTH and SELECT"},
	{"redis_timeout", CONF_MSEC, "300ms", 1, 60000, F(redis_timeout),
	 "time for one command's reply; then limit_fail_mode applies"},
	{"redis_sentinels", CONF_LIST, "", 0, 0, F(redis_sentinels),
	 "Sentinel addresses HOST:PORT; the master is asked of them"},
	{"redis_sentinel_master", CONF_STRING, "", 0, 0,
	 F(redis_sentinel_master), "master name the Sentinels monitor"},
	{"redis_cluster", CONF_LIST, "", 0, 0, F(redis_cluster),
	 "Redis Cluster seed nodes HOST:PORT; the slot map is read from them"},
	{"redis_pool_size", CONF_UINT, "32", 1, 1024, F(redis_pool_size),
	 "connections kept per Redis server (threads share them)"},
	{"redis_key_prefix", CONF_STRING, "rg", 0, 0, F(redis_key_prefix),
	 "first part of every key: PREFIX:{SUBJECT}:LIMIT"},
	/* abuse control, reputation, quota warnings
	 * (abuse, abuse_mem, abuse_redis, abusemsg, bodyfp) */
	{"abuse_control", CONF_BOOL, "no", 0, 0, F(abuse_control),
	 "abuse signals, penalty box, reputation and quota warnings"},
	{"penalty_box_trips", CONF_UINT, "3", 0, 1000, F(penalty_box_trips),
	 "quota refusals within penalty_box_window that block a subject; "
	 "0: off"},
	{"penalty_box_window", CONF_TIME, "1h", 1, 7 * 86400,
	 F(penalty_box_window), "time in which those refusals are counted"},
	{"penalty_box_time", CONF_TIME, "10m", 1, 30 * 86400,
	 F(penalty_box_time), "length of a first block"},
	{"penalty_box_growth", CONF_UINT, "2", 1, 16, F(penalty_box_growth),
	 "each repeat offence multiplies the block by this"},
	{"penalty_box_max_time", CONF_TIME, "1d", 1, 365 * 86400,
	 F(penalty_box_max_time), "longest block the penalty box gives"},
	{"penalty_box_memory", CONF_TIME, "7d", 1, 365 * 86400,
	 F(penalty_box_memory),
	 "how long a block counts when the next one is measured"},
	{"penalty_box_action", CONF_ENUM, "tempfail", 0, 0,
	 F(penalty_box_action),
	 "mail of a blocked subject: tempfail, reject (a suspension), hold "
	 "or log"},
	{"penalty_box_dry_run", CONF_BOOL, "no", 0, 0, F(penalty_box_dry_run),
	 "count and log penalty-box blocks without applying them"},
	{"stolen_login_networks", CONF_UINT, "5", 0, 1000,
	 F(stolen_login_networks),
	 "a login used from more client /24 or /64 networks than this within "
	 "stolen_login_window is suspect; 0: off"},
	{"stolen_login_window", CONF_TIME, "1h", 1, 30 * 86400,
	 F(stolen_login_window), "time in which those networks are counted"},
	{"stolen_login_action", CONF_ENUM, "hold", 0, 0,
	 F(stolen_login_action),
	 "mail of a suspect login: log, tempfail, reject or hold"},
	{"stolen_login_dry_run", CONF_BOOL, "no", 0, 0,
	 F(stolen_login_dry_run), "log the signal only"},
	{"fanout_sender_recipients", CONF_UINT, "200", 0, 1000000,
	 F(fanout_sender_recipients),
	 "one sender's same body to more distinct recipients than this "
	 "within fanout_window; 0: off"},
	{"fanout_recipients", CONF_UINT, "1000", 0, 10000000,
	 F(fanout_recipients),
	 "the same body, from any senders, to more distinct recipients than "
	 "this within fanout_window; 0: off"},
	{"fanout_window", CONF_TIME, "1h", 1, 7 * 86400, F(fanout_window),
	 "time in which recipients of one body are counted"},
	{"fanout_action", CONF_ENUM, "hold", 0, 0, F(fanout_action),
	 "mail over a fan-out limit: log, tempfail, reject or hold"},
	{"fanout_dry_run", CONF_BOOL, "no", 0, 0, F(fanout_dry_run),
	 "log the signal only"},
	{"spike_factor", CONF_UINT, "10", 0, 100000, F(spike_factor),
	 "a login sending more than this many times its own average rate; "
	 "0: off"},
	{"spike_min_messages", CONF_UINT, "50", 1, 10000000,
	 F(spike_min_messages),
	 "messages within spike_window before a spike counts"},
	{"spike_window", CONF_TIME, "10m", 60, 86400, F(spike_window),
	 "the recent rate is measured over this time"},
	{"spike_baseline", CONF_TIME, "7d", 3600, 90 * 86400,
	 F(spike_baseline), "the average rate is measured over this time"},
	{"spike_action", CONF_ENUM, "log", 0, 0, F(spike_action),
	 "mail of a spiking login: log, tempfail, reject or hold"},
	{"spike_dry_run", CONF_BOOL, "no", 0, 0, F(spike_dry_run),
	 "log the signal only"},
	{"max_recipients_per_message", CONF_UINT, "0", 0, 100000,
	 F(max_recipients_per_message),
	 "recipients one message may have; 0: no cap"},
	{"max_recipient_domains", CONF_UINT, "0", 0, 1000,
	 F(max_recipient_domains),
	 "distinct recipient domains one message may have; 0: no cap"},
	{"message_caps_action", CONF_ENUM, "tempfail", 0, 0,
	 F(message_caps_action),
	 "a recipient over a cap: tempfail (452 4.5.3), reject, hold or log"},
	{"message_caps_dry_run", CONF_BOOL, "no", 0, 0,
	 F(message_caps_dry_run), "log the caps only"},
	{"reputation", CONF_BOOL, "yes", 0, 0, F(reputation),
	 "keep per-subject reputation (relayguardctl reputation, top)"},
	{"reputation_ttl", CONF_TIME, "30d", 3600, 365 * 86400,
	 F(reputation_ttl),
	 "a subject's first and last seen, networks and domains are kept "
	 "this long after its last mail"},
	{"quota_warnings", CONF_PERCENTS, "50, 80, 100", 0, 0,
	 F(quota_warnings),
	 "percentages of a quota that write a quota_warning audit event, "
	 "once per limit period; empty: none"},
	{"abuse_queue_size", CONF_UINT, "10000", 1, 1000000,
	 F(abuse_queue_size),
	 "reputation and quota-warning updates waiting for Redis; more are "
	 "dropped"},

	/* relayguard-policyd, the Postfix policy service */
	{"policy_socket", CONF_STRING,
	 "unix:/var/spool/postfix/relayguard/policy.sock", 0, 0,
	 F(policy_socket),
	 "policy service socket: unix:PATH, inet:PORT@HOST or "
	 "inet6:PORT@HOST"},
	{"policy_socket_mode", CONF_MODE, "0660", 0, 0777,
	 F(policy_socket_mode), "permissions of a unix policy socket"},
	{"policy_socket_group", CONF_STRING, "postfix", 0, 0,
	 F(policy_socket_group),
	 "group of a unix policy socket (Postfix's); empty: the user's"},
	{"policy_pid_file", CONF_PATH,
	 "/run/relayguard-policyd/relayguard-policyd.pid", 0, 0,
	 F(policy_pid_file),
	 "write relayguard-policyd's pid here; empty: no pid file"},
	{"policy_max_connections", CONF_UINT, "1000", 1, 100000,
	 F(policy_max_connections),
	 "policy client connections at once; more are closed at once"},
	{"policy_idle_timeout", CONF_TIME, "300s", 1, 86400,
	 F(policy_idle_timeout),
	 "close a connection idle this long between requests"},
	{"policy_request_timeout", CONF_TIME, "10s", 1, 3600,
	 F(policy_request_timeout),
	 "a request must arrive whole within this time of its first byte"},
	{"policy_max_line", CONF_SIZE, "4k", 64, 1UL << 20,
	 F(policy_max_line),
	 "longest attribute line; a longer one closes the connection"},
	{"policy_max_attributes", CONF_UINT, "128", 8, 100000,
	 F(policy_max_attributes),
	 "most attribute lines in one request; more close the connection"},
	{"policy_max_request", CONF_SIZE, "32k", 256, 16UL << 20,
	 F(policy_max_request),
	 "largest request in bytes; a larger one closes the connection"},
	{"policy_workers", CONF_UINT, "16", 1, 1024, F(policy_workers),
	 "threads that make decisions (the blocking DNS and Redis work)"},
	{"policy_defer_if_permit", CONF_BOOL, "no", 0, 0,
	 F(policy_defer_if_permit),
	 "answer tempfails DEFER_IF_PERMIT instead of 451 4.7.1 text"},
	{"policy_prepend_headers", CONF_BOOL, "no", 0, 0,
	 F(policy_prepend_headers),
	 "send the verdict's headers (Authentication-Results) as PREPEND"},
	{"policy_metrics_listen", CONF_ENDPOINT, "", 0, 0,
	 F(policy_metrics_listen),
	 "relayguard-policyd's /metrics: [HOST:]PORT; empty: off"},
};

/* Names of the CONF_ENUM keys' values; the stored int is the index. */
static const struct conf_enum {
	const char *key;
	const char *names[5];	/* NULL-terminated */
} conf_enums[] = {
	{"limit_backend", {"memory", "redis", NULL}},
	{"limit_fail_mode", {"tempfail", "accept", "local", NULL}},
	{"limit_redis_module", {"auto", "no", NULL}},
	/* abuse signal actions: enum conf_abuse_action */
	{"penalty_box_action", {"log", "tempfail", "reject", "hold", NULL}},
	{"stolen_login_action", {"log", "tempfail", "reject", "hold", NULL}},
	{"fanout_action", {"log", "tempfail", "reject", "hold", NULL}},
	{"spike_action", {"log", "tempfail", "reject", "hold", NULL}},
	{"message_caps_action", {"log", "tempfail", "reject", "hold", NULL}},
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* conf_enum_names - the names of a CONF_ENUM key (conftype.h) */
const char *const *
conf_enum_names(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(conf_enums) / sizeof(conf_enums[0]); i++)
		if (strcmp(conf_enums[i].key, key) == 0)
			return conf_enums[i].names;
	log_panic("conf: enum key %s has no names", key);
}

/* conf_action_name - text of an action, for logs */
const char *
conf_action_name(enum conf_action a)
{
	switch (a) {
	case CONF_ACTION_TEMPFAIL:
		return "tempfail";
	case CONF_ACTION_ACCEPT:
		return "accept";
	case CONF_ACTION_REJECT:
		return "reject";
	}
	return "?";
}

/* conf_reply_parse - "CODE X.Y.Z text": a 4xx or 5xx code, an enhanced
 * status of the same class (RFC 3463), printable text with only the %a
 * %d %u %% escapes */
int
conf_reply_parse(const char *v, struct conf_reply *r, struct err *e)
{
	const char *p = v;
	const char *t;
	size_t xl;
	int dots = 0;
	size_t i;

	if (!(p[0] == '4' || p[0] == '5') || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || p[3] != ' ')
		goto bad;
	memcpy(r->code, p, 3);
	r->code[3] = '\0';
	p += 4;
	xl = strcspn(p, " ");
	if (xl >= sizeof(r->xcode) || xl < 5 || p[0] != r->code[0] ||
	    p[1] != '.')
		goto bad;
	for (i = 1; i < xl; i++) {
		if (p[i] == '.' && p[i - 1] != '.')
			dots++;
		else if (p[i] < '0' || p[i] > '9')
			goto bad;
	}
	if (dots != 2 || p[xl - 1] == '.')
		goto bad;
	memcpy(r->xcode, p, xl);
	r->xcode[xl] = '\0';
	t = p + xl;
	t += strspn(t, " ");
	if (*t == '\0' || str_copy(r->text, sizeof(r->text), t) < 0)
		goto bad;
	for (i = 0; t[i] != '\0'; i++) {
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
			goto bad;
		if (t[i] == '%' && (t[i + 1] == '\0' ||
				    strchr("adu%", t[i + 1]) == NULL)) {
			err_set(e, "\"%s\": unknown escape %%%c (%%a address, "
				   "%%d domain, %%u login, %%%% a percent sign)",
				v, t[i + 1] ? t[i + 1] : ' ');
			return -1;
		}
		if (t[i] == '%')
			i++;
	}
	return 0;
bad:
	err_set(e, "\"%s\" is not an SMTP reply (example: 553 5.7.1 <%%a>: "
		   "sender address not owned by login %%u)", v);
	return -1;
}

/* conf_reply_expand - the reply text with its escapes replaced; address,
 * domain and login pass through as given (the caller makes them safe for
 * an SMTP reply line) */
void
conf_reply_expand(const struct conf_reply *r, char *out, size_t size,
		  const char *addr, const char *login)
{
	const char *t = r->text;
	const char *at = strrchr(addr, '@');
	const char *dom = at ? at + 1 : "";
	size_t o = 0;

	if (size == 0)
		return;
	for (; *t && o + 1 < size; t++) {
		const char *ins = NULL;

		if (*t == '%' && t[1] != '\0') {
			t++;
			ins = *t == 'a' ? addr : *t == 'd' ? dom :
			      *t == 'u' ? login : "%";
		}
		if (ins == NULL) {
			out[o++] = *t;
			continue;
		}
		while (*ins && o + 1 < size)
			out[o++] = *ins++;
	}
	out[o] = '\0';
}

/* conf_distance - edit distance of two short words, for suggestions */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t row[64];
	size_t i;
	size_t j;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* conf_find - the table entry for a key name, NULL when unknown */
static const struct conf_key *
conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

/* conf_nearest - the known key closest to a misspelt one */
static const char *
conf_nearest(const char *name)
{
	const char *best = NULL;
	size_t bestd = 4;	/* farther than this is no suggestion */
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		size_t d = conf_distance(name, conf_keys[i].name);

		if (d < bestd) {
			bestd = d;
			best = conf_keys[i].name;
		}
	}
	return best;
}

/* conf_default_path - the file the programs read without -c */
const char *
conf_default_path(void)
{
	return CONF_DEFAULT_PATH;
}

/* conf_line - the line that set key, 0 for a default (or no such key) */
unsigned
conf_line(const struct conf *c, const char *key)
{
	const struct conf_key *k = conf_find(key);

	if (k == NULL || c->lines == NULL)
		return 0;
	return c->lines[k - conf_keys];
}

/* conf_string - the value of a text setting by name (the daemon
 * skeleton reads each program's socket and pid file keys this way) */
const char *
conf_string(const struct conf *c, const char *key)
{
	const struct conf_key *k = conf_find(key);

	if (k == NULL || !(k->type == CONF_STRING || k->type == CONF_PATH ||
			   k->type == CONF_ENDPOINT))
		log_panic("conf_string: %s is not a text setting", key);
	return *(char *const *)((const char *)c + k->offset);
}

/* conf_ulong - the value of a number, mode or time setting by name */
unsigned long
conf_ulong(const struct conf *c, const char *key)
{
	const struct conf_key *k = conf_find(key);

	if (k == NULL || !(k->type == CONF_UINT || k->type == CONF_MODE ||
			   k->type == CONF_TIME || k->type == CONF_MSEC))
		log_panic("conf_ulong: %s is not a number setting", key);
	return *(const unsigned long *)((const char *)c + k->offset);
}

/* conf_where - "FILE:LINE: KEY" where key was set, "FILE: KEY" for a
 * default, the prefix of an error about that setting */
void
conf_where(const struct conf *c, const char *key, char *buf, size_t size)
{
	unsigned line = conf_line(c, key);
	const char *path = c->path != NULL ? c->path : CONF_DEFAULT_PATH;

	if (line != 0)
		(void)str_format(buf, size, "%s:%u: %s", path, line, key);
	else
		(void)str_format(buf, size, "%s: %s", path, key);
}

/* conf_defaults - a config holding every default */
struct conf *
conf_defaults(void)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	char buf[CONF_LINE_MAX];
	struct err e;
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (str_copy(buf, sizeof(buf), conf_keys[i].def) < 0 ||
		    conftype_set(c, &conf_keys[i], buf, &e) < 0)
			log_panic("default of %s: %s", conf_keys[i].name,
				  e.text);
	}
	return c;
}

/* conf_apply_line - handle one logical line "key = value" */
static int
conf_apply_line(struct conf *c, char *line, unsigned *seen_at,
		const char *path, unsigned lineno, struct err *e)
{
	const struct conf_key *k;
	char *eq = strchr(line, '=');
	char *key;
	char *val;
	struct err ve;

	if (eq == NULL) {
		err_set(e, "%s:%u: missing '=' (example: socket = "
			   "inet:8891@127.0.0.1)", path, lineno);
		return -1;
	}
	*eq = '\0';
	key = str_trim(line);
	val = str_trim(eq + 1);
	k = conf_find(key);
	if (k == NULL) {
		const char *near = conf_nearest(key);

		if (near != NULL)
			err_set(e, "%s:%u: %s: unknown key (did you mean %s?)",
				path, lineno, key, near);
		else
			err_set(e, "%s:%u: %s: unknown key", path, lineno, key);
		return -1;
	}
	if (seen_at[k - conf_keys] != 0) {
		err_set(e, "%s:%u: %s: set twice (first at line %u)", path,
			lineno, key, seen_at[k - conf_keys]);
		return -1;
	}
	seen_at[k - conf_keys] = lineno;
	if (conftype_set(c, k, val, &ve) < 0) {
		err_set(e, "%s:%u: %s: %s", path, lineno, key, ve.text);
		return -1;
	}
	return 0;
}

/* conf_load_stream - read settings from an open stream */
int
conf_load_stream(FILE *fp, const char *path, struct conf **out,
		 struct err *e)
{
	struct conf *c = conf_defaults();
	unsigned seen_at[CONF_NKEYS];
	char logical[CONF_LINE_MAX];
	char raw[CONF_LINE_MAX];
	unsigned lineno = 0;
	unsigned start = 0;
	size_t llen = 0;
	int rc = -1;

	memset(seen_at, 0, sizeof(seen_at));
	c->path = xstrdup(path);
	logical[0] = '\0';
	for (;;) {
		bool eof = fgets(raw, sizeof(raw), fp) == NULL;
		size_t rlen;

		if (eof && ferror(fp)) {
			err_set(e, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (!eof) {
			lineno++;
			rlen = strlen(raw);
			if (rlen == sizeof(raw) - 1 && raw[rlen - 1] != '\n') {
				err_set(e, "%s:%u: line longer than %d bytes",
					path, lineno, CONF_LINE_MAX - 2);
				goto out;
			}
			/* as in main.cf: a line whose first non-blank
			 * character is '#' is a comment, even indented */
			if (*str_trim(raw) == '#' || *str_trim(raw) == '\0')
				continue;
			if (raw[0] == ' ' || raw[0] == '\t') {
				char *t = str_trim(raw);

				if (llen == 0) {
					err_set(e, "%s:%u: continuation line "
						   "without a key before it",
						path, lineno);
					goto out;
				}
				if (llen + 1 + strlen(t) >= sizeof(logical)) {
					err_set(e, "%s:%u: entry too long",
						path, lineno);
					goto out;
				}
				logical[llen++] = ' ';
				memcpy(logical + llen, t, strlen(t) + 1);
				llen += strlen(t);
				continue;
			}
		}
		if (llen > 0 &&
		    conf_apply_line(c, logical, seen_at, path, start, e) < 0)
			goto out;
		if (eof)
			break;
		start = lineno;
		if (str_copy(logical, sizeof(logical), str_trim(raw)) < 0) {
			err_set(e, "%s:%u: entry too long", path, lineno);
			goto out;
		}
		llen = strlen(logical);
	}
	c->lines = xcalloc(CONF_NKEYS, sizeof(*c->lines));
	memcpy(c->lines, seen_at, sizeof(seen_at));
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (rc < 0)
		err_set_code(e, ERR_CONFIG);
	conf_free(c);
	return rc;
}

/* conf_load - read settings from a file */
int
conf_load(const char *path, struct conf **out, struct err *e)
{
	FILE *fp = fopen(path, "r");
	int rc;

	if (fp == NULL) {
		err_setc(e, ERR_CONFIG, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = conf_load_stream(fp, path, out, e);
	(void)fclose(fp);	/* read-only stream: nothing to lose */
	return rc;
}

/* conf_free - release a config; NULL is fine */
void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CONF_NKEYS; i++)
		conftype_release(c, &conf_keys[i]);
	free(c->lines);
	free(c->path);
	free(c);
}

/* conf_unknown_key - "KEY: unknown key (did you mean NEAR?)" */
static void
conf_unknown_key(const char *key, struct err *e)
{
	const char *near = conf_nearest(key);

	if (near != NULL)
		err_set(e, "%s: unknown key (did you mean %s?)", key, near);
	else
		err_set(e, "%s: unknown key", key);
}

/* conf_print_default - one key with its default, like postconf -d KEY */
int
conf_print_default(FILE *fp, const char *key, struct err *e)
{
	const struct conf_key *k = conf_find(key);

	if (k == NULL) {
		conf_unknown_key(key, e);
		return -1;
	}
	fprintf(fp, "%s = %s\n", k->name, k->def);
	return 0;
}

/* conf_print_changed - the settings of c that differ from their defaults,
 * in their canonical form, like postconf -n */
void
conf_print_changed(FILE *fp, const struct conf *c)
{
	struct conf *d = conf_defaults();
	struct strbuf have;
	struct strbuf def;
	size_t i;

	strbuf_init(&have, 4 * CONF_LINE_MAX);
	strbuf_init(&def, 4 * CONF_LINE_MAX);
	for (i = 0; i < CONF_NKEYS; i++) {
		conftype_format(c, &conf_keys[i], &have);
		conftype_format(d, &conf_keys[i], &def);
		if (have.len == def.len &&
		    (have.len == 0 || memcmp(have.data, def.data, have.len) == 0))
			continue;
		fprintf(fp, "%s =%s%s\n", conf_keys[i].name,
			have.len > 0 ? " " : "", have.len > 0 ? have.data : "");
	}
	strbuf_free(&have);
	strbuf_free(&def);
	conf_free(d);
}

/* conf_print_defaults - every key with its default, like postconf -d */
void
conf_print_defaults(FILE *fp)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		fprintf(fp, "%s = %s\n", conf_keys[i].name, conf_keys[i].def);
}
