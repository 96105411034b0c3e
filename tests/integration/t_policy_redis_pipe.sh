#!/usr/bin/env bash
# t_policy_redis_pipe.sh - relayguard-policyd's own Redis pipe (its event
# loop sends the limit calls of every decision in flight together and
# resumes each decision at its reply) under the faults a Redis brings:
#   - 40 messages of one login at once, quota 5: exactly 5 allowed;
#   - the script flushed (NOSCRIPT): the call is sent again, allowed;
#   - Redis killed and restarted between two decisions (the pipe's pooled
#     connection is dead): sent again on a new connection, allowed;
#   - Redis frozen (SIGSTOP): the waiting decision is a tempfail within
#     redis_timeout and the back-off, while the loop answers 20 requests
#     of other connections meanwhile; after SIGCONT decisions come back;
#   - then another quota of 5 is exact again.
# relayguard_redis_loop_calls_total shows the calls went through the pipe
# (answered there) and which were sent again at a worker.
# Then, through a proxy that spoils Redis's replies (redis_mangle.py):
#   - replies arriving one byte at a time: every decision right, a quota
#     of 5 exact;
#   - a reply nobody asked for, a reply that is no RESP, a connection cut
#     in the middle of a reply: each logged, the decision still right (the
#     call sent again on a new connection), the daemon unharmed.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/policyd.sh"

rig_init policy_redis_pipe
rr_start main
cat > "$RUN/limits" <<'MAP'
plan five
	hour		messages	5/1h
plan big
	hour		messages	1000000/1h
login	five@example.com	five
login	again@example.com	five
login	*			big
MAP
for l in five again big; do echo "$l@example.com $l@example.com"; done \
	> "$RUN/senders"
pd_conf "log_level = info" "limits = yes" "limit_map = $RUN/limits" \
	"limit_backend = redis" "redis_server = 127.0.0.1:$(rr_port main)" \
	"redis_timeout = 300ms" "limit_redis_module = no" \
	"sender_login_map = $RUN/senders" "policy_workers = 2" \
	"policy_metrics_listen = ${mport:=$(rig_free_port)}"
pd_start
pipe() { "$RG_PY" "$RG_LIB_DIR/policy_pipe.py" "$PD_SOCKET" "$@"; }
# calls OUTCOME - relayguard_redis_loop_calls_total{outcome=OUTCOME}
calls() {
	"$RG_PY" -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
		"http://127.0.0.1:$mport/metrics" |
		sed -n "s/^relayguard_redis_loop_calls_total{outcome=\"$1\"} //p" |
		grep . || echo 0
}

# a first decision makes the pool's connection the pipe then borrows
rig_check "a first decision is allowed" \
	test "$(pipe one big@example.com)" = "action=DUNNO"
out=$(pipe burst 40 five@example.com)
echo "burst of 40, quota 5: $out"
rig_check "40 messages at once, quota 5: exactly 5 allowed" \
	test "$out" = "dunno 5 refused 35 other 0"
answered=$(calls answered)
echo "calls answered on the loop's pipe so far: $answered"
rig_check "the 40 calls were answered on the loop's pipe" \
	test "$answered" -ge 40
again=$(calls again)

rr_cli main SCRIPT FLUSH > /dev/null
rig_check "after SCRIPT FLUSH (NOSCRIPT) a decision is allowed" \
	test "$(pipe one big@example.com)" = "action=DUNNO"

rr_stop main KILL
rr_restart main
rr_wait_for "redis back" 50 rr_cli main PING
rig_check "after Redis restarted between two decisions: allowed, no tempfail" \
	test "$(pipe one big@example.com)" = "action=DUNNO"
rig_check "NOSCRIPT and the dead connection: sent again at a worker" \
	test "$(calls again)" -ge $((again + 2))

kill -STOP "$(rr_pid main)"
if pipe frozen big@example.com 5; then
	rig_pass "Redis frozen: others served, the decision tempfailed in time"
else
	rig_fail "Redis frozen: see above" || true
fi
kill -CONT "$(rr_pid main)"
back=no
for _ in $(seq 50); do
	if [ "$(pipe one big@example.com)" = "action=DUNNO" ]; then
		back=yes
		break
	fi
	sleep 0.1
done
rig_check "after SIGCONT decisions are allowed again" test "$back" = yes
out=$(pipe burst 40 again@example.com)
echo "burst of 40 after the faults, quota 5: $out"
rig_check "after the faults another quota of 5 is exact" \
	test "$out" = "dunno 5 refused 35 other 0"
rig_check "the frozen Redis: a call failed on the pipe" \
	test "$(calls failed)" -ge 1
rig_check "relayguard-policyd still runs" kill -0 "$PD_PID"
pd_expect_log "timeout" "the frozen Redis is logged (timeout)"
pd_stop

# --- replies spoiled on the way ----------------------------------------
xport=$(rig_free_port)
echo pass > "$RUN/mode"
"$RG_PY" "$RG_LIB_DIR/redis_mangle.py" "$xport" "$(rr_port main)" \
	"$RUN/mode" > "$RUN/mangle.log" 2>&1 &
rig_track_pid $! redis-mangle
rig_wait_listen "127.0.0.1:$xport" 10
rr_cli main FLUSHALL > /dev/null
pd_conf "log_level = info" "limits = yes" "limit_map = $RUN/limits" \
	"limit_backend = redis" "redis_server = 127.0.0.1:$xport" \
	"redis_timeout = 10s" "limit_redis_module = no" \
	"sender_login_map = $RUN/senders" "policy_workers = 2" \
	"policy_metrics_listen = $mport"
pd_start
mode() { echo "$1" > "$RUN/mode"; }
# allowed_soon - a decision is allowed again within 10 s (a back-off ends)
allowed_soon() {
	local i
	for i in $(seq 100); do
		[ "$(pipe one big@example.com)" = "action=DUNNO" ] && return 0
		sleep 0.1
	done
	return 1
}
rig_check "through the proxy: a decision is allowed" allowed_soon
before=$(calls answered)
mode drip
out=$(pipe burst 10 big@example.com)
rig_check "replies one byte at a time: 10 decisions allowed ($out)" \
	test "$out" = "dunno 10 refused 0 other 0"
out=$(pipe burst 12 five@example.com)
rig_check "replies one byte at a time: a quota of 5 exact ($out)" \
	test "$out" = "dunno 5 refused 7 other 0"
mode pass
echo "loop calls: answered $(calls answered) (before the bursts: $before)," \
	"again $(calls again), declined $(calls declined), failed $(calls failed)"
rig_check "the dripped replies were read on the loop's pipe" \
	test "$(calls answered)" -ge $((before + 22))
for m in extra garbage cut; do
	mode "$m"
	r=$(pipe one big@example.com)
	case $m in
	extra) why="a reply nobody asked for" ;;
	garbage) why="malformed reply" ;;
	cut) why="connection closed by the server" ;;
	esac
	rig_check "$m: the decision is allowed ($r)" test "$r" = "action=DUNNO"
	pd_expect_log "own connection\\): closed, .*$why|$why.*own connection" \
		"$m: logged ($why)"
	rig_check "$m: decisions allowed again" allowed_soon
done
rig_check "relayguard-policyd still runs" kill -0 "$PD_PID"
rig_check "no panic, no sanitizer report" \
	test "$(pd_log_count 'panic|ERROR: AddressSanitizer|runtime error')" = 0
pd_stop
pd_finish
