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
rig_check "no panic, no sanitizer report" \
	test "$(pd_log_count 'panic|ERROR: AddressSanitizer|runtime error')" = 0
pd_stop
pd_finish
