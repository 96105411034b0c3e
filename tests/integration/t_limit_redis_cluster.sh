#!/usr/bin/env bash
# t_limit_redis_cluster.sh - the limit engine on a real 3-master Redis
# Cluster (redis-server --cluster-enabled yes x3 + redis-cli --cluster
# create), one seed node configured:
#   - a message's subjects (login, client address, network) live in
#     different slots; the keys of each land on the node owning its slot
#   - 4 processes x 4 threads racing one quota of 100 get exactly 100
#     (whole messages: reserved, then committed), counted on the nodes of
#     their slots (limits whose buckets cannot drain during the test: one
#     unit every 14 min and 43 min, so two counters read one after the
#     other agree however slow the run)
#   - a reservation refused by a later slot (the client address's limit)
#     is undone in the earlier one (the login's count does not move)
#   - a slot moved while a client runs: during the migration the old
#     owner answers ASK, which is followed; the new owner refuses a script
#     creating keys there with TRYAGAIN (Redis Cluster's rule for multi-key
#     commands in an importing slot): retried briefly, then unavailable,
#     counting nothing; after it MOVED is followed and all is counted once
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_cluster
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
cat > "$RUN/limits" <<'MAP'
plan q100
	day	messages	100/1d
plan big
	hour	messages	100000/1h
plan perip
	ipm	messages	5/1h
plan pernet
	netm	messages	1000/30d
login	carol@example.com	q100
login	erin@example.com	q100
login	dave@example.com	q100
login	*			big
ip	198.51.100.9		perip
net	*			pernet
MAP
rr_cluster3 || exit 1
lq_conf "$RUN/cl.conf" "limit_backend = redis" "redis_cluster = 127.0.0.1:$(rr_port c1)"

# owner SLOT - the node name (c1 c2 c3) serving a slot
owner() {
	local i p
	for i in 1 2 3; do
		p=$(rr_port "c$i")
		redis-cli -p "$(rr_port c1)" CLUSTER SLOTS | awk -v s="$1" -v p="$p" '
			NR % 1 == 0 { l[NR] = $0 } END {
			for (i = 1; i <= NR; i++) if (l[i] ~ /^[0-9]+$/ && l[i+1] ~ /^[0-9]+$/ &&
			    l[i] + 0 <= s && s <= l[i+1] + 0 && l[i+3] == p) f = 1
			exit !f }' && { echo "c$i"; return; }
	done
}
slot() { redis-cli -p "$(rr_port c1)" CLUSTER KEYSLOT "$1"; }

s_login=$(slot 'login:carol@example.com'); s_ip=$(slot 'ip:198.51.100.9')
s_net=$(slot 'net:192.0.2.0/24')
nodes="$(owner "$s_login") $(owner "$s_ip") $(owner "$s_net")"
rig_check "the three subjects are spread over nodes ($nodes)" \
	test "$(echo "$nodes" | tr ' ' '\n' | sort -u | wc -l)" -ge 2

# exactness across processes and threads
for p in 1 2 3 4; do
	limitq -c "$RUN/cl.conf" -l carol@example.com -i 192.0.2.7 -x "p$p" \
		-N 50 -T 4 send > "$RUN/race.$p" 2>&1 &
done
wait
ok=0; unav=0
for p in 1 2 3 4; do
	ok=$((ok + $(sed -n 's/^ok=\([0-9]*\).*/\1/p' "$RUN/race.$p")))
	unav=$((unav + $(sed -n 's/.*unavailable=\([0-9]*\).*/\1/p' "$RUN/race.$p")))
done
rig_check "4 processes x 4 threads: exactly 100 of 200 ($ok ok, $unav unavailable)" test "$ok/$unav" = 100/0
n=$(rr_used "$(owner "$s_login")" 'rg:{login:carol@example.com}:day')
rig_check "the login's counter is on the node of its slot ($n)" test "$n" = 100
n=$(rr_used "$(owner "$s_net")" 'rg:{net:192.0.2.0/24}:netm')
rig_check "the network's counter is on the node of its slot ($n)" test "$n" = 100

# a later slot refuses: the earlier slot's reservation is undone
res=$(limitq -c "$RUN/cl.conf" -l dave@example.com -i 198.51.100.9 -x d -N 10 -T 1 reserve) || true
rig_check "client address limit: 5 of 10 ($res)" grep -q '^ok=5 over=5 unavailable=0' <<< "$res"
n=$(limitq -c "$RUN/cl.conf" show login:dave@example.com | sed -n 's/.*limit=day .*used=\([0-9]*\).*/\1/p')
rig_check "the login kept only the 5 that went through ($n)" test "$n" = 5

# a slot moves under a running client: ASK, then MOVED
coproc LQ { exec "$RG_LIMITQ" -c "$RUN/cl.conf" -l erin@example.com - 2> "$RUN/lq.log"; }
rig_track_pid "$LQ_PID" limitq
say() {
	echo "$*" >&"${LQ[1]}"
	IFS= read -r -t 20 line <&"${LQ[0]}" || { echo "no answer to: $*"; return 1; }
	echo "$line"
}
for t in e1 e2 e3; do say send "$t" r@example.net > "$RUN/before.$t"; done
rig_check "three decisions before the move" test "$(cat "$RUN"/before.* | grep -c '^ok ')" = 3
s=$(slot 'login:erin@example.com')
src=$(owner "$s")
for dst in c1 c2 c3; do [ "$dst" != "$src" ] && break; done
src_id=$(rr_cli "$src" CLUSTER MYID); dst_id=$(rr_cli "$dst" CLUSTER MYID)
rr_cli "$dst" CLUSTER SETSLOT "$s" IMPORTING "$src_id" > /dev/null
rr_cli "$src" CLUSTER SETSLOT "$s" MIGRATING "$dst_id" > /dev/null
keys=$(rr_cli "$src" CLUSTER GETKEYSINSLOT "$s" 1000 | tr '\n' ' ')
# shellcheck disable=SC2086 # a list of keys
rr_cli "$src" MIGRATE 127.0.0.1 "$(rr_port "$dst")" "" 0 5000 KEYS $keys > /dev/null
a=$(say send e4 r@example.net)
rig_check "during the migration: ASK followed to the new owner, which says TRYAGAIN ($a)" \
	grep -q "^unavailable .*127.0.0.1:$(rr_port "$dst"): TRYAGAIN" <<< "$a"
for n in c1 c2 c3; do rr_cli "$n" CLUSTER SETSLOT "$s" NODE "$dst_id" > /dev/null; done
a=$(say send e5 r@example.net)
rig_check "after the migration (MOVED): ok ($a)" grep -q '^ok ' <<< "$a"
n=$(rr_used "$dst" 'rg:{login:erin@example.com}:day')
rig_check "the 4 that went through are counted on the new owner $dst ($n)" test "$n" = 4
rig_check "the old owner $src holds none of it" \
	test "$(rr_cli "$src" CLUSTER COUNTKEYSINSLOT "$s")" = 0
exec {LQ[1]}>&-
rg_finish
