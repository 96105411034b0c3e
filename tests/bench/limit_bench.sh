#!/usr/bin/env bash
# limit_bench.sh - "make bench", limit engine part: limit decisions per
# second through the engine (tests/bench/limit_bench.c: 50 caller threads,
# two subjects per decision, RESERVE and CHECK) against one redis-server on
# loopback, printed beside redis-benchmark running a trivial EVALSHA
# ("return 1") with 50 connections against the same server in the same
# run, and the ratio: how close one full decision comes to Redis's own
# limit for one script call.  The memory backend is measured too.
#
# Environment: BENCH_LIMIT_SECONDS (5) per measurement,
# BENCH_LIMIT_THREADS (50).  Timings never fail the run: the exit status is
# 1 only when something did not start or decisions were unavailable.
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/redis.sh"

secs=${BENCH_LIMIT_SECONDS:-5}
thr=${BENCH_LIMIT_THREADS:-50}
bin=$RG_TOP/${RG_BUILD:-build}/tests/limit_bench
[ -x "$bin" ] || { echo "limit_bench.sh: $bin not built (make tools)"; exit 1; }
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
rr_start bench
port=$(rr_port bench)
sha=$(rr_cli bench SCRIPT LOAD "return 1")
# usec - Redis's own microseconds per EVALSHA since the last call
usec() {
	rr_cli bench INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p'
	rr_cli bench CONFIG RESETSTAT > /dev/null
}
rr_cli bench CONFIG RESETSTAT > /dev/null
rb=$(redis-benchmark -h 127.0.0.1 -p "$port" -c "$thr" -n $((secs * 40000)) -q \
	EVALSHA "$sha" 0 2>/dev/null | tr '\r' '\n' | sed -n 's/.* \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
rb=${rb%.*}
result() { sed -n 's/.*per_second=\([0-9]*\).*/\1/p' <<< "$1"; }
row() {
	printf '%-44s %10s/s %8s %10s\n' "$1" "$2" \
		"$(awk -v a="$2" -v b="$rb" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" \
		"${3:--}"
}
echo "== limit decisions per second ($thr callers, ${secs}s each; 2 cores shared)"
printf '%-44s %12s %8s %10s\n' "what" "rate" "x EVALSHA" "redis us"
row "redis-benchmark EVALSHA 'return 1' (-c $thr)" "$rb" "$(usec)"
fail=0
for pool in 8 "$thr"; do
	lq_conf "$RUN/p$pool.conf" "limit_backend = redis" \
		"redis_server = 127.0.0.1:$port" "redis_pool_size = $pool"
	for op in reserve check; do
		# decisions the pool could not serve in time are counted by
		# limit_bench and warned about below, not a failed run; only
		# no figure at all is
		out=$("$bin" -c "$RUN/p$pool.conf" -t "$thr" -d "$secs" -o "$op" 2>>"$RUN/bench.log") || true
		[ -n "$(result "$out")" ] || fail=1
		row "engine $op, redis, pool $pool" "$(result "$out")" "$(usec)"
	done
done
lq_conf "$RUN/mem.conf" "limit_backend = memory"
out=$("$bin" -c "$RUN/mem.conf" -t "$thr" -d "$secs" -o reserve 2>>"$RUN/bench.log") || fail=1
row "engine reserve, memory backend" "$(result "$out")"
echo "(redis us: Redis's own time per EVALSHA; its one core is shared with the"
echo " callers and everything else on this machine; load: $(cut -d' ' -f1-3 /proc/loadavg))"
grep -E 'warning|unavailable' "$RUN/bench.log" | sort | uniq -c | head -n 5
exit "$fail"
