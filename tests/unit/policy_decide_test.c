/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_decide_test - from policy requests to engine calls, and from
 * verdicts to "action=" values and log lines.
 *
 * The engine's three decision stages are replaced by a script defined in
 * this file (the linker takes these definitions and leaves core's
 * engine.o out): each row says what engine_mail, engine_rcpt and
 * engine_eom answer, sends a sequence of requests through the real
 * request reader, and checks the actions, how often each stage ran, and
 * what the engine was shown.
 */
#include "policy_decide.h"

#include <string.h>

#include "engine.h"
#include "rg_test.h"
#include "str.h"

/* --- the scripted engine ------------------------------------------------- */

struct script {
	struct verdict mail;
	struct verdict rcpt;
	struct verdict eom;
	int n_mail;
	int n_rcpt;
	int n_eom;
	struct txn seen;		/* the txn at the last call */
	unsigned n_record;		/* engine_record calls */
	char rcpt_seen[512];
};

static struct script sc;

/* engine_mail - scripted */
void
engine_mail(const struct generation *cfg, struct txn *t, struct verdict *v)
{
	(void)cfg;
	sc.n_mail++;
	sc.seen = *t;
	*v = sc.mail;
}

/* engine_rcpt - scripted */
void
engine_rcpt(const struct generation *cfg, struct txn *t, const char *rcpt,
	    struct verdict *v)
{
	(void)cfg;
	sc.n_rcpt++;
	sc.seen = *t;
	(void)str_copy(sc.rcpt_seen, sizeof(sc.rcpt_seen), rcpt);
	*v = sc.rcpt;
}

/* engine_eom - scripted */
void
engine_eom(const struct generation *cfg, struct txn *t, struct verdict *v)
{
	(void)cfg;
	sc.n_eom++;
	sc.seen = *t;
	*v = sc.eom;
}

/* engine_record - counted: a final decision is recorded once */
void
engine_record(const struct generation *cfg, const struct txn *t,
	      const char *stage, const struct verdict *v,
	      const struct keytable_req *sigs, size_t nsigs)
{
	(void)cfg;
	(void)t;
	(void)stage;
	(void)v;
	(void)sigs;
	(void)nsigs;
	sc.n_record++;
}

/* --- requests ------------------------------------------------------------ */

#define RQ(state, inst)                                                        \
	"request=smtpd_access_policy\nprotocol_state=" state "\n"              \
	"protocol_name=ESMTP\nclient_address=192.0.2.7\n"                      \
	"client_name=mx.example.net\nhelo_name=mx.example.net\n"               \
	"sender=ann@example.com\nsasl_username=ann\ninstance=" inst "\n"
#define RCPT(inst, to) RQ("RCPT", inst) "recipient=" to "\n\n"
#define EOM(inst, qid, n, size)                                                \
	RQ("END-OF-MESSAGE", inst) "queue_id=" qid "\nrecipient_count=" n       \
				   "\nsize=" size "\n\n"
#define DATA(inst, n) RQ("DATA", inst) "recipient_count=" n "\n\n"

enum opt {
	OPT_DEFER_IF_PERMIT = 1,
	OPT_PREPEND = 2,
};

struct vspec {
	enum verdict_action action;
	const char *code;
	const char *xcode;
	const char *reason;
	const char *text;
	const char *hdr_name;	/* one header, or NULL */
	const char *hdr_value;
};

struct row {
	const char *name;
	unsigned opts;
	struct vspec mail, rcpt, eom;
	const char *requests;		/* one or more, back to back */
	const char *want;		/* actions, each followed by '|' */
	int want_mail, want_rcpt, want_eom;
};

#define CONT {VERDICT_CONTINUE, NULL, NULL, NULL, NULL, NULL, NULL}
#define TEMP(code, x, text)                                                    \
	{VERDICT_TEMPFAIL, code, x, "quota", text, NULL, NULL}
#define REJ(code, x, text)                                                     \
	{VERDICT_REJECT, code, x, "sender-not-owned", text, NULL, NULL}
#define AR(v)                                                                  \
	{VERDICT_CONTINUE, NULL, NULL, NULL, NULL, "Authentication-Results", v}

static const struct row rows[] = {
	{"rcpt_continue_is_dunno", 0, CONT, CONT, CONT, RCPT("i1", "b@x"),
	 "DUNNO|", 1, 1, 0},
	{"rcpt_tempfail_is_451_with_its_text", 0, CONT,
	 TEMP("451", "4.7.1", "hourly quota reached"), CONT,
	 RCPT("i1", "b@x"), "451 4.7.1 hourly quota reached|", 1, 1, 0},
	{"tempfail_as_defer_if_permit_when_configured", OPT_DEFER_IF_PERMIT,
	 CONT, TEMP("451", "4.7.1", "hourly quota reached"), CONT,
	 RCPT("i1", "b@x"), "DEFER_IF_PERMIT hourly quota reached|", 1, 1,
	 0},
	{"reject_keeps_its_own_553", 0,
	 REJ("553", "5.7.1", "sender not owned by ann"), CONT, CONT,
	 RCPT("i1", "b@x"), "553 5.7.1 sender not owned by ann|", 1, 0, 0},
	{"reject_is_550_by_default", 0, CONT, REJ("550", "5.7.1", "no"),
	 CONT, RCPT("i1", "b@x"), "550 5.7.1 no|", 1, 1, 0},
	{"tempfail_never_becomes_5xx", 0, CONT,
	 TEMP("550", "5.7.1", "store down"), CONT, RCPT("i1", "b@x"),
	 "451 4.7.1 store down|", 1, 1, 0},
	{"tempfail_with_bad_xcode_gets_4_7_1", 0, CONT,
	 TEMP("452", "5.2.2", "full"), CONT, RCPT("i1", "b@x"),
	 "451 4.7.1 full|", 1, 1, 0},
	{"tempfail_keeps_its_own_4_codes", 0, CONT,
	 TEMP("452", "4.5.3", "too many recipients"), CONT,
	 RCPT("i1", "b@x"), "452 4.5.3 too many recipients|", 1, 1, 0},
	{"reject_never_becomes_4xx", 0, CONT, REJ("451", "4.7.1", "x"), CONT,
	 RCPT("i1", "b@x"), "550 5.7.1 x|", 1, 1, 0},
	{"empty_text_gets_a_default", 0, CONT, TEMP("451", "4.7.1", ""), CONT,
	 RCPT("i1", "b@x"), "451 4.7.1 try again later|", 1, 1, 0},
	{"text_is_one_printable_line", 0, CONT,
	 REJ("550", "5.7.1", "bad\r\naction=OK\n\xc3\xa9"), CONT,
	 RCPT("i1", "b@x"), "550 5.7.1 bad  action=OK ??|", 1, 1, 0},
	/* a '%' never reaches the MTA (quota subjects carry %XX escapes,
	 * SPF explanations and local parts may hold one) */
	{"text_has_no_percent", 0, CONT,
	 TEMP("451", "4.7.1", "hour quota exceeded for sender:a%40b.example, "
	      "100% used"), CONT, RCPT("i1", "b@x"),
	 "451 4.7.1 hour quota exceeded for sender:a?40b.example, 100? used|",
	 1, 1, 0},
	{"blank_text_gets_a_default", 0, CONT,
	 REJ("550", "5.7.1", "     "), CONT, RCPT("i1", "b@x"),
	 "550 5.7.1 rejected by policy|", 1, 1, 0},
	{"accept_is_dunno_never_ok", 0,
	 {VERDICT_ACCEPT, NULL, NULL, NULL, NULL, NULL, NULL}, CONT, CONT,
	 RCPT("i1", "b@x"), "DUNNO|", 1, 1, 0},
	{"rcpt_accept_is_dunno_never_ok", 0, CONT,
	 {VERDICT_ACCEPT, NULL, NULL, NULL, NULL, NULL, NULL}, CONT,
	 RCPT("i1", "b@x"), "DUNNO|", 1, 1, 0},
	{"hold_and_discard_actions", 0, CONT,
	 {VERDICT_HOLD, NULL, NULL, "abuse", "held for review", NULL, NULL},
	 {VERDICT_DISCARD, NULL, NULL, "abuse", "", NULL, NULL},
	 RCPT("i1", "b@x") EOM("i1", "4A7B11C0E2", "1", "100"),
	 "HOLD held for review|DISCARD|", 1, 1, 1},
	{"mail_stage_runs_once_per_message", 0, CONT, CONT, CONT,
	 RCPT("i1", "b@x") RCPT("i1", "c@x") RCPT("i1", "d@x"),
	 "DUNNO|DUNNO|DUNNO|", 1, 3, 0},
	{"mail_verdict_answers_every_recipient", 0,
	 REJ("553", "5.7.1", "forged sender"), CONT, CONT,
	 RCPT("i1", "b@x") RCPT("i1", "c@x"),
	 "553 5.7.1 forged sender|553 5.7.1 forged sender|", 1, 0, 0},
	{"new_instance_is_a_new_message", 0, CONT, CONT, CONT,
	 RCPT("i1", "b@x") RCPT("i2", "b@x") RCPT("i1", "b@x"),
	 "DUNNO|DUNNO|DUNNO|", 3, 3, 0},
	{"no_instance_every_request_is_a_message", 0, CONT, CONT, CONT,
	 RCPT("", "b@x") RCPT("", "b@x"), "DUNNO|DUNNO|", 2, 2, 0},
	{"eom_counts_once_at_data_or_eom", 0, CONT, CONT,
	 TEMP("451", "4.7.1", "daily quota reached"),
	 RCPT("i1", "b@x") DATA("i1", "1") EOM("i1", "4A7B11C0E2", "1", "9"),
	 "DUNNO|451 4.7.1 daily quota reached|DUNNO|", 1, 1, 1},
	{"eom_alone_runs_mail_stage_too", 0,
	 REJ("553", "5.7.1", "forged sender"), CONT, CONT,
	 EOM("i1", "4A7B11C0E2", "1", "9"), "553 5.7.1 forged sender|", 1, 0,
	 0},
	{"other_states_ask_nothing", 0, REJ("550", "5.7.1", "x"), CONT, CONT,
	 RQ("CONNECT", "i1") "\n" RQ("HELO", "i1") "\n" RQ("VRFY", "i1") "\n"
	 RQ("ETRN", "i1") "\n"
	 "request=smtpd_access_policy\ninstance=i1\n\n",
	 "DUNNO|DUNNO|DUNNO|DUNNO|DUNNO|", 0, 0, 0},
	{"mail_state_runs_mail_stage", 0, REJ("553", "5.7.1", "forged"), CONT,
	 CONT, RQ("MAIL", "i1") "\n" RCPT("i1", "b@x"),
	 "553 5.7.1 forged|553 5.7.1 forged|", 1, 0, 0},
	{"prepend_off_by_default", 0, AR("relay.test; spf=pass"), CONT, CONT,
	 RCPT("i1", "b@x"), "DUNNO|", 1, 1, 0},
	{"prepend_once_per_message", OPT_PREPEND, AR("relay.test; spf=pass"),
	 CONT, CONT, RCPT("i1", "b@x") RCPT("i1", "c@x") RCPT("i2", "b@x"),
	 "PREPEND Authentication-Results: relay.test; spf=pass|DUNNO|"
	 "PREPEND Authentication-Results: relay.test; spf=pass|",
	 2, 3, 0},
	{"prepend_never_at_end_of_message", OPT_PREPEND,
	 AR("relay.test; spf=pass"), CONT, CONT,
	 EOM("i1", "4A7B11C0E2", "1", "9"), "DUNNO|", 1, 0, 1},
	{"prepend_waits_behind_a_tempfail", OPT_PREPEND,
	 AR("relay.test; spf=pass"), TEMP("451", "4.7.1", "later"), CONT,
	 RCPT("i1", "b@x"), "451 4.7.1 later|", 1, 1, 0},
	{"prepend_value_made_one_line", OPT_PREPEND, AR("a\r\n\tb"), CONT,
	 CONT, RCPT("i1", "b@x"), "PREPEND Authentication-Results: a???b|",
	 1, 1, 0},
};

/* vset - a verdict from its spec */
static void
vset(struct verdict *v, const struct vspec *s)
{
	verdict_init(v);
	if (s->action != VERDICT_CONTINUE)
		verdict_set(v, s->action, s->code, s->xcode, s->reason, "%s",
			    s->text);
	if (s->hdr_name != NULL)
		assert_int_equal(verdict_add_header(v, s->hdr_name,
						    s->hdr_value), 0);
}

/* cfg_make - defaults with the row's options */
static void
cfg_make(struct generation *cfg, unsigned opts)
{
	memset(cfg, 0, sizeof(*cfg));
	atomic_init(&cfg->refs, 1);
	cfg->conf = conf_defaults();
	cfg->conf->policy_defer_if_permit = (opts & OPT_DEFER_IF_PERMIT) != 0;
	cfg->conf->policy_prepend_headers = (opts & OPT_PREPEND) != 0;
}

/* run - every request of text through one connection's state; the
 * actions joined with '|' into out */
static void
run(const struct generation *cfg, struct policy_decide_state *st,
    const char *text, char *out, size_t size, struct policy_decision *last)
{
	struct policy_req_reader r;
	struct policy_req_limits lim = {4096, 128, 32768};
	struct policy_req req;
	struct err e;
	size_t o = 0;
	int rc;

	policy_req_reader_init(&r, &lim);
	assert_int_equal(policy_req_feed(&r, text, strlen(text)),
			 strlen(text));
	out[0] = '\0';
	while ((rc = policy_req_next(&r, &req, &e)) == 1) {
		policy_decide(cfg, st, &req, last);
		assert_int_equal(str_format(out + o, size - o, "%s|",
					    last->action),
				 0);
		o += strlen(out + o);
	}
	if (rc < 0)
		fail_msg("request: %s", e.text);
	assert_int_equal(policy_req_buffered(&r), 0);
	policy_req_reader_free(&r);
}

/* test_row - one scripted conversation */
static void
test_row(void **state)
{
	const struct row *row = *state;
	struct policy_decide_state st;
	struct policy_decision d;
	struct generation cfg;
	char out[4096];

	memset(&sc, 0, sizeof(sc));
	vset(&sc.mail, &row->mail);
	vset(&sc.rcpt, &row->rcpt);
	vset(&sc.eom, &row->eom);
	cfg_make(&cfg, row->opts);
	policy_decide_state_init(&st);
	run(&cfg, &st, row->requests, out, sizeof(out), &d);
	assert_string_equal(out, row->want);
	assert_int_equal(sc.n_mail, row->want_mail);
	assert_int_equal(sc.n_rcpt, row->want_rcpt);
	assert_int_equal(sc.n_eom, row->want_eom);
	conf_free(cfg.conf);
}

/* --- what the engine sees ----------------------------------------------- */

struct txn_row {
	const char *name;
	const char *request;
	const char *want;	/* rendered txn, see render_txn */
};

static const struct txn_row txn_rows[] = {
	{"txn_from_rcpt_request", RCPT("i1", "bo@example.org"),
	 "via=policy addr=192.0.2.7 name=mx.example.net helo=mx.example.net "
	 "id=i1 qid= login=ann sender=ann@example.com nrcpt=0 size=0 "
	 "rcpt=bo@example.org"},
	{"txn_from_eom_request", EOM("i9", "4A7B11C0E2", "3", "40960"),
	 "via=policy addr=192.0.2.7 name=mx.example.net helo=mx.example.net "
	 "id=i9 qid=4A7B11C0E2 login=ann sender=ann@example.com nrcpt=3 "
	 "size=40960 rcpt="},
	{"txn_ipv6_client",
	 "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	 "client_address=2001:db8::7\nclient_name=unknown\nrecipient=b@x\n\n",
	 "via=policy addr=2001:db8::7 name=unknown helo= id= qid= login= "
	 "sender= nrcpt=0 size=0 rcpt=b@x"},
	{"txn_null_sender_and_no_login",
	 "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=\n"
	 "sasl_username=\nclient_address=192.0.2.1\nrecipient=b@x\n\n",
	 "via=policy addr=192.0.2.1 name=unknown helo= id= qid= login= "
	 "sender= nrcpt=0 size=0 rcpt=b@x"},
	{"txn_bad_address_and_numbers_left_out",
	 "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
	 "client_address=192.0.2.300\nclient_name=\nsize=-5\n"
	 "recipient_count=1x\n\n",
	 "via=policy addr= name=unknown helo= id= qid= login= sender= "
	 "nrcpt=0 size=0 rcpt="},
	{"txn_too_long_values",
	 "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	 "sender=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "@x\n"
	 "sasl_username=" "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
	 "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
	 "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
	 "llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
	 "\nrecipient=b@x\n\n",
	 "via=policy addr= name=unknown helo= id= qid= login= "
	 "sender=(too long) nrcpt=0 size=0 rcpt=b@x"},
};

/* render_txn - the fields a front end fills, as one line */
static void
render_txn(char *buf, size_t size)
{
	const struct txn *t = &sc.seen;

	assert_int_equal(
		str_format(buf, size,
			   "via=%s addr=%s name=%s helo=%s id=%s qid=%s "
			   "login=%s sender=%s nrcpt=%lu size=%lu rcpt=%s",
			   t->via == TXN_VIA_POLICY ? "policy" : "milter",
			   t->client_addr, t->client_name, t->helo, t->id,
			   t->qid, t->login, t->sender, t->nrcpt, t->size,
			   sc.rcpt_seen),
		0);
}

/* test_txn_row - the txn the engine is given */
static void
test_txn_row(void **state)
{
	const struct txn_row *row = *state;
	struct policy_decide_state st;
	struct policy_decision d;
	struct generation cfg;
	char out[1024];
	char got[2048];

	memset(&sc, 0, sizeof(sc));
	verdict_init(&sc.mail);
	verdict_init(&sc.rcpt);
	verdict_init(&sc.eom);
	cfg_make(&cfg, 0);
	policy_decide_state_init(&st);
	run(&cfg, &st, row->request, out, sizeof(out), &d);
	render_txn(got, sizeof(got));
	assert_string_equal(got, row->want);
	conf_free(cfg.conf);
}

/* --- log lines ----------------------------------------------------------- */

struct log_row {
	const char *name;
	struct vspec rcpt, eom;
	const char *request;
	const char *want;	/* the log line; "" when not logged */
};

static const struct log_row log_rows[] = {
	{"log_tempfail_at_rcpt", TEMP("451", "4.7.1", "hourly quota reached"),
	 CONT, RCPT("2b44.6747a3c1.c7e4f.0", "bo@example.org"),
	 "NOQUEUE: tempfail: RCPT from mx.example.net[192.0.2.7]: 451 4.7.1 "
	 "hourly quota reached; from=<ann@example.com> to=<bo@example.org> "
	 "proto=ESMTP helo=<mx.example.net> sasl_username=ann "
	 "instance=2b44.6747a3c1.c7e4f.0 reason=quota"},
	{"log_reject_at_eom_has_queue_id", CONT,
	 REJ("550", "5.7.1", "daily quota"),
	 EOM("i7", "4A7B11C0E2", "2", "100"),
	 "4A7B11C0E2: reject: END-OF-MESSAGE from mx.example.net[192.0.2.7]: "
	 "550 5.7.1 daily quota; from=<ann@example.com> to=<> proto=ESMTP "
	 "helo=<mx.example.net> sasl_username=ann instance=i7 "
	 "reason=sender-not-owned"},
	{"log_wire_text_made_safe", TEMP("451", "4.7.1", "t"), CONT,
	 "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	 "client_address=192.0.2.1\nclient_name=a\x01" "b\n"
	 "helo_name=h\xff\nsender=s\\x\nrecipient=r\x7f\n\n",
	 "NOQUEUE: tempfail: RCPT from a\\x01b[192.0.2.1]: 451 4.7.1 t; "
	 "from=<s\\x5cx> to=<r\\x7f> helo=<h\\xff> instance=none "
	 "reason=quota"},
	{"log_dunno_only_at_debug", CONT, CONT, RCPT("i1", "b@x"), ""},
};

/* test_log_row - the decision's log line */
static void
test_log_row(void **state)
{
	const struct log_row *row = *state;
	struct policy_decide_state st;
	struct policy_decision d;
	struct generation cfg;
	char out[1024];

	memset(&sc, 0, sizeof(sc));
	verdict_init(&sc.mail);
	vset(&sc.rcpt, &row->rcpt);
	vset(&sc.eom, &row->eom);
	cfg_make(&cfg, 0);
	log_set_level(LOG_LEVEL_INFO);
	policy_decide_state_init(&st);
	run(&cfg, &st, row->request, out, sizeof(out), &d);
	assert_string_equal(d.log, row->want);
	conf_free(cfg.conf);
}

/* test_dunno_logged_with_debug - at log_level = debug every request has
 * its line */
static void
test_dunno_logged_with_debug(void **state)
{
	struct policy_decide_state st;
	struct policy_decision d;
	struct generation cfg;
	char out[1024];

	(void)state;
	memset(&sc, 0, sizeof(sc));
	verdict_init(&sc.mail);
	verdict_init(&sc.rcpt);
	cfg_make(&cfg, 0);
	log_set_level(LOG_LEVEL_DEBUG);
	policy_decide_state_init(&st);
	run(&cfg, &st, RCPT("i1", "b@x"), out, sizeof(out), &d);
	log_set_level(LOG_LEVEL_INFO);
	assert_int_equal(d.level, LOG_LEVEL_DEBUG);
	assert_true(rg_has(d.log, "NOQUEUE: continue: RCPT from "
				  "mx.example.net[192.0.2.7]: DUNNO; "));
	conf_free(cfg.conf);
}

/* test_rcpt_count_at_rcpt - at RCPT the engine sees the recipients let
 * pass so far (Postfix's recipient_count is 0 there); at END-OF-MESSAGE
 * Postfix's count; a new message starts again from 0 */
static void
test_rcpt_count_at_rcpt(void **state)
{
	struct policy_decide_state st;
	struct policy_decision d;
	struct generation cfg;
	char out[1024];
	static const char *const reqs[] = {
		RCPT("i1", "a@x"), RCPT("i1", "b@x"), RCPT("i1", "c@x"),
		RCPT("i1", "d@x"), EOM("i1", "Q1", "7", "9"), RCPT("i2", "e@x"),
	};
	static const unsigned long want[] = {0, 1, 2, 2, 7, 0};
	size_t i;

	(void)state;
	memset(&sc, 0, sizeof(sc));
	verdict_init(&sc.mail);
	verdict_init(&sc.eom);
	cfg_make(&cfg, 0);
	policy_decide_state_init(&st);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		verdict_init(&sc.rcpt);
		if (i == 2)	/* the third recipient is refused */
			verdict_set(&sc.rcpt, VERDICT_TEMPFAIL, "451", "4.7.1",
				    "quota", "later");
		run(&cfg, &st, reqs[i], out, sizeof(out), &d);
		if (sc.seen.nrcpt != want[i])
			fail_msg("request %zu: nrcpt %lu, want %lu", i,
				 sc.seen.nrcpt, want[i]);
	}
	conf_free(cfg.conf);
}

/* test_stage_names - protocol_state values */
static void
test_stage_names(void **state)
{
	(void)state;
	assert_int_equal(policy_decide_stage("RCPT"), POLICY_STAGE_RCPT);
	assert_int_equal(policy_decide_stage("DATA"), POLICY_STAGE_DATA);
	assert_int_equal(policy_decide_stage("END-OF-MESSAGE"),
			 POLICY_STAGE_EOM);
	assert_int_equal(policy_decide_stage("MAIL"), POLICY_STAGE_MAIL);
	assert_int_equal(policy_decide_stage("rcpt"), POLICY_STAGE_OTHER);
	assert_int_equal(policy_decide_stage(NULL), POLICY_STAGE_OTHER);
}

int
main(void)
{
	static struct rg_cases c;

	RG_ADD_ROWS(&c, rows, test_row);
	RG_ADD_ROWS(&c, txn_rows, test_txn_row);
	RG_ADD_ROWS(&c, log_rows, test_log_row);
	rg_case_add(&c, "dunno_logged_with_debug",
		    test_dunno_logged_with_debug, NULL);
	rg_case_add(&c, "rcpt_count_at_rcpt", test_rcpt_count_at_rcpt, NULL);
	rg_case_add(&c, "stage_names", test_stage_names, NULL);
	return rg_cases_run(&c, "policy_decide", NULL, NULL);
}
