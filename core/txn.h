/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * txn - what the engine knows about one message, independent of the
 * protocol it arrived by (milter or policy delegation), and the verdict
 * the engine gives back.
 *
 * Front ends fill a struct txn from their protocol; engine_*() decide and
 * write a struct verdict, which the front end turns back into its protocol
 * (SMFIS_* and smfi_setreply, or "action=..." for the policy service).
 * Strings are bounded copies owned by the struct; nothing points into
 * protocol buffers.  One thread at a time.
 */
#ifndef RG_TXN_H
#define RG_TXN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "abusemsg.h"
#include "addr.h"
#include "author.h"

#define TXN_LOGIN_MAX 256
#define TXN_PATH_MAX 256	/* RFC 5321 4.5.3.1.3 */
#define TXN_HOST_MAX 256
#define TXN_ID_MAX 128
#define TXN_ADD_HDRS_MAX 4
#define TXN_LIMITS_MAX 8

#define VERDICT_HDR_NAME_MAX 64
#define VERDICT_HDR_VALUE_MAX 1024

struct verdict_header {
	char name[VERDICT_HDR_NAME_MAX];
	char value[VERDICT_HDR_VALUE_MAX];	/* unfolded, no CRLF */
};

/* One limit a decision touched, for the audit trail and warnings. */
struct txn_limit {
	char name[32];
	char subject[160];
	unsigned long used;
	unsigned long amount;
	bool over;
};

/* Which front end built the txn: the policy service never hears of an
 * aborted transaction, so it counts at END-OF-MESSAGE and only checks at
 * RCPT; the milter reserves at RCPT and releases on abort. */
enum txn_via {
	TXN_VIA_MILTER,
	TXN_VIA_POLICY,
};

struct txn {
	enum txn_via via;

	/* the connection */
	char client_addr[INET6_ADDRSTRLEN];	/* "" when not IP */
	char client_name[TXN_HOST_MAX];
	char helo[TXN_HOST_MAX];	/* "" when not (yet) known */

	/* the message */
	char id[TXN_ID_MAX];		/* unique per message transaction:
					 * policy "instance", milter
					 * node+conn+message number */
	char qid[64];			/* MTA queue id, "" until known */
	char login[TXN_LOGIN_MAX];	/* SASL login, "" if none */
	char sender[TXN_PATH_MAX];	/* MAIL FROM without <> */
	unsigned long nrcpt;		/* recipients accepted so far */
	unsigned long nrcpt_counted;	/* of those, counted by the limits
					 * (not limit_exempt_recipients) */
	bool limits_reserved;		/* a reservation waits for commit or
					 * release */
	unsigned long size;		/* bytes: SIZE= estimate, then actual */

	unsigned from_count;		/* From: fields seen */
	enum addr_status from_status;	/* of the first From */
	struct addr from;
	char from_why[128];		/* reason when from_status != OK */
	bool headers_truncated;		/* over max_header_bytes */
	char long_field[64];		/* a signed field over the limit */

	/* what the checks found, for EOM, logs and the audit trail */
	char spf_result[16];		/* "pass", ... or "" when unchecked */
	char spf_domain[256];
	char limit_log[256];		/* last limit decision's log fields */
	/* the first author field (From, Sender, Resent-From, Resent-Sender)
	 * found against the message by engine_header, for engine_eoh */
	struct author_finding author;
	const char *author_field;	/* its canonical name (static) */
	size_t nadd_hdrs;		/* the counts of the arrays below */
	size_t nlimits;

	/*
	 * The arrays last, read only up to their counts: a txn is ~30 kB,
	 * and a front end that keeps one per idle connection (the policy
	 * service) should only make the first pages of it resident.
	 */
	struct abusemsg abuse;		/* recipients, body fingerprint and
					 * signals for the abuse checks */
	struct verdict_header add_hdrs[TXN_ADD_HDRS_MAX];	/* at EOM */
	struct txn_limit limits[TXN_LIMITS_MAX];	/* last decision's */
};

void txn_reset_message(struct txn *t);
struct verdict;
void txn_keep_headers(struct txn *t, const struct verdict *v);

/*
 * A verdict.  VERDICT_CONTINUE means "nothing against it at this stage":
 * the front end goes on (milter SMFIS_CONTINUE, policy DUNNO).  code and
 * xcode are set for TEMPFAIL and REJECT ("451" "4.7.1", "550" "5.7.23");
 * text is the human part of the reply, without the codes.  reason is a
 * short fixed tag for logs, audit and metrics ("spf-fail",
 * "sender-not-owned", "quota").  Headers are prepended to the message by
 * the milter (the policy service can PREPEND one).
 */
enum verdict_action {
	VERDICT_CONTINUE = 0,
	VERDICT_ACCEPT,		/* accept now, no further checks */
	VERDICT_TEMPFAIL,
	VERDICT_REJECT,
	VERDICT_HOLD,		/* accept into the MTA's hold queue */
	VERDICT_DISCARD,
};

#define VERDICT_TEXT_MAX 400
#define VERDICT_HDR_MAX 4

struct verdict {
	enum verdict_action action;
	char code[4];
	char xcode[16];
	char text[VERDICT_TEXT_MAX];
	char reason[64];
	size_t nhdrs;
	struct verdict_header hdrs[VERDICT_HDR_MAX];
};

void verdict_init(struct verdict *v);
void verdict_copy(struct verdict *dst, const struct verdict *src);
void verdict_set(struct verdict *v, enum verdict_action a, const char *code,
		 const char *xcode, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int verdict_add_header(struct verdict *v, const char *name,
		       const char *value);
const char *verdict_action_name(enum verdict_action a);

#endif
