/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * abusemsg - what the abuse checks (abuse.h) keep about one message while
 * it is being received: its distinct recipients and recipient domains
 * (as 64-bit hashes: no address is stored), the body fingerprint, the
 * signals raised so far, and whether a signal asked to hold the message.
 *
 * It lives inside struct txn, so it needs nothing above it; the front end
 * resets it with the rest of the message (txn_reset_message).  Recipients
 * and domains past ABUSEMSG_RCPTS_MAX are counted in nrcpts_seen but not
 * kept: fan-out counts the first ABUSEMSG_RCPTS_MAX of a message (Postfix's
 * default smtpd_recipient_limit is 1000).  One thread at a time.
 */
#ifndef RG_ABUSEMSG_H
#define RG_ABUSEMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ABUSEMSG_RCPTS_MAX 1024
#define ABUSEMSG_DOMAINS_MAX 1024
#define ABUSEMSG_SIGNALS_MAX 8
#define ABUSEMSG_SUBJECT_MAX 320
#define ABUSEMSG_FP_MAX 33	/* BODYFP_HEX_MAX */

/* One abuse signal raised for the message, for its audit record. */
struct abusemsg_signal {
	char name[32];			/* AUDIT_SIGNAL_* */
	char subject[ABUSEMSG_SUBJECT_MAX];
	char action[16];		/* log, tempfail, reject, hold */
	bool dry_run;
};

struct abusemsg {
	/* the counts first: the arrays are read only up to them (see the
	 * note in txn.h on resident memory) */
	size_t nrcpts;
	size_t ndomains;
	size_t nsignals;
	char body_fp[ABUSEMSG_FP_MAX];		/* "" : none */
	bool hold;				/* quarantine at the end */
	char hold_why[64];			/* the first signal asking */
	bool rcpt_cap_raised;			/* signalled once a message */
	bool domain_cap_raised;
	struct abusemsg_signal signals[ABUSEMSG_SIGNALS_MAX];
	uint64_t rcpts[ABUSEMSG_RCPTS_MAX];	/* distinct, lower-cased */
	uint64_t domains[ABUSEMSG_DOMAINS_MAX];
};

void abusemsg_reset(struct abusemsg *m);
uint64_t abusemsg_hash(const char *s, size_t len);
int abusemsg_rcpt_split(const char *rcpt, uint64_t *addr, uint64_t *domain);
bool abusemsg_has_rcpt(const struct abusemsg *m, uint64_t h);
bool abusemsg_has_domain(const struct abusemsg *m, uint64_t h);
void abusemsg_add_rcpt(struct abusemsg *m, const char *rcpt);
void abusemsg_add_signal(struct abusemsg *m, const char *name,
			 const char *subject, const char *action,
			 bool dry_run);
void abusemsg_hold(struct abusemsg *m, const char *why);

#endif
