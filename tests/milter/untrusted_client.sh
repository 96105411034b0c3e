#!/bin/bash
# untrusted_client - client 192.0.2.7 without login: a foreign sender is
# accepted unsigned at the end of the header, log "not signed: untrusted
# client" once per message; our own domain example.com is refused with 550
# 5.7.1 in MAIL FROM and in From.  The same by IPv6 (raw client):
# 2001:db8::1 is untrusted, ::1 (in the default internal_hosts) is trusted.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup untrusted_client
rg_start
rg_miltertest untrusted_client.lua
rg_expect_log "^relayguard\[[0-9]+\]: UNTR0001: not signed: untrusted client; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<bob@example\.net> header_from=<bob@example\.net>$" \
	"log: UNTR0001 not signed: untrusted client"
rg_expect_log "^relayguard\[[0-9]+\]: UNTR0002: reject: MAIL: 550 5\.7\.1 <bob@example\.com>: example\.com is a local domain, authenticate to send as it; reason=own-domain-spoof; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<bob@example\.com>$" \
	"log: UNTR0002 refused at MAIL: our domain in the envelope"
rg_expect_log "^relayguard\[[0-9]+\]: UNTR0003: reject: END-OF-HEADER: 550 5\.7\.1 <ceo@example\.com>: example\.com is a local domain, authenticate to send as it; reason=own-domain-spoof; .* header_from=<ceo@example\.com>$" \
	"log: UNTR0003 refused at the end of the header: our domain in From"
for q in UNTR0001 UNTR0002 UNTR0003; do
	rg_expect_log_count "$q: " 1 "exactly one log line for $q"
done
rg_expect_no_log ': signed: ' "nothing signed"
rg_client v6out --qid UNTR0006 --client-ip 2001:db8::1 --sender '<user@example.net>' \
	--client-name mx6.example.net -H 'From: User <user@example.net>' >/dev/null
rg_expect_out v6out '^mail: c$' "IPv6 client 2001:db8::1: MAIL continue"
rg_expect_out v6out '^eoh: a$' "IPv6 client 2001:db8::1: accepted at the end of the header"
rg_expect_log "UNTR0006: not signed: untrusted client; conn=[0-9]+ client=mx6\.example\.net\[2001:db8::1\] " \
	"log: UNTR0006 not signed: untrusted client"
rg_client v6in --qid UNTR0007 --client-ip ::1 \
	-H 'From: User <user@example.com>' >/dev/null
rg_expect_out v6in '^summary final=a signatures=2 ' "IPv6 client ::1: signed"
rg_expect_log "UNTR0007: signed: .* client=localhost\[::1\] " \
	"log: UNTR0007 signed"
rg_finish
