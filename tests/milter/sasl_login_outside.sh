#!/bin/bash
# sasl_login_outside - client 192.0.2.7 with {auth_authen}=alice: signed,
# and the log names the login; a following message on the same connection
# without a login is not signed (untrusted client).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sasl_login_outside
rg_start
rg_miltertest sasl_login_outside.lua
rg_expect_log '^relayguard\[[0-9]+\]: SASL0001: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<user@example\.com> sasl_username=alice header_from=<user@example\.com>$' \
	"log: SASL0001 signed, sasl_username=alice"
rg_expect_log '^relayguard\[[0-9]+\]: SASL0002: not signed: untrusted client; ' \
	"log: next message without login is not signed"
rg_expect_log_count 'SASL000[12]: ' 2 "one log line per message"
rg_finish
