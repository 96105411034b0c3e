#!/usr/bin/env bash
# t_scripted.sh - relayguard-policyd's server with engine verdicts chosen by
# the recipient (tests/policy/script_engine.c, linked into a copy of the
# daemon): the verdict's own codes and texts come out as actions (451 4.7.1,
# 553 5.7.1, DEFER_IF_PERMIT after a reload with policy_defer_if_permit,
# PREPEND once per message with policy_prepend_headers); a decision held
# on a worker (until the test lets it go: no guessing at timings) does not
# stall another connection, which gets 20 answers meanwhile; a reload
# during a held decision leaves that request with the generation it
# started with; SIGTERM during a held decision answers it before the
# daemon exits (status 0); a client pipelining 16,000 requests that reads
# none of the long replies for a while makes the daemon wait on its writes
# (serving others) and gets them all; 40 clients pipelining bursts of mixed verdicts
# in random pieces, some vanishing mid-request, get every reply, complete
# and in order.
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/policyd.sh"

rig_init policy_scripted
pd_build_scripted
export RG_SCRIPT_DIR=$RUN/script
mkdir -p "$RG_SCRIPT_DIR"
pd_conf "log_level = info"
pd_start

pd_scenario expect bo@example.org DUNNO
pd_scenario expect tempfail@example.org "451 4.7.1 hourly quota reached"
pd_scenario expect reject@example.org \
	"553 5.7.1 sender address not owned by the login"
pd_scenario expect header@example.org DUNNO
pd_expect_log 'NOQUEUE: tempfail: RCPT from mx.example.net\[192.0.2.7\]: 451 4.7.1 hourly quota reached; from=<ann@example.com> to=<tempfail@example.org> proto=ESMTP helo=<mx.example.net> instance=[0-9a-f.]+ reason=quota conn=[0-9]+$' \
	"log: the tempfail in the milter's shape"
pd_expect_log 'NOQUEUE: reject: RCPT from .*: 553 5.7.1 sender address not owned by the login; .* reason=sender-not-owned' \
	"log: the reject"
rig_check "DUNNO is not logged at info" test "$(pd_log_count ': continue: ')" = 0

# the rest with debug logging (a reload keeps log_level: restart)
pd_stop
pd_conf "log_level = debug"
pd_start

pd_scenario slow hold1-x@example.org "$RG_SCRIPT_DIR/1.held" "$RG_SCRIPT_DIR/1.go"

# a client that pipelines 16,000 requests and reads none of the long
# replies for a while: the daemon's writes would block, it waits for the
# client (and serves others); every reply arrives
# (16,000 replies of 430 bytes: more than the socket buffers can hold)
pd_scenario noread 16000 long@example.org "$RUN/policyd.log"

# 40 clients pipelining bursts of mixed verdicts in random pieces, some
# vanishing mid-request: every reply complete and in order
pd_scenario chaos 40 60
rig_check "still running after the chaos" kill -0 "$PD_PID"

# held: wait until the decision NAME is at a worker
held() {
	for _ in $(seq 200); do [ -e "$RG_SCRIPT_DIR/$1.held" ] && return 0; sleep 0.1; done
	rig_fail "decision $1 never reached a worker"
}

# a reload while a tempfail is held at a worker
pd_client await hold2-tempfail@example.org > "$RUN/await.out" 2>&1 &
client=$!
held 2
echo "policy_defer_if_permit = yes" >> "$RUN/policyd.conf"
echo "policy_prepend_headers = yes" >> "$RUN/policyd.conf"
kill -HUP "$PD_PID"
for _ in $(seq 50); do
	[ "$(pd_log_count 'reloaded configuration \(generation')" -ge 1 ] && break
	sleep 0.1
done
pd_scenario expect tempfail@example.org "DEFER_IF_PERMIT hourly quota reached"
pd_scenario expect header@example.org \
	"PREPEND Authentication-Results: relay.test; spf=pass smtp.mailfrom=example.com"
touch "$RG_SCRIPT_DIR/2.go"
wait "$client" || true
rig_check "the request in flight during the reload kept its generation ($(cat "$RUN/await.out" | tail -n 1))" \
	grep -qx 'reply action=451 4.7.1 hourly quota reached' "$RUN/await.out"

# SIGTERM while a decision is held at a worker: answered, then exit 0
pd_client await hold3-x@example.org > "$RUN/await2.out" 2>&1 &
client=$!
held 3
kill "$PD_PID"
for _ in $(seq 50); do
	[ "$(pd_log_count 'stopping: waiting for')" -ge 1 ] && break
	sleep 0.1
done
rig_check "SIGTERM: still running while the decision is held" kill -0 "$PD_PID"
touch "$RG_SCRIPT_DIR/3.go"
wait "$client" || true
for _ in $(seq 100); do kill -0 "$PD_PID" 2>/dev/null || break; sleep 0.1; done
rig_check "SIGTERM: the request at a worker is answered first" \
	grep -qx 'reply action=DUNNO' "$RUN/await2.out"
pd_expect_log 'stopping: waiting for 1 request in progress' \
	"log: stopping waits for the request"
for _ in $(seq 50); do [ -e "$RUN/policyd.rc" ] && break; sleep 0.1; done
rig_check "SIGTERM: exit status 0 ($(cat "$RUN/policyd.rc" 2>/dev/null))" \
	test "$(cat "$RUN/policyd.rc" 2>/dev/null)" = 0
pd_finish
