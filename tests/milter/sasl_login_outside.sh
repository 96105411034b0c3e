#!/bin/bash
# sasl_login_outside - client 192.0.2.7 with {auth_authen}=alice: signed,
# and the log names the login; a following message on the same connection
# without a login is not signed (untrusted client).  Once with Postfix's
# macro timing, once with Sendmail's.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sasl_login_outside
rg_start
for mta in $RG_MTAS; do
	s=$(rg_qsfx "$mta")
	rg_miltertest sasl_login_outside.lua "MTA=$mta"
	rg_expect_log "^relayguard\[[0-9]+\]: SASL0001$s: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<user@example\.com> sasl_username=alice header_from=<user@example\.com>\$" \
		"$mta: log: SASL0001$s signed, sasl_username=alice"
	rg_expect_log "^relayguard\[[0-9]+\]: $(rg_mail_qid SASL0002 "$mta"): not signed: untrusted client; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<nologin$s@example\.com>\$" \
		"$mta: log: next message without login is not signed"
	rg_expect_log_count "SASL0001$s: |from=<nologin$s@" 2 \
		"$mta: one log line per message"
done
rg_finish
