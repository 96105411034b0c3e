#!/usr/bin/env bash
# t_limit_faults_postfix.sh - the limit store failing under a real Postfix
# (doc/failures.md R1-R5 through the milter; the engine-level rows are in
# t_limit_redis_faults.sh):
#   - Redis killed: every message gets 451 4.7.1 "rate limit store
#     unavailable" at RCPT (limit_fail_mode = tempfail), nothing is
#     delivered unchecked, one warning is logged, not one per message;
#   - Redis frozen (SIGSTOP): the answer still comes within redis_timeout;
#   - Redis back, empty: mail flows again by itself (the script is loaded
#     again), one "available again" line;
#   - limit_fail_mode = accept (reloaded with SIGHUP): mail passes with a
#     warning for every message.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"

rig_init limit_faults_postfix
rig_dns_start
rig_keys sign.test
rig_sink_start
rr_start main
printf 'plan big\n\thour messages 10000/1h\nlogin * big\n' > "$RUN/limits"
rg_socket_inet
rg_conf "limits = yes" "limit_map = $RUN/limits" "limit_backend = redis" \
	"redis_server = 127.0.0.1:$(rr_port main)" "redis_timeout = 300ms" \
	"redis_connect_timeout = 300ms"
rg_start
rig_postfix_start "$RG_MILTER"
rig_sasl_user alice@sign.test alicepw

send() {
	rig_send --auth PLAIN --auth-user alice@sign.test --auth-password alicepw \
		--from alice@sign.test --to rcpt@example.net --header "Subject: $1"
}
# refused SUBJECT - 451 4.7.1 store unavailable at RCPT
refused() {
	if RG_SEND_QUIET=1 send "$1"; then
		rig_fail "$1: accepted" || true
	elif grep -qE '^<\*\* 451 4\.7\.1 rate limit store unavailable' "$RUN/send.last"; then
		rig_pass "$1: 451 4.7.1 rate limit store unavailable"
	else
		rig_fail "$1: other reply" || true
		tail -n 5 "$RUN/send.last" | sed 's/^/    | /'
	fi
}

# eventually SUBJECT - accepted within a few seconds (the reconnection
# backoff may refuse the first attempts after the store comes back)
eventually() {
	local i
	for i in $(seq 10); do
		RG_SEND_QUIET=1 send "$1" && return 0
		sleep 0.5
	done
	return 1
}

for i in 1 2 3; do rig_check "Redis up: message $i accepted" send "up $i"; done
rr_stop main KILL
for i in 1 2 3 4; do refused "Redis killed: message $i"; done
rig_check "one 'store unavailable' warning, not one per message" \
	test "$(rg_log_count 'store: redis store unavailable')" = 1
rr_restart main
rig_check "Redis back, empty: accepted again (by itself)" eventually "back 1"
rig_check "and again" send "back 2"
rg_expect_log 'store: redis store available again' "log: available again, once"
kill -STOP "$(rr_pid main)"
start=$(date +%s%N)
refused "Redis frozen"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -CONT "$(rr_pid main)"
# a bound, not a speed: redis_timeout is 300 ms, milter_command_timeout 30 s
rig_check "Redis frozen: answered within a few timeouts (${ms} ms)" test "$ms" -lt 5000
rig_check "Redis thawed: accepted again (by itself)" eventually "thawed"

# fail open, by choice: every such message logged
sed -i 's/^limits = yes$/limits = yes\nlimit_fail_mode = accept/' "$RUN/relayguard.conf"
kill -HUP "$RG_PID"
for i in $(seq 50); do
	[ "$(rg_log_count 'reloaded configuration')" -ge 1 ] && break
	sleep 0.1
done
rr_stop main KILL
rig_check "fail_mode accept, Redis down: accepted" send "open 1"
rig_check "fail_mode accept, Redis down: accepted again" send "open 2"
rig_check "every unchecked message logged" \
	test "$(rg_log_count 'unchecked: RCPT: accepted without a limit check \(limit-store-unavailable\)')" = 2
rig_wait_delivered 8 60
rig_check "nothing delivered while Redis was down (tempfail mode)" \
	sh -c "! grep -lE '^Subject: (Redis killed|Redis frozen)' $RUN/sink/*"
rg_finish
