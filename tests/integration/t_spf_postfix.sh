#!/usr/bin/env bash
# t_spf_postfix.sh - SPF for unauthenticated clients through a real Postfix,
# relayguard resolving through the rig DNS (a private resolv.conf in its own
# mount namespace).  XCLIENT makes each session come from the address the
# case needs.
#   - pass: delivered, one Authentication-Results field with our
#     authserv-id, "spf=pass smtp.mailfrom=...";
#   - fail: 550 5.7.23 at MAIL FROM, before any DATA;
#   - softfail with action "header": delivered, with Received-SPF too;
#   - a DNS timeout: 451 4.7.24 at MAIL FROM, within spf_timeout;
#   - the null sender: the HELO identity (postmaster@HELO) is checked;
#   - forged Authentication-Results fields claiming our authserv-id are
#     removed (all of them), another server's field is kept;
#   - internal and SASL clients are not SPF-checked;
#   - every decision is in the audit trail (JSON lines) and the metrics.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init spf_postfix
rig_dns_start
rig_keys sign.test
rig_dns_add 'spf.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'soft.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 ~all"' \
	'helo.spf.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'dnsfail.test. 60 TXT "v=spf1 include:x.timeout.test -all"'
rig_sink_start
rg_socket_inet
mport=$(rig_free_port)
rg_conf "authserv_id = mx.relay.test" "spf_timeout = 4s" \
	"spf_dns_timeout = 1s" "spf_action_softfail = header" \
	"audit_file = $RUN/audit.jsonl" "metrics_listen = 127.0.0.1:$mport"
rg_start
rig_postfix_start "$RG_MILTER"
rig_postconf "smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
	"relay_domains = example.net"
rig_postfix_reload

# from ADDR HELO MAIL_FROM SUBJECT [SWAKS-ARGS...]
from() {
	local addr=$1 helo=$2 mf=$3 subj=$4
	shift 4
	# swaks says EHLO again after XCLIENT: that name is the HELO
	rig_send --xclient "ADDR=$addr NAME=mx.client.example" --helo "$helo" \
		--from "$mf" --to rcpt@example.net \
		--header "Subject: $subj" "$@"
}

# refused WHAT REPLY-ERE CMD... - CMD fails with REPLY-ERE in the transcript
refused() {
	local what=$1 ere=$2
	shift 2
	if RG_SEND_QUIET=1 "$@"; then
		rig_fail "$what: accepted" || true
	elif grep -qE "^<\*\* $ere" "$RUN/send.last"; then
		rig_pass "$what"
	else
		rig_fail "$what: no /$ere/ reply" || true
		sed 's/^/    | /' "$RUN/send.last" | tail -n 8
	fi
}

rig_check "SPF pass: accepted" from 192.0.2.7 mx.spf.test a@spf.test "pass"
refused "SPF fail: 550 5.7.23 at MAIL FROM" \
	'550 5\.7\.23 SPF fail: 198\.51\.100\.7 is not allowed to send mail for spf\.test' \
	from 198.51.100.7 mx.spf.test a@spf.test "fail"
rig_check "refused before DATA" sh -c "! grep -q '^ *-> DATA' $RUN/send.last"
rig_check "SPF softfail, action header: accepted" \
	from 198.51.100.7 mx.spf.test a@soft.test "softfail"
start=$(date +%s)
refused "DNS timeout: 451 4.7.24 at MAIL FROM" '451 4\.7\.24 SPF temperror for dnsfail\.test' \
	from 192.0.2.7 mx.spf.test a@dnsfail.test "timeout"
took=$(( $(date +%s) - start ))
# a bound, not a speed: spf_timeout is 4 s, Postfix's milter timeout 30 s
rig_check "DNS timeout answered within spf_timeout (+ slack), took ${took}s" \
	test "$took" -le 8
rig_check "null sender: the HELO identity passes" \
	from 192.0.2.9 helo.spf.test "<>" "null sender"
refused "null sender, HELO not allowed: 550 5.7.23" '550 5\.7\.23 ' \
	from 198.51.100.9 helo.spf.test "<>" "null sender fail"
rig_check "forged Authentication-Results: accepted" \
	from 192.0.2.7 mx.spf.test a@spf.test "forged ar" \
	--header "Authentication-Results: mx.relay.test; spf=pass smtp.mailfrom=evil@spf.test" \
	--header "Authentication-Results: (comment) MX.Relay.Test.; dkim=pass" \
	--header "Authentication-Results: other.example; spf=fail smtp.mailfrom=x@y"
rig_check "internal client: accepted" \
	rig_send --from a@spf.test --to rcpt@example.net --header "Subject: internal"
rig_wait_delivered 5 60

msg() { grep -l "^Subject: $1\$" "$RUN"/sink/*; }
# ar FILE - the Authentication-Results fields, unfolded, one per line
ar() { awk '/^[ \t]/ && f { printf "%s", $0; next } { if (f) print ""; f = 0 }
	/^Authentication-Results:/ { printf "%s", $0; f = 1 } END { if (f) print "" }' "$1"; }
f=$(msg pass)
rig_check "pass: one Authentication-Results field" test "$(ar "$f" | wc -l)" = 1
rig_check "pass: spf=pass for the MAIL FROM identity, our authserv-id" \
	grep -qE '^Authentication-Results: mx\.relay\.test; spf=pass .*smtp\.mailfrom=a@spf\.test' <(ar "$f")
f=$(msg softfail)
rig_check "softfail: spf=softfail recorded" grep -q 'spf=softfail' <(ar "$f")
rig_check "softfail, action header: Received-SPF added" \
	grep -q '^Received-SPF: softfail' "$f"
f=$(msg "null sender")
rig_check "null sender: smtp.helo recorded" grep -qE 'spf=pass .*smtp\.helo=helo\.spf\.test' <(ar "$f")
f=$(msg "forged ar")
rig_check "forged fields claiming mx.relay.test removed, ours and the other kept" \
	test "$(ar "$f" | grep -c 'mx\.relay\.test;') $(ar "$f" | grep -ci 'relay\.test\.;') $(ar "$f" | grep -c 'other\.example;')" = "1 0 1"
rig_check "forged: the remaining mx.relay.test field is ours (spf=pass a@spf.test)" \
	grep -qE '^Authentication-Results: mx\.relay\.test; spf=pass .*smtp\.mailfrom=a@spf\.test' <(ar "$f")
rig_check "internal client: no SPF check, no Authentication-Results" \
	test "$(ar "$(msg internal)" | wc -l)" = 0
rg_expect_log 'removed 2 Authentication-Results fields claiming authserv-id mx\.relay\.test' \
	"log: the forged fields removed"
rg_expect_log 'reject: MAIL: 550 5\.7\.23 SPF fail: .*reason=spf-fail; .* from=<a@spf\.test> spf=fail' \
	"log: the SPF refusal with the result"
rg_expect_log 'tempfail: MAIL: 451 4\.7\.24 .*reason=spf-temperror' \
	"log: the temperror"

# the audit trail: one JSON object per decision, as the log says
jqc() { jq -c "$1" "$RUN/audit.jsonl"; }
for i in $(seq 50); do
	[ "$(jq -s length "$RUN/audit.jsonl" 2>/dev/null)" -ge 8 ] && break
	sleep 0.1
done
rig_check "audit: every line is JSON" jq -e . "$RUN/audit.jsonl"
rig_check "audit: the SPF fail, rejected at MAIL with the reply" \
	test "$(jqc 'select(.reason == "spf-fail" and .spf == "fail" and .action == "reject" and .client_addr == "198.51.100.7") | .reply' | head -n 1)" \
	= '"550 5.7.23 SPF fail: 198.51.100.7 is not allowed to send mail for spf.test"'
rig_check "audit: the temperror tempfailed" \
	test -n "$(jqc 'select(.reason == "spf-temperror" and .action == "tempfail")')"
rig_check "audit: the pass accepted with spf=pass and a queue id" \
	test -n "$(jqc 'select(.spf == "pass" and .action == "accept" and (.queue_id | length) > 0)')"
m=$(curl -s "http://127.0.0.1:$mport/metrics")
rig_check "metrics: SPF results counted" \
	grep -qE '^relayguard_spf_results_total\{result="fail"\} [1-9]' <<< "$m"
rig_check "metrics: refusals by reason" \
	grep -qE '^relayguard_messages_total\{verdict="reject",reason="spf-fail"\} [1-9]' <<< "$m"
rg_finish
