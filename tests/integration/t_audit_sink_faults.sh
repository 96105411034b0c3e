#!/usr/bin/env bash
# t_audit_sink_faults.sh - the audit writer against real faults: its
# directory removed mid-run, a real full disk (a small tmpfs), a Redis
# server killed, restarted and frozen (SIGSTOP).  Records are produced by
# tests/tools/audit_drive, which uses the audit module exactly as the
# milter does.  For every fault: the producer's "send" still answers (it
# never waits for a sink; while Redis is frozen that alone proves it), the
# other sink keeps writing, exactly one warning is logged when the fault
# starts and one line when the sink works again, and the counts add up.
# Also: records are valid JSON lines, the stream is trimmed (MAXLEN ~).
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/audit.sh"

rig_init audit_sink_faults
[ "$(id -u)" = 0 ] || { rig_fail "needs root (mount namespace for the full-disk case)"; exit 1; }
au_redis_start
dir=$RUN/auditdir
mkdir -p "$dir"
conf=$RUN/rg.conf
cat > "$conf" <<EOF
audit_file = $dir/audit.jsonl
audit_redis_server = 127.0.0.1:$AU_REDIS_PORT
audit_redis_stream = rg:audit
audit_stream_maxlen = 500
audit_queue_size = 2000
audit_redis_timeout = 1s
EOF
log=$RUN/drive.log
au_drive_start "$conf"

# --- both sinks working ------------------------------------------------------
au_drive "send 100 mixed"
au_drive "flush 30"
au_drive stats
rig_check "100 records in the file" test "$(au_stat file_written)" = 100
rig_check "100 records in the stream" test "$(au_redis XLEN rg:audit)" = 100
rig_check "every file line is one JSON object" \
	"$RG_PY" -c 'import json,sys
n=0
for l in open(sys.argv[1], "rb"):
    o = json.loads(l); assert isinstance(o, dict) and o["type"] in ("decision", "event"); n += 1
assert n == 100, n' "$dir/audit.jsonl"
rig_check "stream entries hold the same JSON" \
	sh -c "redis-cli -p $AU_REDIS_PORT --raw XRANGE rg:audit - + COUNT 1 | grep -q '\"queue_id\":\"Q000001\"'"
rig_check "file mode 0640" test "$(stat -c %a "$dir/audit.jsonl")" = 640
rig_check "no warning so far" test "$(au_count 'warning' "$log")" = 0

# --- the directory removed mid-run -------------------------------------------
rm -rf "$dir"
au_drive "send 200 mixed"
rig_check "send answers with the directory gone" test "$AU_REPLY" = "sent 200"
au_drive "send 200 mixed"
au_drive "flush 30"
au_drive stats
rig_check "file sink failing" test "$(au_stat file_failing)" = 1
rig_check "file records dropped and counted" test "$(au_stat file_dropped)" = 400
rig_check "stream kept everything" test "$(au_stat redis_written)" = 500
rig_check "one warning for 400 lost records" \
	test "$(au_count "warning: audit: $dir/audit.jsonl: cannot open: No such file or directory; dropping" "$log")" = 1
mkdir -p "$dir"
au_until_stat file_failing 0
rig_check "one line when the file works again" \
	test "$(au_count "audit: $dir/audit.jsonl: writing again; [0-9]+ records were dropped while it failed" "$log")" = 1
rig_check "a new file was created" test -s "$dir/audit.jsonl"

# --- Redis killed, then back ---------------------------------------------------
au_redis_stop KILL
au_drive "send 100 mixed"
rig_check "send answers with Redis dead" test "$AU_REPLY" = "sent 100"
au_drive "flush 30"
au_drive stats
rig_check "redis sink failing" test "$(au_stat redis_failing)" = 1
rig_check "one warning for Redis down" \
	test "$(au_count "warning: audit: redis 127.0.0.1:$AU_REDIS_PORT stream rg:audit: .*dropping" "$log")" = 1
before=$(au_stat file_written)
au_drive "send 100 mixed"
au_drive "flush 30"
au_drive stats
rig_check "file sink unaffected" test "$(au_stat file_written)" = $((before + 100))
rig_check "still one warning" \
	test "$(au_count "warning: audit: redis" "$log")" = 1
au_redis_start
au_until_stat redis_failing 0
rig_check "one line when Redis is back" \
	test "$(au_count "audit: redis .*: writing again" "$log")" = 1
rig_check "records reach the new (empty) Redis" test "$(au_redis XLEN rg:audit)" -ge 1

# --- Redis frozen: connects, never answers -----------------------------------
kill -STOP "$AU_REDIS_PID"
au_drive "send 300 mixed"
# this answer came while Redis was stopped: submitting never waited on it
rig_check "send answers while Redis is frozen" test "$AU_REPLY" = "sent 300"
au_drive "flush 60"
au_drive stats
rig_check "frozen Redis: sink failing after its timeout" test "$(au_stat redis_failing)" = 1
rig_check "frozen Redis: file still written" test "$(au_stat file_failing)" = 0
rig_check "frozen Redis: one more warning, naming the timeout" \
	test "$(au_count "warning: audit: redis .*(Resource temporarily unavailable|timed out)" "$log")" = 1
kill -CONT "$AU_REDIS_PID"
au_until_stat redis_failing 0
rig_check "two 'writing again' lines for two Redis episodes" \
	test "$(au_count "audit: redis .*: writing again" "$log")" = 2

# --- stream trimming ---------------------------------------------------------
au_drive "send 1500 accept"
au_drive "flush 60"
len=$(au_redis XLEN rg:audit)
rig_check "stream trimmed to about maxlen 500 (XLEN $len)" \
	test "$len" -ge 500 -a "$len" -lt 1000

au_drive quit
rig_check "counts add up for the file" "$RG_PY" -c '
import sys
s = dict(kv.split("=") for kv in sys.argv[1].split())
assert int(s["file_written"]) + int(s["file_dropped"]) + int(s["dropped_queue"]) == int(s["submitted"]), s
assert int(s["redis_written"]) + int(s["redis_dropped"]) + int(s["dropped_queue"]) == int(s["submitted"]), s' "$AU_STATS"
rig_check "nothing dropped at the queue" test "$(au_stat dropped_queue)" = 0

# --- a real full disk (tmpfs of 256 KiB in a private mount namespace) --------
small=$RUN/small
mkdir -p "$small"
: > "$RUN/drive.log"
cat > "$RUN/small.conf" <<EOF
audit_file = $small/audit.jsonl
audit_queue_size = 5000
EOF
au_drive_start "$RUN/small.conf" unshare -m sh -c \
	'mount -t tmpfs -o size=256k tmpfs "$0" && exec "$1" -c "$2"' \
	"$small" "$AU_DRIVE" "$RUN/small.conf"
au_drive "send 2000 mixed"
au_drive "flush 30"
au_drive stats
rig_check "full disk: sink failing" test "$(au_stat file_failing)" = 1
rig_check "full disk: one warning" \
	test "$(au_count "warning: audit: .*(write failed|cannot open): No space left on device" "$log")" = 1
rig_check "full disk: some records written first" test "$(au_stat file_written)" -gt 0
# copytruncate frees the space; the writer appends at the start again
nsenter -t "$AU_DRV_PID" -m truncate -s 0 "$small/audit.jsonl"
au_until_stat file_failing 0
rig_check "full disk: one line when it works again" \
	test "$(au_count "writing again" "$log")" = 1
rig_check "full disk: the truncated file starts with a whole record" \
	nsenter -t "$AU_DRV_PID" -m sh -c "head -c 9 '$small/audit.jsonl' | grep -q '^{\"time\"'"
au_drive quit
rg_finish
