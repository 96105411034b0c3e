/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy_decide - one policy request in, one "action=" value and one log
 * line out: the translation between Postfix's attributes and the engine.
 *
 * The request's attributes fill a struct txn (via TXN_VIA_POLICY); the
 * stage named by protocol_state picks the engine calls:
 *
 *	MAIL			engine_mail
 *	RCPT			engine_mail (once per message), engine_rcpt
 *	DATA, END-OF-MESSAGE	engine_mail (once), engine_eom (once)
 *	anything else		nothing: DUNNO
 *
 * Postfix sends every request of one SMTP session over the same
 * connection, so the message in progress lives in a per-connection
 * struct policy_decide_state, keyed by the request's "instance" (one
 * value per message transaction): engine_mail runs once per message and
 * its verdict answers every later RCPT of that message; engine_eom runs
 * once per message, at DATA or at END-OF-MESSAGE, whichever comes first.
 * A request without an instance is a message of its own.
 *
 * Postfix's recipient_count is zero before DATA (SMTPD_POLICY_README), so
 * at RCPT the txn's nrcpt is the number of earlier recipients of the same
 * message that this service let pass (what a per-message cap needs; a
 * later restriction may still have refused one of them); at DATA and
 * END-OF-MESSAGE it is Postfix's recipient_count.
 *
 * Verdict to action: CONTINUE and ACCEPT give DUNNO (never OK, which would
 * skip the restrictions after ours, reject_unauth_destination included);
 * TEMPFAIL gives the verdict's "451 4.7.1 text" or, with
 * policy_defer_if_permit, "DEFER_IF_PERMIT text"; REJECT the verdict's
 * "550 5.7.1 text" (or 553 ...); HOLD and DISCARD their access(5) actions.
 * A code of the wrong class is replaced (a tempfail never becomes a 5xx).
 * With policy_prepend_headers the verdicts' headers are sent as PREPEND,
 * one per reply (the protocol allows one action), each once per message,
 * at MAIL, RCPT or DATA (Postfix cannot prepend at END-OF-MESSAGE).
 * Action text is printable ASCII on one line.
 *
 * Thread-safe for different states; the config is read-only.  Calls the
 * engine, which may block (DNS, Redis): run it off the event loop.
 */
#ifndef RG_POLICY_DECIDE_H
#define RG_POLICY_DECIDE_H

#include <stdbool.h>

#include "generation.h"
#include "log.h"
#include "policy_req.h"
#include "txn.h"

enum policy_stage {
	POLICY_STAGE_OTHER,	/* CONNECT, HELO, VRFY, ETRN, ...: DUNNO */
	POLICY_STAGE_MAIL,
	POLICY_STAGE_RCPT,
	POLICY_STAGE_DATA,
	POLICY_STAGE_EOM,
};

/* The message in progress on one connection. */
struct policy_decide_state {
	/* the small fields first, the big ones after: an idle connection
	 * makes only the pages init touches resident */
	bool mail_done;			/* engine_mail ran for txn.id */
	bool eom_done;			/* engine_eom ran for txn.id */
	bool eom_now;			/* and in this very request */
	unsigned long rcpt_ok;		/* RCPTs of txn.id we let pass */
	size_t nhdrs;			/* headers collected to PREPEND */
	size_t nsent;			/* of which sent */
	struct txn txn;			/* txn.id is the instance */
	struct verdict mail;		/* what engine_mail said */
	struct verdict_header hdrs[VERDICT_HDR_MAX];
};

/* "action=" value: a PREPEND of the longest header fits */
#define POLICY_ACTION_MAX (VERDICT_HDR_NAME_MAX + VERDICT_HDR_VALUE_MAX + 16)
#define POLICY_LOG_MAX 2560	/* every field at LOG_SAFE_MAX fits */

struct policy_decision {
	enum policy_stage stage;
	enum verdict_action verdict;
	char action[POLICY_ACTION_MAX];	/* without "action=" and newline */
	enum log_level level;		/* of the log line */
	char log[POLICY_LOG_MAX];	/* "" when level is not enabled */
};

void policy_decide_state_init(struct policy_decide_state *s);
enum policy_stage policy_decide_stage(const char *protocol_state);
void policy_decide(const struct generation *cfg, struct policy_decide_state *s,
		   const struct policy_req *req, struct policy_decision *d);
void policy_decide_action(const struct conf *c, const struct verdict *v,
			  char *buf, size_t size);

#endif
