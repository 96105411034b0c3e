# shellcheck shell=bash
# audit.sh - helpers for the audit trail tests, on top of lib.sh:
#
#   au_redis_start		redis-server on 127.0.0.1:$AU_REDIS_PORT (a free
#				port; started again on the same port after a
#				stop), pid in AU_REDIS_PID, tracked by the rig
#   au_redis_stop [SIG]		stop it (TERM; KILL to simulate a crash)
#   au_redis CMD...		redis-cli against it
#   au_drive_start CONF [CMD...] the audit_drive program (tests/tools) as a
#				coprocess, stderr in $RUN/drive.log; CMD... is
#				a wrapper (e.g. unshare ...) that ends by
#				running "$AU_DRIVE -c CONF"
#   au_drive LINE		send one command, its one-line answer in
#				AU_REPLY (60 s safety limit, never a measure)
#   au_stat NAME		NAME's value in the last stats answer
#   au_until_stat NAME VALUE	send one record, flush and read stats until
#				NAME=VALUE (a sink retries after 1-8 s)
#   au_count PATTERN FILE	lines of FILE matching PATTERN (0 if none)

RG_BUILD=${RG_BUILD:-build}
AU_DRIVE=$RG_TOP/$RG_BUILD/tests/audit_drive
AU_CTL=$RG_TOP/$RG_BUILD/relayguardctl

# au_redis_start - a throwaway redis-server, nothing saved
au_redis_start() {
	local i
	[ -n "${AU_REDIS_PORT:-}" ] || AU_REDIS_PORT=$(rig_free_port) || return 1
	mkdir -p "$RUN/redis"
	redis-server --port "$AU_REDIS_PORT" --bind 127.0.0.1 --save "" \
		--appendonly no --daemonize no --dir "$RUN/redis" \
		--logfile "$RUN/redis/redis.log" < /dev/null > /dev/null 2>&1 &
	AU_REDIS_PID=$!
	rig_track_pid "$AU_REDIS_PID" redis-server || return 1
	for i in $(seq 100); do
		[ "$(au_redis PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	cat "$RUN/redis/redis.log" >&2
	rig__die "redis-server did not answer on port $AU_REDIS_PORT"
}

# au_redis_stop [SIGNAL] - stop the server (and wait until it is gone)
au_redis_stop() {
	rig_stop_pid "$AU_REDIS_PID" "${1:-TERM}"
}

# au_redis CMD... - one redis-cli command
au_redis() {
	redis-cli -p "$AU_REDIS_PORT" "$@"
}

# au_drive_start CONF [WRAPPER...] - start the driver as a coprocess
au_drive_start() {
	local conf=$1
	shift
	[ -x "$AU_DRIVE" ] || { rig__die "$AU_DRIVE not built (make $RG_BUILD/tests/audit_drive)"; return 1; }
	if [ $# = 0 ]; then
		set -- "$AU_DRIVE" -c "$conf"
	fi
	# exec: the coprocess pid is the driver itself (nsenter -t needs it)
	coproc AU_DRV { exec "$@" 2>> "$RUN/drive.log"; }
	rig_track_pid "$AU_DRV_PID" audit_drive
}

# au_drive LINE - one command, one answer
au_drive() {
	echo "$*" >&"${AU_DRV[1]}"
	if ! IFS= read -r -t 60 AU_REPLY <&"${AU_DRV[0]}"; then
		rig_fail "audit_drive gave no answer to \"$*\""
		AU_REPLY=
		return 1
	fi
	case $1 in stats|quit) AU_STATS=$AU_REPLY ;; esac
}

# au_stat NAME - a value from the last stats line
au_stat() {
	echo "$AU_STATS" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# au_until_stat NAME VALUE [TRIES] - records until a sink recovers
au_until_stat() {
	local i
	for i in $(seq "${3:-60}"); do
		au_drive "send 1 accept" && au_drive "flush 30" &&
			au_drive stats || return 1
		[ "$(au_stat "$1")" = "$2" ] && return 0
		sleep 0.5
	done
	rig_fail "$1 never became $2 (last: $AU_STATS)"
}

# au_count PATTERN FILE - matching lines
au_count() {
	grep -cE -- "$1" "$2" 2>/dev/null || true
}
