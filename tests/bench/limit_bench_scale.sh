#!/usr/bin/env bash
# limit_bench_scale.sh - what the limits keep in Redis, measured: a provider
# with BENCH_SCALE_SENDERS senders (default 100,000) each sending one
# message through the engine (tests/tools/limitq -L: a reservation and its
# commit, the milter's whole message) from one of 250 client addresses,
# with the plan of conf/limits' "standard" shape: a login with three limits
# (messages per hour, recipients per day, bytes per day) and a client
# address with one.  Prints the keys and Redis's memory before and after,
# the bytes per sender (its subject hash), the bytes per message that stay
# for limit_txn_ttl (tombstone and queue id marker), MEMORY USAGE of one
# subject, and the keys' TTLs.  Figures for the README's "Scaling out".
#
# Environment: BENCH_SCALE_SENDERS (100000), BENCH_SCALE_THREADS (8).
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/redis.sh"

senders=${BENCH_SCALE_SENDERS:-100000}
thr=${BENCH_SCALE_THREADS:-8}
[ -x "$RG_LIMITQ" ] || { echo "limit_bench_scale.sh: $RG_LIMITQ not built (make tools)"; exit 1; }
rig_init limit_scale
cat > "$RUN/limits" <<'MAP'
plan standard
	hour	messages	200/1h
	day	recipients	1000/1d
	volume	bytes		500M/1d
plan perip
	minute	messages	1000000/1m
login	*	standard
ip	*	perip
MAP
rr_start scale
port=$(rr_port scale)
lq_conf "$RUN/s.conf" "limit_backend = redis" "redis_server = 127.0.0.1:$port" \
	"redis_pool_size = $thr"
mem() { rr_cli scale INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p'; }
keys() { rr_cli scale DBSIZE; }
count() { rr_cli scale --scan --pattern "$1" | grep -c -- "$2" || true; }
m0=$(mem)
k0=$(keys)
t0=$(date +%s.%N)
# 250 client addresses: the address subjects are few, the logins many
out=$("$RG_LIMITQ" -c "$RUN/s.conf" -l provider.example -L "$senders" \
	-i 192.0.2.7 -b 20000 -x s -N "$senders" -T "$thr" send 2>&1) || true
t1=$(date +%s.%N)
m1=$(mem)
k1=$(keys)
hashes=$(count 'rg:{*' '}$')
tomb=$(count 'rg:{*}:t:*' .)
mark=$(count 'rg:{*}:q:*' .)
one=$(rr_cli scale --scan --pattern 'rg:{login:u1@provider.example}*' | head -n 5)
usage() { rr_cli scale MEMORY USAGE "$1" SAMPLES 0; }
h=rg:{login:u1@provider.example}
echo "== Redis memory for $senders senders, one message each ($(grep '^ok=' <<< "$out"))"
echo "keys: $k0 -> $k1 (subject hashes $hashes, tombstones $tomb, queue id markers $mark)"
echo "used_memory: $m0 -> $m1 bytes: $(( (m1 - m0) / senders )) bytes per sender and message, all in"
echo "one sender's keys: $(tr '\n' ' ' <<< "$one")"
echo "MEMORY USAGE: subject hash $(usage "$h") bytes, tombstone $(usage "$(grep ':t:' <<< "$one" | head -n 1)") bytes, marker $(usage "$(grep ':q:' <<< "$one" | head -n 1)") bytes"
echo "the subject hash: $(rr_cli scale HGETALL "$h" | tr '\n' ' ')"
echo "TTLs (ms): subject hash $(rr_cli scale PTTL "$h"), tombstone $(rr_cli scale PTTL "$(grep ':t:' <<< "$one" | head -n 1)"), marker $(rr_cli scale PTTL "$(grep ':q:' <<< "$one" | head -n 1)")"
# after a lease time the tombstones are gone, after limit_txn_ttl the
# markers: then only the subjects stay
rr_cli scale --scan --pattern 'rg:{*}:t:*' | xargs -r -n 500 redis-cli -h 127.0.0.1 -p "$port" DEL > /dev/null
m2=$(mem)
rr_cli scale --scan --pattern 'rg:{*}:q:*' | xargs -r -n 500 redis-cli -h 127.0.0.1 -p "$port" DEL > /dev/null
m3=$(mem)
echo "after a lease time (tombstones gone): $(( (m2 - m0) / senders )) bytes per sender; after limit_txn_ttl (markers gone): $(( (m3 - m0) / senders )) bytes per sender ($(keys) keys)"
echo "(load: $(cut -d' ' -f1-3 /proc/loadavg); $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s)"
