/* SPDX-License-Identifier: BSD-2-Clause */
#include "abusemsg.h"

#include <pthread.h>

#include <string.h>

#include <openssl/evp.h>

#include "log.h"
#include "str.h"

/* abusemsg_reset - forget the message */
void
abusemsg_reset(struct abusemsg *m)
{
	m->nrcpts = 0;
	m->ndomains = 0;
	m->body_fp[0] = '\0';
	m->nsignals = 0;
	m->hold = false;
	m->hold_why[0] = '\0';
	m->rcpt_cap_raised = false;
	m->domain_cap_raised = false;
}

/* SHA-256, fetched once (a fetch per digest costs more than the digest). */
static EVP_MD *abusemsg_sha256;
static pthread_once_t abusemsg_sha256_once = PTHREAD_ONCE_INIT;

/* abusemsg_sha256_init - fetch SHA-256 */
static void
abusemsg_sha256_init(void)
{
	abusemsg_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (abusemsg_sha256 == NULL)
		log_panic("abusemsg: cannot fetch SHA-256");
}

/* abusemsg_hash - the first 64 bits of SHA-256 of s, ASCII lower-cased:
 * a cryptographic hash, so that nobody can make many addresses count as
 * one (a cheap hash can be made to collide on purpose) */
uint64_t
abusemsg_hash(const char *s, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	char buf[256];
	uint64_t h = 0;
	size_t i;

	pthread_once(&abusemsg_sha256_once, abusemsg_sha256_init);
	if (len <= sizeof(buf)) {	/* the usual address: one call */
		for (i = 0; i < len; i++)
			buf[i] = (s[i] >= 'A' && s[i] <= 'Z')
					 ? (char)(s[i] - 'A' + 'a') : s[i];
		if (EVP_Digest(buf, len, md, &mdlen, abusemsg_sha256,
			       NULL) != 1 || mdlen < 8)
			log_panic("abusemsg: SHA-256 failed");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestInit_ex(ctx, abusemsg_sha256, NULL) != 1)
		log_panic("abusemsg: cannot set up SHA-256");
	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		for (i = 0; i < n; i++)
			buf[i] = (s[i] >= 'A' && s[i] <= 'Z')
					 ? (char)(s[i] - 'A' + 'a')
					 : s[i];
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			log_panic("abusemsg: SHA-256 update failed");
		s += n;
		len -= n;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 8)
		log_panic("abusemsg: SHA-256 final failed");
	EVP_MD_CTX_free(ctx);
out:
	for (i = 0; i < 8; i++)
		h = h << 8 | md[i];
	return h;
}

/* abusemsg_rcpt_split - hashes of a recipient ("<a@b>" or "a@b") and of
 * its domain; -1 when it has no domain (then only addr is set) */
int
abusemsg_rcpt_split(const char *rcpt, uint64_t *addr, uint64_t *domain)
{
	size_t len = strlen(rcpt);
	const char *at;

	if (len >= 2 && rcpt[0] == '<' && rcpt[len - 1] == '>') {
		rcpt++;
		len -= 2;
	}
	*addr = abusemsg_hash(rcpt, len);
	*domain = 0;
	at = memrchr(rcpt, '@', len);
	if (at == NULL || at + 1 == rcpt + len)
		return -1;
	*domain = abusemsg_hash(at + 1, (size_t)(rcpt + len - at - 1));
	return 0;
}

/* abusemsg_has_rcpt - is this recipient hash kept already? */
bool
abusemsg_has_rcpt(const struct abusemsg *m, uint64_t h)
{
	size_t i;

	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i] == h)
			return true;
	return false;
}

/* abusemsg_has_domain - is this domain hash kept already? */
bool
abusemsg_has_domain(const struct abusemsg *m, uint64_t h)
{
	size_t i;

	for (i = 0; i < m->ndomains; i++)
		if (m->domains[i] == h)
			return true;
	return false;
}

/* abusemsg_add_rcpt - keep an accepted recipient and its domain */
void
abusemsg_add_rcpt(struct abusemsg *m, const char *rcpt)
{
	uint64_t a;
	uint64_t d;
	int rc = abusemsg_rcpt_split(rcpt, &a, &d);

	if (!abusemsg_has_rcpt(m, a) && m->nrcpts < ABUSEMSG_RCPTS_MAX)
		m->rcpts[m->nrcpts++] = a;
	if (rc == 0 && !abusemsg_has_domain(m, d) &&
	    m->ndomains < ABUSEMSG_DOMAINS_MAX)
		m->domains[m->ndomains++] = d;
}

/* abusemsg_add_signal - note a signal for the audit record; the same
 * name and subject twice is kept once */
void
abusemsg_add_signal(struct abusemsg *m, const char *name, const char *subject,
		    const char *action, bool dry_run)
{
	struct abusemsg_signal *s;
	size_t i;

	for (i = 0; i < m->nsignals; i++)
		if (strcmp(m->signals[i].name, name) == 0 &&
		    strcmp(m->signals[i].subject, subject) == 0)
			return;
	if (m->nsignals == ABUSEMSG_SIGNALS_MAX)
		return;
	s = &m->signals[m->nsignals++];
	/* names and actions are ours and short; a subject is cut at worst */
	(void)str_copy(s->name, sizeof(s->name), name);
	if (str_copy(s->subject, sizeof(s->subject), subject) < 0)
		(void)str_copyn(s->subject, sizeof(s->subject), subject,
				sizeof(s->subject) - 1);
	(void)str_copy(s->action, sizeof(s->action), action);
	s->dry_run = dry_run;
}

/* abusemsg_hold - a signal asks to quarantine the message */
void
abusemsg_hold(struct abusemsg *m, const char *why)
{
	if (m->hold)
		return;
	m->hold = true;
	(void)str_copy(m->hold_why, sizeof(m->hold_why), why);
}
