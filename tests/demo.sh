#!/usr/bin/env bash
# demo.sh - "make demo": relayguard signing real mail on a throwaway rig.
#
# Starts on 127.0.0.1, with every config and pid file in a run directory
# under build/run: unbound serving the demo's DKIM public keys (zone
# "demo.test"), smtp-sink as the next hop, a private Postfix instance with
# relayguard as its milter.  Sends three messages (two over SMTP, one
# through sendmail(1)), then prints each delivered message's DKIM-Signature
# headers and the verdict of python3-dkim, and stops what it started.
set -eu
. "$(dirname "$0")/integration/lib.sh"
. "$(dirname "$0")/integration/rg.sh"

say() { printf '\n== %s\n' "$*"; }

rig_init demo
say "starting DNS (unbound on $RG_DNS_IP:53), keys, smtp-sink, relayguard, Postfix"
rig_dns_start
rig_keys demo.test
rig_sink_start
rg_socket_inet
rg_conf
"$RG_BIN" -n -c "$RUN/relayguard.conf"
rg_start
rig_postfix_start "$RG_MILTER"
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

for f in "$RUN"/sink/*; do
	say "delivered: $(grep -m1 '^Subject:' "$f")"
	awk '/^[ \t]/ && keep { print; next } { keep = /^DKIM-Signature:/ } keep' "$f"
	echo "-- python3-dkim verdict:"
	rig_verify "$f" | sed 's/^[^:]*: /   /'
done

say "relayguard log"
sed 's/^/    /' "$RUN/relayguard.log"
say "verdicts: $(rig_verify "$RUN"/sink/* | grep -c 'signature ok') signatures ok"
rig_verify "$RUN"/sink/* > /dev/null
echo "stopping everything the demo started"
