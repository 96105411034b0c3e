#!/usr/bin/env bash
# demo.sh - "make demo": relayguard signing real mail on a throwaway rig.
#
# Starts on 127.0.0.1, with every config and pid file in a run directory
# under build/run: unbound serving the demo's DKIM public keys (zone
# "demo.test" and an SPF record), smtp-sink as the next hop, a private
# Postfix instance with SASL logins and relayguard as its milter.  Sends
# three messages that are signed (two over SMTP, one through sendmail(1)),
# prints each delivered message's DKIM-Signature headers and the verdict of
# python3-dkim; then shows what relayguard refuses: a login sending as
# another user (553), a login over its quota (451 at RCPT), an outside
# client using our domain or failing SPF (550), and stops what it started.
set -eu
. "$(dirname "$0")/integration/lib.sh"
. "$(dirname "$0")/integration/rg.sh"

say() { printf '\n== %s\n' "$*"; }

rig_init demo
say "starting DNS (unbound on $RG_DNS_IP:53), keys, smtp-sink, relayguard, Postfix"
rig_dns_start
rig_keys demo.test
rig_sink_start
rig_dns_add 'partner.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 -all"'
printf 'alice@demo.test  sales@demo.test\n' > "$RUN/senders"
printf 'plan demo\n\thour messages 3/1h\nlogin * demo\n' > "$RUN/limits"
rg_socket_inet
rg_conf "sender_login_map = $RUN/senders" "limits = yes" "limit_map = $RUN/limits"
"$RG_BIN" -n -c "$RUN/relayguard.conf"
rg_start
rig_postfix_start "$RG_MILTER"
rig_postconf "smtpd_authorized_xclient_hosts = 127.0.0.0/8"
rig_sasl_user alice@demo.test alicepw
echo "Postfix smtpd on 127.0.0.1:$SMTP_PORT, milter $RG_MILTER, sink on 127.0.0.1:$SINK_PORT"
echo "KeyTable:"
sed 's/^/    /' "$RUN/keys/KeyTable"

say "sending mail through Postfix"
rig_send --from alice@demo.test --to bob@example.net \
	--header "Subject: hello from relayguard" --body "Signed twice, in one pass."
rig_send --from "carol@demo.test" --to dave@example.net \
	--header "Subject: second message" --body "Relaxed/relaxed, From oversigned."
printf 'From: Cron Daemon <cron@demo.test>\nTo: ops@example.net\nSubject: via sendmail(1)\n\nnon_smtpd_milters path\n' |
	rig_sendmail -f cron@demo.test ops@example.net
rig_wait_delivered 3 60

for f in $(grep -L '^Subject: quota' "$RUN"/sink/*); do
	say "delivered: $(grep -m1 '^Subject:' "$f")"
	awk '/^[ \t]/ && keep { print; next } { keep = /^DKIM-Signature:/ } keep' "$f"
	echo "-- python3-dkim verdict:"
	rig_verify "$f" | sed 's/^[^:]*: /   /'
done

# refused DESCRIPTION SWAKS-ARGS... - send, show the refusal
refused() {
	local what=$1
	shift
	if RG_SEND_QUIET=1 rig_send "$@"; then
		echo "$what: accepted (unexpected)"
	else
		echo "$what:"
		grep -E '^<\*\* ' "$RUN/send.last" | head -n 1 | sed 's/^<\*\* /    /'
	fi
}
login=(--auth PLAIN --auth-user alice@demo.test --auth-password alicepw)
say "what relayguard refuses"
refused "alice (SASL) sending as bob@demo.test" "${login[@]}" \
	--from bob@demo.test --to x@example.net
for i in 1 2 3; do
	RG_SEND_QUIET=1 rig_send "${login[@]}" --from sales@demo.test \
		--to "x$i@example.net" --header "Subject: quota $i" > /dev/null || true
done
refused "alice's fourth message this hour (quota 3/hour)" "${login[@]}" \
	--from alice@demo.test --to y@example.net
refused "an outside client (198.51.100.7) sending as our demo.test" \
	--xclient "ADDR=198.51.100.7 NAME=mx.elsewhere.example" \
	--from someone@demo.test --to z@example.net
refused "an outside client (198.51.100.7) sending as partner.test (SPF: only 192.0.2.0/24)" \
	--xclient "ADDR=198.51.100.7 NAME=mx.elsewhere.example" \
	--from someone@partner.test --to z@example.net
rig_wait_delivered 6 60

say "relayguard log"
sed 's/^/    /' "$RUN/relayguard.log"
say "verdicts: $(rig_verify "$RUN"/sink/* | grep -c 'signature ok') signatures ok"
rig_verify "$RUN"/sink/* > /dev/null
echo "stopping everything the demo started"
