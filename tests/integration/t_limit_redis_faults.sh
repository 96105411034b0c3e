#!/usr/bin/env bash
# t_limit_redis_faults.sh - doc/failures.md rows R1-R7 for the limit engine,
# against real redis-server processes and a fake server; one long-lived
# limitq process (reading one decision per line) plays the milter, so the
# faults happen between two of its decisions:
#   R1 Redis down: every limit_fail_mode (tempfail 451, accept, local)
#   R2 Redis killed: unavailable at once, then back by itself; the change
#      of state is logged once each way, not per decision
#   R5 restarted empty: NOSCRIPT handled, decisions go on
#   R3 frozen (SIGSTOP) past redis_timeout: each decision still answers
#      (unavailable), and the service comes back after SIGCONT
#   R4 the frozen decision ran later, after its deadline: it changed
#      nothing (no lease), the client was told "held" so the release that
#      follows fences it, and a commit whose answer was lost is accepted
#      and counted exactly once when Redis is back
#   R6 out of memory: unavailable with the OOM reason, then back
#   R7 a hostile server ("*99999999999", wrong types): refused, no crash
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_faults
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
cat > "$RUN/limits" <<'MAP'
plan p
	day	messages	100/1d
login	alice@example.com	p
MAP
rr_start main
port=$(rr_port main)
lq_conf "$RUN/main.conf" "limit_backend = redis" "redis_server = 127.0.0.1:$port" \
	"redis_timeout = 300ms"
A="-l alice@example.com"

# --- R1: nothing listens -------------------------------------------------
dead=$(rig_free_port)
for mode in tempfail accept local; do
	lq_conf "$RUN/down-$mode.conf" "limit_backend = redis" \
		"redis_server = 127.0.0.1:$dead" "limit_fail_mode = $mode"
	rc=0
	limitq -c "$RUN/down-$mode.conf" $A reserve > "$RUN/down-$mode.out" 2>&1 || rc=$?
	echo "rc=$rc" >> "$RUN/down-$mode.out"
done
rig_check "R1 tempfail: 451 4.7.1 store unavailable" \
	grep -q '^reply=451 4.7.1 rate limit store unavailable, try again later$' "$RUN/down-tempfail.out"
rig_check "R1 tempfail: the reason names the server" \
	grep -q "limit_store=\"127.0.0.1:$dead: Connection refused\"" "$RUN/down-tempfail.out"
rig_check "R1 accept: the message goes on, marked" \
	grep -q '^reply=continue reason=limit-store-unavailable$' "$RUN/down-accept.out"
rig_check "R1 local: decided in memory with 10% of the limit" \
	grep -q '^hit .* limit=day .* state=ok used=1 amount=10 ' "$RUN/down-local.out"
rig_check "R1 local: result marked local" grep -q '^outcome=ok local=yes' "$RUN/down-local.out"

# --- one long-lived client ----------------------------------------------
coproc LQ { exec "$RG_LIMITQ" -c "$RUN/main.conf" -l alice@example.com - 2> "$RUN/lq.log"; }
rig_track_pid "$LQ_PID" limitq
n=0
# say OP... - one decision; prints the answer line (fails after 20 s: a
# decision that never answers is the bug R3 is about)
say() {
	echo "$*" >&"${LQ[1]}"
	IFS= read -r -t 20 line <&"${LQ[0]}" || { echo "no answer to: $*"; return 1; }
	echo "$line"
}
# until_ok - decisions until one is ok (at most 100, 0.1 s apart)
until_ok() {
	local i
	for i in $(seq 100); do
		n=$((n + 1))
		case $(say reserve "w$n" r@example.net) in ok*) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
rig_check "first decision ok" grep -q '^ok ' <<< "$(say reserve t1 r@example.net)"

# --- R2 + R5: killed, restarted empty -------------------------------------
rr_stop main KILL
a=$(say reserve t2 r@example.net); b=$(say reserve t3 r@example.net)
rig_check "R2 killed: unavailable ($a)" grep -q '^unavailable ' <<< "$a"
rig_check "R2 killed: still unavailable, no hang ($b)" grep -q '^unavailable ' <<< "$b"
rr_restart main
rig_check "R2/R5 back by itself after an empty restart" until_ok
rig_check "R2 the outage is logged once" test "$(grep -c 'store unavailable' "$RUN/lq.log")" = 1
rig_check "R2 the recovery is logged once" test "$(grep -c 'store available again' "$RUN/lq.log")" = 1
rig_check "R5 the script was loaded again (NOSCRIPT)" grep -q 'script .* loaded on' "$RUN/lq.log"

# --- R3 + R4: frozen past the timeout --------------------------------------
kill -STOP "$(rr_pid main)"
a=$(say reserve frozen r@example.net) || a=none
b=$(say reserve t4 r@example.net) || b=none
kill -CONT "$(rr_pid main)"
rig_check "R3 frozen: the decision answers, unavailable on timeout ($a)" grep -q '^unavailable .*timeout' <<< "$a"
rig_check "R3 frozen: the next one fails fast, unavailable ($b)" grep -q '^unavailable ' <<< "$b"
rig_check "R3 back after SIGCONT" until_ok
rig_check "R4 the timed-out reservation may exist: the caller is told (held=yes)" \
	grep -q 'held=yes' <<< "$a"
rig_check "R4 it ran after its deadline: no lease for it" \
	test "$(rr_cli main HKEYS 'rg:{login:alice@example.com}' | grep -c '^l:frozen')" = 0
before=$(rr_used main 'rg:{login:alice@example.com}:day')
say release frozen > /dev/null
after=$(rr_used main 'rg:{login:alice@example.com}:day')
rig_check "R4 releasing it changes no count ($before -> $after)" test "$after" = "$before"
rig_check "R4 a reservation arriving after the release counts nothing" \
	grep -q '^ok .*stale=yes' <<< "$(say reserve frozen r@example.net)"
# a commit whose reply is lost: accepted, counted once when Redis is back
say reserve lost r@example.net > /dev/null
before=$(rr_used main 'rg:{login:alice@example.com}:day')
kill -STOP "$(rr_pid main)"
a=$(say commit lost r@example.net Q-lost) || a=none
kill -CONT "$(rr_pid main)"
rig_check "R4 a commit without an answer is accepted, marked unsettled ($a)" \
	grep -q '^ok .*unsettled=yes' <<< "$a"
# day_is N - the login's day bucket holds N
day_is() { test "$(rr_used main 'rg:{login:alice@example.com}:day')" = "$1"; }
rig_check "R4 ... and counted exactly once" \
	rr_wait_for "the count settles" 50 day_is $((before + 1))
sleep 1
rig_check "R4 ... not twice ($(rr_used main 'rg:{login:alice@example.com}:day'))" \
	test "$(rr_used main 'rg:{login:alice@example.com}:day')" = $((before + 1))

# --- R6: out of memory ----------------------------------------------------
rr_cli main CONFIG SET maxmemory 1 > /dev/null
a=$(say reserve t5 r@example.net)
rr_cli main CONFIG SET maxmemory 0 > /dev/null
rig_check "R6 OOM: unavailable with the reason ($a)" grep -q '^unavailable .*OOM' <<< "$a"
# refused before it started, not at its first write: nothing half-applied
rig_check "R6 OOM: refused before the script ran" bash -c '! grep -q "@user_script" <<< "$1"' _ "$a"
rig_check "R6 back when memory is there again" until_ok
exec {LQ[1]}>&-

# --- R7: a hostile or confused server -------------------------------------
cat > "$RUN/fake.py" <<'PY'
import socket, sys, threading
port, answer = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
def serve(c):
    while c.recv(65536):
        c.sendall(answer)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
for answer in '*99999999999\r\n' '*-5\r\n' '+OK\r\n' '$-5\r\n' ':1\r\n' '*1\r\n$3\r\nabc\r\n'; do
	fport=$(rig_free_port)
	"$RG_PY" "$RUN/fake.py" "$fport" "$answer" &
	fpid=$!
	rig_track_pid "$fpid" fake-redis
	rig_wait_listen "127.0.0.1:$fport" 5
	lq_conf "$RUN/fake.conf" "limit_backend = redis" "redis_server = 127.0.0.1:$fport"
	rc=0
	out=$(limitq -c "$RUN/fake.conf" $A reserve 2>&1) || rc=$?
	rig_check "R7 server answering $answer: unavailable, no crash (exit $rc)" test "$rc" = 2
	rig_check "R7 server answering $answer: 451 store unavailable" \
		grep -q '^reply=451 4.7.1 rate limit store unavailable' <<< "$out"
	rig_stop_pid "$fpid"
done
rg_finish
