#!/usr/bin/env bash
# limit_bench.sh - "make bench", limit engine part: limit decisions through
# the engine (tests/bench/limit_bench.c: 50 caller threads, two subjects
# per decision - a login with three limits, a client address with one -
# as a RESERVE, a CHECK, and a whole message: RESERVE then COMMIT) against
# one redis-server on loopback, beside redis-benchmark running a trivial
# EVALSHA ("return 1") with 50 connections against the same server in the
# same run.  For each: decisions per second and the ratio to the trivial
# EVALSHA (wall clock: only meaningful on a quiet machine), Redis's own
# time per script call (INFO commandstats usec_per_call), and the CPU time
# per decision of redis-server and of the calling process (utime + stime
# from /proc: what a decision costs whatever else runs on the machine).
# The memory backend is measured too.  Then the script alone: Redis's time
# per call, sent pipelined on one connection
# (redis-cli --pipe, logins among 100,000, a new transaction each call),
# so that no client thread competes with Redis for a core: CHECK, RESERVE
# and a whole message (RESERVE then COMMIT) beside 'return 1' with the
# same arguments (what EVALSHA itself costs).  The same rows again with
# the Redis module (redis/relayguard_redis.c, RELAYGUARD.LIMIT) loaded in
# a second redis-server: the engine's rows "module" (limit_redis_module =
# auto there, no on the script's server) and the module's own time per
# call beside the script's.  Both servers run as the README advises
# (hash-max-listpack-entries 64: a RESERVE never committed leaves its
# lease in the subject's hash, hundreds per login among 1,000 here).
#
# Environment: BENCH_LIMIT_SECONDS (5) per measurement,
# BENCH_LIMIT_THREADS (50), BENCH_REDIS_OPTS (Redis's options, replacing
# --hash-max-listpack-entries 64; "" for Redis's defaults).  Timings never fail the run: the exit status is
# 1 only when something did not start or decisions were unavailable.
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/redis.sh"

secs=${BENCH_LIMIT_SECONDS:-5}
thr=${BENCH_LIMIT_THREADS:-50}
bin=$RG_TOP/${RG_BUILD:-build}/tests/limit_bench
[ -x "$bin" ] || { echo "limit_bench.sh: $bin not built (make tools)"; exit 1; }
HZ=$(getconf CLK_TCK)
rig_init limit_bench
cat > "$RUN/limits" <<'MAP'
plan wide
	hour	messages	1000000000/1h
	day	recipients	1000000000/1d
	volume	bytes		1000G/1d
plan perip
	minute	messages	1000000000/1m
login	*	wide
ip	*	perip
MAP
read -r -a ropts <<< "${BENCH_REDIS_OPTS---hash-max-listpack-entries 64}"
rr_start bench "${ropts[@]}"
port=$(rr_port bench)
rpid=$(rr_pid bench)
RR_MODULE=yes rr_start benchmod "${ropts[@]}"
mport=$(rr_port benchmod)
mpid=$(rr_pid benchmod)
sha=$(rr_cli bench SCRIPT LOAD "return 1")
# ticks PID - utime + stime of a process, clock ticks
ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $(( ${12} + ${13} ))
}
# stats [SERVER [COMMAND]] - Redis's own microseconds per call of
# COMMAND (evalsha) on SERVER (bench) since the last call, and its calls
stats() {
	rr_cli "${1:-bench}" INFO commandstats | tr -d '\r' |
		sed -n "s/^cmdstat_${2:-evalsha}:calls=\([0-9]*\),.*usec_per_call=\([0-9.]*\).*/\2 \1/p"
	rr_cli "${1:-bench}" CONFIG RESETSTAT > /dev/null
}
rr_cli bench CONFIG RESETSTAT > /dev/null
r0=$(ticks "$rpid")
rb=$(redis-benchmark -h 127.0.0.1 -p "$port" -c "$thr" -n $((secs * 40000)) -q \
	EVALSHA "$sha" 0 2>/dev/null | tr '\r' '\n' | sed -n 's/.* \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
r1=$(ticks "$rpid")
rb=${rb%.*}
result() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<< "$1"; }
row() {	# WHAT RATE REDIS_US REDIS_CPU_US CLIENT_CPU_US
	printf '%-40s %9s/s %6s %9s %10s %11s\n' "$1" "$2" \
		"$(awk -v a="$2" -v b="$rb" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" \
		"${3:--}" "${4:--}" "${5:--}"
}
echo "== limit decisions ($thr callers, ${secs}s each; $(nproc) cores shared; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-40s %11s %6s %9s %10s %11s\n' "what" "rate" "x EVAL" "redis us" \
	"redis cpu" "client cpu"
s=$(stats)
row "redis-benchmark EVALSHA 'return 1'" "$rb" "${s%% *}" \
	"$(awk -v t=$((r1 - r0)) -v n="${s##* }" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }')"
fail=0
rr_cli benchmod CONFIG RESETSTAT > /dev/null
for pool in 8 "$thr"; do
	lq_conf "$RUN/p$pool.conf" "limit_backend = redis" \
		"redis_server = 127.0.0.1:$port" "redis_pool_size = $pool" \
		"limit_redis_module = no"
	lq_conf "$RUN/m$pool.conf" "limit_backend = redis" \
		"redis_server = 127.0.0.1:$mport" "redis_pool_size = $pool" \
		"limit_redis_module = auto"
	for op in reserve check send; do
		for kind in script module; do
			# decisions the pool could not serve in time are
			# counted by limit_bench and warned about below, not a
			# failed run; only no figure at all is
			if [ "$kind" = script ]; then
				conf=$RUN/p$pool.conf pid=$rpid srv=bench cmd=evalsha
			else
				conf=$RUN/m$pool.conf pid=$mpid srv=benchmod cmd=relayguard.limit
			fi
			r0=$(ticks "$pid")
			out=$("$bin" -c "$conf" -t "$thr" -d "$secs" -o "$op" 2>>"$RUN/bench.log") || true
			r1=$(ticks "$pid")
			dec=$(result "$out" decisions)
			[ -n "$(result "$out" per_second)" ] || fail=1
			s=$(stats "$srv" "$cmd")
			row "engine $op, redis $kind, pool $pool" "$(result "$out" per_second)" "${s%% *}" \
				"$(awk -v t=$((r1 - r0)) -v n="${dec:-0}" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }')" \
				"$(result "$out" cpu_us)"
		done
	done
done
# the script alone, pipelined on one connection: limitq writes the calls
# as Redis reads them (their numbers are binary), redis-cli --pipe sends
# them all at once
lq_conf "$RUN/s.conf" "limit_backend = redis" "redis_server = 127.0.0.1:$port"
"$RG_LIMITQ" -c "$RUN/s.conf" script | rr_cli bench -x SCRIPT LOAD > /dev/null
ncalls=${BENCH_LIMIT_CALLS:-20000}
# alone OP [SHA] - Redis's usec per call and redis-server's CPU us per
# call of ncalls script calls (send: a RESERVE and its COMMIT each), each
# a new transaction, logins among 100,000, no deadline; with SHA that
# script instead, given the same arguments
# (SHA "module": RELAYGUARD.LIMIT on the module's server; "-": the limit
# script); a third argument: logins among that many instead
alone() {
	local t0 t1 s srv=bench pid=$rpid cmd=evalsha how=resp
	if [ "${2:-}" = module ]; then
		srv=benchmod pid=$mpid cmd=relayguard.limit how=resp-module
	fi
	"$RG_LIMITQ" -c "$RUN/s.conf" -l u1@bench.example -i 10.1.2.3 \
		-r r@bench.example -q QID -b 4096 "$how" "$1" "$ncalls" \
		"${3:-100000}" \
		> "$RUN/alone.resp"
	if [ -n "${2:-}" ] && [ "$2" != module ] && [ "$2" != - ]; then
		LC_ALL=C sed -i "s/^[0-9a-f]\{40\}\r\$/$2\r/" "$RUN/alone.resp"
	fi
	rr_cli "$srv" CONFIG RESETSTAT > /dev/null
	t0=$(ticks "$pid")
	rr_cli "$srv" --pipe < "$RUN/alone.resp" > /dev/null 2>&1
	t1=$(ticks "$pid")
	s=$(stats "$srv" "$cmd")
	printf '%8s %9s' "${s%% *}" "$(awk -v t=$((t1 - t0)) -v n="${s##* }" \
		-v hz="$HZ" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }')"
}
echo
echo "== the script alone (pipelined, one connection): per call, Redis's us and redis-server's CPU us"
printf '%-52s %s\n' "'return 1', a decision's arguments (EVALSHA itself)" "$(alone check "$sha")"
for op in check reserve send; do
	printf '%-52s %s\n' "limit script, $op (login: 3 limits, address: 1)" "$(alone "$op")"
	printf '%-52s %s\n' "RELAYGUARD.LIMIT module, $op" "$(alone "$op" module)"
done
# a sender that sends again: its hash is there (20 calls per login)
for op in reserve send; do
	printf '%-52s %s\n' "limit script, $op, logins among 1,000" "$(alone "$op" - 1000)"
	printf '%-52s %s\n' "RELAYGUARD.LIMIT module, $op, logins among 1,000" "$(alone "$op" module 1000)"
done
echo "(send: a RESERVE and its COMMIT, the figures per call; logins among"
echo " 100,000 unless said: nearly every call makes a new hash)"

lq_conf "$RUN/mem.conf" "limit_backend = memory"
out=$("$bin" -c "$RUN/mem.conf" -t "$thr" -d "$secs" -o reserve 2>>"$RUN/bench.log") || fail=1
row "engine reserve, memory backend" "$(result "$out" per_second)" "" "" "$(result "$out" cpu_us)"
echo "(redis us: Redis's own time per script call; redis cpu and client cpu:"
echo " CPU microseconds per decision of redis-server and of the callers - a"
echo " \"send\" decision is a whole message, two script calls; load after:"
echo " $(cut -d' ' -f1-3 /proc/loadavg))"
grep -E 'warning|unavailable' "$RUN/bench.log" | sed 's/^[^ ]* //' | sort | uniq -c | head -n 5
exit "$fail"
