/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audittail - "relayguardctl audit tail [-n N]": the newest N records of
 * the audit stream (audit_redis_stream on audit_redis_server), oldest
 * first, as a table or (--json) as an array of {id, record}.
 *
 * Every reply is type-checked before use (a proxy, a wrong database or a
 * hostile server may answer anything); a record that is not valid JSON
 * is shown as such rather than dropped.  Exit: 0 records shown, 1 the
 * stream is empty or absent, 3 Redis unreachable or timed out, 5 Redis
 * refused the command (e.g. the key is not a stream), 78 no stream set.
 */
#include "ctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "audit_sink.h"
#include "conf.h"
#include "json.h"
#include "rconn.h"
#include "str.h"

#define TAIL_MAX 10000

/* tail_json_field - the "json" value of a stream entry, or NULL */
static const redisReply *
tail_json_field(const redisReply *entry)
{
	const redisReply *fields;
	size_t i;

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
	    entry->element[0]->type != REDIS_REPLY_STRING ||
	    entry->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	fields = entry->element[1];
	for (i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *k = fields->element[i];
		const redisReply *v = fields->element[i + 1];

		if (k->type == REDIS_REPLY_STRING && v->type ==
		    REDIS_REPLY_STRING && k->len == 4 &&
		    memcmp(k->str, "json", 4) == 0)
			return v;
	}
	return NULL;
}

/* tail_row - one entry as a table row */
static void
tail_row(struct ctl_table *t, const char *id, const redisReply *json)
{
	struct json_doc doc;
	const struct json_node *r;
	struct err e;
	char who[600];
	const char *row[5];

	if (json == NULL ||
	    json_parse(json->str, json->len, &doc, &e) < 0 ||
	    json_root(&doc)->type != JSON_OBJECT) {
		if (json != NULL)
			json_doc_free(&doc);
		row[0] = id;
		row[1] = "?";
		row[2] = "";
		row[3] = "";
		row[4] = "(not a relayguard audit record)";
		ctl_table_add(t, row);
		return;
	}
	r = json_root(&doc);
	if (json_get_str(&doc, r, "login")[0] != '\0')
		(void)snprintf(who, sizeof(who), "%s (%s)",
			       json_get_str(&doc, r, "sender"),
			       json_get_str(&doc, r, "login"));
	else
		(void)snprintf(who, sizeof(who), "%s",
			       json_get_str(&doc, r, "sender"));
	row[0] = json_get_str(&doc, r, "time");
	row[1] = json_get_str(&doc, r, "type")[0] == 'e'
			 ? json_get_str(&doc, r, "event")
			 : json_get_str(&doc, r, "action");
	row[2] = who;
	row[3] = json_get_str(&doc, r, "client_addr");
	row[4] = json_get_str(&doc, r, "reply");
	ctl_table_add(t, row);
	json_doc_free(&doc);
}

/* tail_print - the entries of an XREVRANGE reply, oldest first */
static void
tail_print(struct ctl *c, const redisReply *r)
{
	static const char *const heads[] = {"TIME", "ACTION", "SENDER",
					    "CLIENT", "REPLY"};
	struct ctl_table t;
	struct strbuf js;
	size_t i;

	ctl_table_init(&t, 5, heads);
	strbuf_init(&js, 256U << 20);
	(void)strbuf_append(&js, "[", 1);
	for (i = r->elements; i-- > 0;) {
		const redisReply *entry = r->element[i];
		const redisReply *json = tail_json_field(entry);
		const char *id = entry->type == REDIS_REPLY_ARRAY &&
					 entry->elements >= 1 &&
					 entry->element[0]->type ==
						 REDIS_REPLY_STRING
				 ? entry->element[0]->str
				 : "?";
		struct json_doc doc;
		struct err e;

		if (!c->json) {
			tail_row(&t, id, json);
			continue;
		}
		ctl_json_raw(&js, NULL, "{");
		ctl_json_str(&js, "id", id);
		if (json != NULL &&
		    json_parse(json->str, json->len, &doc, &e) == 0) {
			/* valid JSON: passed on as it is */
			ctl_json_raw(&js, "record", "");
			(void)strbuf_append(&js, json->str, json->len);
			json_doc_free(&doc);
		} else {
			ctl_json_raw(&js, "record", "null");
		}
		(void)strbuf_append(&js, "}", 1);
	}
	(void)strbuf_append(&js, "]", 1);
	if (c->json)
		ctl_json_print(c, &js);
	else
		ctl_table_print(&t, c->out);
	ctl_table_free(&t);
	strbuf_free(&js);
}

/* tail_cmd - "audit tail" */
static int
tail_cmd(struct ctl *c, const struct conf *cf, int argc, char **argv)
{
	unsigned long n = 20;
	char count[24];
	const char *args[6];
	size_t lens[6];
	struct rconn_req q;
	struct rconn *rc;
	redisReply *r;
	struct err e;
	int ch;
	int i;
	int status;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n' || str_to_ulong(optarg, 10, TAIL_MAX, &n) < 0 ||
		    n == 0) {
			ctl_error("audit tail: -n takes 1 to %d", TAIL_MAX);
			return CTL_USAGE;
		}
	}
	if (optind != argc) {
		ctl_error("audit tail: unexpected argument %s", argv[optind]);
		return CTL_USAGE;
	}
	if (cf->audit_redis_stream[0] == '\0') {
		ctl_error("audit tail: %s sets no audit_redis_stream",
			  c->conf_path);
		return CTL_CONFIG;
	}
	if (audit_redis_rconn(cf->audit_redis_server,
			      cf->audit_redis_password,
			      cf->audit_redis_timeout * 1000, &rc, &e) < 0) {
		ctl_error("%s", e.text);
		return CTL_CONFIG;
	}
	(void)snprintf(count, sizeof(count), "%lu", n);
	args[0] = "XREVRANGE";
	args[1] = cf->audit_redis_stream;
	args[2] = "+";
	args[3] = "-";
	args[4] = "COUNT";
	args[5] = count;
	for (i = 0; i < 6; i++)
		lens[i] = strlen(args[i]);
	memset(&q, 0, sizeof(q));
	q.slot = -1;
	q.argc = 6;
	q.argv = args;
	q.lens = lens;
	if (rconn_run(rc, &q, &e) < 0) {
		rconn_free(rc);
		if (q.refused) {
			/* e: "SERVER: the error Redis replied" */
			const char *msg = strstr(e.text, ": ");

			ctl_error("redis %s: XREVRANGE %s: %s",
				  cf->audit_redis_server,
				  cf->audit_redis_stream,
				  msg != NULL ? msg + 2 : e.text);
			return CTL_ERROR;
		}
		ctl_error("redis %s", e.text);
		return CTL_UNAVAILABLE;
	}
	r = q.reply;
	if (r->type != REDIS_REPLY_ARRAY) {
		ctl_error("redis %s: XREVRANGE: unexpected reply type %d",
			  cf->audit_redis_server, r->type);
		status = CTL_ERROR;
	} else if (r->elements == 0) {
		ctl_error("audit tail: stream %s holds no records",
			  cf->audit_redis_stream);
		status = CTL_NEGATIVE;
	} else {
		tail_print(c, r);
		status = CTL_OK;
	}
	freeReplyObject(r);
	rconn_free(rc);
	return status;
}

/* ctl_audit - "audit tail ..." */
int
ctl_audit(struct ctl *c, int argc, char **argv)
{
	struct conf *cf = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "tail") != 0) {
		ctl_error("audit: tail? (relayguardctl -h)");
		return CTL_USAGE;
	}
	rc = ctl_load_conf(c, &cf);
	if (rc != CTL_OK)
		return rc;
	optind = 0;
	rc = tail_cmd(c, cf, argc - 1, argv + 1);
	conf_free(cf);
	return rc;
}
