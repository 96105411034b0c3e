/* SPDX-License-Identifier: BSD-2-Clause */
#include "audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_sink.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "str.h"
#include "tspec.h"
#include "workq.h"
#include "xalloc.h"

/* Lines the writer takes from the queue at once (one writev, one Redis
 * round trip). */
#define AUDIT_BATCH 64
/* Retry a failing sink after 1 s, doubling up to this. */
#define AUDIT_BACKOFF_MAX_MS 8000

/* --- records ------------------------------------------------------------- */

/* audit_copy - copy a C string, cut (not refused) when it is too long:
 * an audit record keeps what it can */
static void
audit_copy(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strnlen(src, size - 1) : 0;

	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* audit_rec_init - an empty record stamped with the current time */
void
audit_rec_init(struct audit_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (clock_gettime(CLOCK_REALTIME, &r->time) < 0)
		r->time.tv_sec = time(NULL);
}

/* audit_rec_from_txn - the facts of a txn and the verdict given at stage;
 * VERDICT_CONTINUE counts as "accept" (nothing stopped the message) */
void
audit_rec_from_txn(struct audit_rec *r, const char *stage,
		   const struct txn *t, const struct verdict *v)
{
	audit_copy(r->stage, sizeof(r->stage), stage);
	audit_copy(r->queue_id, sizeof(r->queue_id), t->qid);
	audit_copy(r->txn_id, sizeof(r->txn_id), t->id);
	audit_copy(r->client_name, sizeof(r->client_name), t->client_name);
	audit_copy(r->client_addr, sizeof(r->client_addr), t->client_addr);
	audit_copy(r->helo, sizeof(r->helo), t->helo);
	audit_copy(r->login, sizeof(r->login), t->login);
	audit_copy(r->sender, sizeof(r->sender), t->sender);
	r->recipients = t->nrcpt;
	r->size = t->size;
	audit_copy(r->spf, sizeof(r->spf), t->spf_result);
	if (v == NULL)
		return;
	audit_copy(r->action, sizeof(r->action),
		   v->action == VERDICT_CONTINUE ? "accept"
						 : verdict_action_name(v->action));
	audit_copy(r->reason, sizeof(r->reason), v->reason);
	if (v->code[0] != '\0')
		(void)snprintf(r->reply, sizeof(r->reply), "%s %s%s%s", v->code,
			       v->xcode, v->xcode[0] ? " " : "", v->text);
	else
		r->reply[0] = '\0';
}

/* audit_rec_add_sig - one signature made; -1 when the record is full */
int
audit_rec_add_sig(struct audit_rec *r, const char *domain,
		  const char *selector, const char *algorithm)
{
	struct audit_sig *s;

	if (r->nsigs >= AUDIT_SIGS_MAX)
		return -1;
	s = &r->sigs[r->nsigs++];
	audit_copy(s->domain, sizeof(s->domain), domain);
	audit_copy(s->selector, sizeof(s->selector), selector);
	audit_copy(s->algorithm, sizeof(s->algorithm), algorithm);
	return 0;
}

/* audit_rec_add_limit - one limit touched; -1 when the record is full */
int
audit_rec_add_limit(struct audit_rec *r, const char *name, const char *subject,
		    unsigned long used, unsigned long limit, bool over)
{
	struct audit_limit *l;

	if (r->nlimits >= AUDIT_LIMITS_MAX)
		return -1;
	l = &r->limits[r->nlimits++];
	audit_copy(l->name, sizeof(l->name), name);
	audit_copy(l->subject, sizeof(l->subject), subject);
	l->used = used;
	l->limit = limit;
	l->over = over;
	return 0;
}

/* audit_rec_add_signal - one abuse signal raised; -1 when full */
int
audit_rec_add_signal(struct audit_rec *r, const char *name,
		     const char *subject, const char *action, bool dry_run)
{
	struct audit_signal *s;

	if (r->nsignals >= AUDIT_SIGNALS_MAX)
		return -1;
	s = &r->signals[r->nsignals++];
	audit_copy(s->name, sizeof(s->name), name);
	audit_copy(s->subject, sizeof(s->subject), subject);
	audit_copy(s->action, sizeof(s->action), action);
	s->dry_run = dry_run;
	return 0;
}

/* audit_kv - ,"key":"value" (the first field has no comma) */
static int
audit_kv(struct strbuf *sb, const char *key, const char *value)
{
	int rc = 0;

	if (sb->len > 0 && sb->data[sb->len - 1] != '{')
		rc |= strbuf_append(sb, ",", 1);
	rc |= json_put_cstr(sb, key);
	rc |= strbuf_append(sb, ":", 1);
	rc |= json_put_cstr(sb, value);
	return rc;
}

/* audit_kn - ,"key":number */
static int
audit_kn(struct strbuf *sb, const char *key, unsigned long n)
{
	int rc = 0;

	if (sb->len > 0 && sb->data[sb->len - 1] != '{')
		rc |= strbuf_append(sb, ",", 1);
	rc |= json_put_cstr(sb, key);
	rc |= strbuf_printf(sb, ":%lu", n);
	return rc;
}

/* audit_kb - ,"key":true|false */
static int
audit_kb(struct strbuf *sb, const char *key, bool b)
{
	int rc = 0;

	if (sb->len > 0 && sb->data[sb->len - 1] != '{')
		rc |= strbuf_append(sb, ",", 1);
	rc |= json_put_cstr(sb, key);
	rc |= strbuf_append_str(sb, b ? ":true" : ":false");
	return rc;
}

/* audit_rec_lists - the signatures, limits and signals arrays */
static int
audit_rec_lists(const struct audit_rec *r, struct strbuf *sb)
{
	size_t i;
	int rc = 0;

	rc |= strbuf_append_str(sb, ",\"signatures\":[");
	for (i = 0; i < r->nsigs; i++) {
		rc |= strbuf_append_str(sb, i ? ",{" : "{");
		rc |= audit_kv(sb, "domain", r->sigs[i].domain);
		rc |= audit_kv(sb, "selector", r->sigs[i].selector);
		rc |= audit_kv(sb, "algorithm", r->sigs[i].algorithm);
		rc |= strbuf_append(sb, "}", 1);
	}
	rc |= strbuf_append_str(sb, "],\"limits\":[");
	for (i = 0; i < r->nlimits; i++) {
		rc |= strbuf_append_str(sb, i ? ",{" : "{");
		rc |= audit_kv(sb, "name", r->limits[i].name);
		rc |= audit_kv(sb, "subject", r->limits[i].subject);
		rc |= audit_kn(sb, "used", r->limits[i].used);
		rc |= audit_kn(sb, "limit", r->limits[i].limit);
		rc |= audit_kb(sb, "over", r->limits[i].over);
		rc |= strbuf_append(sb, "}", 1);
	}
	rc |= strbuf_append_str(sb, "],\"signals\":[");
	for (i = 0; i < r->nsignals; i++) {
		rc |= strbuf_append_str(sb, i ? ",{" : "{");
		rc |= audit_kv(sb, "name", r->signals[i].name);
		rc |= audit_kv(sb, "subject", r->signals[i].subject);
		rc |= audit_kv(sb, "action", r->signals[i].action);
		rc |= audit_kb(sb, "dry_run", r->signals[i].dry_run);
		rc |= strbuf_append(sb, "}", 1);
	}
	rc |= strbuf_append(sb, "]", 1);
	return rc;
}

/* audit_rec_json - the record as one line of JSON (no newline) appended
 * to sb; -1 when sb's maximum is reached */
int
audit_rec_json(const struct audit_rec *r, struct strbuf *sb)
{
	struct tm tm;
	char when[48];
	time_t sec = r->time.tv_sec;
	int rc = 0;

	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		memcpy(when, "1970-01-01T00:00:00", 20);
	(void)snprintf(when + strlen(when), sizeof(when) - strlen(when),
		       ".%03ldZ", (long)(r->time.tv_nsec / 1000000) % 1000);
	rc |= strbuf_append(sb, "{", 1);
	rc |= audit_kv(sb, "time", when);
	rc |= audit_kv(sb, "type", r->event[0] ? "event" : "decision");
	rc |= audit_kv(sb, "event", r->event);
	rc |= audit_kv(sb, "stage", r->stage);
	rc |= audit_kv(sb, "queue_id", r->queue_id);
	rc |= audit_kv(sb, "txn_id", r->txn_id);
	rc |= audit_kv(sb, "client_name", r->client_name);
	rc |= audit_kv(sb, "client_addr", r->client_addr);
	rc |= audit_kv(sb, "helo", r->helo);
	rc |= audit_kv(sb, "login", r->login);
	rc |= audit_kv(sb, "sender", r->sender);
	rc |= audit_kn(sb, "recipients", r->recipients);
	rc |= audit_kn(sb, "size", r->size);
	rc |= audit_kv(sb, "spf", r->spf);
	rc |= audit_rec_lists(r, sb);
	rc |= audit_kv(sb, "action", r->action);
	rc |= audit_kv(sb, "reason", r->reason);
	rc |= audit_kv(sb, "reply", r->reply);
	rc |= strbuf_append(sb, "}", 1);
	return rc < 0 ? -1 : 0;
}

/* --- queue and writer ---------------------------------------------------- */

/* What the writer knows of one sink. */
struct audit_out {
	struct audit_sink *sink;
	bool failing;
	unsigned long lost;		/* dropped since it started failing */
	unsigned long backoff_ms;
	struct timespec retry_at;	/* CLOCK_MONOTONIC */
	unsigned long written;
	unsigned long dropped;
};

enum { AUDIT_OUT_FILE, AUDIT_OUT_REDIS, AUDIT_NOUT };

/* Owned settings, handed from audit_reload() to the writer. */
struct audit_cfg {
	char *file;
	char *redis_server;
	char *redis_password;
	char *stream;
	unsigned long maxlen;
	unsigned long timeout_ms;
};

/* audit_ctl_lock serializes audit_start/reload/stop (main thread and the
 * SIGHUP hook may meet at shutdown); it is taken before audit_lock. */
static pthread_mutex_t audit_ctl_lock = PTHREAD_MUTEX_INITIALIZER;

/* audit_lock guards the settings handed to the writer and the counters it
 * publishes (audit_outs' sinks only the writer touches). */
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static bool audit_reopen_req;
static struct audit_cfg *audit_pending;
static struct workq *audit_q;		/* NULL: not running */
static struct audit_out audit_outs[AUDIT_NOUT];
static struct audit_stats audit_shown;	/* writer's counters, copied */

static atomic_bool audit_on;
static atomic_ulong audit_submitted;
static atomic_ulong audit_dropped_q;
static atomic_ulong audit_lost_q;	/* since the queue became full */
static atomic_bool audit_full;
static atomic_ulong audit_cap;		/* queue size, for the log line */

/* audit_cfg_free - release owned settings */
static void
audit_cfg_free(struct audit_cfg *c)
{
	if (c == NULL)
		return;
	free(c->file);
	free(c->redis_server);
	if (c->redis_password != NULL) {
		memset(c->redis_password, 0, strlen(c->redis_password));
		free(c->redis_password);
	}
	free(c->stream);
	free(c);
}

/* audit_cfg_new - an owned copy of the settings; NULL when nothing is
 * configured */
static struct audit_cfg *
audit_cfg_new(const struct audit_opts *o)
{
	struct audit_cfg *c;
	bool file = o->file != NULL && o->file[0] != '\0';
	bool stream = o->stream != NULL && o->stream[0] != '\0';

	if (!file && !stream)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->file = file ? xstrdup(o->file) : NULL;
	if (stream) {
		c->stream = xstrdup(o->stream);
		c->redis_server = xstrdup(o->redis_server ? o->redis_server
							  : "127.0.0.1:6379");
		c->redis_password = xstrdup(o->redis_password ?
					    o->redis_password : "");
	}
	c->maxlen = o->stream_maxlen;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : 1000;
	return c;
}

/* audit_opts_from_conf - settings from the configuration */
void
audit_opts_from_conf(struct audit_opts *o, const struct conf *c)
{
	o->file = c->audit_file;
	o->redis_server = c->audit_redis_server;
	o->redis_password = c->audit_redis_password;
	o->stream = c->audit_redis_stream;
	o->stream_maxlen = c->audit_stream_maxlen;
	o->queue_size = c->audit_queue_size;
	o->timeout_ms = c->audit_redis_timeout * 1000;
}

/* audit_apply - the writer switches to new settings (c may be NULL) */
static void
audit_apply(struct audit_cfg *c)
{
	size_t i;

	/* the counters live on across reloads; the sinks do not */
	for (i = 0; i < AUDIT_NOUT; i++) {
		unsigned long written = audit_outs[i].written;
		unsigned long dropped = audit_outs[i].dropped;

		audit_sink_free(audit_outs[i].sink);
		memset(&audit_outs[i], 0, sizeof(audit_outs[i]));
		audit_outs[i].written = written;
		audit_outs[i].dropped = dropped;
	}
	if (c != NULL && c->file != NULL) {
		audit_outs[AUDIT_OUT_FILE].sink = audit_file_new(c->file);
		metrics_audit_sink_up("file", true);
	}
	if (c != NULL && c->stream != NULL) {
		audit_outs[AUDIT_OUT_REDIS].sink =
			audit_redis_new(c->redis_server, c->redis_password,
					c->stream, c->maxlen, c->timeout_ms);
		metrics_audit_sink_up("redis", true);
	}
	audit_cfg_free(c);
}

/* audit_deliver - one batch to one sink, with the failure bookkeeping */
static void
audit_deliver(struct audit_out *o, const struct audit_line *lines, size_t n)
{
	struct timespec now;
	struct err e;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (o->failing && tspec_before(&now, &o->retry_at)) {
		o->dropped += n;
		o->lost += n;
		metrics_audit(o->sink->kind, "dropped", n);
		return;
	}
	err_clear(&e);
	if (o->sink->write(o->sink->state, lines, n, &e) == 0) {
		if (o->failing) {
			log_info("audit: %s: writing again; %lu record%s "
				 "dropped while it failed", o->sink->where,
				 o->lost, o->lost == 1 ? " was" : "s were");
			metrics_audit_sink_up(o->sink->kind, true);
		}
		o->failing = false;
		o->backoff_ms = 0;
		o->written += n;
		metrics_audit(o->sink->kind, "written", n);
		return;
	}
	o->dropped += n;
	metrics_audit(o->sink->kind, "dropped", n);
	if (!o->failing) {
		log_warn("audit: %s: %s; dropping audit records until it "
			 "works again (mail is not affected)", o->sink->where,
			 e.text);
		metrics_audit_sink_up(o->sink->kind, false);
		o->failing = true;
		o->lost = 0;
	}
	o->lost += n;
	o->backoff_ms = o->backoff_ms ? o->backoff_ms * 2 : 1000;
	if (o->backoff_ms > AUDIT_BACKOFF_MAX_MS)
		o->backoff_ms = AUDIT_BACKOFF_MAX_MS;
	o->retry_at = tspec_after(CLOCK_MONOTONIC, o->backoff_ms);
}

/* audit_copy_stats - publish the writer's counters (under audit_lock) */
static void
audit_copy_stats(void)
{
	struct audit_out *f = &audit_outs[AUDIT_OUT_FILE];
	struct audit_out *r = &audit_outs[AUDIT_OUT_REDIS];

	audit_shown.file_written = f->written;
	audit_shown.file_dropped = f->dropped;
	audit_shown.file_failing = f->failing;
	audit_shown.redis_written = r->written;
	audit_shown.redis_dropped = r->dropped;
	audit_shown.redis_failing = r->failing;
}

/* audit_handle - workq_handle_fn, on the writer thread: new settings or a
 * reopen first, then the batch of lines (each a JSON text + '\n') */
static void
audit_handle(void *arg, void **items, size_t n)
{
	struct audit_line batch[AUDIT_BATCH];
	struct audit_cfg *c;
	bool reopen;
	size_t i;

	(void)arg;
	pthread_mutex_lock(&audit_lock);
	c = audit_pending;
	audit_pending = NULL;
	reopen = audit_reopen_req;
	audit_reopen_req = false;
	pthread_mutex_unlock(&audit_lock);
	if (c != NULL)
		audit_apply(c);
	for (i = 0; reopen && i < AUDIT_NOUT; i++)
		if (audit_outs[i].sink != NULL)
			audit_outs[i].sink->reopen(audit_outs[i].sink->state);
	for (i = 0; i < n; i++) {
		batch[i].text = items[i];
		batch[i].len = strlen(items[i]);
	}
	for (i = 0; n > 0 && i < AUDIT_NOUT; i++)
		if (audit_outs[i].sink != NULL)
			audit_deliver(&audit_outs[i], batch, n);
	for (i = 0; i < n; i++)
		free(items[i]);
	pthread_mutex_lock(&audit_lock);
	audit_copy_stats();
	pthread_mutex_unlock(&audit_lock);
}

/* audit_drop - workq_drop_fn: a line that will not be written */
static void
audit_drop(void *arg, void *item)
{
	(void)arg;
	free(item);
}

/* audit_start_locked - audit_start() under audit_ctl_lock */
static int
audit_start_locked(const struct audit_opts *o, struct err *e)
{
	struct audit_cfg *c = audit_cfg_new(o);
	const char *why = "?";
	struct workq *q;

	if (audit_q != NULL) {
		err_set(e, "audit: already started");
		audit_cfg_free(c);
		return -1;
	}
	if (c == NULL)
		return 0;
	/* a fresh writer counts from zero (a reload keeps counting) */
	atomic_store(&audit_submitted, 0);
	atomic_store(&audit_dropped_q, 0);
	atomic_store(&audit_lost_q, 0);
	atomic_store(&audit_full, false);
	atomic_store(&audit_cap, o->queue_size);
	pthread_mutex_lock(&audit_lock);
	memset(audit_outs, 0, sizeof(audit_outs));
	memset(&audit_shown, 0, sizeof(audit_shown));
	audit_pending = c;
	pthread_mutex_unlock(&audit_lock);
	q = workq_new(o->queue_size, AUDIT_BATCH, audit_handle, audit_drop,
		      NULL, &why);
	if (q == NULL) {
		err_set(e, "audit: cannot start the writer thread: %s", why);
		pthread_mutex_lock(&audit_lock);
		audit_pending = NULL;
		pthread_mutex_unlock(&audit_lock);
		audit_cfg_free(c);
		return -1;
	}
	pthread_mutex_lock(&audit_lock);
	audit_q = q;
	pthread_mutex_unlock(&audit_lock);
	workq_kick(q);		/* the writer opens the sinks */
	atomic_store(&audit_on, true);
	return 0;
}

/* audit_reload_locked - audit_reload() under audit_ctl_lock */
static void
audit_reload_locked(const struct audit_opts *o)
{
	struct audit_cfg *c = audit_cfg_new(o);
	unsigned long dropped;
	struct err e;

	if (audit_q == NULL) {
		audit_cfg_free(c);
		if (audit_start_locked(o, &e) < 0)
			log_warn("%s", e.text);
		return;
	}
	dropped = workq_resize(audit_q, o->queue_size);
	atomic_store(&audit_cap, o->queue_size);
	pthread_mutex_lock(&audit_lock);
	audit_cfg_free(audit_pending);
	audit_pending = c;
	atomic_store(&audit_on, c != NULL);
	pthread_mutex_unlock(&audit_lock);
	workq_kick(audit_q);
	if (dropped > 0)
		log_warn("audit: queue made smaller: %lu records dropped",
			 dropped);
}

/* audit_start - start the writer with these settings; nothing happens
 * (0) when neither a file nor a stream is configured */
int
audit_start(const struct audit_opts *o, struct err *e)
{
	int rc;

	pthread_mutex_lock(&audit_ctl_lock);
	rc = audit_start_locked(o, e);
	pthread_mutex_unlock(&audit_ctl_lock);
	return rc;
}

/* audit_reload - new settings (SIGHUP): the writer switches after the
 * batch in hand; the file is opened again by name either way */
void
audit_reload(const struct audit_opts *o)
{
	pthread_mutex_lock(&audit_ctl_lock);
	audit_reload_locked(o);
	pthread_mutex_unlock(&audit_ctl_lock);
}

/* audit_reopen - open the file by name again at the next write */
void
audit_reopen(void)
{
	pthread_mutex_lock(&audit_ctl_lock);
	pthread_mutex_lock(&audit_lock);
	audit_reopen_req = true;
	pthread_mutex_unlock(&audit_lock);
	if (audit_q != NULL)
		workq_kick(audit_q);
	pthread_mutex_unlock(&audit_ctl_lock);
}

/* audit_enabled - is any sink configured? (cheap; for callers that want
 * to skip building a record) */
bool
audit_enabled(void)
{
	return atomic_load_explicit(&audit_on, memory_order_relaxed);
}

/* audit_queue_dropped - count a record the queue could not take and say
 * so once per episode */
static void
audit_queue_dropped(unsigned long cap)
{
	atomic_fetch_add(&audit_dropped_q, 1);
	atomic_fetch_add(&audit_lost_q, 1);
	metrics_audit("queue", "dropped", 1);
	if (!atomic_exchange(&audit_full, true))
		log_warn("audit: queue full (%lu records): dropping audit "
			 "records until the writer catches up (mail is not "
			 "affected)", cap);
}

/* audit_submit - format r and queue it; never waits for I/O */
void
audit_submit(const struct audit_rec *r)
{
	struct strbuf sb;
	struct workq *q;
	bool queued;

	if (!audit_enabled())
		return;
	atomic_fetch_add(&audit_submitted, 1);
	strbuf_init(&sb, AUDIT_LINE_MAX - 1);
	if (audit_rec_json(r, &sb) < 0 || strbuf_append(&sb, "\n", 1) < 0) {
		/* cannot happen with the field sizes of audit.h (a unit
		 * test checks the largest record); counted, not fatal */
		strbuf_free(&sb);
		audit_queue_dropped(0);
		return;
	}
	/* audit_lock: audit_stop() does not free the queue under us */
	pthread_mutex_lock(&audit_lock);
	q = audit_q;
	queued = q != NULL && workq_put(q, sb.data);
	pthread_mutex_unlock(&audit_lock);
	if (!queued) {
		strbuf_free(&sb);
		audit_queue_dropped(atomic_load(&audit_cap));
		return;
	}
	if (atomic_load_explicit(&audit_full, memory_order_relaxed) &&
	    atomic_exchange(&audit_full, false))
		log_info("audit: queue accepts records again; %lu were "
			 "dropped", atomic_exchange(&audit_lost_q, 0));
}

/* audit_flush - wait until everything queued so far has been handled
 * (written or dropped); -1 after timeout_ms */
int
audit_flush(unsigned long timeout_ms)
{
	int rc = 0;

	pthread_mutex_lock(&audit_ctl_lock);
	if (audit_q != NULL)
		rc = workq_flush(audit_q, timeout_ms);
	pthread_mutex_unlock(&audit_ctl_lock);
	return rc;
}

/* audit_stop_locked - audit_stop() under audit_ctl_lock */
static void
audit_stop_locked(unsigned long timeout_ms)
{
	unsigned long left;
	struct workq *q;

	pthread_mutex_lock(&audit_lock);
	q = audit_q;
	audit_q = NULL;
	pthread_mutex_unlock(&audit_lock);
	if (q == NULL)
		return;
	atomic_store(&audit_on, false);
	/* every sink call is bounded (Redis timeout, local file): the
	 * writer returns within one of them */
	left = workq_free(q, timeout_ms);
	if (left > 0)
		log_warn("audit: stopping with %lu records not written", left);
	audit_apply(NULL);	/* the writer is gone: sinks closed here */
	pthread_mutex_lock(&audit_lock);
	audit_cfg_free(audit_pending);
	audit_pending = NULL;
	audit_copy_stats();
	pthread_mutex_unlock(&audit_lock);
}

/* audit_stop - write what is queued (at most timeout_ms), stop the
 * writer; records still queued then are counted and logged as lost */
void
audit_stop(unsigned long timeout_ms)
{
	pthread_mutex_lock(&audit_ctl_lock);
	audit_stop_locked(timeout_ms);
	pthread_mutex_unlock(&audit_ctl_lock);
}

/* audit_get_stats - counters so far */
void
audit_get_stats(struct audit_stats *s)
{
	pthread_mutex_lock(&audit_lock);
	*s = audit_shown;
	s->queued = audit_q != NULL ? workq_len(audit_q) : 0;
	pthread_mutex_unlock(&audit_lock);
	s->submitted = atomic_load(&audit_submitted);
	s->dropped_queue = atomic_load(&audit_dropped_q);
}
