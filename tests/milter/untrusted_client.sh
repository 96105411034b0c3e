#!/bin/bash
# untrusted_client - client 192.0.2.7 without login: a foreign sender is
# accepted unsigned at the end of the header, log "not signed: untrusted
# client" once per message with the queue id (both MTAs know it by then),
# also for an IPv6 client (its plain address, whatever the MTA's
# {client_addr} says); our own domain example.com is refused with 550 5.7.1
# in MAIL FROM (logged with the queue id under Sendmail's macro timing,
# NOQUEUE under Postfix's) and in From.  By IPv6 (raw client): 2001:db8::1
# is untrusted, ::1 (in the default internal_hosts) is trusted.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup untrusted_client
rg_start
for mta in $RG_MTAS; do
	s=$(rg_qsfx "$mta")
	rg_miltertest untrusted_client.lua "MTA=$mta"
	for n in 1 2; do
		id=UNTR000$n$s
		rg_expect_log "^relayguard\[[0-9]+\]: $id: not signed: untrusted client; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<bob$n$s@example\.net> header_from=<bob$n$s@example\.net>\$" \
			"$mta: log: message $n logged as $id: not signed: untrusted client"
		rg_expect_log_count "from=<bob$n$s@" 1 \
			"$mta: exactly one log line for message $n"
	done
	# the address from the connect information, never Sendmail's
	# "IPv6:..." form of {client_addr}
	rg_expect_log "^relayguard\[[0-9]+\]: UNTR0003$s: not signed: untrusted client; conn=[0-9]+ client=mx6\.example\.net\[2001:db8::7\] from=<bob3$s@example\.net> header_from=<bob3$s@example\.net>\$" \
		"$mta: IPv6 client logged with its plain address"
	rg_expect_log "^relayguard\[[0-9]+\]: $(rg_mail_qid UNTR0004 "$mta"): reject: MAIL: 550 5\.7\.1 <bob4$s@example\.com>: example\.com is a local domain, authenticate to send as it; reason=own-domain-spoof; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<bob4$s@example\.com>\$" \
		"$mta: our domain in the envelope refused at MAIL"
	rg_expect_log "^relayguard\[[0-9]+\]: UNTR0005$s: reject: END-OF-HEADER: 550 5\.7\.1 <ceo@example\.com>: example\.com is a local domain, authenticate to send as it; reason=own-domain-spoof; .* from=<bob5$s@example\.net> header_from=<ceo@example\.com>\$" \
		"$mta: our domain in From refused at the end of the header"
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
