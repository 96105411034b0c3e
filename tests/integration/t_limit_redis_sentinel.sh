#!/usr/bin/env bash
# t_limit_redis_sentinel.sh - the limit engine behind Redis Sentinel: a
# master, a replica and three Sentinels on loopback; a long-lived client
# (limitq reading decisions, as the milter would make them) finds the
# master through the Sentinels, keeps counting across a forced failover
# (SENTINEL FAILOVER in mid-run), logs the new master once, and the count
# on the new master is exact (the writes before the failover were
# replicated first: WAIT).
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_sentinel
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
cat > "$RUN/limits" <<'MAP'
plan p
	day	messages	100/1d
login	alice@example.com	p
MAP
rr_start m
mport=$(rr_port m)
rr_start r --replicaof 127.0.0.1 "$mport"
rport=$(rr_port r)
rr_wait_for "the replica in sync" 100 \
	bash -c "redis-cli -p $rport INFO replication | grep -q master_link_status:up"
for s in s1 s2 s3; do rr_sentinel "$s" "$mport"; done
for s in s1 s2 s3; do
	rr_wait_for "$s knows the replica" 100 \
		bash -c "redis-cli -p $(rr_port $s) SENTINEL replicas mymaster | grep -qx $rport"
done
lq_conf "$RUN/s.conf" "limit_backend = redis" \
	"redis_sentinels = 127.0.0.1:$(rr_port s1), 127.0.0.1:$(rr_port s2) 127.0.0.1:$(rr_port s3)" \
	"redis_sentinel_master = mymaster"

coproc LQ { exec "$RG_LIMITQ" -c "$RUN/s.conf" -l alice@example.com - 2> "$RUN/lq.log"; }
rig_track_pid "$LQ_PID" limitq
n=0
ok=0
say() {
	echo "$*" >&"${LQ[1]}"
	IFS= read -r -t 20 line <&"${LQ[0]}" || { echo "no answer to: $*"; return 1; }
	echo "$line"
}
decide() {
	n=$((n + 1))
	case $(say send "t$n" r@example.net) in ok*) ok=$((ok + 1)); return 0 ;; esac
	return 1
}
until_ok() {
	local i
	for i in $(seq 100); do
		decide && return 0
		sleep 0.1
	done
	return 1
}
for _ in 1 2 3 4 5; do decide || true; done
rig_check "five decisions through the master the Sentinels name ($ok ok)" test "$ok" = 5
rig_check "the master found is logged" grep -q "Sentinel names 127.0.0.1:$mport as master mymaster" "$RUN/lq.log"
rig_check "the writes reached the replica" test "$(rr_cli m WAIT 1 5000)" = 1

redis-cli -p "$(rr_port s1)" SENTINEL FAILOVER mymaster > /dev/null
rr_wait_for "the Sentinels to name the replica" 100 \
	bash -c "redis-cli -p $(rr_port s2) SENTINEL get-master-addr-by-name mymaster | grep -qx $rport"
rr_wait_for "the old master to become a replica" 100 \
	bash -c "redis-cli -p $mport ROLE | head -n 1 | grep -qx slave"
rig_check "decisions go on after the failover" until_ok
for _ in 1 2 3 4; do decide || true; done
rig_check "the new master is logged once" \
	test "$(grep -c "Sentinel names 127.0.0.1:$rport as master mymaster, was 127.0.0.1:$mport" "$RUN/lq.log")" = 1
used=$(rr_used r 'rg:{login:alice@example.com}:day')
rig_check "the new master counts every decision that was ok ($used of $ok)" test "$used" = "$ok"
rr_wait_for "the old master to sync from the new one" 100 \
	bash -c "redis-cli -p $mport INFO replication | grep -q master_link_status:up"
rig_check "the old master, now a replica, catches up" test "$(rr_cli r WAIT 1 5000)" = 1
rig_check "the old master holds the same count (nothing written to it alone)" \
	test "$(rr_used m 'rg:{login:alice@example.com}:day')" = "$used"
exec {LQ[1]}>&-
rg_finish
