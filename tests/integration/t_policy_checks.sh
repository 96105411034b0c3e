#!/usr/bin/env bash
# t_policy_checks.sh - the engine's checks through relayguard-policyd behind
# a real Postfix (check_policy_service at RCPT and END-OF-MESSAGE), answered
# at RCPT, before any DATA:
#   - a login over its quota gets 451 4.7.1 at RCPT (the policy service
#     checks at RCPT and counts at END-OF-MESSAGE);
#   - a forged envelope sender (a login using an address it does not own)
#     is refused with 553 5.7.1 at RCPT;
#   - SPF fail for an unauthenticated client is refused with 550 5.7.23 at
#     RCPT (SPF through the rig DNS, in relayguard-policyd's SPF process);
#   - an outside client using our domain is refused (550 5.7.1);
#   - the decisions are in the audit trail.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/policyd.sh"

rig_init policy_checks
rig_dns_start
rig_dns_add 'spf.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 -all"'
rig_sink_start
printf 'plan two\n\thour messages 2/1h\nlogin ann@sign.test two\n' > "$RUN/limits"
pd_socket_inet
pd_conf "limits = yes" "limit_map = $RUN/limits" "own_domains = sign.test" \
	"audit_file = $RUN/audit.jsonl"
pd_start
rig_postfix_start
pd_postfix_wire

ann=(--xclient "ADDR=192.0.2.7 NAME=mx.outside.example LOGIN=ann@sign.test")
for i in 1 2; do
	pd_send_expect 250 "ann's message $i of 2: accepted" "${ann[@]}" \
		--from ann@sign.test --to bo@example.net --header "Subject: ann $i"
done
pd_send_expect 451 "ann over her quota: 451 at RCPT" "${ann[@]}" \
	--from ann@sign.test --to bo@example.net --header "Subject: ann 3"
rig_check "the quota reply names limit, subject and retry" \
	grep -qE '451 4\.7\.1 <bo@example\.net>: Recipient address rejected: hour quota exceeded for login:ann@sign\.test, retry in [0-9]+ s' "$RUN/send.last"
rig_check "refused before DATA" sh -c "! grep -q '^ *-> DATA' $RUN/send.last"
pd_send_expect 553 "forged envelope sender: 553 at RCPT" "${ann[@]}" \
	--from boss@other.test --to bo@example.net --header "Subject: forged"
rig_check "the refusal names the address and the login" \
	grep -qE '553 5\.7\.1 <bo@example\.net>: Recipient address rejected: <boss@other\.test>: sender address not owned by login ann@sign\.test' "$RUN/send.last"
pd_send_expect 550 "SPF fail, unauthenticated client: 550 at RCPT" \
	--xclient "ADDR=198.51.100.7 NAME=mx.bad.example" \
	--from a@spf.test --to bo@example.net --header "Subject: spf fail"
rig_check "the SPF reply (RFC 7372 code)" \
	grep -qE '550 5\.7\.23 .*SPF fail: 198\.51\.100\.7 is not allowed to send mail for spf\.test' "$RUN/send.last"
pd_send_expect 250 "SPF pass, unauthenticated client: accepted" \
	--xclient "ADDR=192.0.2.9 NAME=mx.good.example" \
	--from a@spf.test --to bo@example.net --header "Subject: spf pass"
pd_send_expect 550 "outside client using our domain: 550 at RCPT" \
	--xclient "ADDR=192.0.2.9 NAME=mx.good.example" \
	--from ceo@sign.test --to bo@example.net --header "Subject: spoof"
rig_wait_delivered 3 60
for s in "ann 3" forged "spf fail" spoof; do
	rig_check "'$s' not delivered" sh -c "! grep -l '^Subject: $s\$' $RUN/sink/*"
done
pd_expect_log 'NOQUEUE: tempfail: RCPT from mx\.outside\.example\[192\.0\.2\.7\]: 451 4\.7\.1 hour quota exceeded for login:ann@sign\.test' \
	"log: the quota refusal in the milter's shape"
for i in $(seq 50); do
	[ "$(grep -c . "$RUN/audit.jsonl" 2>/dev/null)" -ge 4 ] && break
	sleep 0.1
done
rig_check "audit: the quota, ownership and SPF refusals" \
	test "$(jq -r 'select(.action != "accept") | .reason' "$RUN/audit.jsonl" | sort -u | tr '\n' ' ')" = "own-domain-spoof quota sender-not-owned spf-fail "
rig_check "audit: the accepted messages, counted at the end of the message" \
	test "$(jq -r 'select(.stage == "END-OF-MESSAGE" and .action == "accept") | .sender' "$RUN/audit.jsonl" | sort | uniq -c | awk '{print $1 "x" $2}' | tr '\n' ' ')" = "1xa@spf.test 2xann@sign.test "
pd_finish
