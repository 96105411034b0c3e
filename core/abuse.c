/* SPDX-License-Identifier: BSD-2-Clause */
#include "abuse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "str.h"
#include "workq.h"
#include "tspec.h"
#include "xalloc.h"

#define AB_WARN_MAX 8		/* quota_warnings percentages */
#define AB_NOTE_SUBJECTS 3	/* login, sender domain, client address */
#define AB_STOP_MS 2000		/* abuse_free waits this long for updates */

/* One quota warning to check: a subject's limit past a percentage. */
struct ab_warn {
	char subject[ABUSE_SUBJECT_MAX];
	char name[LIMIT_NAME_MAX];
	unsigned pct;
	uint64_t ttl_ms;
	uint64_t used;
	uint64_t amount;
	uint64_t period_ms;
};

/* A background update: a reputation note or quota warnings to check. */
struct ab_item {
	bool warn;
	uint64_t now_ms;
	/* note */
	size_t nsubj;
	char subj[AB_NOTE_SUBJECTS][ABUSE_SUBJECT_MAX];
	uint64_t outcome;	/* 0 accepted, 1 tempfailed, 2 rejected */
	bool spf_failed;
	bool owner_refused;
	uint64_t net;		/* hash of the client network, 0: none */
	uint64_t *domains;
	size_t ndomains;
	/* warn */
	size_t nwarns;
	struct ab_warn *warns;
	char qid[64];
	char txn_id[TXN_ID_MAX];
	char login[TXN_LOGIN_MAX];
	char sender[TXN_PATH_MAX];
	char client_addr[64];
};

struct abuse {
	struct limiter *limits;
	struct store *st;		/* backend choice, fail mode, state */
	struct abuse_backend *store;
	struct abuse_backend *fallback;
	enum conf_fail_mode fail_mode;
	uint64_t (*now_ms)(void *arg);
	void *now_arg;

	/* settings, times in ms */
	uint64_t pb_trips, pb_window, pb_time, pb_growth, pb_max, pb_memory;
	enum abuse_action pb_action;
	bool pb_dry;
	uint64_t sl_nets, sl_window;
	enum abuse_action sl_action;
	bool sl_dry;
	uint64_t fo_sender, fo_all, fo_window;
	enum abuse_action fo_action;
	bool fo_dry;
	uint64_t sp_factor, sp_min, sp_window, sp_baseline;
	enum abuse_action sp_action;
	bool sp_dry;
	uint64_t cap_rcpts, cap_domains;
	enum abuse_action cap_action;
	bool cap_dry;
	bool reputation;
	uint64_t rep_ttl;
	unsigned warn[AB_WARN_MAX];
	size_t nwarn;

	/* the writer of reputation notes and quota warnings */
	bool sync;			/* no thread: written at once */
	size_t qcap;			/* abuse_queue_size */
	pthread_mutex_t lock;		/* guards the fields below */
	struct workq *wq;		/* made at the first update */
	bool no_writer;			/* it could not be started */
	unsigned long dropped;		/* since the last report */
	struct abuse_stats stats;
	bool full;			/* queue full, said once */
	bool failing;			/* store failing, said once */
};

/* --- names, clock, small helpers ----------------------------------------- */

static const char *const ab_action_names[] = {
	"log", "tempfail", "reject", "hold",
};

/* abuse_action_name - "log", "tempfail", "reject", "hold" */
const char *
abuse_action_name(enum abuse_action a)
{
	if ((unsigned)a < sizeof(ab_action_names) / sizeof(ab_action_names[0]))
		return ab_action_names[a];
	return "?";
}

/* abuse_action_parse - the action called s; -1 when none is */
int
abuse_action_parse(const char *s, enum abuse_action *out)
{
	size_t i;

	for (i = 0; i < sizeof(ab_action_names) / sizeof(ab_action_names[0]);
	     i++) {
		if (strcmp(s, ab_action_names[i]) == 0) {
			*out = (enum abuse_action)i;
			return 0;
		}
	}
	return -1;
}

/* abuse_now - the clock of every decision, in ms since the epoch */
uint64_t
abuse_now(const struct abuse *ab)
{
	if (ab != NULL && ab->now_ms != NULL)
		return ab->now_ms(ab->now_arg);
	return tspec_ms(CLOCK_REALTIME);
}

/* ab_utc - "2026-11-30T12:00:00Z" for ms since the epoch */
static void
ab_utc(uint64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)str_copy(buf, size, "?");
}

/* ab_period - "90s", "10m", "1h", "7d" for logs */
static void
ab_period(uint64_t ms, char *buf, size_t size)
{
	limit_period_text(ms, buf, size);
}

/* ab_reply_safe - text fit for an SMTP reply: printable ASCII, no '%' */
static void
ab_reply_safe(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ||
		    *s == '%')
			*s = '?';
}

/* ab_sec - the next section of a call, cleared, for op on subject */
static struct abuse_sec *
ab_sec(struct abuse_call *c, enum abuse_op op, const char *subject)
{
	struct abuse_sec *s;

	if (c->nsecs == ABUSE_SECS_MAX)
		log_panic("abuse: more than %d sections in one call",
			  ABUSE_SECS_MAX);
	s = &c->secs[c->nsecs++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	(void)str_copy(s->subject, sizeof(s->subject), subject);
	return s;
}

/* ab_call_init - an empty call at the current time */
static void
ab_call_init(const struct abuse *ab, struct abuse_call *c)
{
	c->now_ms = abuse_now(ab);
	c->peek = false;
	c->nsecs = 0;
}

/* --- settings ------------------------------------------------------------ */

/* ab_warnings - quota_warnings as sorted percentages */
static int
ab_warnings(struct abuse *ab, const struct conf *c, struct err *e)
{
	size_t i;
	size_t j;

	for (i = 0; i < c->quota_warnings.count; i++) {
		int p = conf_percent(c->quota_warnings.items[i]);

		if (p < 0) {	/* conf_load checked them: a struct made by hand */
			err_set(e, "%s: quota_warnings: \"%s\" is not a "
				"percentage from 1 to 100 (example: 50, 80, "
				"100)", c->path, c->quota_warnings.items[i]);
			return -1;
		}
		if (ab->nwarn == AB_WARN_MAX) {
			err_set(e, "%s: quota_warnings: more than %d "
				"percentages", c->path, AB_WARN_MAX);
			return -1;
		}
		for (j = ab->nwarn; j > 0 && ab->warn[j - 1] > (unsigned)p; j--)
			ab->warn[j] = ab->warn[j - 1];
		if (j > 0 && ab->warn[j - 1] == (unsigned)p) {
			memmove(&ab->warn[j], &ab->warn[j + 1],
				(ab->nwarn - j) * sizeof(ab->warn[0]));
			continue;	/* named twice: once is enough */
		}
		ab->warn[j] = (unsigned)p;
		ab->nwarn++;
	}
	return 0;
}

/* ab_settings - the signals' settings, times in ms */
static void
ab_settings(struct abuse *ab, const struct conf *c)
{
	ab->pb_trips = c->penalty_box_trips;
	ab->pb_window = c->penalty_box_window * 1000ULL;
	ab->pb_time = c->penalty_box_time * 1000ULL;
	ab->pb_growth = c->penalty_box_growth;
	ab->pb_max = c->penalty_box_max_time * 1000ULL;
	ab->pb_memory = c->penalty_box_memory * 1000ULL;
	ab->pb_action = (enum abuse_action)c->penalty_box_action;
	ab->pb_dry = c->penalty_box_dry_run;
	ab->sl_nets = c->stolen_login_networks;
	ab->sl_window = c->stolen_login_window * 1000ULL;
	ab->sl_action = (enum abuse_action)c->stolen_login_action;
	ab->sl_dry = c->stolen_login_dry_run;
	ab->fo_sender = c->fanout_sender_recipients;
	ab->fo_all = c->fanout_recipients;
	ab->fo_window = c->fanout_window * 1000ULL;
	ab->fo_action = (enum abuse_action)c->fanout_action;
	ab->fo_dry = c->fanout_dry_run;
	ab->sp_factor = c->spike_factor;
	ab->sp_min = c->spike_min_messages;
	ab->sp_window = c->spike_window * 1000ULL;
	ab->sp_baseline = c->spike_baseline * 1000ULL;
	ab->sp_action = (enum abuse_action)c->spike_action;
	ab->sp_dry = c->spike_dry_run;
	ab->cap_rcpts = c->max_recipients_per_message;
	ab->cap_domains = c->max_recipient_domains;
	ab->cap_action = (enum abuse_action)c->message_caps_action;
	ab->cap_dry = c->message_caps_dry_run;
	ab->reputation = c->reputation;
	ab->rep_ttl = c->reputation_ttl * 1000ULL;
}

/* abuse_new - abuse control for one configuration generation */
int
abuse_new(const struct conf *c, struct limiter *limits,
	  const struct abuse_opts *o, struct abuse **out, struct err *e)
{
	struct abuse *ab = xcalloc(1, sizeof(*ab));
	bool priv = o != NULL && o->private_memory;

	pthread_mutex_init(&ab->lock, NULL);
	ab->limits = limits;
	ab->fail_mode = (enum conf_fail_mode)c->limit_fail_mode;
	if (o != NULL) {
		ab->now_ms = o->now_ms;
		ab->now_arg = o->now_arg;
	}
	ab_settings(ab, c);
	if (ab->pb_time > ab->pb_max) {
		err_set(e, "%s: penalty_box_time is longer than "
			"penalty_box_max_time (example: penalty_box_time = "
			"10m, penalty_box_max_time = 1d)", c->path);
		goto fail;
	}
	if (ab_warnings(ab, c, e) < 0)
		goto fail;
	if (store_open(c, &ab->st, e) < 0)
		goto fail;
	if (store_is_redis(ab->st)) {
		if (abuse_redis_new(ab->st, &ab->store, e) < 0)
			goto fail;
	} else {
		ab->store = abuse_mem_new(priv ? ABUSE_MEM_PRIVATE
					       : ABUSE_MEM_PRIMARY);
	}
	if (ab->fail_mode == CONF_FAIL_LOCAL)
		ab->fallback = abuse_mem_new(priv ? ABUSE_MEM_PRIVATE
						  : ABUSE_MEM_FALLBACK);
	/* memory needs no thread: an update is a few lookups */
	ab->sync = c->limit_backend != CONF_LIMIT_REDIS ||
		   (o != NULL && o->sync_writer);
	ab->qcap = c->abuse_queue_size;
	*out = ab;
	return 0;
fail:
	abuse_free(ab);
	return -1;
}

/* --- the store and its failures ----------------------------------------- */

/* ab_run - a call on the store, or (limit_fail_mode = local) on the
 * in-memory fallback when the store cannot answer; -1 when neither did */
static int
ab_run(struct abuse *ab, struct abuse_call *c, struct err *e)
{
	struct err fe;

	if (ab->store->run(ab->store, c, e) == 0) {
		store_note(ab->st, true, NULL);
		return 0;
	}
	store_note(ab->st, false, e->text);
	if (ab->fallback != NULL && ab->fallback->run(ab->fallback, c, &fe) == 0)
		return 0;
	return -1;
}

/* ab_unavailable - the answer when the checks could not run */
static void
ab_unavailable(struct abuse *ab, const struct txn *t, const char *stage,
	       struct verdict *v)
{
	char id[LOG_SAFE_MAX];

	log_safe(id, sizeof(id), t->id, strlen(t->id));
	if (ab->fail_mode == CONF_FAIL_ACCEPT) {
		log_warn("%s: abuse checks at %s skipped: store unavailable "
			 "(limit_fail_mode = accept); txn=%s",
			 t->qid[0] ? t->qid : "NOQUEUE", stage, id);
		return;
	}
	verdict_set(v, VERDICT_TEMPFAIL, "451", "4.7.1",
		    "abuse-store-unavailable",
		    "abuse control store unavailable, try again later");
}

/* --- signals ------------------------------------------------------------- */

/* What one raised signal is and says. */
struct ab_sig {
	const char *name;		/* AUDIT_SIGNAL_* */
	const char *subject;
	enum abuse_action action;
	bool dry_run;
	bool caps;			/* 452 4.5.3 / 550 5.5.3 */
	const char *reason;		/* the verdict's reason tag */
	char text[VERDICT_TEXT_MAX];	/* reply text */
	char detail[512];		/* for the log line */
};

/* ab_apply - the signal's action on the message (not in dry run) */
static void
ab_apply(struct abusemsg *m, struct verdict *v, const struct ab_sig *sg)
{
	bool rej = sg->action == ABUSE_REJECT;

	if (sg->dry_run || v == NULL)
		return;
	switch (sg->action) {
	case ABUSE_LOG:
		return;
	case ABUSE_HOLD:
		abusemsg_hold(m, sg->name);
		return;
	case ABUSE_TEMPFAIL:
	case ABUSE_REJECT:
		break;
	}
	/* the strongest answer wins: reject over tempfail */
	if (v->action == VERDICT_REJECT ||
	    (v->action == VERDICT_TEMPFAIL && !rej))
		return;
	verdict_set(v, rej ? VERDICT_REJECT : VERDICT_TEMPFAIL,
		    rej ? "550" : sg->caps ? "452" : "451",
		    rej ? (sg->caps ? "5.5.3" : "5.7.1")
			: (sg->caps ? "4.5.3" : "4.7.1"),
		    sg->reason, "%s", sg->text);
	ab_reply_safe(v->text);
}

/* ab_signal - raise a signal: audit record, metrics, one log line, and
 * its action on the message (v NULL: the message is decided already) */
static void
ab_signal(const struct txn *t, struct abusemsg *m, struct verdict *v,
	  const struct ab_sig *sg)
{
	const char *act = abuse_action_name(sg->action);
	char subject[LOG_SAFE_MAX];
	char id[LOG_SAFE_MAX];

	abusemsg_add_signal(m, sg->name, sg->subject, act, sg->dry_run);
	metrics_signal(sg->name, sg->dry_run ? "dry_run" : act);
	log_safe(subject, sizeof(subject), sg->subject, strlen(sg->subject));
	log_safe(id, sizeof(id), t->id, strlen(t->id));
	log_warn("%s: abuse: %s: %s: %s; action=%s%s txn=%s",
		 t->qid[0] ? t->qid : "NOQUEUE", sg->name, subject,
		 sg->detail, act, sg->dry_run ? " dry_run=yes" : "", id);
	ab_apply(m, v, sg);
}

/* ab_who - the message's account for the caps: login, sender or client */
static void
ab_who(const struct txn *t, char *out, size_t size)
{
	if (t->login[0] != '\0')
		limit_subject_key(LIMIT_KIND_LOGIN, t->login, out, size);
	else if (t->sender[0] != '\0')
		limit_subject_key(LIMIT_KIND_SENDER, t->sender, out, size);
	else if (t->client_addr[0] != '\0')
		limit_subject_key(LIMIT_KIND_IP, t->client_addr, out, size);
	else
		(void)str_copy(out, size, "unknown");
}

/* --- MAIL FROM: blocks and the login's networks -------------------------- */

/* ab_add_subject - one more subject to look for a block, once */
static void
ab_add_subject(struct abuse_call *c, const char *subject)
{
	size_t i;

	for (i = 0; i < c->nsecs; i++)
		if (c->secs[i].op == ABUSE_OP_BLOCK_GET &&
		    strcmp(c->secs[i].subject, subject) == 0)
			return;
	(void)ab_sec(c, ABUSE_OP_BLOCK_GET, subject);
}

/* ab_mail_call - a block lookup for every subject of the message (login,
 * the limits' account, sender, sender domain, client address and
 * network) and the login's network */
static void
ab_mail_call(struct abuse *ab, const struct txn *t, struct abuse_call *c)
{
	char subj[ABUSE_SUBJECT_MAX];
	char addr[INET6_ADDRSTRLEN];
	char net[INET6_ADDRSTRLEN + 8];
	const char *at = strrchr(t->sender, '@');
	bool is_ip = limit_client_net(t->client_addr, addr, sizeof(addr), net,
				      sizeof(net)) == 0;
	struct abuse_sec *s;

	if (t->login[0] != '\0') {
		limit_subject_key(LIMIT_KIND_LOGIN, t->login, subj,
				  sizeof(subj));
		ab_add_subject(c, subj);
	}
	if (ab->limits != NULL) {
		struct limit_req r;
		struct limit_call lc;
		struct limit_result *res = xmalloc(sizeof(*res));
		size_t i;

		memset(&r, 0, sizeof(r));
		r.op = LIMIT_CHECK;
		r.login = t->login;
		r.sender = t->sender;
		r.client_addr = t->client_addr;
		(void)limit_prepare(ab->limits, &r, &lc, res);
		for (i = 0; i < res->nsubjects; i++)
			ab_add_subject(c, res->subjects[i]);
		free(res);
	}
	if (t->sender[0] != '\0') {
		limit_subject_key(LIMIT_KIND_SENDER, t->sender, subj,
				  sizeof(subj));
		ab_add_subject(c, subj);
	}
	if (at != NULL && at[1] != '\0') {
		limit_subject_key(LIMIT_KIND_DOMAIN, at + 1, subj,
				  sizeof(subj));
		ab_add_subject(c, subj);
	}
	if (is_ip) {
		limit_subject_key(LIMIT_KIND_IP, addr, subj, sizeof(subj));
		ab_add_subject(c, subj);
		limit_subject_key(LIMIT_KIND_NET, net, subj, sizeof(subj));
		ab_add_subject(c, subj);
	}
	if (ab->sl_nets > 0 && t->login[0] != '\0' && is_ip) {
		limit_subject_key(LIMIT_KIND_LOGIN, t->login, subj,
				  sizeof(subj));
		s = ab_sec(c, ABUSE_OP_NETS, subj);
		(void)str_copy(s->arg, sizeof(s->arg), net);
		s->n[0] = ab->sl_window;
		s->n[1] = ab->sl_nets + 1;
	}
}

/* ab_block_sig - the signal of an active block */
static void
ab_block_sig(const struct abuse_sec *s, struct ab_sig *sg)
{
	char until[32];

	memset(sg, 0, sizeof(*sg));
	sg->name = AUDIT_SIGNAL_PENALTY_BOX;
	sg->subject = s->subject;
	sg->action = (enum abuse_action)(s->r[3] <= ABUSE_HOLD ? s->r[3]
							       : ABUSE_TEMPFAIL);
	sg->dry_run = s->r[4] != 0;
	sg->reason = "penalty-box";
	ab_utc(s->r[1], until, sizeof(until));
	(void)str_format(sg->text, sizeof(sg->text), "%s %s until %s",
			 s->subject, sg->action == ABUSE_REJECT
					     ? "is suspended" : "is blocked",
			 until);
	(void)str_format(sg->detail, sizeof(sg->detail),
			 "blocked until %s by %s: %.200s", until,
			 s->r[5] ? "the administrator" : "the penalty box",
			 s->text);
}

/* ab_mail_apply - the signals of the answers */
static void
ab_mail_apply(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	      const struct abuse_call *c, struct verdict *v)
{
	struct ab_sig sg;
	char w[16];
	size_t i;

	for (i = 0; i < c->nsecs; i++) {
		const struct abuse_sec *s = &c->secs[i];

		if (s->op == ABUSE_OP_BLOCK_GET && s->r[0]) {
			ab_block_sig(s, &sg);
			ab_signal(t, m, v, &sg);
		} else if (s->op == ABUSE_OP_NETS && s->r[0] > ab->sl_nets) {
			memset(&sg, 0, sizeof(sg));
			sg.name = AUDIT_SIGNAL_STOLEN_CREDENTIALS;
			sg.subject = s->subject;
			sg.action = ab->sl_action;
			sg.dry_run = ab->sl_dry;
			sg.reason = "stolen-credentials";
			ab_period(ab->sl_window, w, sizeof(w));
			(void)str_format(sg.text, sizeof(sg.text),
					 "login used from too many networks, "
					 "contact your administrator");
			(void)str_format(sg.detail, sizeof(sg.detail),
					 "used from more than %llu client "
					 "networks within %s (now %s)",
					 (unsigned long long)ab->sl_nets, w,
					 s->arg);
			ab_signal(t, m, v, &sg);
		}
	}
}

/* abuse_mail - MAIL FROM: blocks and the login's networks */
void
abuse_mail(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	   struct verdict *v)
{
	struct abuse_call *c;
	struct err e;

	verdict_init(v);
	if (ab == NULL)
		return;
	c = xmalloc(sizeof(*c));	/* 15 kB: not on a thread's stack */
	ab_call_init(ab, c);
	ab_mail_call(ab, t, c);
	if (c->nsecs > 0) {
		if (ab_run(ab, c, &e) < 0)
			ab_unavailable(ab, t, "MAIL", v);
		else
			ab_mail_apply(ab, t, m, c, v);
	}
	free(c);
}

/* abuse_explain_mail - what abuse_mail would find, writing nothing */
int
abuse_explain_mail(struct abuse *ab, const struct txn *t,
		   struct abuse_explain *x)
{
	struct abuse_call *c = xmalloc(sizeof(*c));
	struct err e;
	size_t i;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	ab_call_init(ab, c);
	c->peek = true;
	ab_mail_call(ab, t, c);
	if (c->nsecs > 0 && ab->store->run(ab->store, c, &e) < 0) {
		(void)str_copy(x->error, sizeof(x->error), e.text);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < c->nsecs; i++) {
		const struct abuse_sec *s = &c->secs[i];

		if (s->op == ABUSE_OP_BLOCK_GET && s->r[0] &&
		    x->blocked[0] == '\0') {
			(void)str_copy(x->blocked, sizeof(x->blocked),
				       s->subject);
			x->block.active = true;
			x->block.until_ms = s->r[1];
			x->block.set_ms = s->r[2];
			x->block.action = (enum abuse_action)s->r[3];
			x->block.dry_run = s->r[4] != 0;
			x->block.by_admin = s->r[5] != 0;
			x->block.offences = s->r[6];
			(void)str_copy(x->block.reason,
				       sizeof(x->block.reason), s->text);
		} else if (s->op == ABUSE_OP_NETS) {
			x->networks = s->r[0];
			x->stolen = s->r[0] > ab->sl_nets;
		}
	}
	free(c);
	return rc;
}

/* --- RCPT TO: the caps ---------------------------------------------------- */

/* ab_cap - a cap passed: raise its signal once a message, and apply its
 * action to every recipient over it */
static void
ab_cap(struct abuse *ab, const struct txn *t, struct abusemsg *m,
       struct verdict *v, bool domains, unsigned long count)
{
	bool *raised = domains ? &m->domain_cap_raised : &m->rcpt_cap_raised;
	char who[ABUSE_SUBJECT_MAX];
	struct ab_sig sg;

	memset(&sg, 0, sizeof(sg));
	ab_who(t, who, sizeof(who));
	sg.name = domains ? AUDIT_SIGNAL_DOMAIN_CAP : AUDIT_SIGNAL_RCPT_CAP;
	sg.subject = who;
	sg.action = ab->cap_action;
	sg.dry_run = ab->cap_dry;
	sg.caps = true;
	sg.reason = domains ? "domain-cap" : "recipient-cap";
	(void)str_format(sg.text, sizeof(sg.text), "too many %s in one "
			 "message (at most %llu)",
			 domains ? "recipient domains" : "recipients",
			 (unsigned long long)(domains ? ab->cap_domains
						      : ab->cap_rcpts));
	(void)str_format(sg.detail, sizeof(sg.detail), "%s %lu of at most "
			 "%llu in one message",
			 domains ? "recipient domain" : "recipient", count,
			 (unsigned long long)(domains ? ab->cap_domains
						      : ab->cap_rcpts));
	if (*raised) {
		ab_apply(m, v, &sg);
		return;
	}
	*raised = true;
	ab_signal(t, m, v, &sg);
}

/* abuse_rcpt - RCPT TO: would this recipient pass a cap? */
void
abuse_rcpt(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	   const char *rcpt, struct verdict *v)
{
	uint64_t a;
	uint64_t d;

	verdict_init(v);
	if (ab == NULL)
		return;
	if (ab->cap_rcpts > 0 && t->nrcpt + 1 > ab->cap_rcpts)
		ab_cap(ab, t, m, v, false, t->nrcpt + 1);
	if (ab->cap_domains > 0 && abusemsg_rcpt_split(rcpt, &a, &d) == 0 &&
	    !abusemsg_has_domain(m, d) && m->ndomains + 1 > ab->cap_domains)
		ab_cap(ab, t, m, v, true, m->ndomains + 1);
}

/* --- the limits' results: penalty box and quota warnings ----------------- */

/* ab_trip - a quota refused a subject: count it; the penalty box may
 * block the subject now */
static void
ab_trip(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	const struct limit_result *res)
{
	const struct limit_hit *h = &res->hits[res->over];
	struct abuse_call *c = xmalloc(sizeof(*c));
	struct abuse_sec *s;
	struct ab_sig sg;
	char until[32];
	char len[16];
	char win[16];
	struct err e;

	ab_call_init(ab, c);
	s = ab_sec(c, ABUSE_OP_TRIP, res->subjects[h->subject]);
	(void)str_copy(s->arg, sizeof(s->arg), t->id[0] ? t->id : "-");
	s->n[0] = ab->pb_window;
	s->n[1] = ab->pb_trips;
	s->n[2] = ab->pb_time;
	s->n[3] = ab->pb_growth;
	s->n[4] = ab->pb_max;
	s->n[5] = ab->pb_memory;
	s->n[6] = ab->pb_action;
	s->n[7] = ab->pb_dry;
	/* the message is refused by the quota already: a store that cannot
	 * answer only costs this count (ab_run logs the change) */
	if (ab_run(ab, c, &e) == 0 && s->r[1]) {
		memset(&sg, 0, sizeof(sg));
		sg.name = AUDIT_SIGNAL_PENALTY_BOX;
		sg.subject = s->subject;
		sg.action = ab->pb_action;
		sg.dry_run = ab->pb_dry;
		sg.reason = "penalty-box";
		ab_utc(s->r[2], until, sizeof(until));
		ab_period(s->r[2] - c->now_ms, len, sizeof(len));
		ab_period(ab->pb_window, win, sizeof(win));
		(void)str_format(sg.detail, sizeof(sg.detail),
				 "blocked for %s until %s: quota %s refused "
				 "%llu times within %s (block %llu within "
				 "penalty_box_memory)", len, until, h->name,
				 (unsigned long long)s->r[0], win,
				 (unsigned long long)s->r[3]);
		ab_signal(t, m, NULL, &sg);
	}
	free(c);
}

static void ab_enqueue(struct abuse *ab, struct ab_item *it);

/* ab_item_ids - the message's ids, for log lines and audit events */
static void
ab_item_ids(struct ab_item *it, const struct txn *t)
{
	(void)str_copy(it->qid, sizeof(it->qid), t->qid);
	(void)str_copy(it->txn_id, sizeof(it->txn_id), t->id);
	(void)str_copy(it->login, sizeof(it->login), t->login);
	(void)str_copy(it->sender, sizeof(it->sender), t->sender);
	(void)str_copy(it->client_addr, sizeof(it->client_addr),
		       t->client_addr);
}

/* ab_warn_queue - the percentages each limit has passed, to be checked
 * (and written once per period) in the background */
static void
ab_warn_queue(struct abuse *ab, const struct txn *t,
	      const struct limit_result *res)
{
	struct ab_item *it = NULL;
	size_t i;
	size_t j;

	for (i = 0; i < res->nhits; i++) {
		const struct limit_hit *h = &res->hits[i];

		if (h->counter == LIMIT_PER_MESSAGE || h->amount == 0 ||
		    h->period_ms == 0)
			continue;
		for (j = 0; j < ab->nwarn; j++) {
			struct ab_warn *w;

			/* used * 100 >= amount * pct, without overflow:
			 * both are below 2^40 (LIMIT_AMOUNT_MAX) */
			if (h->used * 100 < h->amount * ab->warn[j])
				break;
			if (it == NULL) {
				it = xcalloc(1, sizeof(*it));
				it->warn = true;
				it->warns = xcalloc(res->nhits * ab->nwarn,
						    sizeof(*it->warns));
			}
			w = &it->warns[it->nwarns++];
			(void)str_copy(w->subject, sizeof(w->subject),
				       res->subjects[h->subject]);
			(void)str_copy(w->name, sizeof(w->name), h->name);
			w->pct = ab->warn[j];
			w->ttl_ms = h->period_ms;
			w->used = h->used;
			w->amount = h->amount;
			w->period_ms = h->period_ms;
		}
	}
	if (it == NULL)
		return;
	it->now_ms = abuse_now(ab);
	ab_item_ids(it, t);
	ab_enqueue(ab, it);
}

/* abuse_limit - after a limit decision of the message */
void
abuse_limit(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	    const struct limit_result *res)
{
	if (ab == NULL || res == NULL)
		return;
	if (res->outcome == LIMIT_OVER && res->over >= 0 &&
	    res->hits[res->over].state == LIMIT_STATE_OVER) {
		if (ab->pb_trips > 0)
			ab_trip(ab, t, m, res);
		return;
	}
	if (res->outcome == LIMIT_OK && ab->nwarn > 0)
		ab_warn_queue(ab, t, res);
}

/* --- end of message: fan-out and spike ----------------------------------- */

/* ab_eom_call - the fan-out sets of the body and the login's rate */
static void
ab_eom_call(struct abuse *ab, const struct txn *t, const struct abusemsg *m,
	    struct abuse_call *c, char *fp, size_t fpsize, char *who,
	    size_t whosize)
{
	struct abuse_sec *s;
	char login[ABUSE_SUBJECT_MAX];

	ab_who(t, who, whosize);
	(void)str_format(fp, fpsize, "fp:%s", m->body_fp);
	if (m->body_fp[0] != '\0' && m->nrcpts > 0) {
		if (ab->fo_all > 0) {
			s = ab_sec(c, ABUSE_OP_FANOUT, fp);
			s->n[0] = ab->fo_window;
			s->n[1] = ab->fo_all + 1;
			s->items = m->rcpts;
			s->nitems = m->nrcpts;
		}
		if (ab->fo_sender > 0) {
			s = ab_sec(c, ABUSE_OP_FANOUT, fp);
			(void)str_copy(s->arg, sizeof(s->arg), who);
			s->n[0] = ab->fo_window;
			s->n[1] = ab->fo_sender + 1;
			s->items = m->rcpts;
			s->nitems = m->nrcpts;
		}
	}
	if (ab->sp_factor > 0 && t->login[0] != '\0') {
		limit_subject_key(LIMIT_KIND_LOGIN, t->login, login,
				  sizeof(login));
		s = ab_sec(c, ABUSE_OP_SPIKE, login);
		s->n[0] = ab->sp_window;
		s->n[1] = ab->sp_baseline;
	}
}

/* ab_eom_apply - the signals of the answers */
static void
ab_eom_apply(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	     const struct abuse_call *c, struct verdict *v)
{
	struct ab_sig sg;
	char w[16];
	size_t i;

	for (i = 0; i < c->nsecs; i++) {
		const struct abuse_sec *s = &c->secs[i];
		uint64_t max = s->arg[0] ? ab->fo_sender : ab->fo_all;

		memset(&sg, 0, sizeof(sg));
		if (s->op == ABUSE_OP_FANOUT && s->r[0] > max) {
			sg.name = AUDIT_SIGNAL_FANOUT;
			sg.subject = s->arg[0] ? s->arg : s->subject;
			sg.action = ab->fo_action;
			sg.dry_run = ab->fo_dry;
			sg.reason = "fanout";
			ab_period(ab->fo_window, w, sizeof(w));
			(void)str_copy(sg.text, sizeof(sg.text),
				       "the same message to too many "
				       "recipients, contact your "
				       "administrator");
			(void)str_format(sg.detail, sizeof(sg.detail),
					 "body %s to more than %llu distinct "
					 "recipients within %s%s", s->subject,
					 (unsigned long long)max, w,
					 s->arg[0] ? "" : " from all senders");
			ab_signal(t, m, v, &sg);
		} else if (s->op == ABUSE_OP_SPIKE &&
			   /* the decayed count of n messages sent a few
			    * seconds apart is a little under n: rounded */
			   s->r[0] + 500 >= ab->sp_min * 1000 &&
			   s->r[0] > ab->sp_factor * s->r[1]) {
			sg.name = AUDIT_SIGNAL_SPIKE;
			sg.subject = s->subject;
			sg.action = ab->sp_action;
			sg.dry_run = ab->sp_dry;
			sg.reason = "spike";
			ab_period(ab->sp_window, w, sizeof(w));
			(void)str_copy(sg.text, sizeof(sg.text),
				       "sending rate far above the usual for "
				       "this login");
			(void)str_format(sg.detail, sizeof(sg.detail),
					 "%llu.%03llu messages within %s, "
					 "average rate predicts %llu.%03llu "
					 "(spike_factor %llu)",
					 (unsigned long long)(s->r[0] / 1000),
					 (unsigned long long)(s->r[0] % 1000),
					 w,
					 (unsigned long long)(s->r[1] / 1000),
					 (unsigned long long)(s->r[1] % 1000),
					 (unsigned long long)ab->sp_factor);
			ab_signal(t, m, v, &sg);
		}
	}
}

/* abuse_eom - end of message: fan-out, spike, and a hold asked for */
void
abuse_eom(struct abuse *ab, const struct txn *t, struct abusemsg *m,
	  struct verdict *v)
{
	char fp[ABUSE_SUBJECT_MAX];
	char who[ABUSE_SUBJECT_MAX];
	struct abuse_call *c;
	struct err e;

	verdict_init(v);
	if (ab == NULL)
		return;
	c = xmalloc(sizeof(*c));
	ab_call_init(ab, c);
	ab_eom_call(ab, t, m, c, fp, sizeof(fp), who, sizeof(who));
	if (c->nsecs > 0) {
		if (ab_run(ab, c, &e) < 0)
			ab_unavailable(ab, t, "END-OF-MESSAGE", v);
		else
			ab_eom_apply(ab, t, m, c, v);
	}
	free(c);
	if (v->action == VERDICT_CONTINUE && m->hold)
		verdict_set(v, VERDICT_HOLD, "", "", "hold",
			    "held for review: %s", m->hold_why);
}

/* --- reputation ---------------------------------------------------------- */

/* ab_owner_refused - was the message refused for the sender it used? */
static bool
ab_owner_refused(const struct verdict *v)
{
	return strcmp(v->reason, "sender-not-owned") == 0 ||
	       strcmp(v->reason, "sender-unreadable") == 0 ||
	       strcmp(v->reason, "own-domain-spoof") == 0;
}

/* abuse_note - a final decision, for the reputation of the login, the
 * sender domain and the client address (in the background) */
void
abuse_note(struct abuse *ab, const struct txn *t, const struct abusemsg *m,
	   const struct verdict *v)
{
	char addr[INET6_ADDRSTRLEN];
	char net[INET6_ADDRSTRLEN + 8];
	const char *at = strrchr(t->sender, '@');
	struct ab_item *it;

	if (ab == NULL || !ab->reputation)
		return;
	it = xcalloc(1, sizeof(*it));
	if (t->login[0] != '\0')
		limit_subject_key(LIMIT_KIND_LOGIN, t->login,
				  it->subj[it->nsubj++], ABUSE_SUBJECT_MAX);
	if (at != NULL && at[1] != '\0')
		limit_subject_key(LIMIT_KIND_DOMAIN, at + 1,
				  it->subj[it->nsubj++], ABUSE_SUBJECT_MAX);
	if (limit_client_net(t->client_addr, addr, sizeof(addr), net,
			     sizeof(net)) == 0) {
		limit_subject_key(LIMIT_KIND_IP, addr, it->subj[it->nsubj++],
				  ABUSE_SUBJECT_MAX);
		it->net = abusemsg_hash(net, strlen(net));
	}
	if (it->nsubj == 0) {
		free(it);
		return;
	}
	it->now_ms = abuse_now(ab);
	it->outcome = v->action == VERDICT_TEMPFAIL ? 1
		      : v->action == VERDICT_REJECT ||
				v->action == VERDICT_DISCARD ? 2 : 0;
	it->spf_failed = strcmp(t->spf_result, "fail") == 0;
	it->owner_refused = ab_owner_refused(v);
	if (m != NULL && m->ndomains > 0) {
		it->domains = xcalloc(m->ndomains, sizeof(*it->domains));
		memcpy(it->domains, m->domains,
		       m->ndomains * sizeof(*it->domains));
		it->ndomains = m->ndomains;
	}
	ab_item_ids(it, t);
	ab_enqueue(ab, it);
}

/* --- the writer ---------------------------------------------------------- */

/* ab_item_free - release an update */
static void
ab_item_free(struct ab_item *it)
{
	if (it == NULL)
		return;
	free(it->domains);
	free(it->warns);
	free(it);
}

/* ab_note_call - the sections of a reputation note */
static void
ab_note_call(const struct abuse *ab, const struct ab_item *it,
	     struct abuse_call *c)
{
	struct abuse_sec *s;
	size_t i;

	for (i = 0; i < it->nsubj; i++) {
		s = ab_sec(c, ABUSE_OP_NOTE, it->subj[i]);
		s->n[0] = it->outcome;
		s->n[1] = it->spf_failed;
		s->n[2] = it->owner_refused;
		s->n[3] = ab->rep_ttl;
		s->n[4] = it->net;
		/* the domains count for the login only: an IP address or a
		 * sender domain sends for many */
		if (i == 0 && it->subj[0][0] == 'l') {
			s->items = it->domains;
			s->nitems = it->ndomains;
		}
		s = ab_sec(c, ABUSE_OP_TOP, "top");
		(void)str_copy(s->arg, sizeof(s->arg), it->subj[i]);
		s->n[0] = it->outcome != 0;
	}
}

/* ab_warn_event - one quota warning: log line and audit event */
static void
ab_warn_event(const struct ab_item *it, const struct ab_warn *w)
{
	char subject[LOG_SAFE_MAX];
	char id[LOG_SAFE_MAX];
	char per[16];
	struct audit_rec *r;

	log_safe(subject, sizeof(subject), w->subject, strlen(w->subject));
	log_safe(id, sizeof(id), it->txn_id, strlen(it->txn_id));
	limit_period_text(w->period_ms, per, sizeof(per));
	log_info("%s: quota warning: %s %s at %u%%: %llu of %llu per %s; "
		 "txn=%s", it->qid[0] ? it->qid : "NOQUEUE", subject, w->name,
		 w->pct, (unsigned long long)w->used,
		 (unsigned long long)w->amount, per, id);
	if (!audit_enabled())
		return;
	r = xmalloc(sizeof(*r));
	audit_rec_init(r);
	(void)str_copy(r->event, sizeof(r->event), "quota_warning");
	(void)str_copy(r->stage, sizeof(r->stage), "limit");
	(void)str_copy(r->queue_id, sizeof(r->queue_id), it->qid);
	(void)str_copy(r->txn_id, sizeof(r->txn_id), it->txn_id);
	(void)str_copy(r->login, sizeof(r->login), it->login);
	(void)str_copy(r->sender, sizeof(r->sender), it->sender);
	(void)str_copy(r->client_addr, sizeof(r->client_addr),
		       it->client_addr);
	(void)audit_rec_add_limit(r, w->name, w->subject,
				  (unsigned long)w->used,
				  (unsigned long)w->amount,
				  w->used >= w->amount);
	(void)str_format(r->reason, sizeof(r->reason), "quota %u%%", w->pct);
	audit_submit(r);
	free(r);
}

/* ab_writer_state - the writer's store works or fails; said on change */
static void
ab_writer_state(struct abuse *ab, bool ok, const char *why)
{
	unsigned long lost;

	pthread_mutex_lock(&ab->lock);
	if (ok == !ab->failing) {
		pthread_mutex_unlock(&ab->lock);
		return;
	}
	ab->failing = !ok;
	lost = ab->dropped;
	if (ok)
		ab->dropped = 0;
	pthread_mutex_unlock(&ab->lock);
	if (ok)
		log_info("abuse: reputation and quota-warning updates written "
			 "again; %lu were dropped meanwhile", lost);
	else
		log_warn("abuse: reputation and quota-warning updates "
			 "failing: %s; dropping them until the store answers "
			 "again (mail is not affected)", why);
}

/* ab_process - write one update */
static void
ab_process(struct abuse *ab, struct ab_item *it)
{
	struct abuse_call *c = xmalloc(sizeof(*c));
	size_t done = 0;
	struct err e;
	size_t i;

	while (done < (it->warn ? it->nwarns : 1)) {
		size_t first = done;

		c->now_ms = it->now_ms;
		c->peek = false;
		c->nsecs = 0;
		if (!it->warn) {
			ab_note_call(ab, it, c);
			done = 1;
		}
		while (it->warn && done < it->nwarns &&
		       c->nsecs < ABUSE_SECS_MAX) {
			const struct ab_warn *w = &it->warns[done++];
			struct abuse_sec *s = ab_sec(c, ABUSE_OP_WARN,
						     w->subject);

			(void)str_format(s->arg, sizeof(s->arg), "%s:%u",
					 w->name, w->pct);
			s->n[0] = w->ttl_ms;
		}
		if (ab->store->run(ab->store, c, &e) < 0) {
			ab_writer_state(ab, false, e.text);
			pthread_mutex_lock(&ab->lock);
			ab->dropped++;
			ab->stats.dropped++;
			pthread_mutex_unlock(&ab->lock);
			break;
		}
		ab_writer_state(ab, true, NULL);
		pthread_mutex_lock(&ab->lock);
		ab->stats.notes += !it->warn;
		for (i = 0; it->warn && i < c->nsecs; i++)
			ab->stats.warnings += c->secs[i].r[0] == 1;
		pthread_mutex_unlock(&ab->lock);
		for (i = 0; it->warn && i < c->nsecs; i++)
			if (c->secs[i].r[0] == 1)
				ab_warn_event(it, &it->warns[first + i]);
	}
	free(c);
}

/* ab_handle - workq_handle_fn: write the updates, on the writer thread */
static void
ab_handle(void *arg, void **items, size_t n)
{
	struct abuse *ab = arg;
	size_t i;

	for (i = 0; i < n; i++) {
		ab_process(ab, items[i]);
		ab_item_free(items[i]);
	}
}

/* ab_drop - workq_drop_fn: an update that will not be written */
static void
ab_drop(void *arg, void *item)
{
	struct abuse *ab = arg;

	pthread_mutex_lock(&ab->lock);
	ab->dropped++;
	ab->stats.dropped++;
	pthread_mutex_unlock(&ab->lock);
	ab_item_free(item);
}

/* ab_enqueue - hand an update to the writer; never waits for it */
static void
ab_enqueue(struct abuse *ab, struct ab_item *it)
{
	const char *why = NULL;
	struct workq *q;
	bool said = false;

	if (ab->sync) {
		ab_process(ab, it);
		ab_item_free(it);
		return;
	}
	pthread_mutex_lock(&ab->lock);
	if (ab->wq == NULL && !ab->no_writer) {
		ab->wq = workq_new(ab->qcap, 1, ab_handle, ab_drop, ab, &why);
		ab->no_writer = ab->wq == NULL;
	}
	q = ab->wq;
	pthread_mutex_unlock(&ab->lock);
	if (why != NULL)
		log_warn("abuse: cannot start the update writer: %s", why);
	if (q == NULL || !workq_put(q, it)) {
		pthread_mutex_lock(&ab->lock);
		ab->dropped++;
		ab->stats.dropped++;
		said = ab->full;
		ab->full = true;
		pthread_mutex_unlock(&ab->lock);
		ab_item_free(it);
		if (!said)
			log_warn("abuse: update queue full (abuse_queue_size "
				 "%zu) or no writer; dropping reputation and "
				 "quota-warning updates until it drains (mail "
				 "is not affected)", ab->qcap);
		return;
	}
	pthread_mutex_lock(&ab->lock);
	if (ab->full && workq_len(q) < ab->qcap / 2) {
		ab->full = false;
		said = true;
	}
	pthread_mutex_unlock(&ab->lock);
	if (said)
		log_info("abuse: update queue accepting again");
}

/* abuse_flush - wait until the queued updates are written; -1 on
 * timeout */
int
abuse_flush(struct abuse *ab, unsigned long timeout_ms)
{
	struct workq *q;

	if (ab == NULL || ab->sync)
		return 0;
	pthread_mutex_lock(&ab->lock);
	q = ab->wq;
	pthread_mutex_unlock(&ab->lock);
	return q != NULL ? workq_flush(q, timeout_ms) : 0;
}

/* abuse_get_stats - the writer's counters */
void
abuse_get_stats(struct abuse *ab, struct abuse_stats *st)
{
	pthread_mutex_lock(&ab->lock);
	*st = ab->stats;
	pthread_mutex_unlock(&ab->lock);
}

/* abuse_free - stop the writer (it gets AB_STOP_MS to finish what is
 * queued; the rest is dropped) and release everything; NULL is fine */
void
abuse_free(struct abuse *ab)
{
	if (ab == NULL)
		return;
	(void)workq_free(ab->wq, AB_STOP_MS);
	if (ab->store != NULL)
		ab->store->free(ab->store);
	if (ab->fallback != NULL)
		ab->fallback->free(ab->fallback);
	store_close(ab->st);
	pthread_mutex_destroy(&ab->lock);
	free(ab);
}

/* --- admin operations ---------------------------------------------------- */

/* abuse_subject_parse - "kind:value" checked and normalised (see abuse.h) */
int
abuse_subject_parse(const char *text, char *key, size_t size, struct err *e)
{
	const char *colon = strchr(text, ':');
	char kind_name[16];
	char value[ABUSE_SUBJECT_MAX];
	char addr[INET6_ADDRSTRLEN];
	char net[INET6_ADDRSTRLEN + 8];
	enum limit_kind kind;

	if (colon == NULL || colon == text ||
	    (size_t)(colon - text) >= sizeof(kind_name) || colon[1] == '\0' ||
	    str_copyn(kind_name, sizeof(kind_name), text,
		      (size_t)(colon - text)) < 0 ||
	    limit_kind_parse(kind_name, &kind) < 0) {
		err_set(e, "\"%.80s\" is not a subject (examples: "
			"login:alice@example.com, sender:a@example.com, "
			"domain:example.com, customer:acme, ip:192.0.2.7, "
			"net:192.0.2.0/24)", text);
		return -1;
	}
	if (str_copy(value, sizeof(value), colon + 1) < 0) {
		err_set(e, "subject too long");
		return -1;
	}
	if (kind == LIMIT_KIND_IP || kind == LIMIT_KIND_NET) {
		if (kind == LIMIT_KIND_NET && strchr(value, '/') != NULL)
			*strchr(value, '/') = '\0';
		if (limit_client_net(value, addr, sizeof(addr), net,
				     sizeof(net)) < 0) {
			err_set(e, "\"%.80s\" is not an IP address", value);
			return -1;
		}
		(void)str_copy(value, sizeof(value),
			       kind == LIMIT_KIND_IP ? addr : net);
	}
	limit_subject_key(kind, value, key, size);
	return 0;
}

/* ab_admin - one section run on the store itself (no fallback: an admin
 * wants to know that Redis did not answer) */
static int
ab_admin(struct abuse *ab, struct abuse_call *c, struct err *e)
{
	return ab->store->run(ab->store, c, e);
}

/* abuse_block_get - the block record of a subject */
int
abuse_block_get(struct abuse *ab, const char *subject,
		struct abuse_block *out, struct err *e)
{
	struct abuse_call *c = xmalloc(sizeof(*c));
	struct abuse_sec *s;
	int rc;

	memset(out, 0, sizeof(*out));
	ab_call_init(ab, c);
	s = ab_sec(c, ABUSE_OP_BLOCK_GET, subject);
	rc = ab_admin(ab, c, e);
	if (rc == 0) {
		out->active = s->r[0] != 0;
		out->until_ms = s->r[1];
		out->set_ms = s->r[2];
		out->action = s->r[3] <= ABUSE_HOLD ? (enum abuse_action)s->r[3]
						    : ABUSE_TEMPFAIL;
		out->dry_run = s->r[4] != 0;
		out->by_admin = s->r[5] != 0;
		out->offences = s->r[6];
		out->trips = s->r[7];
		(void)str_copy(out->reason, sizeof(out->reason), s->text);
	}
	free(c);
	return rc;
}

/* abuse_block_set - an administrator's block */
int
abuse_block_set(struct abuse *ab, const char *subject, uint64_t until_ms,
		enum abuse_action action, const char *reason, struct err *e)
{
	struct abuse_call *c = xmalloc(sizeof(*c));
	struct abuse_sec *s;
	int rc;

	ab_call_init(ab, c);
	s = ab_sec(c, ABUSE_OP_BLOCK_SET, subject);
	s->n[0] = until_ms != 0 ? until_ms : c->now_ms + ab->pb_max;
	s->n[1] = action;
	s->n[2] = 0;
	s->n[3] = 1;
	if (str_copy(s->arg, sizeof(s->arg), reason) < 0 ||
	    strlen(reason) >= ABUSE_REASON_MAX) {
		err_set(e, "reason longer than %d bytes", ABUSE_REASON_MAX - 1);
		free(c);
		return -1;
	}
	if (s->n[0] <= c->now_ms) {
		err_setc(e, ERR_USAGE, "the block would end before it starts");
		free(c);
		return -1;
	}
	rc = ab_admin(ab, c, e);
	free(c);
	return rc;
}

/* abuse_block_clear - lift a block (see abuse.h) */
int
abuse_block_clear(struct abuse *ab, const char *subject, bool forget,
		  bool *was_blocked, struct err *e)
{
	struct abuse_call *c = xmalloc(sizeof(*c));
	struct abuse_sec *s;
	int rc;

	ab_call_init(ab, c);
	s = ab_sec(c, ABUSE_OP_BLOCK_CLEAR, subject);
	s->n[0] = forget;
	rc = ab_admin(ab, c, e);
	if (was_blocked != NULL)
		*was_blocked = rc == 0 && s->r[0] != 0;
	free(c);
	return rc;
}

/* abuse_reputation_get - what is known of a subject */
int
abuse_reputation_get(struct abuse *ab, const char *subject,
		     struct abuse_reputation *out, struct err *e)
{
	struct abuse_call *c = xmalloc(sizeof(*c));
	struct abuse_sec *s;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	ab_call_init(ab, c);
	s = ab_sec(c, ABUSE_OP_REP_GET, subject);
	rc = ab_admin(ab, c, e);
	if (rc == 0) {
		out->known = s->r[0] != 0;
		out->first_ms = s->r[1];
		out->last_ms = s->r[2];
		out->networks = s->r[3];
		out->domains = s->r[4];
		for (i = 0; i < 5; i++) {
			out->hour[i] = s->r[5 + i];
			out->day[i] = s->r[10 + i];
		}
	}
	free(c);
	return rc;
}

/* abuse_top - the busiest or most refused subjects of a window */
int
abuse_top(struct abuse *ab, enum abuse_top_by by, uint64_t window_ms,
	  size_t max, struct abuse_top_row *rows, size_t *n, struct err *e)
{
	return ab->store->top(ab->store, abuse_now(ab), by, window_ms, max,
			      rows, n, e);
}

/* abuse_probe - can the store answer now? */
int
abuse_probe(struct abuse *ab, struct err *e)
{
	return store_probe(ab->st, e);
}
