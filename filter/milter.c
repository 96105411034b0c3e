/* SPDX-License-Identifier: BSD-2-Clause */
#include "milter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "audit.h"
#include "authres.h"
#include "bodyfp.h"
#include "dkimsign.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "replytext.h"
#include "str.h"
#include "strbuf.h"
#include "txn.h"
#include "xalloc.h"

/* Postfix sends a 100 kB header (header_size_limit) in one packet: more
 * than libmilter's default 65,535 bytes, which would drop the session. */
#define MILTER_MAX_DATA (1024 * 1024)

/*
 * Steps we ask the MTA to leave out or not wait for (milter_steps() adds
 * what the connection's configuration does not need): no unknown
 * commands, no DATA (nothing is decided there: the queue id comes again
 * at EOH and EOM); no reply to connect, HELO, header or body chunks.  Each
 * one saves a round trip per message (headers: one per field).  RCPT is
 * answered: a recipient may be refused alone (quotas).  DATA used to be
 * answered over TCP against a delayed-ACK stall; with TCP_NODELAY on our
 * side (milter_nodelay) none shows without it, and Postfix spends less
 * CPU per message (tests/bench, 2 x 2 runs each over TCP).  HDR_LEADSPC
 * gives header values exactly as sent, needed for simple
 * canonicalization.  The header step stays whenever a check reads the
 * author fields (From, Sender, Resent-From, Resent-Sender), which are
 * judged as they arrive (engine_header), whatever is signed.
 */
#define MILTER_WANT_STEPS                                                      \
	(SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_HELO |      \
	 SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC)

struct msg {
	unsigned nar;			/* Authentication-Results seen */
	unsigned *ar_forged;		/* their indexes (1-based) to remove */
	size_t nar_forged;
	size_t ar_cap;
	struct strbuf hdrs;		/* "Name:value\0" fields until EOH */
	size_t nhdrs;
	struct dkimsign *sign;
	struct keytable_req reqs[KEYTABLE_MAX_SIGS];
	size_t nreqs;
	char sign_error[ERR_TEXT_MAX];	/* failure seen in a no-reply step */
	bool eoh_pending;		/* EOH refused without a reply: */
	struct verdict eoh_verdict;	/* the answer at EOM (NR_EOH) */
	char unsigned_why[64];		/* why not signed, for the audit */
	unsigned long bytes;		/* header and body as received */
	struct bodyfp *fp;		/* body fingerprint (abuse control) */
};

struct conn {
	unsigned long id;
	const char *servid;		/* our authserv-id (authres.h) */
	unsigned long nmsg;		/* messages begun on this connection */
	struct generation *cfg;		/* pinned for the connection */
	unsigned long steps;		/* negotiated protocol steps */
	bool overloaded;
	struct txn txn;
	struct msg msg;
};

static pthread_mutex_t milter_cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct generation *milter_cfg;	/* guarded by milter_cfg_lock */
static atomic_ulong milter_conn_ids;
static atomic_ulong milter_active;
/* "host.pid": with conn and message numbers, a transaction id unique
 * across the nodes that share a Redis */
static char milter_node[TXN_HOST_MAX + 32];
static atomic_bool milter_warned_qid;	/* "no queue id" said once */
/* set once in milter_open(), before any thread: the host name (the
 * authserv-id when none is configured) */
static char milter_host[256] = "localhost";

/*
 * The macros we read, asked for by stage when the MTA connects
 * (smfi_setsymlist; Sendmail 8.14 and Postfix 2.6 and later then send
 * these lists to us, whatever their global lists hold): only the queue id
 * "i" and the SASL login {auth_authen}.  Connect and HELO get an empty
 * list, so the MTA sends no macros there at all.  The two MTAs know the
 * values at different times: Sendmail has the queue id "i" from MAIL FROM
 * on, Postfix only once a recipient is accepted (RCPT, DATA), so "i" is
 * asked for at every stage from MAIL on and milter_qid() takes the first
 * value that comes; stages left out (milter_steps) are not asked for.
 * The same lists, for an MTA that cannot negotiate them, are in
 * contrib/sendmail/relayguard.mc and contrib/postfix/main.cf.snippet;
 * tests/milter/lib.lua plays either MTA's timing.
 */
static const struct {
	int stage;
	unsigned long skip;	/* not asked for when this step is off */
	const char *macros;
} milter_macros[] = {
	{SMFIM_CONNECT, 0, ""},
	{SMFIM_HELO, SMFIP_NOHELO, ""},
	{SMFIM_ENVFROM, 0, "i {auth_authen}"},
	{SMFIM_ENVRCPT, SMFIP_NORCPT, "i"},
	{SMFIM_DATA, SMFIP_NODATA, "i"},
	{SMFIM_EOH, SMFIP_NOEOH, "i"},
	{SMFIM_EOM, 0, "i"},
};

/* milter_config_set - install a new generation; the old one is dropped
 * when its last connection closes */
void
milter_config_set(struct generation *cfg)
{
	struct generation *old;

	pthread_mutex_lock(&milter_cfg_lock);
	old = milter_cfg;
	milter_cfg = cfg;
	pthread_mutex_unlock(&milter_cfg_lock);
	generation_unref(old);
}

/* milter_config_get - a reference to the current generation */
struct generation *
milter_config_get(void)
{
	struct generation *cfg;

	pthread_mutex_lock(&milter_cfg_lock);
	cfg = generation_ref(milter_cfg);
	pthread_mutex_unlock(&milter_cfg_lock);
	return cfg;
}

/* msg_reset - forget the message; the one place that releases it */
static void
msg_reset(struct conn *c)
{
	struct msg *m = &c->msg;

	dkimsign_free(m->sign);
	m->sign = NULL;
	bodyfp_free(m->fp);
	m->fp = NULL;
	/* keep a small header buffer for the next message, not a big one */
	if (m->hdrs.cap > 64 * 1024)
		strbuf_free(&m->hdrs);
	else
		strbuf_reset(&m->hdrs);
	m->nhdrs = 0;
	m->nreqs = 0;
	m->nar = 0;
	m->nar_forged = 0;
	m->unsigned_why[0] = '\0';
	m->bytes = 0;
	m->sign_error[0] = '\0';
	m->eoh_pending = false;
	txn_reset_message(&c->txn);
}

/* conn_free - release a connection; the one place that does */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	msg_reset(c);
	strbuf_free(&c->msg.hdrs);
	free(c->msg.ar_forged);
	generation_unref(c->cfg);
	atomic_fetch_sub(&milter_active, 1);
	free(c);
}

/* conn_new - a connection pinned to the current configuration */
static struct conn *
conn_new(void)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->id = atomic_fetch_add(&milter_conn_ids, 1) + 1;
	c->cfg = milter_config_get();
	strbuf_init(&c->msg.hdrs, c->cfg->conf->max_header_bytes);
	/* authres_serv_id()'s choice, without a gethostname() per
	 * connection: the configured id, else the host name */
	c->servid = c->cfg->conf->authserv_id != NULL &&
				    c->cfg->conf->authserv_id[0] != '\0'
			    ? c->cfg->conf->authserv_id
			    : milter_host;
	txn_reset_message(&c->txn);
	if (atomic_fetch_add(&milter_active, 1) >=
	    c->cfg->conf->max_connections)
		c->overloaded = true;
	return c;
}

/* milter_noreply - the answer for a step the MTA may not wait for */
static sfsistat
milter_noreply(const struct conn *c, unsigned long flag)
{
	return (c->steps & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/*
 * milter_qid - the queue id, or NOQUEUE before the MTA knows one.  Looked
 * up at each stage until found, then kept in txn.qid for the rest of the
 * message (msg_reset clears it): libmilter keeps the MAIL stage's macros
 * until the next MAIL, and both MTAs send that stage's list (maybe empty)
 * with every MAIL, so a value never leaks into the next message.
 */
static const char *
milter_qid(SMFICTX *ctx, struct conn *c)
{
	char name[] = "i";
	const char *v;

	if (c->txn.qid[0] == '\0') {
		v = smfi_getsymval(ctx, name);
		if (v != NULL && *v != '\0' &&
		    str_copy(c->txn.qid, sizeof(c->txn.qid), v) < 0)
			c->txn.qid[0] = '\0';	/* not a queue id: too long */
	}
	return c->txn.qid[0] ? c->txn.qid : "NOQUEUE";
}

/* milter_qid_check - at end of message: say once per process when the
 * MTA never sends the queue id, and how to fix that */
static void
milter_qid_check(SMFICTX *ctx, struct conn *c)
{
	if (strcmp(milter_qid(ctx, c), "NOQUEUE") != 0 ||
	    atomic_exchange(&milter_warned_qid, true))
		return;
	log_warn("the MTA sent no queue id (macro i) up to the end of a "
		 "message: log lines say NOQUEUE.  Postfix: "
		 "milter_end_of_data_macros = i; Sendmail: "
		 "define(`confMILTER_MACROS_EOM', `i, {msg_id}')");
}

/* milter_client - "name[addr]" for log lines, made printable */
static void
milter_client(const struct conn *c, char *buf, size_t size)
{
	char name[LOG_SAFE_MAX];

	log_safe(name, sizeof(name), c->txn.client_name,
		 strlen(c->txn.client_name));
	(void)str_format(buf, size, "%s[%s]", name,
			 c->txn.client_addr[0] ? c->txn.client_addr
					       : "unknown");
}

/* milter_log_msg - one decision line: QID: WHAT: DETAIL; key=value... */
static void
milter_log_msg(SMFICTX *ctx, struct conn *c, bool warn, const char *what,
	       const char *detail)
{
	char client[LOG_SAFE_MAX + 64];
	char from[LOG_SAFE_MAX];
	char login[LOG_SAFE_MAX];
	char hfrom[LOG_SAFE_MAX];
	char hf[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2] = "";

	/* nothing is formatted for a line that is not logged */
	if (!log_level_enabled(warn ? LOG_LEVEL_WARN : LOG_LEVEL_INFO))
		return;
	milter_client(c, client, sizeof(client));
	log_safe(from, sizeof(from), c->txn.sender, strlen(c->txn.sender));
	log_safe(login, sizeof(login), c->txn.login, strlen(c->txn.login));
	if (c->txn.from_status == ADDR_OK)
		(void)str_format(hf, sizeof(hf), "%s@%s", c->txn.from.local,
				 c->txn.from.domain);
	log_safe(hfrom, sizeof(hfrom), hf, strlen(hf));
	(warn ? log_warn : log_info)(
		"%s: %s: %s; conn=%lu client=%s from=<%s>%s%s%s%s%s%s%s",
		milter_qid(ctx, c), what, detail, c->id, client, from,
		login[0] ? " sasl_username=" : "", login,
		hfrom[0] ? " header_from=<" : "", hfrom, hfrom[0] ? ">" : "",
		c->txn.spf_result[0] ? " spf=" : "", c->txn.spf_result);
}

/* milter_record - a final decision for the metrics, the reputation and
 * the audit trail (engine_record); sigs: the signatures made, else NULL */
static void
milter_record(struct conn *c, const char *stage, const struct verdict *v,
	      const struct keytable_req *sigs, size_t nsigs)
{
	engine_record(c->cfg, &c->txn, stage, v, sigs, nsigs);
}

/* milter_record_accept - an accepted message (reason: why unsigned, or
 * "signed") */
static void
milter_record_accept(struct conn *c, const char *stage, const char *reason,
		     const struct keytable_req *sigs, size_t nsigs)
{
	struct verdict v;

	verdict_init(&v);
	v.action = VERDICT_ACCEPT;
	(void)str_copy(v.reason, sizeof(v.reason), reason);
	milter_record(c, stage, &v, sigs, nsigs);
}

/* milter_setreply - the one place a reply goes to the MTA: the text made
 * safe (replytext.h: no '%', which Sendmail refuses, no control bytes,
 * bounded), copied because smfi_setreply wants writable strings */
static void
milter_setreply(SMFICTX *ctx, struct conn *c, const char *code,
		const char *xcode, const char *text)
{
	char cd[4];
	char xc[16];
	char tx[REPLYTEXT_MAX + 1];

	(void)str_copy(cd, sizeof(cd), code);
	(void)str_copy(xc, sizeof(xc), xcode);
	(void)replytext_clean(tx, sizeof(tx), text);
	if (smfi_setreply(ctx, cd, xc[0] ? xc : NULL, tx) != MI_SUCCESS)
		log_warn("%s: smfi_setreply \"%s %s\" failed: the MTA's default "
			 "reply is used", milter_qid(ctx, c), cd, xc);
}

/* milter_verdict - apply the engine's verdict at one stage: reply code
 * and text for refusals, one log line for every refusal */
static sfsistat
milter_verdict(SMFICTX *ctx, struct conn *c, const struct verdict *v,
	       const char *stage, const char *rcpt)
{
	char detail[VERDICT_TEXT_MAX + 512];
	char to[LOG_SAFE_MAX];
	char text[REPLYTEXT_MAX + 1];

	switch (v->action) {
	case VERDICT_CONTINUE:
		return SMFIS_CONTINUE;
	case VERDICT_ACCEPT:
		return SMFIS_ACCEPT;
	case VERDICT_DISCARD:
		milter_log_msg(ctx, c, false, "discard", stage);
		milter_record(c, stage, v, NULL, 0);
		return SMFIS_DISCARD;
	case VERDICT_HOLD:	/* handled at EOM by the caller */
		return SMFIS_CONTINUE;
	case VERDICT_TEMPFAIL:
	case VERDICT_REJECT:
		break;
	}
	if (rcpt != NULL) {
		size_t rl = strlen(rcpt);

		if (rl >= 2 && rcpt[0] == '<' && rcpt[rl - 1] == '>')
			log_safe(to, sizeof(to), rcpt + 1, rl - 2);
		else
			log_safe(to, sizeof(to), rcpt, rl);
	}
	/* the log shows the text as the client gets it */
	(void)replytext_clean(text, sizeof(text), v->text);
	(void)str_format(detail, sizeof(detail), "%s: %s %s %s;%s%s%s "
			 "reason=%s%s%s", stage, v->code, v->xcode, text,
			 rcpt ? " to=<" : "", rcpt ? to : "", rcpt ? ">" : "",
			 v->reason, c->txn.limit_log[0] ? " " : "",
			 c->txn.limit_log);
	milter_log_msg(ctx, c, false,
		       v->action == VERDICT_REJECT ? "reject" : "tempfail",
		       detail);
	milter_record(c, stage, v, NULL, 0);
	milter_setreply(ctx, c, v->code, v->xcode, v->text);
	return v->action == VERDICT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/*
 * milter_steps - the protocol steps for a connection pinned to generation
 * g: MILTER_WANT_STEPS, and leave out what no check of g reads.
 *   HELO:    the SPF HELO identity and the audit trail;
 *   RCPT:    limits, abuse control (caps, fan-out), the audit's count;
 *   header:  signing (From, the signed fields), the login and own-domain
 *            checks (From, Sender, Resent-*), SPF (forged
 *            Authentication-Results are removed), abuse control;
 *   body:    signing and abuse control's body fingerprint;
 *   no reply to EOH when every message goes on to EOM anyway.
 * The MTA sends every field when it sends headers at all (the protocol
 * cannot ask for some), so milter_header() returns at once for a field
 * nobody reads.  Each connection negotiates with the generation it
 * pinned, so after a reload new connections ask for what the new
 * configuration needs and open ones keep what theirs needs.
 */
static unsigned long
milter_steps(const struct generation *g)
{
	const struct conf *c = g->conf;
	bool audit = audit_enabled();
	bool sign = g->keys != NULL;
	bool abuse = g->abuse != NULL;
	bool own = c->own_domain_action != CONF_ACTION_ACCEPT &&
		   (c->own_domains.count > 0 || sign);
	unsigned long steps = MILTER_WANT_STEPS;

	if (!c->spf_check && !audit)
		steps |= SMFIP_NOHELO;
	if (g->limits == NULL && !abuse && !audit)
		steps |= SMFIP_NORCPT;
	if (!sign && !abuse && !own && !c->spf_check && !c->sender_login_check)
		steps |= SMFIP_NOHDRS | SMFIP_NOEOH;
	if (!sign && !abuse)
		steps |= SMFIP_NOBODY;
	/* With abuse control every message goes on to the end (its body is
	 * fingerprinted), so EOH can only refuse: that answer waits for EOM
	 * (the client hears it after its final "." either way) and EOH needs
	 * no round trip. */
	if (abuse)
		steps |= SMFIP_NR_EOH;
	return steps;
}

/* milter_actions - the changes a connection may make: header inserts
 * (signatures, SPF results), header changes (forged results removed, so
 * only when headers come), quarantine (abuse control's hold) */
static unsigned long
milter_actions(const struct generation *g, unsigned long steps)
{
	unsigned long a = 0;

	if (g->keys != NULL || g->conf->spf_check)
		a |= SMFIF_ADDHDRS;
	if (!(steps & SMFIP_NOHDRS))
		a |= SMFIF_CHGHDRS;
	if (g->abuse != NULL)
		a |= SMFIF_QUARANTINE;
	return a;
}

/* milter_negotiate - ask only for the steps, actions and macros the
 * connection's configuration uses */
static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
		 unsigned long f2, unsigned long f3, unsigned long *pf0,
		 unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_new();
	unsigned long want = milter_steps(c->cfg);
	char list[128];
	size_t i;

	(void)f2;
	(void)f3;
	smfi_setpriv(ctx, c);
	*pf1 = want & f1;
	/* An overloaded filter must be able to answer at connect. */
	if (c->overloaded)
		*pf1 &= ~(unsigned long)SMFIP_NR_CONN;
	/* quarantine (abuse control's hold) only where the MTA offers it:
	 * without it a hold is tempfailed, never passed on */
	*pf0 = (milter_actions(c->cfg, *pf1) |
		SMFIF_SETSYMLIST) & f0;
	*pf2 = 0;
	*pf3 = 0;
	c->steps = *pf1;
	if (f0 & SMFIF_SETSYMLIST) {
		/* Failing here only means the MTA sends its own lists. */
		for (i = 0; i < sizeof(milter_macros) / sizeof(milter_macros[0]);
		     i++)
			if (!(*pf1 & milter_macros[i].skip) &&
			    str_copy(list, sizeof(list),
				     milter_macros[i].macros) == 0)
				(void)smfi_setsymlist(ctx,
						      milter_macros[i].stage,
						      list);
	}
	return SMFIS_CONTINUE;
}

/* milter_connect - remember who the client is */
static sfsistat
milter_connect(SMFICTX *ctx, char *hostname, struct sockaddr *sa)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *host = hostname;

	if (c == NULL) {	/* an MTA that does not negotiate */
		c = conn_new();
		smfi_setpriv(ctx, c);
	}
	/* Postfix passes "[192.0.2.8]" when the client has no name; log it
	 * as Postfix itself does: unknown[192.0.2.8]. */
	if (host == NULL || host[0] == '[')
		host = "unknown";
	(void)str_copy(c->txn.client_name, sizeof(c->txn.client_name), host);
	if (sa != NULL && sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET,
				&((struct sockaddr_in *)(void *)sa)->sin_addr,
				c->txn.client_addr,
				sizeof(c->txn.client_addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6,
				&((struct sockaddr_in6 *)(void *)sa)->sin6_addr,
				c->txn.client_addr,
				sizeof(c->txn.client_addr));
	if (c->overloaded) {
		char client[LOG_SAFE_MAX + 64];

		milter_client(c, client, sizeof(client));
		log_warn("NOQUEUE: tempfail: CONNECT from %s: more than "
			 "max_connections=%lu MTA connections; conn=%lu",
			 client, c->cfg->conf->max_connections, c->id);
		return SMFIS_TEMPFAIL;
	}
	return milter_noreply(c, SMFIP_NR_CONN);
}

/* milter_helo - remember the HELO name (no reply) */
static sfsistat
milter_helo(SMFICTX *ctx, char *helohost)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (helohost == NULL ||
	    str_copy(c->txn.helo, sizeof(c->txn.helo), helohost) < 0)
		c->txn.helo[0] = '\0';	/* over 255 bytes: no HELO name */
	return milter_noreply(c, SMFIP_NR_HELO);
}

/* milter_esmtp_size - the SIZE= estimate of MAIL FROM, 0 when absent */
static unsigned long
milter_esmtp_size(char **argv)
{
	unsigned long n;
	int i;

	for (i = 1; argv != NULL && argv[0] != NULL && argv[i] != NULL; i++)
		if (strncasecmp(argv[i], "SIZE=", 5) == 0 &&
		    str_to_ulong(argv[i] + 5, 10, ULONG_MAX, &n) == 0)
			return n;
	return 0;
}

/* milter_envfrom - a new message: sender, login, the MAIL FROM checks */
static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	char authname[] = "{auth_authen}";
	struct verdict v;
	const char *login;
	const char *s;
	size_t len;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	/* xxfi_abort is not called after our own replies: release what an
	 * earlier transaction of this connection may still hold */
	engine_abort(c->cfg, &c->txn);
	msg_reset(c);
	c->txn.via = TXN_VIA_MILTER;
	(void)str_format(c->txn.id, sizeof(c->txn.id), "%s.%lu.%lu",
			 milter_node, c->id, ++c->nmsg);
	s = argv != NULL && argv[0] != NULL ? argv[0] : "";
	len = strlen(s);
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	if (str_copyn(c->txn.sender, sizeof(c->txn.sender), s, len) < 0)
		(void)str_copy(c->txn.sender, sizeof(c->txn.sender),
			       "(too long)");
	c->txn.size = milter_esmtp_size(argv);
	login = smfi_getsymval(ctx, authname);
	if (login != NULL &&
	    str_copy(c->txn.login, sizeof(c->txn.login), login) < 0)
		c->txn.login[0] = '\0';
	engine_mail(c->cfg, &c->txn, &v);
	if (v.action != VERDICT_CONTINUE) {
		sfsistat r = milter_verdict(ctx, c, &v, "MAIL", NULL);

		if (r != SMFIS_CONTINUE)
			msg_reset(c);
		return r;
	}
	if (!engine_wants_message(c->cfg, &c->txn)) {
		/* Nothing more to do for this message: let it go now, so
		 * the MTA does not send us its header and body. */
		milter_log_msg(ctx, c, false, "not signed", "untrusted client");
		milter_record_accept(c, "MAIL", "untrusted client", NULL, 0);
		msg_reset(c);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

/* milter_envrcpt - one recipient: limits and per-message caps */
static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *rcpt = argv != NULL && argv[0] != NULL ? argv[0] : "";
	struct verdict v;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	(void)milter_qid(ctx, c);	/* Postfix: known from the 2nd RCPT */
	engine_rcpt(c->cfg, &c->txn, rcpt, &v);
	if (v.action == VERDICT_CONTINUE) {
		if (v.reason[0] != '\0') {
			/* limit_fail_mode = accept: say so for every message */
			char detail[512];

			(void)str_format(detail, sizeof(detail), "RCPT: "
					 "accepted without a limit check (%s); "
					 "%s", v.reason, c->txn.limit_log);
			milter_log_msg(ctx, c, true, "unchecked", detail);
		}
		c->txn.nrcpt++;
		return SMFIS_CONTINUE;
	}
	/* a refused recipient is refused alone: the message goes on */
	return milter_verdict(ctx, c, &v, "RCPT", rcpt);
}

/* milter_data - DATA: nothing to decide (an MTA that does not negotiate
 * steps still sends it) */
static sfsistat
milter_data(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	(void)milter_qid(ctx, c);	/* Postfix: known from here on */
	return SMFIS_CONTINUE;
}

/* milter_note_authres - an Authentication-Results field that claims our
 * authserv-id (or whose id cannot be read) is a forgery: note its index
 * for removal at the end of the message */
static void
milter_note_authres(struct conn *c, const char *value)
{
	struct msg *m = &c->msg;

	m->nar++;
	if (authres_claims(value, strlen(value), c->servid) == AUTHRES_OTHER)
		return;
	if (m->nar_forged == m->ar_cap) {
		m->ar_cap = m->ar_cap ? m->ar_cap * 2 : 4;
		m->ar_forged = xreallocarray(m->ar_forged, m->ar_cap,
					     sizeof(*m->ar_forged));
	}
	m->ar_forged[m->nar_forged++] = m->nar;
}

/* milter_header - keep the field for the signer; the author fields go
 * to the engine */
static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);
	struct msg *m;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	m = &c->msg;
	if (name == NULL || value == NULL)
		return milter_noreply(c, SMFIP_NR_HDR);
	m->bytes += strlen(name) + strlen(value) + 4;	/* ": " CRLF */
	if (strcasecmp(name, "Authentication-Results") == 0)
		milter_note_authres(c, value);
	/* From, Sender, Resent-From, Resent-Sender: read and judged now */
	(void)engine_header(c->cfg, &c->txn, name, value, strlen(value),
			    NULL);
	if (c->txn.headers_truncated || !engine_header_is_signed(c->cfg, name))
		return milter_noreply(c, SMFIP_NR_HDR);
	if (strlen(name) + 1 + strlen(value) > ENGINE_FIELD_MAX) {
		if (c->txn.long_field[0] == '\0')
			log_safe(c->txn.long_field, sizeof(c->txn.long_field),
				 name, strlen(name));
		return milter_noreply(c, SMFIP_NR_HDR);
	}
	/* Without HDR_LEADSPC libmilter strips the space after the colon:
	 * put the conventional one back. */
	if (strbuf_append_str(&m->hdrs, name) < 0 ||
	    strbuf_append(&m->hdrs, ":", 1) < 0 ||
	    (!(c->steps & SMFIP_HDR_LEADSPC) &&
	     strbuf_append(&m->hdrs, " ", 1) < 0) ||
	    strbuf_append(&m->hdrs, value, strlen(value) + 1) < 0)
		c->txn.headers_truncated = true;
	else
		m->nhdrs++;
	return milter_noreply(c, SMFIP_NR_HDR);
}

/* milter_sign_failed - apply on_sign_error (tempfail by default) */
static sfsistat
milter_sign_failed(SMFICTX *ctx, struct conn *c, const char *why)
{
	char c451[] = "451";
	char x471[] = "4.7.1";
	char t451[] = "DKIM signing failed, try again later";
	char c550[] = "550";
	char x570[] = "5.7.0";
	char t550[] = "message could not be DKIM-signed";
	enum conf_action a = c->cfg->conf->on_sign_error;
	char detail[ERR_TEXT_MAX + 64];
	struct verdict v;

	(void)str_format(detail, sizeof(detail), "%s (on_sign_error=%s)",
			 why, conf_action_name(a));
	milter_log_msg(ctx, c, true, "signing failed", detail);
	engine_abort(c->cfg, &c->txn);	/* nothing leaves: nothing counts */
	verdict_init(&v);
	if (a == CONF_ACTION_REJECT)
		verdict_set(&v, VERDICT_REJECT, c550, x570, "sign-error", "%s",
			    t550);
	else if (a != CONF_ACTION_ACCEPT)
		verdict_set(&v, VERDICT_TEMPFAIL, c451, x471, "sign-error",
			    "%s", t451);
	else
		v.action = VERDICT_ACCEPT;
	(void)str_copy(v.reason, sizeof(v.reason), "sign-error");
	milter_record(c, "END-OF-MESSAGE", &v, NULL, 0);
	msg_reset(c);
	switch (a) {
	case CONF_ACTION_ACCEPT:
		return SMFIS_ACCEPT;
	case CONF_ACTION_REJECT:
		milter_setreply(ctx, c, c550, x570, t550);
		return SMFIS_REJECT;
	default:
		milter_setreply(ctx, c, c451, x471, t451);
		return SMFIS_TEMPFAIL;
	}
}

/* milter_eoh_sign_failed - a signing failure at EOH: answered now, or
 * without a reply to EOH noted for milter_eom() */
static sfsistat
milter_eoh_sign_failed(SMFICTX *ctx, struct conn *c, const char *why)
{
	if (!(c->steps & SMFIP_NR_EOH))
		return milter_sign_failed(ctx, c, why);
	(void)str_copy(c->msg.sign_error, sizeof(c->msg.sign_error), why);
	dkimsign_free(c->msg.sign);
	c->msg.sign = NULL;
	return SMFIS_NOREPLY;
}

/* milter_eoh - decide whether and with which keys to sign */
static sfsistat
milter_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct verdict v;
	struct msg *m;
	char why[256];
	struct err e;
	size_t off;
	size_t i;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	m = &c->msg;
	(void)milter_qid(ctx, c);
	engine_eoh(c->cfg, &c->txn, &v);
	if (v.action != VERDICT_CONTINUE && v.action != VERDICT_HOLD &&
	    (c->steps & SMFIP_NR_EOH)) {
		/* no reply now: milter_eom() gives this answer */
		m->eoh_verdict = v;
		m->eoh_pending = true;
		return SMFIS_NOREPLY;
	}
	if (v.action != VERDICT_CONTINUE) {
		sfsistat r = milter_verdict(ctx, c, &v, "END-OF-HEADER", NULL);

		if (r != SMFIS_CONTINUE) {
			engine_abort(c->cfg, &c->txn);
			msg_reset(c);
			return r;
		}
	}
	m->nreqs = engine_sign_plan(c->cfg, &c->txn, m->reqs,
				    KEYTABLE_MAX_SIGS, why, sizeof(why));
	if (m->nreqs == 0) {
		milter_log_msg(ctx, c, false, "not signed", why);
		(void)str_copy(m->unsigned_why, sizeof(m->unsigned_why), why);
		/* headers to change at EOM, abuse checks at the end, or
		 * limits reserved at RCPT that only EOM commits (accepted
		 * here, the message would count only while its reservation
		 * lasts, limit_txn_ttl); without a reply to EOH, EOM
		 * accepts it */
		if (c->txn.nadd_hdrs > 0 || m->nar_forged > 0 ||
		    c->txn.limits_reserved ||
		    engine_wants_body(c->cfg, &c->txn) ||
		    (c->steps & SMFIP_NR_EOH))
			return milter_noreply(c, SMFIP_NR_EOH);
		milter_record_accept(c, "END-OF-HEADER", why, NULL, 0);
		msg_reset(c);
		return SMFIS_ACCEPT;
	}
	m->sign = dkimsign_new(c->cfg->dkim, milter_qid(ctx, c), m->reqs,
			       m->nreqs, &e);
	if (m->sign == NULL)
		return milter_eoh_sign_failed(ctx, c, e.text);
	for (i = 0, off = 0; i < m->nhdrs; i++) {
		char *field = m->hdrs.data + off;
		size_t len = strlen(field);

		if (dkimsign_header(m->sign, field, len, &e) < 0)
			return milter_eoh_sign_failed(ctx, c, e.text);
		off += len + 1;
	}
	if (dkimsign_eoh(m->sign, &e) < 0)
		return milter_eoh_sign_failed(ctx, c, e.text);
	return milter_noreply(c, SMFIP_NR_EOH);
}

/* milter_body - stream the chunk into every signer */
static sfsistat
milter_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);
	struct err e;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->msg.eoh_pending || c->msg.sign_error[0] != '\0')
		return milter_noreply(c, SMFIP_NR_BODY); /* refused at EOM */
	c->msg.bytes += len;
	if (c->cfg->abuse != NULL) {
		if (c->msg.fp == NULL)
			c->msg.fp = bodyfp_new();
		bodyfp_update(c->msg.fp, buf, len);
	}
	if (c->msg.sign != NULL && c->msg.sign_error[0] == '\0' &&
	    dkimsign_body(c->msg.sign, buf, len, &e) < 0)
		(void)str_copy(c->msg.sign_error, sizeof(c->msg.sign_error),
			       e.text);
	return milter_noreply(c, SMFIP_NR_BODY);
}

struct milter_sigctx {
	SMFICTX *ctx;
	struct conn *conn;
	struct strbuf done;		/* "d= s= a=" of each signature */
};

/* milter_add_sig - insert one DKIM-Signature at the top */
static int
milter_add_sig(void *arg, const struct keytable_req *req, const char *value)
{
	struct milter_sigctx *s = arg;
	char name[] = "DKIM-Signature";
	size_t len = strlen(value);
	char *v = xmalloc(len + 2);
	int rc;

	/* With HDR_LEADSPC the MTA takes the value as is: add the space. */
	v[0] = ' ';
	memcpy(v + 1, value, len + 1);
	rc = smfi_insheader(s->ctx, 0, name,
			    (s->conn->steps & SMFIP_HDR_LEADSPC) ? v : v + 1);
	free(v);
	if (rc != MI_SUCCESS)
		return -1;
	(void)strbuf_printf(&s->done, "%sd=%s s=%s a=%s-sha256",
			    s->done.len ? ", " : "", req->domain,
			    req->key->selector,
			    keytable_alg_name(req->key->alg));
	return 0;
}

/* milter_change_headers - remove forged Authentication-Results fields,
 * from the last index down so that the indexes of the others do not move
 * (CVE-2022-48521), then prepend the fields the checks asked for */
static int
milter_change_headers(SMFICTX *ctx, struct conn *c)
{
	char arname[] = "Authentication-Results";
	size_t i;

	for (i = c->msg.nar_forged; i > 0; i--) {
		if (smfi_chgheader(ctx, arname, (int)c->msg.ar_forged[i - 1],
				   NULL) != MI_SUCCESS)
			return -1;
	}
	if (c->msg.nar_forged > 0)
		log_info("%s: removed %zu Authentication-Results field%s "
			 "claiming authserv-id %s; conn=%lu",
			 milter_qid(ctx, c), c->msg.nar_forged,
			 c->msg.nar_forged == 1 ? "" : "s", c->servid, c->id);
	/* inserted at the top one by one: the last kept ends up first */
	for (i = c->txn.nadd_hdrs; i > 0; i--) {
		struct verdict_header *h = &c->txn.add_hdrs[i - 1];
		char value[VERDICT_HDR_VALUE_MAX + 2];

		/* with HDR_LEADSPC the MTA takes the value as is */
		if (str_format(value, sizeof(value), "%s%s",
			       (c->steps & SMFIP_HDR_LEADSPC) ? " " : "",
			       h->value) < 0 ||
		    smfi_insheader(ctx, 0, h->name, value) != MI_SUCCESS)
			return -1;
	}
	return 0;
}

/* milter_hold - put the message in the MTA's hold queue (Postfix: "postqueue
 * -p" shows it with "!", "postsuper -H" releases it); a message that
 * cannot be held is tempfailed rather than passed on */
static sfsistat
milter_hold(SMFICTX *ctx, struct conn *c, const struct verdict *v)
{
	char detail[VERDICT_TEXT_MAX + 64];
	char why[REPLYTEXT_MAX + 1];

	/* the reason goes to the MTA too (its log and queue file) */
	(void)replytext_clean(why, sizeof(why), v->text);
	if (smfi_quarantine(ctx, why) != MI_SUCCESS) {
		milter_log_msg(ctx, c, true, "tempfail", "END-OF-MESSAGE: "
			       "smfi_quarantine failed, cannot hold the "
			       "message");
		engine_abort(c->cfg, &c->txn);
		msg_reset(c);
		return SMFIS_TEMPFAIL;
	}
	(void)str_format(detail, sizeof(detail), "END-OF-MESSAGE: %s; "
			 "reason=%s", why, v->reason);
	milter_log_msg(ctx, c, true, "hold", detail);
	return SMFIS_CONTINUE;
}

/* milter_eom_limits - abuse checks of the end, then the message's counts;
 * a refusal (fan-out, over a limit only now, the store down) answers the
 * message instead; a hold quarantines it and goes on (held says so) */
static sfsistat
milter_eom_limits(SMFICTX *ctx, struct conn *c, struct verdict *held)
{
	struct verdict v;
	sfsistat r;

	verdict_init(held);
	if (c->msg.fp != NULL)	/* -1: too little text, no fingerprint */
		(void)bodyfp_final(c->msg.fp, c->txn.abuse.body_fp,
				   sizeof(c->txn.abuse.body_fp));
	engine_eom(c->cfg, &c->txn, &v);
	if (v.action == VERDICT_CONTINUE)
		return SMFIS_CONTINUE;
	if (v.action == VERDICT_HOLD) {
		*held = v;
		return milter_hold(ctx, c, &v);
	}
	r = milter_verdict(ctx, c, &v, "END-OF-MESSAGE", NULL);
	msg_reset(c);
	return r;
}

/* milter_record_eom - the final record of a message that goes on: held,
 * or accepted (reason: why unsigned, or "signed") */
static void
milter_record_eom(struct conn *c, const struct verdict *held,
		  const char *reason, const struct keytable_req *sigs,
		  size_t nsigs)
{
	if (held->action == VERDICT_HOLD)
		milter_record(c, "END-OF-MESSAGE", held, sigs, nsigs);
	else
		milter_record_accept(c, "END-OF-MESSAGE", reason, sigs,
				     nsigs);
}

/* milter_eom - header changes, signatures, then the counts */
static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct milter_sigctx s;
	struct verdict held;
	struct err e;
	sfsistat r;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	milter_qid_check(ctx, c);
	if (c->msg.eoh_pending) {	/* refused at EOH without a reply */
		struct verdict v = c->msg.eoh_verdict;

		r = milter_verdict(ctx, c, &v, "END-OF-HEADER", NULL);
		engine_abort(c->cfg, &c->txn);
		msg_reset(c);
		return r;
	}
	if (c->msg.sign == NULL && c->msg.sign_error[0] != '\0')
		return milter_sign_failed(ctx, c, c->msg.sign_error);
	c->txn.size = c->msg.bytes + 2;	/* the empty line after the header */
	if (milter_change_headers(ctx, c) < 0) {
		/* our results could not be recorded, or a forged one stays:
		 * not a message to pass on */
		milter_log_msg(ctx, c, true, "tempfail",
			       "cannot change the header (smfi_chgheader/"
			       "smfi_insheader failed)");
		engine_abort(c->cfg, &c->txn);
		msg_reset(c);
		return SMFIS_TEMPFAIL;
	}
	if (c->msg.sign == NULL) {
		if ((r = milter_eom_limits(ctx, c, &held)) != SMFIS_CONTINUE)
			return r;
		milter_record_eom(c, &held, c->msg.unsigned_why, NULL, 0);
		msg_reset(c);
		return SMFIS_ACCEPT;
	}
	if (c->msg.sign_error[0] != '\0')
		return milter_sign_failed(ctx, c, c->msg.sign_error);
	s.ctx = ctx;
	s.conn = c;
	strbuf_init(&s.done, 1024);
	/* sign first: a message that cannot leave must not count */
	if (dkimsign_finish(c->msg.sign, milter_add_sig, &s, &e) < 0) {
		r = milter_sign_failed(ctx, c, e.text);
	} else if ((r = milter_eom_limits(ctx, c, &held)) == SMFIS_CONTINUE) {
		milter_log_msg(ctx, c, false, "signed",
			       s.done.data ? s.done.data : "");
		milter_record_eom(c, &held, "signed", c->msg.reqs,
				  c->msg.nreqs);
		r = SMFIS_ACCEPT;
	}
	strbuf_free(&s.done);
	msg_reset(c);
	return r;
}

/* milter_abort - the message ended without EOM */
static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		engine_abort(c->cfg, &c->txn);
		msg_reset(c);
	}
	return SMFIS_CONTINUE;
}

/* milter_close - the MTA hung up; close may be the only callback */
static sfsistat
milter_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		engine_abort(c->cfg, &c->txn);	/* a transaction left open */
	conn_free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static char milter_name[] = "relayguard";

static struct smfiDesc milter_desc = {
	.xxfi_name = milter_name,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = milter_connect,
	.xxfi_helo = milter_helo,
	.xxfi_envfrom = milter_envfrom,
	.xxfi_envrcpt = milter_envrcpt,
	.xxfi_header = milter_header,
	.xxfi_eoh = milter_eoh,
	.xxfi_body = milter_body,
	.xxfi_data = milter_data,
	.xxfi_eom = milter_eom,
	.xxfi_abort = milter_abort,
	.xxfi_close = milter_close,
	.xxfi_negotiate = milter_negotiate,
};

/*
 * milter_nodelay - TCP_NODELAY on libmilter's listening TCP socket, which
 * accepted sockets inherit.  libmilter sends the header insert and the
 * reply at end of message as two writes; without it the second waits for
 * Postfix's delayed ACK (40 ms per message, measured in tests/bench).
 * libmilter does not expose its socket, so find the listening one.
 */
static void
milter_nodelay(void)
{
	int one = 1;
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int acc = 0;
		socklen_t al = sizeof(acc);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &al) < 0 ||
		    !acc || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			       sizeof(one)) < 0)
			log_warn("TCP_NODELAY on the milter socket: %s",
				 strerror(errno));
	}
}

/* milter_open - register and open the listening socket (as root) */
int
milter_open(struct generation *cfg)
{
	char *sock = xstrdup(cfg->conf->socket);
	int rc = -1;

	if (smfi_register(milter_desc) != MI_SUCCESS) {
		log_error("smfi_register failed");
		goto out;
	}
	if (smfi_setconn(sock) != MI_SUCCESS) {
		log_error("%s: socket: \"%s\" is not a milter socket "
			  "(examples: inet:8891@127.0.0.1, unix:/run/"
			  "relayguard/relayguard.sock)",
			  cfg->conf->path, cfg->conf->socket);
		goto out;
	}
	(void)smfi_setmaxdatasize(MILTER_MAX_DATA); /* returns the old size */
	if (smfi_settimeout((int)cfg->conf->milter_timeout) != MI_SUCCESS ||
	    smfi_setbacklog(256) != MI_SUCCESS) {
		log_error("smfi_settimeout/smfi_setbacklog failed");
		goto out;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_error("cannot open socket %s (in use, or no permission)",
			  cfg->conf->socket);
		goto out;
	}
	milter_nodelay();
	/* authres_serv_id() without a configured id, looked up once */
	if (gethostname(milter_host, sizeof(milter_host)) < 0)
		(void)str_copy(milter_host, sizeof(milter_host), "localhost");
	milter_host[sizeof(milter_host) - 1] = '\0';
	rc = 0;
out:
	/* libmilter keeps its own copy of the connection string */
	free(sock);
	return rc;
}

/* milter_run - serve until SIGTERM */
int
milter_run(void)
{
	char host[TXN_HOST_MAX];

	/* after daemonizing: the pid is the one that serves */
	if (gethostname(host, sizeof(host)) < 0)
		(void)str_copy(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	(void)str_format(milter_node, sizeof(milter_node), "%s.%ld", host,
			 (long)getpid());
	return smfi_main() == MI_SUCCESS ? 0 : -1;
}
