#!/usr/bin/env bash
# t_limit_redis_reshard.sh - a Redis Cluster slot moves while mail flows,
# and the counts stay exact: 3 masters; 4 threads send whole messages
# (a reservation, then the commit) for one login whose subject lives in
# one slot and one client address in another, while the address's slot
# (the second one a decision writes) is migrated a few keys at a time to
# another node (IMPORTING/MIGRATING, MIGRATE, then the new owner
# everywhere).  Decisions in the middle of it get ASK and TRYAGAIN and may
# be refused (unavailable: tempfail, nothing counted); a commit counted in
# the login's slot but not in the address's is accepted and completed
# there (never refused and counted).  At the end the login's count and
# the address's count on its new owner both equal the messages that went
# through, and nothing is left on the old owner.  The limits cannot drain
# during the test (one unit every 5 minutes), so counters read one after
# the other agree.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_reshard
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
cat > "$RUN/limits" <<'MAP'
plan lots
	year	messages	100000/365d
plan perip
	ipyear	messages	100000/365d
login	*	lots
ip	*	perip
MAP
rr_cluster3 || exit 1
lq_conf "$RUN/cl.conf" "limit_backend = redis" \
	"redis_cluster = 127.0.0.1:$(rr_port c1)" "limit_commit_wait = 2s"

slot() { redis-cli -p "$(rr_port c1)" CLUSTER KEYSLOT "$1"; }
# owner SLOT - c1, c2 or c3, the node serving a slot (as c1 sees it)
owner() {
	local i
	for i in 1 2 3; do
		if [ "$(redis-cli -p "$(rr_port "c$i")" CLUSTER COUNTKEYSINSLOT "$1" 2>/dev/null)" != "" ] &&
			redis-cli -p "$(rr_port "c$i")" CLUSTER NODES | grep myself |
			awk -v s="$1" '{ for (f = 9; f <= NF; f++) { split($f, r, "-");
				if (r[2] == "") r[2] = r[1];
				if (s >= r[1] + 0 && s <= r[2] + 0) ok = 1 } } END { exit !ok }'; then
			echo "c$i"
			return
		fi
	done
}
s_login=$(slot 'login:gina@example.com')
s_ip=$(slot 'ip:203.0.113.5')
s_move=$s_ip
src=$(owner "$s_move")
for dst in c1 c2 c3; do [ "$dst" != "$src" ] && break; done
echo "address slot $s_ip on $src, moving to $dst; login slot $s_login on $(owner "$s_login")"
rig_check "the two subjects are in different slots" test "$s_login" != "$s_ip"

# the flow: 4 threads, 2,000 messages, about 10 s
"$RG_LIMITQ" -c "$RUN/cl.conf" -l gina@example.com -i 203.0.113.5 -x m \
	-N 2000 -T 4 -P 15 send > "$RUN/flow.out" 2> "$RUN/flow.log" &
flow=$!
rig_track_pid "$flow" limitq-flow
sleep 2
src_id=$(rr_cli "$src" CLUSTER MYID)
dst_id=$(rr_cli "$dst" CLUSTER MYID)
rr_cli "$dst" CLUSTER SETSLOT "$s_move" IMPORTING "$src_id" > /dev/null
rr_cli "$src" CLUSTER SETSLOT "$s_move" MIGRATING "$dst_id" > /dev/null
# a few keys at a time, slowly: the flow meets the slot half moved (the
# login's hash, its tombstones and queue id markers)
moved=0
for _ in $(seq 1000); do
	keys=$(rr_cli "$src" CLUSTER GETKEYSINSLOT "$s_move" 20 | tr '\n' ' ')
	[ -n "${keys// /}" ] || break
	# shellcheck disable=SC2086 # a list of keys
	rr_cli "$src" MIGRATE 127.0.0.1 "$(rr_port "$dst")" "" 0 5000 KEYS $keys > /dev/null
	moved=$((moved + $(wc -w <<< "$keys")))
	sleep 0.05
done
for n in c1 c2 c3; do rr_cli "$n" CLUSTER SETSLOT "$s_move" NODE "$dst_id" > /dev/null; done
echo "moved $moved keys, a few at a time"
# the flow's end (a tracked pid is no job of this shell to wait for)
for _ in $(seq 600); do
	kill -0 "$flow" 2>/dev/null || break
	sleep 0.1
done
res=$(grep '^ok=' "$RUN/flow.out" || echo "ok=0 over=0 unavailable=0")
echo "flow: $res"
ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' <<< "$res")
unav=$(sed -n 's/.*unavailable=\([0-9]*\).*/\1/p' <<< "$res")
rig_check "every message answered ($res)" test $((ok + unav)) = 2000 -a "$ok" -gt 1000
rig_check "some decisions met the migration (ASK or TRYAGAIN in the log)" \
	grep -qE 'TRYAGAIN|ASK|MOVED' "$RUN/flow.log"
n=$(rr_used "$(owner "$s_login")" 'rg:{login:gina@example.com}:year')
rig_check "the login's count equals the messages sent ($n of $ok)" test "$n" = "$ok"
n=$(rr_used "$dst" 'rg:{ip:203.0.113.5}:ipyear')
rig_check "the address's count on its new owner $dst equals the messages sent ($n of $ok)" test "$n" = "$ok"
rig_check "the old owner $src holds nothing of the slot" \
	test "$(rr_cli "$src" CLUSTER COUNTKEYSINSLOT "$s_move")" = 0
rg_finish
