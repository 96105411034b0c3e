#!/usr/bin/env bash
# t_ctl_redis.sh - relayguardctl against a real Redis and without one:
# "audit tail" shows the newest records of the audit stream written by
# the audit module (oldest first, as a table or --json), says clearly
# when Redis is down (exit 3), when the stream is empty (exit 1), when the
# key is no stream (exit 5) and when no stream is configured (exit 78);
# usage errors exit 2.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/audit.sh"

rig_init ctl_redis
au_redis_start
conf=$RUN/rg.conf
cat > "$conf" <<EOF
audit_redis_server = 127.0.0.1:$AU_REDIS_PORT
audit_redis_stream = rg:audit
EOF
# res_has PATTERN - the last output ($res) has a line matching PATTERN
res_has() { grep -qE -- "$1" <<< "$res"; }
# run ARGS... - relayguardctl with the test config: output in res, status
# in rc
run() {
	res=$("$AU_CTL" -c "$conf" "$@" 2>&1) && rc=0 || rc=$?
}

run audit tail
rig_check "empty stream: exit 1" test "$rc" = 1
rig_check "empty stream: says so" res_has '^relayguardctl: audit tail: stream rg:audit holds no records$'

au_drive_start "$conf"
au_drive "time 1796000000 60"
au_drive "send 30 mixed"
au_drive "flush 30"
au_drive quit

run audit tail -n 5
rig_check "tail: exit 0" test "$rc" = 0
rig_check "tail: a head line and 5 rows" test "$(wc -l <<< "$res")" = 6
rig_check "tail: columns" res_has '^TIME +ACTION +SENDER +CLIENT +REPLY$'
# record i (0-29) is stamped 1796000000 + 60 i; the five newest: 25-29
at() { date -u -d "@$((1796000000 + 60 * $1))" +%Y-%m-%dT%H:%M:%S; }
rig_check "tail: oldest of the five first" \
	test "$(sed -n 2p <<< "$res" | cut -c1-19)" = "$(at 25)"
rig_check "tail: newest last" \
	test "$(sed -n 6p <<< "$res" | cut -c1-19)" = "$(at 29)"
rig_check "tail: login shown with the sender" \
	res_has "^$(at 26)\\.000Z +tempfail +bob@sign.test \\(bob\\) +192.0.2.10 +451 4.7.1 hourly quota reached for login:bob\$"
rig_check "tail: control bytes never reach the terminal" \
	sh -c '! printf "%s" "$0" | LC_ALL=C grep -q "[[:cntrl:]]"' "$(tr -d '\n' <<< "$res")"

run --json audit tail -n 30
rig_check "tail --json: 30 records, ids, the stored record" \
	jq -e 'length == 30 and (.[0].id | test("^[0-9]+-[0-9]+$")) and .[0].record.queue_id == "Q000001" and .[29].record.queue_id == "Q000030" and ([.[].record.type] | unique) == ["decision"]' <<< "$res"
rig_check "tail --json: hostile text survives as data" \
	jq -e '.[7].record.login == "<script>alert(1)</script>" and .[7].record.helo == "evil\r\n\u0001helo\ufffd\ufffd"' <<< "$res"

run audit tail -n 0
rig_check "tail -n 0: usage error, exit 2" test "$rc" = 2
run audit head
rig_check "audit head: usage error, exit 2" test "$rc" = 2

au_redis SET rg:notastream x > /dev/null
sed -i 's/^audit_redis_stream = .*/audit_redis_stream = rg:notastream/' "$conf"
run audit tail
rig_check "key of another type: exit 5" test "$rc" = 5
rig_check "key of another type: Redis's error shown" res_has 'XREVRANGE rg:notastream: WRONGTYPE'
sed -i 's/^audit_redis_stream = .*/audit_redis_stream = rg:audit/' "$conf"

au_redis_stop
run audit tail
rig_check "Redis down: exit 3" test "$rc" = 3
rig_check "Redis down: a clear error" \
	res_has "^relayguardctl: redis 127.0.0.1:$AU_REDIS_PORT: Connection refused$"
run --json audit tail
rig_check "Redis down with --json: exit 3 too, nothing on stdout" \
	sh -c 'test "$0" = 3 && test -z "$("$1" -c "$2" --json audit tail 2>/dev/null)"' "$rc" "$AU_CTL" "$conf"

printf 'audit_redis_server = 127.0.0.1:%s\n' "$AU_REDIS_PORT" > "$conf"
run audit tail
rig_check "no stream configured: exit 78" test "$rc" = 78
rig_check "no stream configured: names the setting" res_has 'sets no audit_redis_stream'
echo 'audit_redis_srever = x' > "$conf"
run audit tail
rig_check "bad configuration: exit 78 with file:line and a suggestion" \
	bash -c 'test "$0" = 78 && grep -q "rg.conf:1: audit_redis_srever: unknown key (did you mean audit_redis_server?)" <<< "$1"' "$rc" "$res"

# the limit and abuse commands have their own test (t_ctl_abuse.sh); here
# only that a subject that is none is a usage error before any I/O
run quota show alice
rig_check "quota show without kind: usage error, exit 2" test "$rc" = 2
run nosuchcommand
rig_check "unknown command: exit 2" test "$rc" = 2
run
rig_check "no command: exit 2 with the usage" bash -c 'test "$0" = 2 && grep -q "^usage: relayguardctl" <<< "$1"' "$rc" "$res"
rg_finish
