#!/usr/bin/env bash
# t_limit_postfix.sh - rate limits through a real Postfix with real SASL
# logins (memory backend; the Redis backends have t_limit_redis*.sh and
# t_limit_concurrency.sh):
#   - a login over its hourly message quota hears 451 4.7.1 at RCPT, with
#     the limit, the subject and the retry time, before any DATA;
#   - a recipients quota refuses the extra recipients of one message alone,
#     the message goes to the others;
#   - an exempt recipient (postmaster) gets through an exhausted quota, and
#     alone: the other recipients of that message are still refused;
#   - a transaction that ends without a message (QUIT after RCPT) gives its
#     reservation back;
#   - the decisions are in the log and the audit trail with used/limit.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_postfix
rig_dns_start
rig_keys sign.test
rig_sink_start
cat > "$RUN/limits" <<'MAP'
plan three
	hour		messages	3/1h
plan rcpts
	day		recipients	5/1d
login	alice@sign.test		three
login	bob@sign.test		rcpts
MAP
rg_socket_inet
rg_conf "limits = yes" "limit_map = $RUN/limits" \
	"audit_file = $RUN/audit.jsonl"
rg_start
rig_postfix_start "$RG_MILTER"
rig_sasl_user alice@sign.test alicepw
rig_sasl_user bob@sign.test bobpw

# as LOGIN PASS SUBJECT [SWAKS-ARGS...] - alice's or bob's own address
as() {
	local login=$1 pass=$2 subj=$3
	shift 3
	rig_send --auth PLAIN --auth-user "$login" --auth-password "$pass" \
		--from "$login" --header "From: $login" --header "Subject: $subj" "$@"
}

# rcpt_refused ADDR CODE - the last transcript answered RCPT TO:<ADDR> with CODE
rcpt_refused() {
	awk -v a="RCPT TO:<$1>" -v c="$2" 'f { ok = index($0, "<** " c) == 1; exit }
		index($0, a) { f = 1 } END { exit !ok }' "$RUN/send.last"
}

for i in 1 2; do
	rig_check "alice message $i of 3: accepted" \
		as alice@sign.test alicepw "alice $i" --to rcpt@example.net
done
# a transaction that ends at RCPT: the reservation comes back
RG_SEND_QUIET=1 as alice@sign.test alicepw "aborted" --to rcpt@example.net \
	--quit-after RCPT || true
rig_check "alice message 3 of 3 (after an aborted one): accepted" \
	as alice@sign.test alicepw "alice 3" --to rcpt@example.net
if RG_SEND_QUIET=1 as alice@sign.test alicepw "alice 4" --to rcpt@example.net; then
	rig_fail "alice message 4: accepted over the quota" || true
fi
rig_check "alice message 4: 451 4.7.1 at RCPT with limit, subject, retry" \
	grep -qE '^<\*\* 451 4\.7\.1 hour quota exceeded for login:alice@sign\.test, retry in [0-9]+ s$' "$RUN/send.last"
rig_check "alice message 4: refused before DATA" \
	sh -c "! grep -q '^ *-> DATA' $RUN/send.last"
rig_check "alice over quota: postmaster still reachable" \
	as alice@sign.test alicepw "to postmaster" --to postmaster@example.net
RG_SEND_QUIET=1 as alice@sign.test alicepw "postmaster and other" \
	--to postmaster@example.net,other@example.net || true
rig_check "exempt alone: with postmaster, other@ refused (451) in the same message" \
	rcpt_refused other@example.net "451 4.7.1"
rig_check "bob: 7 recipients, a quota of 5: accepted for some" \
	as bob@sign.test bobpw "bob seven" \
	--to r1@example.net,r2@example.net,r3@example.net,r4@example.net,r5@example.net,r6@example.net,r7@example.net
rig_check "bob: exactly 2 recipients refused with 451 4.7.1" \
	test "$(grep -cE '^<\*\* 451 4\.7\.1 day quota exceeded for login:bob@sign\.test' "$RUN/send.last")" = 2
rig_check "bob: the 6th and 7th are the refused ones" \
	rcpt_refused r6@example.net "451 4.7.1"

rig_wait_delivered 6 60
f=$(grep -l '^Subject: bob seven' "$RUN"/sink/*)
rig_check "bob's message went to 5 recipients" \
	test "$(grep -c '^X-Rcpt-Args:' "$f")" = 5
rig_check "the postmaster+other message went to postmaster only" \
	test "$(grep -c '^X-Rcpt-Args:' "$(grep -l '^Subject: postmaster and other' "$RUN"/sink/*)")" = 1
rg_expect_log 'tempfail: RCPT: 451 4\.7\.1 hour quota exceeded for login:alice@sign\.test, retry in [0-9]+ s; to=<rcpt@example\.net> reason=quota limit=hour subject=login:alice@sign\.test used=3/3 retry=[0-9]+s; .*sasl_username=alice@sign\.test' \
	"log: the refusal with limit fields"
rig_check "audit: the refusal, with the limit used/limit" \
	test -n "$(jq -c 'select(.reason == "quota" and .action == "tempfail" and .limits[0].name == "hour" and .limits[0].used == 3 and .limits[0].limit == 3)' "$RUN/audit.jsonl")"
rg_finish
