#!/usr/bin/env bash
# filter_cost.sh - what one message costs inside the filter, without an MTA:
# tests/bench/filter_cost.py plays Postfix over the milter protocol and this
# script reads, for the measured messages only (after a warm-up):
#
#   cpu      the filter's user + system CPU time per message (/proc/PID/stat,
#            all threads): less sensitive to a busy machine than msg/s
#   redis    Redis commands and round trips per message (INFO commandstats
#            and total_commands_processed of a private redis-server)
#   rss      the filter's resident memory after the warm-up and after each
#            round (FC_ROUNDS): with several rounds, growing by 100 bytes
#            per message or more from the first round to the last fails
#            (make bench: 10 rounds of 10,000 messages)
#
# and, when asked (FC_PROBE):
#   strace     syscalls per message of the filter, by name (strace -c -f)
#   callgrind  instructions per message (valgrind --tool=callgrind, counted
#              from the end of the warm-up): independent of the load
#   perf       a CPU profile (perf record -g, software clock), top symbols
#
# Configurations (FC_CONFIGS, default "provider rsa"):
#   provider  RSA-2048 + Ed25519 signatures, limits by sender and client
#             address in Redis, abuse control, own_domains, SPF on (for
#             outside clients; the bench's client is internal), audit file
#   rsa       RSA-2048 signature only, nothing else
#
# Environment: FC_MSGS (2000) FC_WARMUP (200) FC_SESSIONS (4) FC_PER_CONN
# (1: one connection per message, as Postfix) FC_SIZE (4096) FC_ROUNDS (1)
# FC_PROBE FC_RG_BIN (another build) FC_LOGIN (a SASL login for every
# message; empty: an internal client) RG_KEEP=1 keeps the run directory.
# Prints one "result" line per configuration; the exit status is 1 only
# when messages were not signed as expected or the filter broke.
set -u
# shellcheck source-path=SCRIPTDIR source=../milter/lib.sh
. "$(dirname "$0")/../milter/lib.sh"

MSGS=${FC_MSGS:-2000}
WARM=${FC_WARMUP:-200}
SESS=${FC_SESSIONS:-4}
PERCONN=${FC_PER_CONN:-1}
SIZE=${FC_SIZE:-4096}
ROUNDS=${FC_ROUNDS:-1}
PROBE=${FC_PROBE:-}
CONFIGS=${FC_CONFIGS:-"provider rsa"}
RG_BIN=${FC_RG_BIN:-$RG_BIN}
HZ=$(getconf CLK_TCK)
DRIVER=$TOP/tests/bench/filter_cost.py
BAD=0
REDIS_PID=""

# ticks PID - "utime stime" of all threads, in clock ticks
ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${12} ${13}"
}

# redis_start - a private redis-server on a free port
redis_start() {
	RPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no \
		--dir "$RUN" --logfile "$RUN/redis.log" < /dev/null > /dev/null 2>&1 &
	REDIS_PID=$!
	RG_BG_PIDS="$RG_BG_PIDS $REDIS_PID"
	for _ in $(seq 100); do
		redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "FAIL: redis-server did not start"
	exit 1
}

# conf_lines NAME - the configuration lines of one configuration
conf_lines() {
	case $1 in
	provider)
		# (printf: a here-document with <<- would strip the indentation)
		printf 'plan big\n\thour messages 100000000/1h\n%s\n%s\n%s\n' \
			'	day recipients 100000000/1d' 'sender * big' 'ip * big' \
			> "$RUN/limits"
		printf '%s\n' "internal_hosts = 127.0.0.0/8" "spf_check = yes" \
			"limits = yes" "limit_map = $RUN/limits" \
			"limit_backend = redis" "redis_server = 127.0.0.1:$RPORT" \
			"abuse_control = yes" "own_domains = example.com" \
			"audit_file = $RUN/audit.jsonl"
		;;
	rsa)
		sed -i '/ed\._domainkey/d' "$RUN/SigningTable"
		printf '%s\n' "internal_hosts = 127.0.0.0/8"
		;;
	*) echo "FAIL: unknown configuration $1"; exit 1 ;;
	esac
}

# drive N - N messages through the filter
drive() {
	FC_LOGIN=${FC_LOGIN:-} "$PY" "$DRIVER" "$SOCK" "$1" "$SESS" "$PERCONN" \
		"$SIZE" "$NSIGS" > "$RUN/driver.out" 2>&1
	local rc=$?
	grep -Ev '^(done|steps)' "$RUN/driver.out" | sed 's/^/  /'
	[ "$rc" = 0 ] || { echo "FAIL: $2: messages not signed as expected"; BAD=$((BAD + 1)); }
}

# run_config NAME
run_config() {
	local name=$1 c0 c1 t0 t1 rs rl rss0 line probe="" i per mon f
	local -a lines rss
	NSIGS=2
	[ "$name" = rsa ] && NSIGS=1
	mapfile -t lines < <(conf_lines "$name")
	rg_write_conf "${lines[@]}"
	if [ "$PROBE" = callgrind ]; then
		RG_BIN_SAVE=$RG_BIN
		printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/cg.%s.out %s "$@"\n' \
			"$RUN" "$name" "$RG_BIN" > "$RUN/rg-cg"
		chmod 755 "$RUN/rg-cg"
		RG_BIN=$RUN/rg-cg
	fi
	rg_start
	[ "$PROBE" = callgrind ] && RG_BIN=$RG_BIN_SAVE
	# the filter itself, not the valgrind wrapper shell (exec: same pid)
	echo "== $name: filter pid $RG_PID, $MSGS messages of $SIZE bytes," \
		"$SESS sessions, $PERCONN per connection, warm-up $WARM"
	drive "$WARM" "$name warm-up"
	sed -n 's/^steps /  negotiated steps: /p' "$RUN/driver.out"
	rss0=$(rg_rss_kb)
	case $PROBE in
	strace) strace -c -f -q -p "$RG_PID" -o "$RUN/strace.$name" & probe=$!
		sleep 1 ;;
	perf) perf record -q -g -F 2000 -e cpu-clock -p "$RG_PID" \
		-o "$RUN/perf.$name" > /dev/null 2>&1 & probe=$!
		sleep 1 ;;
	callgrind) callgrind_control -z "$RG_PID" > /dev/null ;;
	esac
	redis-cli -p "$RPORT" config resetstat > /dev/null
	# MONITOR shows each command a client sent (a round trip, or part of a
	# pipeline) and, marked "lua", the commands scripts ran inside Redis
	redis-cli -p "$RPORT" monitor > "$RUN/monitor.$name" 2>&1 &
	mon=$!
	sleep 0.5
	c0=$(ticks "$RG_PID")
	t0=$(date +%s.%N)
	line="  rss kB: $rss0 (after warm-up)"
	for i in $(seq "$ROUNDS"); do
		drive "$MSGS" "$name round $i"
		rss[i]=$(rg_rss_kb)
		line="$line ${rss[i]}"
	done
	t1=$(date +%s.%N)
	c1=$(ticks "$RG_PID")
	sleep 0.5
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	echo "$line"
	per=$((MSGS * ROUNDS))
	# memory: from the end of the first round to the end of the last (the
	# first round still fills caches, thread stacks, the allocator's arenas)
	if [ "$ROUNDS" -gt 1 ]; then
		i=$(( (rss[ROUNDS] - rss[1]) * 1024 / (MSGS * (ROUNDS - 1)) ))
		if [ "$i" -lt 100 ]; then
			echo "result $name: memory flat: ${rss[1]} -> ${rss[ROUNDS]} kB over" \
				"$((MSGS * (ROUNDS - 1))) messages ($i bytes per message, < 100)"
		else
			echo "FAIL: $name: memory grows: ${rss[1]} -> ${rss[ROUNDS]} kB over" \
				"$((MSGS * (ROUNDS - 1))) messages ($i bytes per message)"
			BAD=$((BAD + 1))
		fi
	fi
	# commands sent by the filter (not by redis-cli), and run by scripts
	awk -v n="$per" '$2 ~ /^\[/ && $3 !~ /^lua\]/ && $0 !~ /"(info|config|monitor)"/ {
			cmd = tolower($4); gsub("\"", "", cmd); c[cmd]++; t++ }
		$3 ~ /^lua\]/ { l++ }
		END { for (k in c) printf "  redis %-12s %6.2f sent per message\n", k, c[k] / n
		      printf "redis_sent %.2f redis_lua %.2f\n", t / n, l / n }' \
		"$RUN/monitor.$name" > "$RUN/redis.$name"
	grep -v '^redis_sent' "$RUN/redis.$name" | sort
	read -r _ rs _ rl < <(grep '^redis_sent' "$RUN/redis.$name")
	case $PROBE in
	strace|perf)
		kill -INT "$probe" 2>/dev/null; wait "$probe" 2>/dev/null ;;
	callgrind) callgrind_control -d "$RG_PID" > /dev/null ;;
	esac
	awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v n="$per" -v rs="$rs" -v rl="$rl" \
		-v w0="$t0" -v w1="$t1" -v nm="$name" -v la="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		u = (y[1] - x[1]) * 1000 / hz / n; s = (y[2] - x[2]) * 1000 / hz / n
		printf "result %s: cpu %.3f ms/message (user %.3f, system %.3f); redis: %.2f commands sent, %.2f run by scripts per message; %.0f msg/s (wall clock, load %s)\n",
			nm, u + s, u, s, rs, rl, n / (w1 - w0), la }'
	case $PROBE in
	strace)
		awk -v n="$per" '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 ~ /^[0-9]+$/ {
			printf "  syscalls %-14s %7.2f per message\n", $NF, $4 / n
			t += $4 }
			END { printf "result %s: %.1f syscalls/message\n", nm, t / n }' \
			nm="$name" "$RUN/strace.$name" ;;
	perf)
		perf report -i "$RUN/perf.$name" --no-children --sort dso,symbol \
			--stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 25 ;;
	callgrind)
		rg_stop > /dev/null
		f=$RUN/cg.$name.out.1	# dumped after the measured run
		callgrind_annotate "$f" 2>/dev/null | head -n 40 > "$RUN/cg.$name.txt"
		awk -v n="$per" -v nm="$name" '/PROGRAM TOTALS/ { gsub(",", "", $1);
			printf "result %s: %.0f instructions/message (callgrind)\n", nm, $1 / n }' \
			"$RUN/cg.$name.txt"
		sed -n '1,40p' "$RUN/cg.$name.txt" | grep -E '^ *[0-9,]+ ' | head -n 20 | sed 's/^/  /'
		;;
	esac
	rg_stop > /dev/null
}

rg_setup filter_cost
redis_start
echo "filter_cost: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"filter $RG_BIN"
# the machine's price of the signatures themselves, for comparison
openssl speed -seconds 1 rsa2048 ed25519 2>/dev/null |
	awk '/^rsa 2048/ { r = 1000 / $6 } /EdDSA \(Ed25519\)/ { e = 1000 / $7 }
	     END { printf "filter_cost: openssl speed: RSA-2048 sign %.3f ms, Ed25519 sign %.3f ms\n", r, e }'
for conf in $CONFIGS; do
	run_config "$conf"
done
[ "$BAD" = 0 ] || { echo "filter_cost: $BAD problem(s)"; exit 1; }
