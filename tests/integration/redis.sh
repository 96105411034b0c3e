# shellcheck shell=bash
# redis.sh - throwaway redis-server processes for the limit tests, on
# loopback ports from rig_free_port, files in $RUN/redis-NAME, stopped by
# pid from the rig's EXIT trap (lib.sh).  Also the limitq driver.
#
#   rr_start NAME [ARGS...]	start redis-server NAME on a free port (extra
#				redis-server options after); sets RR_PORT_NAME
#   rr_port NAME		its port
#   rr_pid NAME			its pid
#   rr_cli NAME ARGS...		redis-cli to it
#   rr_stop NAME [SIGNAL]	stop it (TERM, or KILL to simulate a crash)
#   rr_restart NAME [ARGS...]	start it again, empty, on the same port
#   rr_cluster3			a Redis Cluster of three masters c1 c2 c3,
#				created and serving every slot
#   rr_sentinel NAME MASTER_PORT	a Sentinel watching 127.0.0.1:MASTER_PORT
#				as "mymaster" (quorum 2, down after 1 s)
#   rr_used NAME [-n DB] KEY	the "used" count of a limit's bucket
#   limitq ARGS...		build/tests/limitq
#   lq_conf FILE LINE...	write a relayguard.conf with limits on
#
# Redis binds 127.0.0.1 only, keeps nothing on disk (no RDB, no AOF) and
# allows DEBUG from loopback (fault tests).  RR_ENV="NAME=VALUE ..." runs
# it with those in its environment (e.g. an LD_PRELOAD library).
# RR_MODULE=yes loads the relayguard module (RR_MODULE_SO, the build's
# relayguard-redis.so: RELAYGUARD.LIMIT) into the servers started
# meanwhile, rr_cluster3's too.

RG_LIMITQ=${RG_LIMITQ:-$RG_TOP/${RG_BUILD:-build}/tests/limitq}
RR_MODULE_SO=${RR_MODULE_SO:-$RG_TOP/${RG_BUILD:-build}/relayguard-redis.so}

# rr__dir NAME - the run directory of one server
rr__dir() { echo "$RUN/redis-$1"; }

# rr_port NAME - the port of a server started with rr_start
rr_port() { cat "$(rr__dir "$1")/port"; }

# rr_pid NAME - the pid of a server
rr_pid() { cat "$(rr__dir "$1")/pid"; }

# rr_cli NAME ARGS... - redis-cli to a server (a password via REDISCLI_AUTH)
rr_cli() {
	local n=$1
	shift
	redis-cli -h 127.0.0.1 -p "$(rr_port "$n")" "$@"
}

# rr__launch NAME PORT ARGS... - run redis-server in the foreground, in the
# background of this shell, tracked by the rig
rr__launch() {
	local n=$1 port=$2 d i
	shift 2
	if [ "${RR_MODULE:-no}" = yes ]; then
		[ -f "$RR_MODULE_SO" ] || { rig__die "no $RR_MODULE_SO (make)"; return 1; }
		set -- --loadmodule "$RR_MODULE_SO" "$@"
	fi
	d=$(rr__dir "$n")
	mkdir -p "$d"
	echo "$port" > "$d/port"
	# shellcheck disable=SC2086 # RR_ENV: NAME=VALUE words for env(1)
	env ${RR_ENV:-} redis-server --port "$port" --bind 127.0.0.1 --save "" \
		--appendonly no --dir "$d" --logfile "$d/redis.log" \
		--enable-debug-command local "$@" < /dev/null > /dev/null 2>&1 &
	echo $! > "$d/pid"
	rig_track_pid "$!" "redis-$n" || return 1
	for i in $(seq 100); do
		if REDISCLI_AUTH=${RR_AUTH:-} redis-cli -h 127.0.0.1 -p "$port" \
			--no-auth-warning ping 2>/dev/null | grep -q -e PONG -e NOAUTH; then
			return 0
		fi
		kill -0 "$(cat "$d/pid")" 2>/dev/null || break
		sleep 0.05
	done
	cat "$d/redis.log" >&2
	rig__die "redis-server $n did not start on port $port"
}

# rr_start NAME [ARGS...] - a new server on a free port
rr_start() {
	local n=$1 port
	shift
	port=$(rig_free_port) || return 1
	rr__launch "$n" "$port" "$@"
}

# rr_stop NAME [SIGNAL] - stop a server and wait until it is gone
rr_stop() {
	local pid
	pid=$(rr_pid "$1")
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
}

# rr_restart NAME [ARGS...] - start a stopped server again (empty)
rr_restart() {
	local n=$1
	shift
	rr__launch "$n" "$(rr_port "$n")" "$@"
}

# rr_sentinel NAME MASTER_PORT - a Sentinel for 127.0.0.1:MASTER_PORT
rr_sentinel() {
	local n=$1 mport=$2 d port i
	d=$(rr__dir "$n")
	port=$(rig_free_port) || return 1
	mkdir -p "$d"
	echo "$port" > "$d/port"
	cat > "$d/sentinel.conf" <<-EOF
	port $port
	bind 127.0.0.1
	dir $d
	logfile $d/sentinel.log
	sentinel monitor mymaster 127.0.0.1 $mport 2
	sentinel down-after-milliseconds mymaster 1000
	sentinel failover-timeout mymaster 4000
	sentinel parallel-syncs mymaster 1
	EOF
	redis-server "$d/sentinel.conf" --sentinel < /dev/null > /dev/null 2>&1 &
	echo $! > "$d/pid"
	rig_track_pid "$!" "sentinel-$n" || return 1
	for i in $(seq 100); do
		redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	rig__die "sentinel $n did not start"
}

# rr_used NAME [-n DB] PREFIX:{SUBJECT}:LIMIT - the "used" count of a
# limit's bucket: the first word of the field LIMIT, "USED LEVEL TIME TU",
# of the subject's hash PREFIX:{SUBJECT} (0 when there is none; open
# leases not included)
rr_used() {
	local n=$1 v key
	local -a db=()
	shift
	if [ "$1" = -n ]; then db=(-n "$2"); shift 2; fi
	key=${1%:*}
	v=$(rr_cli "$n" --no-auth-warning "${db[@]}" HGET "$key" "${1##*:}")
	echo "${v%% *}" | sed 's/^$/0/'
}

# limitq ARGS... - the limit driver
limitq() {
	"$RG_LIMITQ" "$@"
}

# lq_conf FILE LINE... - relayguard.conf with limits on, plus LINEs
lq_conf() {
	local f=$1 l
	shift
	{
		echo "limits = yes"
		echo "limit_map = $RUN/limits"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}

# rr_wait_for DESC TRIES CMD... - retry CMD (0.1 s apart) until it succeeds
rr_wait_for() {
	local desc=$1 tries=$2 i
	shift 2
	for i in $(seq "$tries"); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	rig__die "timed out waiting for: $desc"
}

# rr_cluster3 - three cluster-enabled servers c1 c2 c3 (no replicas), the
# slots spread over them, waited for until each says cluster_state:ok
rr_cluster3() {
	local i
	for i in 1 2 3; do
		# the cluster bus port is port + 10000 unless given: in the
		# kernel's ephemeral range, where an outgoing connection may
		# already hold it
		rr_start "c$i" --cluster-enabled yes \
			--cluster-config-file nodes.conf \
			--cluster-node-timeout 3000 --cluster-port "$(rig_free_port)"
	done
	redis-cli --cluster create "127.0.0.1:$(rr_port c1)" \
		"127.0.0.1:$(rr_port c2)" "127.0.0.1:$(rr_port c3)" \
		--cluster-replicas 0 --cluster-yes > "$RUN/create.log" 2>&1 || {
		cat "$RUN/create.log"
		rig__die "redis-cli --cluster create failed"
		return 1
	}
	for i in 1 2 3; do
		rr_wait_for "cluster_state:ok on c$i" 100 bash -c \
			"redis-cli -p $(rr_port "c$i") CLUSTER INFO | grep -q cluster_state:ok" ||
			return 1
	done
}
