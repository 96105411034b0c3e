#!/bin/bash
# untrusted_client - client 192.0.2.7 without login: MAIL answered with
# accept, log "not signed: untrusted client" once per message, with the
# queue id under Sendmail's macro timing (known at MAIL FROM) and NOQUEUE
# under Postfix's, also for an IPv6 client (its plain address, whatever
# the MTA's {client_addr} says).  By IPv6 (raw client): 2001:db8::1 is
# untrusted, ::1 (in the default internal_hosts) is trusted.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup untrusted_client
rg_start
for mta in $RG_MTAS; do
	s=$(rg_qsfx "$mta")
	rg_miltertest untrusted_client.lua "MTA=$mta"
	for n in 1 2; do
		id=$(rg_mail_qid "UNTR000$n" "$mta")
		rg_expect_log "^relayguard\[[0-9]+\]: $id: not signed: untrusted client; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<bob$n$s@example\.com>\$" \
			"$mta: log: message $n logged as $id: not signed: untrusted client"
		rg_expect_log_count "from=<bob$n$s@" 1 \
			"$mta: exactly one log line for message $n"
	done
	# the address from the connect information, never Sendmail's
	# "IPv6:..." form of {client_addr}
	rg_expect_log "^relayguard\[[0-9]+\]: $(rg_mail_qid UNTR0003 "$mta"): not signed: untrusted client; conn=[0-9]+ client=mx6\.example\.net\[2001:db8::7\] from=<bob3$s@example\.com>\$" \
		"$mta: IPv6 client logged with its plain address"
done
rg_expect_no_log ': signed: ' "nothing signed"
rg_client v6out --qid UNTR0006 --client-ip 2001:db8::1 \
	--client-name mx6.example.net -H 'From: User <user@example.com>' >/dev/null
rg_expect_out v6out '^mail: a$' "IPv6 client 2001:db8::1: MAIL accept"
rg_expect_log "UNTR0006: not signed: untrusted client; conn=[0-9]+ client=mx6\.example\.net\[2001:db8::1\] " \
	"log: UNTR0006 not signed: untrusted client"
rg_client v6in --qid UNTR0007 --client-ip ::1 \
	-H 'From: User <user@example.com>' >/dev/null
rg_expect_out v6in '^summary final=a signatures=2 ' "IPv6 client ::1: signed"
rg_expect_log "UNTR0007: signed: .* client=localhost\[::1\] " \
	"log: UNTR0007 signed"
rg_finish
