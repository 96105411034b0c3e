#!/usr/bin/env bash
# t_ctl_abuse.sh - relayguardctl quota, block, unblock, top, reputation and
# explain against a real redis-server, and without one:
#   - quota show after real reservations (limitq, the engine's own calls),
#     set (an override every node sees, with a TTL), unset, reset; a subject
#     without a plan exits 1, a malformed one 2;
#   - block with a reason and an expiry (--for, --until), on a client
#     network; block show; unblock (exit 1 when there was no block); each
#     block and unblock lands in the audit trail and in the report;
#   - explain: a blocked login, a quota reached, an outside client using
#     our domain, SPF pass and fail through the real resolver (the rig's
#     DNS), --no-spf; nothing it checks is consumed;
#   - Redis down: every command exits 3 with the reason and prints nothing
#     on stdout with --json; the memory backend and abuse_control = no
#     exit 78 saying why.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"

CTL=$RG_TOP/${RG_BUILD:-build}/relayguardctl
rig_init ctl_abuse
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
rig_dns_start
rig_keys sign.test
rig_dns_add 'spf.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 -all"'
rr_start main
cat > "$RUN/limits" <<'MAP'
plan small
	hour	messages	3/1h
	day	recipients	50/1d
login	alice@example.com	small
login	bob@example.com		small
MAP
rg_conf "limits = yes" "limit_map = $RUN/limits" "limit_backend = redis" \
	"redis_server = 127.0.0.1:$(rr_port main)" "abuse_control = yes" \
	"audit_file = $RUN/audit.jsonl"
conf=$RUN/relayguard.conf

# run ARGS... - relayguardctl: output in res, status in rc
run() { res=$("$CTL" -c "$conf" "$@" 2>&1) && rc=0 || rc=$?; }
# out ARGS... - relayguardctl, stdout only (for jq)
out() { "$CTL" -c "$conf" "$@" 2>/dev/null || true; }
# has PATTERN - the last output has a line matching PATTERN
has() { grep -qE -- "$1" <<< "$res"; }
# ns ARGS... - relayguardctl with the rig DNS as the system resolver
ns() {
	res=$(unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$RUN/dns/resolv.conf" "$CTL" -c "$conf" "$@" 2>&1) && rc=0 || rc=$?
}

# --- quota ------------------------------------------------------------------
# two messages sent (reserved at RCPT, counted at the end)
printf '%s\n' "reserve t1 a@x.example" "commit t1 a@x.example Q1" \
	"reserve t2 b@x.example" "commit t2 b@x.example Q2" |
	limitq -c "$conf" -l alice@example.com - > /dev/null
run quota show login:Alice@Example.com
rig_check "quota show: exit 0" test "$rc" = 0
rig_check "quota show: the hour: 2 used of 3, 1 left, reset in the future" \
	has '^hour +messages +2 +3 +1 +1h +in [0-9]+m([0-9]+s)? \(20[0-9-]+T[0-9:]+Z\) *$'
rig_check "quota show --json: both limits with used, limit, remaining" \
	jq -e '.subject == "login:alice@example.com" and .limits[0].used == 2 and .limits[0].remaining == 1 and .limits[0].reset_ms > 0 and .limits[1].name == "day" and .limits[1].limit == 50' \
	<<< "$(out --json quota show login:alice@example.com)"
run quota set login:alice@example.com hour 10 --ttl 1h
rig_check "quota set with a TTL: exit 0" test "$rc" = 0
rig_check "quota set: the override is in Redis (after the bucket), its hash with a TTL" \
	bash -c 'grep -q " o 10 3600000 " <<< "$0" && test "$1" -gt 0' \
	"$(rr_cli main HGET 'rg:{login:alice@example.com}' hour)" \
	"$(rr_cli main PTTL 'rg:{login:alice@example.com}')"
rig_check "quota show: the override applies and is marked" \
	jq -e '.limits[0].limit == 10 and .limits[0].overridden and .limits[0].remaining == 8' \
	<<< "$(out --json quota show login:alice@example.com)"
run quota set login:alice@example.com day 20/1h
rig_check "quota set AMOUNT/PERIOD: amount and period changed" \
	jq -e '.limits[1].limit == 20 and .limits[1].period_ms == 3600000' \
	<<< "$(out --json quota show login:alice@example.com)"
run quota unset login:alice@example.com
rig_check "quota unset: back to the plan" \
	jq -e '.limits[0].limit == 3 and (.limits[0].overridden | not) and .limits[1].limit == 50' \
	<<< "$(out --json quota show login:alice@example.com)"
run quota reset login:alice@example.com hour
rig_check "quota reset of one limit: its counter forgotten" \
	jq -e '.limits[0].used == 0 and .limits[1].used == 2' \
	<<< "$(out --json quota show login:alice@example.com)"
run quota show login:nobody@example.com
rig_check "quota show of a subject without a plan: exit 1" \
	bash -c 'test "$0" = 1 && grep -q "no limits apply" <<< "$1"' "$rc" "$res"
run quota show alice
rig_check "quota show of no subject: exit 2" test "$rc" = 2
run quota set login:alice@example.com hour lots
rig_check "quota set of no amount: exit 2" test "$rc" = 2

# --- block, unblock -------------------------------------------------------------
run block login:Bob@Example.com --for 30m --reason "phished password"
rig_check "block: exit 0, shows the block" \
	bash -c 'test "$0" = 0 && grep -qE "^login:bob@example.com blocked until .*Z \(tempfail\), by the administrator since .*: phished password$" <<< "$1"' "$rc" "$res"
rig_check "block show --json: 30 minutes, by the administrator" \
	jq -e '.blocked and (((.until | fromdate) - (.since | fromdate)) == 1800) and .by == "admin" and .reason == "phished password"' \
	<<< "$(out --json block show login:bob@example.com)"
run block net:192.0.2.77 --until 2099-01-01 --action reject
rig_check "block of a network: widened to its /24, until the date, reject" \
	jq -e '.subject == "net:192.0.2.0/24" and .until == "2099-01-01T00:00:00Z" and .action == "reject"' \
	<<< "$(out --json block show net:192.0.2.1)"
run block login:x@example.com --action bogus
rig_check "block with an unknown action: exit 2" test "$rc" = 2
run block login:x@example.com --until 2001-01-01
rig_check "block ending in the past: exit 2, from the error's code ($res)" \
	bash -c 'test "$0" = 2 && grep -q "would end before it starts" <<< "$1"' "$rc" "$res"
run block show login:carol@example.com
rig_check "block show of no block: exit 1" test "$rc" = 1

# --- explain ----------------------------------------------------------------------
run explain --client 127.0.0.1 --login bob@example.com --from bob@example.com --to r@example.net
rig_check "explain, blocked login: exit 1" test "$rc" = 1
rig_check "explain, blocked login: the block and the 451 verdict" \
	bash -c 'grep -qE "^block +blocked +login:bob@example.com until" <<< "$0" && grep -qE "^verdict +tempfail +451 4\.7\.1 login:bob@example.com is blocked until .* \(penalty-box\)$" <<< "$0"' "$res"
run explain --client 127.0.0.1 --login alice@example.com --from alice@example.com --to r@example.net
rig_check "explain, alice: every check passes, exit 0" \
	bash -c 'test "$0" = 0 && grep -qE "^limit hour +ok +login:alice@example.com: 0 of 3 messages per 1h" <<< "$1" && grep -qE "^verdict +accept" <<< "$1"' "$rc" "$res"
run explain --client 127.0.0.1 --login alice@example.com --from alice@example.com --to r@example.net
rig_check "explain consumed nothing (the hour still 0 of 3)" \
	has '^limit hour +ok +login:alice@example.com: 0 of 3 messages'
limitq -c "$conf" -l alice@example.com -x t3 -N 3 reserve > /dev/null || true
run --json explain --client 127.0.0.1 --login alice@example.com --from alice@example.com --to r@example.net
rig_check "explain --json, quota reached: the limit over and a 451 verdict" \
	jq -e '(.checks | map(select(.check == "limit hour" and .result == "over")) | length) == 1 and .verdict == "tempfail" and .reply == "451"' <<< "$res"
run explain --client 198.51.100.9 --from ceo@sign.test --to r@example.net --no-spf
rig_check "explain, outside client using our domain: refused, exit 1" \
	bash -c 'test "$0" = 1 && grep -qE "^own-domain +refused +sign.test is one of our domains" <<< "$1" && grep -qE "^spf +skipped +--no-spf" <<< "$1"' "$rc" "$res"
ns explain --client 192.0.2.200 --from news@spf.test --to r@example.net
rig_check "explain, SPF through the resolver: pass, but the network is blocked" \
	bash -c 'grep -qE "^spf +pass +mailfrom news@spf.test, matched ip4:192.0.2.0/24" <<< "$0" && grep -qE "^verdict +reject +550 5\.7\.1 net:192.0.2.0/24 is suspended" <<< "$0"' "$res"
ns explain --client 198.51.100.9 --from news@spf.test --to r@example.net
rig_check "explain, SPF fail: 550 5.7.23, exit 1" \
	bash -c 'test "$0" = 1 && grep -qE "^spf +fail " <<< "$1" && grep -qE "^verdict +reject +550 5\.7\.23" <<< "$1"' "$rc" "$res"
run explain --client 127.0.0.1
rig_check "explain without a recipient: exit 2" test "$rc" = 2

# --- unblock, audit trail, report ------------------------------------------------
run unblock login:bob@example.com --reason "password changed"
rig_check "unblock: exit 0" bash -c 'test "$0" = 0 && grep -qx "login:bob@example.com unblocked" <<< "$1"' "$rc" "$res"
run unblock login:bob@example.com
rig_check "unblock again: was not blocked, exit 1" test "$rc" = 1
rig_check "audit: the block and the unblock as events with their reasons" \
	test "$(jq -c 'select(.type == "event" and (.event == "block" or .event == "unblock") and .signals[0].subject == "login:bob@example.com") | [.event, .reason]' "$RUN/audit.jsonl" | tr -d '\n')" = '["block","phished password"]["unblock","password changed"]'
run report -o "$RUN/report.html"
rig_check "report: the administrator's block with its reason" \
	grep -q 'blocked by the administrator: phished password' "$RUN/report.html"
run top
rig_check "top without traffic: exit 1" test "$rc" = 1
run reputation login:alice@example.com
rig_check "reputation of a subject not seen: exit 1" test "$rc" = 1
run top --window 2d
rig_check "top over more than a day: exit 2" test "$rc" = 2

# --- Redis down ---------------------------------------------------------------------
rr_stop main
for cmd in "quota show login:alice@example.com" "block login:eve@example.com" \
	"unblock login:eve@example.com" "top" "reputation login:alice@example.com" \
	"block show login:eve@example.com"; do
	# shellcheck disable=SC2086 # the words of one command
	run $cmd
	rig_check "Redis down: $cmd: exit 3, the reason" \
		bash -c 'test "$0" = 3 && grep -qE "^relayguardctl: redis 127\.0\.0\.1:[0-9]+: Connection refused$" <<< "$1"' "$rc" "$res"
done
rig_check "Redis down with --json: exit 3, nothing on stdout" \
	bash -c 'o=$("$0" -c "$1" --json quota show login:alice@example.com 2>/dev/null); test $? = 3 && test -z "$o"' "$CTL" "$conf"
run explain --client 127.0.0.1 --login alice@example.com --from alice@example.com --to r@example.net
rig_check "explain with Redis down: exit 3, the stores unavailable" \
	bash -c 'test "$0" = 3 && grep -qE "^block +unavailable" <<< "$1" && grep -qE "^limits +unavailable" <<< "$1"' "$rc" "$res"

# --- settings that cannot work ------------------------------------------------------
sed 's/^limit_backend = redis$/limit_backend = memory/' "$conf" > "$RUN/mem.conf"
res=$("$CTL" -c "$RUN/mem.conf" quota show login:alice@example.com 2>&1) && rc=0 || rc=$?
rig_check "memory backend: exit 78, says why" \
	bash -c 'test "$0" = 78 && grep -q "limit_backend = memory: the counters live inside the relayguard process" <<< "$1"' "$rc" "$res"
sed 's/^abuse_control = yes$/abuse_control = no/' "$conf" > "$RUN/noabuse.conf"
res=$("$CTL" -c "$RUN/noabuse.conf" block login:x@example.com 2>&1) && rc=0 || rc=$?
rig_check "abuse_control = no: block exits 78, says why" \
	bash -c 'test "$0" = 78 && grep -q "abuse_control = no" <<< "$1"' "$rc" "$res"
rg_finish
