#!/usr/bin/env bash
# t_untrusted_client.sh - mail from a client outside internal_hosts is never
# signed (one log line, "untrusted client"), while a SASL-authenticated
# session from the same outside address is, for the address its login owns.
# Postfix's XCLIENT command (smtpd_authorized_xclient_hosts) makes the
# session look as if it came from 192.0.2.7, with or without a SASL login.
# (t_sender_login.sh does the same with real SASL authentication.)
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rg_rig untrusted
rig_postconf "smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
	"relay_domains = example.net" \
	"smtpd_sasl_auth_enable = yes" \
	"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
rig_postfix_reload

rig_send --xclient "ADDR=192.0.2.7 NAME=mx.outside.example" \
	--from someone@outside.test --to rcpt@example.net --header "Subject: outside"
rig_send --xclient "ADDR=192.0.2.8 NAME=[UNAVAILABLE] LOGIN=alice@sign.test" \
	--from alice@sign.test --to rcpt@example.net --header "Subject: sasl"
rig_wait_delivered 2 60

outside=$(grep -l '^Subject: outside' "$RUN"/sink/*)
sasl=$(grep -l '^Subject: sasl' "$RUN"/sink/*)
rig_check "outside client: delivered unsigned" rig_verify --expect-unsigned "$outside"
rg_expect_log '[0-9A-F]+: not signed: untrusted client; conn=[0-9]+ client=mx.outside.example\[192.0.2.7\] from=<someone@outside.test>' \
	"log: not signed: untrusted client, with client and sender"
rig_check "SASL login from outside: signed and verified" rig_verify "$sasl"
rg_expect_log ': signed: .* client=unknown\[192.0.2.8\] from=<alice@sign.test> sasl_username=alice@sign.test' \
	"log: signed, with sasl_username"
rg_finish
