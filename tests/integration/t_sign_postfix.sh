#!/usr/bin/env bash
# t_sign_postfix.sh - relayguard on a real Postfix signs mail from internal
# clients with both keys (RSA-SHA256 and Ed25519-SHA256), over an inet
# socket; every delivered message verifies with python3-dkim against keys
# served by the rig DNS; mail submitted with sendmail(1) (non_smtpd_milters)
# is signed too; mail whose From domain has no key is delivered unsigned
# with a log line; the log line carries Postfix's queue id.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rg_rig sign_postfix

for i in 1 2 3; do
	rig_send --from "user$i@sign.test" --to "rcpt@example.net" \
		--header "Subject: test $i" --body "message $i"
done
printf 'From: Local User <local@sign.test>\nTo: rcpt@example.net\nSubject: via sendmail\n\nbody\n' |
	rig_sendmail -f local@sign.test rcpt@example.net
rig_send --from "other@nokey.test" --to "rcpt@example.net" \
	--header "Subject: no key"
rig_wait_delivered 5 60

signed=$(grep -l '^DKIM-Signature:' "$RUN"/sink/* | sort)
unsigned=$(grep -L '^DKIM-Signature:' "$RUN"/sink/* | sort)
rig_check "4 messages signed, 1 unsigned" \
	test "$(echo "$signed" | wc -w) $(echo "$unsigned" | wc -w)" = "4 1"
# shellcheck disable=SC2086
rig_check "every signed message verifies (RSA and Ed25519)" rig_verify $signed
for f in $signed; do
	rig_check "$(basename "$f"): one rsa-sha256 and one ed25519-sha256 signature" \
		test "$(grep -c 'a=rsa-sha256' "$f") $(grep -c 'a=ed25519-sha256' "$f")" = "1 1"
done
# shellcheck disable=SC2086
n_over=$(cat $signed | awk '/^[ \t]/ { printf "%s", $0; next } { printf "\n%s", $0 }' |
	grep '^DKIM-Signature:' | tr -d ' \t' | grep -ciE 'h=([^;]*:)?from:[^;]*:from;')
rig_check "From oversigned in all 8 signatures (h=from:...:from)" test "$n_over" = 8
# shellcheck disable=SC2086
rig_check "the unsigned message is the one without a key" \
	grep -q 'Subject: no key' $unsigned
rg_expect_log '[0-9A-F]{6,}: not signed: no key for domain nokey.test' \
	"log: not signed, reason, queue id"
qid=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=.*/\1/p' \
	"$RUN/postfix/maillog" | head -n 1)
rg_expect_log "^relayguard\\[[0-9]+\\]: $qid: signed: d=sign.test s=rsa a=rsa-sha256, d=sign.test s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\\[127.0.0.1\\]" \
	"log: signed line starts with Postfix's queue id $qid"
rig_check "4 signed lines in the log" test "$(rg_log_count ': signed: ')" = 4
rg_finish
