#!/usr/bin/env bash
# t_limit_redis_clock.sh - a call's deadline holds whatever the two clocks
# say: redis-server runs with its wall clock 5 s ahead of this host's, then
# 5 s behind (an LD_PRELOAD library, clockshift.c, as on a host whose
# clock is set wrong), and one long-lived limitq process plays the milter:
#   ahead   decisions are answered, not refused as late (the deadline is
#           written in the server's clock, learnt from the replies), and
#           the difference is logged once
#   behind  a reservation that Redis runs after its deadline (frozen past
#           redis_timeout, then thawed) still changes nothing: no lease
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_redis_clock
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
shift_so=$RUN/clockshift.so
cc -shared -fPIC -O1 -o "$shift_so" "$RG_LIB_DIR/clockshift.c" ||
	rig_fail "cannot build clockshift.so"
cat > "$RUN/limits" <<'MAP'
plan p
	day	messages	100/1d
login	alice@example.com	p
MAP
HASH='rg:{login:alice@example.com}'

# say OP... - one decision of the running limitq; prints the answer line
say() {
	echo "$*" >&"${LQ[1]}"
	IFS= read -r -t 20 line <&"${LQ[0]}" || { echo "no answer to: $*"; return 1; }
	echo "$line"
}

# until_ok - decisions until one is ok (at most 50, 0.1 s apart)
until_ok() {
	local i
	for i in $(seq 50); do
		case $(say reserve "w$i" r@example.net) in ok*) return 0 ;; esac
		sleep 0.1
	done
	return 1
}

# start NAME SHIFT_MS - Redis NAME with its clock moved, and limitq on it
start() {
	local name=$1 ms=$2 now there
	RR_ENV="LD_PRELOAD=$shift_so RG_CLOCK_SHIFT_MS=$ms" rr_start "$name"
	now=$(date +%s)
	there=$(rr_cli "$name" TIME | head -n 1)
	rig_check "$name: Redis's clock is off by $ms ms ($((there - now)) s)" \
		test "$((there - now))" -ge "$((ms / 1000 - 1))" -a \
		"$((there - now))" -le "$((ms / 1000 + 1))"
	lq_conf "$RUN/$name.conf" "limit_backend = redis" \
		"redis_server = 127.0.0.1:$(rr_port "$name")" \
		"redis_timeout = 300ms"
	coproc LQ { exec "$RG_LIMITQ" -c "$RUN/$name.conf" -l alice@example.com - 2> "$RUN/$name.log"; }
	rig_track_pid "$LQ_PID" "limitq-$name"
}

# stop NAME - limitq and Redis NAME
stop() {
	local pid=$LQ_PID fd=${LQ[1]}
	eval "exec $fd>&-"	# limitq ends at the end of its input
	wait "$pid" 2> /dev/null || true
	rr_stop "$1"
}

# --- Redis's clock 5 s ahead ----------------------------------------------
start ahead 5000
a=$(say reserve t1 r@example.net)
rig_check "ahead: the first decision is answered ($a)" grep -q '^ok ' <<< "$a"
bad=0
for i in $(seq 20); do
	case $(say reserve "a$i" r@example.net) in ok*) ;; *) bad=$((bad + 1)) ;; esac
done
rig_check "ahead: and every one after it ($bad not ok)" test "$bad" = 0
rig_check "ahead: no decision was refused as late" \
	test "$(grep -c 'after its deadline' "$RUN/ahead.log")" = 0
rig_check "ahead: the difference is logged, once" \
	test "$(grep -c "Redis server's clock is [0-9]* ms ahead of this host's" "$RUN/ahead.log")" = 1
stop ahead

# --- Redis's clock 5 s behind ---------------------------------------------
start behind -5000
a=$(say reserve t1 r@example.net)
rig_check "behind: the first decision is answered ($a)" grep -q '^ok ' <<< "$a"
rig_check "behind: the difference is logged" \
	grep -q "Redis server's clock is [0-9]* ms behind this host's" "$RUN/behind.log"
redis-cli -h 127.0.0.1 -p "$(rr_port behind)" MONITOR > "$RUN/monitor.log" 2>&1 &
mon=$!
rig_track_pid "$mon" monitor
sleep 0.3
kill -STOP "$(rr_pid behind)"
a=$(say reserve frozen r@example.net) || a=none
sleep 1
kill -CONT "$(rr_pid behind)"
rig_check "behind: the frozen decision answers, unavailable ($a)" grep -q '^unavailable ' <<< "$a"
rig_check "behind: back after SIGCONT" until_ok
sleep 0.3
kill "$mon" 2> /dev/null || true
rig_check "behind: Redis ran the frozen reservation after the thaw" \
	grep -q '"EVALSHA".*"l:frozen' "$RUN/monitor.log"
rig_check "behind: ... after its deadline: no lease for it" \
	test "$(rr_cli behind HKEYS "$HASH" | grep -c '^l:frozen')" = 0
stop behind

rg_finish
