#!/usr/bin/env bash
# policy_bench.sh - the policy-service part of "make bench": decisions per
# second and latency of Postfix policy servers under the same load, in one
# run, each on loopback with its own config and pid files (never the
# system service):
#
#   null                tests/bench/policy_load.c -S: answers DUNNO without
#                       reading anything (the generator's own ceiling)
#   relayguard          build/relayguard-policyd with its defaults (16
#                       workers) and a sender login map of the 1,000
#                       logins: ownership checked, no limits
#   relayguard-redis    the same daemon with the engine's own limit check
#                       on a real redis-server: limits = yes,
#                       limit_backend = redis, one plan for every login
#                       (every RCPT request: one EVALSHA of the limit
#                       script, LIMIT_CHECK), and login ownership on (a
#                       sender login map of the 1,000 logins)
#   relayguard-redis-module  the same, Redis with the relayguard module
#                       loaded (RELAYGUARD.LIMIT instead of the script)
#                       Both Redis servers run as the README advises:
#                       hash-max-listpack-entries 64 (RCPT requests
#                       alone leave every message's lease open for
#                       limit_lease_time, hundreds per login here, and
#                       a listpack hash is searched field by field);
#                       BENCH_REDIS_OPTS replaces that option
#                       ("" for Redis's defaults)
#   postfwd1, postfwd2  Debian's postfwd, one rate rule per SASL login:
#                       rate(sasl_username/LIMIT/3600/450 4.7.1 ...), -P
#                       (no logging: the most favourable setting)
#   policyd-rate-limit  Debian's, sqlite backend, limit_by_sasl, one limit
#                       of LIMIT per hour
#
# LIMIT is never reached, so every answer is DUNNO after a real lookup and
# update of the login's counter.  Load: tests/bench/policy_load.c, one
# epoll thread, BENCH_POLICY_CONNS connections (default "10 100"), each a
# closed loop of Postfix 3.7 RCPT requests (2 recipients per message, 1,000
# logins), BENCH_POLICY_WARMUP (2) seconds not counted, then
# BENCH_POLICY_SECONDS (10) counted.  Server CPU is the utime + stime of its
# processes over the counted run.  Everything shares the machine's cores
# with the generator.
#
# With BENCH_POLICY_EOM=1 every simulated message also ends with an
# END-OF-MESSAGE request (smtpd_end_of_data_restrictions, as relayguard's
# Postfix snippet asks): relayguard-policyd then counts each message there
# (a commit) after reserving its recipients at RCPT, the whole life of a
# message; the other servers answer it like any request.  Besides the
# server's CPU per decision, the Redis server's CPU per decision is shown
# for relayguard-redis, and Redis's own time per script call.
#
# Environment: BENCH_POLICY_SERVERS (all of the above), BENCH_POLICY_CONNS,
# BENCH_POLICY_SECONDS, BENCH_POLICY_WARMUP, BENCH_POLICY_EOM,
# BENCH_REDIS_OPTS, RG_KEEP=1.
# Timings never fail the run: the exit status is 1 only when a server did
# not come up or answered nothing.
set -eu
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../integration/policyd.sh
. "$(dirname "$0")/../integration/policyd.sh"

SECS=${BENCH_POLICY_SECONDS:-10}
WARM=${BENCH_POLICY_WARMUP:-2}
CONNS=${BENCH_POLICY_CONNS:-"10 100"}
SERVERS=${BENCH_POLICY_SERVERS:-"null relayguard relayguard-redis relayguard-redis-module postfwd1 postfwd2 policyd-rate-limit"}
LIMIT=100000000
HZ=$(getconf CLK_TCK)
LOAD=$RG_TOP/build/bench/policy_load
EOMFLAG=
[ "${BENCH_POLICY_EOM:-0}" = 1 ] && EOMFLAG=-e

for c in postfwd1 postfwd2 policyd-rate-limit redis-server redis-cli cc; do
	command -v "$c" > /dev/null ||
		{ echo "FAIL: policy bench: $c missing (make deps)"; exit 1; }
done
mkdir -p "$(dirname "$LOAD")"
if [ ! -x "$LOAD" ] || [ "$RG_TOP/tests/bench/policy_load.c" -nt "$LOAD" ]; then
	cc -O2 -Wall -Wextra -o "$LOAD" "$RG_TOP/tests/bench/policy_load.c" ||
		{ echo "FAIL: policy bench: cannot build policy_load"; exit 1; }
fi

rig_init policy_bench
B=$RUN/bench
mkdir -p "$B"
chmod 0755 "$B"
BROKEN=0

# srv_pids - every process of the server under test
srv_pids() {
	if [ -n "${SRV_PGID:-}" ]; then
		ps -o pid= -g "$SRV_PGID" 2>/dev/null || true
	else
		echo "$SRV_PID"
	fi
}

# srv_ticks - utime+stime (+ reaped children) of the server, clock ticks
srv_ticks() {
	local p t=0 stat
	for p in $(srv_pids); do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		# shellcheck disable=SC2086
		set -- $stat
		t=$((t + ${12} + ${13} + ${14} + ${15}))
	done
	echo "$t"
}

# pid_ticks PID - utime+stime of one process, clock ticks
pid_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo $(( ${12} + ${13} ))
}

# srv_stop - stop the server: its pid, or every pid of its group
srv_stop() {
	local p
	if [ -n "${SRV_PGID:-}" ]; then
		for p in $(srv_pids); do kill "$p" 2>/dev/null || true; done
		for _ in $(seq 50); do
			[ -z "$(srv_pids)" ] && break
			sleep 0.1
		done
		for p in $(srv_pids); do kill -KILL "$p" 2>/dev/null || true; done
	else
		rig_stop_pid "$SRV_PID"
	fi
	SRV_PGID=
}

# wait_answer ADDR - a first request is answered (the server is up)
wait_answer() {
	local i
	for i in $(seq 100); do
		if "$RG_PY" "$RG_TOP/tests/policy/pclient.py" "$1" ask \
			sasl_username=warmup 2>/dev/null | grep -q '^action='; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

start_null() {
	local port
	port=$(rig_free_port)
	"$LOAD" -S "127.0.0.1:$port" > "$B/null.log" 2>&1 &
	SRV_PID=$!
	rig_track_pid "$SRV_PID" null-policy
	SRV_ADDR=127.0.0.1:$port
}

start_relayguard() {
	pd_socket_inet
	for i in $(seq 0 999); do echo "user$i user$i@example.com"; done > "$B/senders"
	pd_conf "log_level = info" "sender_login_map = $B/senders"
	pd_start
	SRV_PID=$PD_PID
	SRV_ADDR=127.0.0.1:$PD_PORT
}

# start_relayguard-redis [module] - relayguard-policyd on its redis-server
# (with the relayguard module loaded and used: module)
start_relayguard-redis() {
	local port so=$RG_TOP/${RG_BUILD:-build}/relayguard-redis.so
	local -a load=() use=("limit_redis_module = no") opts
	read -r -a opts <<< "${BENCH_REDIS_OPTS---hash-max-listpack-entries 64}"
	if [ "${1:-}" = module ]; then
		load=(--loadmodule "$so")
		use=("limit_redis_module = auto")
	fi
	port=$(rig_free_port)
	rm -rf "$B/redis"
	mkdir -p "$B/redis"
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
		--daemonize yes --pidfile "$B/redis/redis.pid" \
		--logfile "$B/redis/redis.log" --dir "$B/redis" \
		"${opts[@]}" "${load[@]}" > /dev/null
	for _ in $(seq 50); do [ -s "$B/redis/redis.pid" ] && break; sleep 0.1; done
	REDIS_PID=$(cat "$B/redis/redis.pid")
	rig_track_pid "$REDIS_PID" redis-server
	REDIS_PORT=$port
	pd_socket_inet
	printf 'plan big\n\thour messages %s/1h\n\tday recipients %s/1d\nlogin * big\n' \
		"$LIMIT" "$LIMIT" > "$B/limits"
	for i in $(seq 0 999); do echo "user$i user$i@example.com"; done > "$B/senders"
	pd_conf "log_level = info" "limits = yes" "limit_map = $B/limits" \
		"limit_backend = redis" "redis_server = 127.0.0.1:$port" \
		"redis_pool_size = 32" "sender_login_map = $B/senders" "${use[@]}"
	pd_start
	SRV_PID=$PD_PID
	SRV_ADDR=127.0.0.1:$PD_PORT
}

start_relayguard-redis-module() {
	start_relayguard-redis module
}

# start_postfwd 1|2 - postfwd1 or postfwd2 as a daemon in a session of its
# own: every process it forks is in that process group
start_postfwd() {
	local v=$1 port pgid
	port=$(rig_free_port)
	echo "id=RATE01; action=rate(sasl_username/$LIMIT/3600/450 4.7.1 rate limit reached)" \
		> "$B/postfwd.rules"
	# its pid file and cache socket are written as nobody
	install -d -o nobody -m 0755 "$B/postfwd$v"
	setsid "postfwd$v" -d -P --file "$B/postfwd.rules" --interface 127.0.0.1 \
		--port "$port" --pidfile "$B/postfwd$v/pid" -u nobody -g nogroup \
		> "$B/postfwd$v.log" 2>&1 < /dev/null
	for _ in $(seq 100); do [ -s "$B/postfwd$v/pid" ] && break; sleep 0.1; done
	SRV_PID=$(cat "$B/postfwd$v/pid" 2>/dev/null) ||
		{ rig_fail "postfwd$v did not start"; cat "$B/postfwd$v.log"; return 1; }
	pgid=$(ps -o pgid= -p "$SRV_PID" | tr -d ' ')
	SRV_PGID=$pgid
	SRV_ADDR=127.0.0.1:$port
}

start_policyd-rate-limit() {
	local port
	port=$(rig_free_port)
	cat > "$B/prl.yaml" <<-EOF
	debug: False
	user: "policyd-rate-limit"
	group: "policyd-rate-limit"
	pidfile: "$B/prl/policyd-rate-limit.pid"
	sqlite_config:
	    database: "$B/prl/db.sqlite3"
	backend: 0
	SOCKET: ["127.0.0.1", $port]
	limits:
	    - [$LIMIT, 3600]
	limits_by_id: {}
	limit_by_sasl: True
	limit_by_sender: False
	limit_by_ip: False
	success_action: "dunno"
	fail_action: "defer_if_permit Rate limit reach, retry later"
	db_error_action: "dunno"
	report: False
	delay_to_close: 300
	EOF
	policyd-rate-limit --file "$B/prl.yaml" > "$B/prl.log" 2>&1 < /dev/null &
	SRV_PID=$!
	rig_track_pid "$SRV_PID" policyd-rate-limit
	SRV_ADDR=127.0.0.1:$port
}

# run_server NAME - start, measure at each connection count, stop
run_server() {
	local name=$1 c out t0 t1 dec cpu
	SRV_PGID=
	case $name in
	postfwd1) start_postfwd 1 ;;
	postfwd2) start_postfwd 2 ;;
	*) "start_$name" ;;
	esac || { BROKEN=1; return 0; }
	if ! wait_answer "$SRV_ADDR"; then
		rig_fail "$name does not answer on $SRV_ADDR" || true
		BROKEN=1
		srv_stop
		return 0
	fi
	for c in $CONNS; do
		t0=$(srv_ticks)
		[ -n "${REDIS_PID:-}" ] && r0=$(pid_ticks "$REDIS_PID") &&
			redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT > /dev/null
		out=$("$LOAD" -c "$c" -d "$SECS" -w "$WARM" $EOMFLAG "$SRV_ADDR")
		t1=$(srv_ticks)
		[ -n "${REDIS_PID:-}" ] && r1=$(pid_ticks "$REDIS_PID")
		dec=$(sed -n 's/.*decisions=\([0-9]*\).*/\1/p' <<< "$out")
		if [ "${dec:-0}" -gt 0 ]; then
			# CPU over warm-up and run, per counted decision: an
			# upper bound, the same for every server
			cpu=$(( (t1 - t0) * 1000000 / HZ / dec ))
		else
			cpu=-
			BROKEN=1
		fi
		rcpu=
		if [ -n "${REDIS_PID:-}" ] && [ "${dec:-0}" -gt 0 ]; then
			rcpu=" redis_cpu_us=$(( (r1 - r0) * 1000000 / HZ / dec ))"
			rcpu="$rcpu redis_usec_per_call=$(redis-cli -p "$REDIS_PORT" \
				INFO commandstats | tr -d '\r' |
				sed -n 's/^cmdstat_\(evalsha\|relayguard.limit\):.*usec_per_call=\([0-9.]*\).*/\2/p' |
				head -n 1)"
		fi
		echo "$name $out server_cpu_us=$cpu$rcpu" | tee -a "$B/results"
	done
	srv_stop
	if [ "${name#relayguard-redis}" != "$name" ]; then
		rig_stop_pid "$REDIS_PID"
		REDIS_PID=
	fi
}

echo "policy bench: $SECS s per run after $WARM s warm-up, connections: $CONNS${EOMFLAG:+, END-OF-MESSAGE requests too}"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $SERVERS; do
	run_server "$s"
done

echo
printf '%-20s %6s %12s %9s %9s %9s %9s %12s %10s %9s\n' server conns \
	decisions/s p50_ms p99_ms timeouts errors cpu_us/dec redis_cpu redis_us
awk '{
	delete f
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	printf "%-20s %6s %12s %9.2f %9.2f %9s %9s %12s %10s %9s\n", $1,
		f["conns"], f["rate"], f["p50_us"] / 1000, f["p99_us"] / 1000,
		f["timeouts"], f["errors"], f["server_cpu_us"],
		f["redis_cpu_us"] == "" ? "-" : f["redis_cpu_us"],
		f["redis_usec_per_call"] == "" ? "-" : f["redis_usec_per_call"]
}' "$B/results"
echo "machine after: load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$BROKEN" = 0 ]
