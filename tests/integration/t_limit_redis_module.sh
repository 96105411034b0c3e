#!/usr/bin/env bash
# t_limit_redis_module.sh - the Redis module (redis/relayguard_redis.c,
# RELAYGUARD.LIMIT) on real redis-servers:
#   - the proof: limit_module_diff.py drives a server running the Lua
#     script and one running the module with the same random decisions
#     (RG_MODULE_STEPS, 20000; RG_MODULE_SEED, random: printed), and the
#     replies and the stored state must stay equal at every step
#   - random and mutated argument lists: every one answered, an error
#     changes nothing, the server still answers
#   - the module's view of Redis (every key type, the tombstone, the sweep,
#     the expiry, now 0, protocol, COMMAND GETKEYS, ACL, deny-oom)
#   - a replica WITHOUT the module ends identical to its master (DEBUG
#     DIGEST), and the master's AOF loads on a server without the module:
#     only plain commands were propagated
#   - a Redis Cluster of three masters with the module: decisions across
#     slots exact, a refusal in a later slot undone in an earlier one, all
#     by RELAYGUARD.LIMIT (no EVALSHA on any node)
#   - limit_redis_module = auto against a server without the module: the
#     decisions are the script's (same results), one log line says so
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_redis_module
lua_bin=$RG_TOP/${RG_BUILD:-build}/tests/limit_lua
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
[ -x "$lua_bin" ] || { rig__die "$lua_bin not built (make)"; exit 1; }
"$lua_bin" > "$RUN/limit.lua"
"$lua_bin" admin > "$RUN/admin.lua"
diff_py=("$RG_PY" "$RG_LIB_DIR/limit_module_diff.py")

rr_start script
RR_MODULE=yes rr_start mod --appendonly yes
rr_start replica --replicaof 127.0.0.1 "$(rr_port mod)"
rr_wait_for "the replica in sync" 100 bash -c \
	"redis-cli -p $(rr_port replica) INFO replication | grep -q master_link_status:up"
rig_check "the module is loaded on the master, not on the replica" \
	test "$(rr_cli mod MODULE LIST | grep -cx relayguard)/$(rr_cli replica MODULE LIST | grep -cx relayguard)" = 1/0

steps=${RG_MODULE_STEPS:-20000}
seed=${RG_MODULE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
rc=0
out=$("${diff_py[@]}" --script "$(rr_port script)" --module "$(rr_port mod)" \
	--lua "$RUN/limit.lua" --admin "$RUN/admin.lua" --steps "$steps" \
	--seed "$seed" 2>&1) || rc=$?
echo "$out" | head -20
rig_check "$steps random decisions: the script and the module answer and store the same (seed $seed)" \
	test "$rc" = 0

rr_cli mod WAIT 1 5000 > /dev/null
d_mod=$(rr_cli mod DEBUG DIGEST)
d_rep=$(rr_cli replica DEBUG DIGEST)
rig_check "the replica without the module is identical to its master ($d_rep)" \
	test "$d_mod" = "$d_rep" -a "$(rr_cli mod DBSIZE)" -gt 100
rr_stop mod
mkdir -p "$(rr__dir aof)"
cp -r "$(rr__dir mod)/appendonlydir" "$(rr__dir aof)/"
rr_start aof --appendonly yes
rig_check "the module server's AOF loads on a server without the module, identical" \
	test "$(rr_cli aof DEBUG DIGEST)" = "$d_rep"

RR_MODULE=yes rr_start checks
rc=0
out=$("${diff_py[@]}" --checks "$(rr_port checks)" 2>&1) || rc=$?
echo "$out"
rig_check "the module's view of Redis (above)" test "$rc" = 0
rc=0
out=$("${diff_py[@]}" --fuzz "$(rr_port checks)" --steps 1500 --seed "$seed" 2>&1) || rc=$?
echo "$out" | head -5
rig_check "random arguments: all answered, an error changes nothing, no crash" test "$rc" = 0

# a Cluster, every node with the module
cat > "$RUN/limits" <<'MAP'
plan q10
	day	messages	10/1d
plan perip
	ipm	messages	5/1h
login	carol@example.com	q10
login	dave@example.com	q10
ip	198.51.100.9		perip
MAP
RR_MODULE=yes rr_cluster3 || exit 1
lq_conf "$RUN/cl.conf" "limit_backend = redis" "redis_cluster = 127.0.0.1:$(rr_port c1)"
res=$(limitq -c "$RUN/cl.conf" -l carol@example.com -i 192.0.2.7 -x c -N 20 -T 2 send 2> "$RUN/cl.log") || true
rig_check "Cluster: 10 of 20 messages ($res)" grep -q '^ok=10 over=10 unavailable=0' <<< "$res"
res=$(limitq -c "$RUN/cl.conf" -l dave@example.com -i 198.51.100.9 -x d -N 10 -T 1 reserve 2>> "$RUN/cl.log") || true
rig_check "Cluster: the client address allows 5 of 10 ($res)" grep -q '^ok=5 over=5 unavailable=0' <<< "$res"
n=$(limitq -c "$RUN/cl.conf" show login:dave@example.com 2>> "$RUN/cl.log" |
	sed -n 's/.*limit=day .*used=\([0-9]*\).*/\1/p')
rig_check "Cluster: refusals in the later slot undone in the login's ($n)" test "$n" = 5
calls() {
	local i t=0 v
	for i in 1 2 3; do
		v=$(rr_cli "c$i" INFO commandstats | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p")
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
nm=$(calls relayguard.limit); ne=$(calls evalsha)
rig_check "Cluster: every decision by RELAYGUARD.LIMIT ($nm), none by the script ($ne)" \
	test "$nm" -gt 30 -a "$ne" = 0
rig_check "Cluster: the module use is logged" grep -q 'RELAYGUARD.LIMIT module' "$RUN/cl.log"

# auto against a server without the module: the script, logged once
lq_conf "$RUN/plain.conf" "limit_backend = redis" "redis_server = 127.0.0.1:$(rr_port script)"
cat > "$RUN/limits" <<'MAP'
plan q10
	day	messages	10/1d
login	erin@example.com	q10
MAP
res=$(limitq -c "$RUN/plain.conf" -l erin@example.com -x e -N 20 -T 4 send 2> "$RUN/plain.log") || true
rig_check "no module: 10 of 20 messages all the same ($res)" grep -q '^ok=10 over=10 unavailable=0' <<< "$res"
rig_check "no module: one log line names the server and how to load it" \
	test "$(grep -c "limit: redis 127.0.0.1:$(rr_port script) has no RELAYGUARD.LIMIT command .* loadmodule" "$RUN/plain.log")" = 1
rg_finish
