#!/bin/bash
# sasl_login_outside - client 192.0.2.7 with {auth_authen}=user@example.com
# sending as itself: signed, and the log names the login; another login
# using that sender is refused at MAIL with 553 5.7.1; following messages
# on the same connection without a login are untrusted (our own domain
# refused, a foreign one not signed).  Once with Postfix's
# macro timing, once with Sendmail's.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sasl_login_outside
rg_start
for mta in $RG_MTAS; do
	s=$(rg_qsfx "$mta")
	rg_miltertest sasl_login_outside.lua "MTA=$mta"
	rg_expect_log "^relayguard\[[0-9]+\]: SASL0001$s: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<user@example\.com> sasl_username=user@example\.com header_from=<user@example\.com>\$" \
		"$mta: log: SASL0001$s signed, sasl_username=user@example.com"
	rg_expect_log "^relayguard\[[0-9]+\]: $(rg_mail_qid SASL0003 "$mta"): reject: MAIL: 553 5\.7\.1 <user@example\.com>: sender address not owned by login alice@example\.com; reason=sender-not-owned; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<user@example\.com> sasl_username=alice@example\.com\$" \
		"$mta: log: a login that does not own the sender is refused"
	rg_expect_log "^relayguard\[[0-9]+\]: $(rg_mail_qid SASL0002 "$mta"): reject: MAIL: 550 5\.7\.1 <nologin$s@example\.com>: example\.com is a local domain" \
		"$mta: log: next message without login is untrusted: our domain refused"
	rg_expect_log "^relayguard\[[0-9]+\]: SASL0004$s: not signed: untrusted client; .* from=<x$s@example\.net>" \
		"$mta: log: untrusted foreign sender not signed"
	rg_expect_log_count "SASL0001$s: |from=<nologin$s@|from=<x$s@" 3 \
		"$mta: one log line per message"
done
rg_finish
