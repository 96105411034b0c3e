#!/bin/bash
# sasl_login_outside - client 192.0.2.7 with {auth_authen}=user@example.com
# sending as itself: signed, and the log names the login; another login
# using that sender is refused at MAIL with 553 5.7.1; following messages
# on the same connection without a login are untrusted (our own domain
# refused, a foreign one not signed).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sasl_login_outside
rg_start
rg_miltertest sasl_login_outside.lua
rg_expect_log '^relayguard\[[0-9]+\]: SASL0001: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<user@example\.com> sasl_username=user@example\.com header_from=<user@example\.com>$' \
	"log: SASL0001 signed, sasl_username=user@example.com"
rg_expect_log '^relayguard\[[0-9]+\]: SASL0003: reject: MAIL: 553 5\.7\.1 <user@example\.com>: sender address not owned by login alice@example\.com; reason=sender-not-owned; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<user@example\.com> sasl_username=alice@example\.com$' \
	"log: SASL0003 refused, the login does not own the sender"
rg_expect_log '^relayguard\[[0-9]+\]: SASL0002: reject: MAIL: 550 5\.7\.1 ' \
	"log: next message without login is untrusted: our domain refused"
rg_expect_log '^relayguard\[[0-9]+\]: SASL0004: not signed: untrusted client; ' \
	"log: untrusted foreign sender not signed"
rg_expect_log_count 'SASL000[1234]: ' 4 "one log line per message"
rg_finish
