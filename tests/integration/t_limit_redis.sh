#!/usr/bin/env bash
# t_limit_redis.sh - the limit engine against one real redis-server:
# TCP with an ACL user, password and database index, and a unix socket;
# 4 processes x 8 threads racing one quota of 100 get exactly 100 (R8;
# each decision a whole message: reserved, then committed);
# the counters are readable with redis-cli and every key expires; a
# run-time override applies at once on every client; a wrong password is
# "unavailable" and never printed (R10); an empty restarted server
# (NOSCRIPT) is used again without help (R5).
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/rg.sh"

rig_init limit_redis
[ -x "$RG_LIMITQ" ] || { rig__die "$RG_LIMITQ not built (make tools)"; exit 1; }
cat > "$RUN/limits" <<'MAP'
plan q100
	day	messages	100/1d
plan small
	hour	messages	3/1h
login	alice@example.com	q100
login	bob@example.com		small
MAP
sock=$RUN/redis-main.sock
rr_start main --unixsocket "$sock" --unixsocketperm 700 --requirepass s3cret
export REDISCLI_AUTH=s3cret
rr_cli main --no-auth-warning ACL SETUSER rguser on '>rgpass' '~rg:*' '+@all' > /dev/null
port=$(rr_port main)
lq_conf "$RUN/tcp.conf" "limit_backend = redis" \
	"redis_server = 127.0.0.1:$port" "redis_user = rguser" \
	"redis_password = rgpass" "redis_db = 5"
lq_conf "$RUN/unix.conf" "limit_backend = redis" "redis_server = unix:$sock" \
	"redis_password = s3cret" "redis_db = 5"
lq_conf "$RUN/badpw.conf" "limit_backend = redis" \
	"redis_server = 127.0.0.1:$port" "redis_password = wrongpw"

# R8: several processes, each with several threads, one quota of 100
for p in 1 2 3 4; do
	limitq -c "$RUN/tcp.conf" -l alice@example.com -x "p$p" -N 100 -T 8 \
		send > "$RUN/race.$p" 2>&1 &
done
wait
ok=0; over=0; unav=0
for p in 1 2 3 4; do
	line=$(grep '^ok=' "$RUN/race.$p" || echo "ok=0 over=0 unavailable=99")
	eval "$(echo "$line" | sed 's/ /; /g; s/\(ok\|over\|unavailable\|local\)=/_\1=/g')"
	ok=$((ok + _ok)); over=$((over + _over)); unav=$((unav + _unavailable))
done
rig_check "4 processes x 8 threads: exactly 100 of 400 reserved ($ok ok, $over over, $unav unavailable)" \
	test "$ok/$over/$unav" = "100/300/0"
rig_check "the counter is readable in database 5" \
	test "$(rr_used main -n 5 'rg:{login:alice@example.com}:day')" = 100
rig_check "nothing was written to database 0" \
	test "$(rr_cli main --no-auth-warning -n 0 DBSIZE)" = 0
no_ttl=$(rr_cli main --no-auth-warning -n 5 --scan | while read -r k; do
	[ "$(rr_cli main --no-auth-warning -n 5 PTTL "$k")" -gt 0 ] || echo "$k"; done)
rig_check "every key has a TTL ($no_ttl)" test -z "$no_ttl"

# the unix socket sees the same counters; the 101st is refused with the reply
out=$(limitq -c "$RUN/unix.conf" -l alice@example.com -x u1 reserve 2>&1) || true
rig_check "over unix socket: over, 451 4.7.1 with the retry time" \
	grep -q '^reply=451 4.7.1 day quota exceeded for login:alice@example.com, retry in [0-9]* s$' <<< "$out"
# one message drains every 864 s: the wait is at most that, and not zero
retry=$(sed -n 's/^reply=.* retry in \([0-9]*\) s$/\1/p' <<< "$out")
rig_check "the retry time is within one drain interval ($retry s)" \
	test "${retry:-0}" -ge 1 -a "${retry:-0}" -le 864

# run-time override: bob may send 5 instead of 3, on every client at once
limitq -c "$RUN/tcp.conf" override login:bob@example.com hour 5 > /dev/null
n=$(limitq -c "$RUN/unix.conf" -l bob@example.com -x b -N 8 -T 2 send | sed -n 's/^ok=\([0-9]*\).*/\1/p')
rig_check "override to 5 applies at once on another client ($n ok)" test "$n" = 5
rig_check "show marks the override" \
	grep -q 'limit=hour counter=messages used=5 amount=5 period=1h remaining=0 .* overridden' \
	<<< "$(limitq -c "$RUN/tcp.conf" show login:bob@example.com)"
limitq -c "$RUN/tcp.conf" unoverride login:bob@example.com hour > /dev/null
limitq -c "$RUN/tcp.conf" reset login:bob@example.com > /dev/null
rig_check "reset forgets bob's counter" \
	grep -q 'used=0 amount=3' <<< "$(limitq -c "$RUN/tcp.conf" show login:bob@example.com)"

# R10: a wrong password is "store unavailable", and never printed
rc=0
out=$(limitq -c "$RUN/badpw.conf" -l bob@example.com reserve 2>&1) || rc=$?
rig_check "wrong password: exit 2 (unavailable)" test "$rc" = 2
rig_check "wrong password: the reason is given" grep -q 'WRONGPASS' <<< "$out"
rig_check "wrong password: the password is not printed" bash -c "! grep -q wrongpw <<< \"\$1\"" _ "$out"
rig_check "wrong password: 451 4.7.1 store unavailable" \
	grep -q '^reply=451 4.7.1 rate limit store unavailable, try again later$' <<< "$out"

# R5: the server restarts empty; the script is loaded again by itself
rr_stop main
rr_restart main --unixsocket "$sock" --unixsocketperm 700 --requirepass s3cret
rr_cli main --no-auth-warning ACL SETUSER rguser on '>rgpass' '~rg:*' '+@all' > /dev/null
out=$(limitq -c "$RUN/tcp.conf" -l alice@example.com -x r1 reserve 2>&1) || true
rig_check "after an empty restart: reserved again (counters were lost)" grep -q '^outcome=ok' <<< "$out"
rig_check "after an empty restart: the script was loaded on NOSCRIPT" grep -q 'script .* loaded on 127.0.0.1' <<< "$out"
rg_finish
