#!/usr/bin/env bash
# t_metrics_endpoint.sh - relayguard serves Prometheus metrics when
# metrics_listen is set: GET and HEAD /metrics answer 200 in the text
# format (every family with HELP and TYPE, parseable line by line), other
# paths 404, other methods 405; the daemon's audit writer shows up as
# relayguard_audit_sink_up; a bare port binds 127.0.0.1 only; a reload
# that changes metrics_listen says it needs a restart and the endpoint
# keeps serving; a bad value is refused by relayguard -n with exit 78.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init metrics_endpoint
rig_keys sign.test
port=$(rig_free_port)
mkdir -p "$RUN/audit"
rg_socket_inet
rg_conf "metrics_listen = $port" "audit_file = $RUN/audit/audit.jsonl"
rg_start
rig_wait_listen "127.0.0.1:$port" 10
url=http://127.0.0.1:$port

rg_expect_log "metrics: serving /metrics on 127.0.0.1 port $port" \
	"a log line says where metrics are served"
rig_check "a bare port listens on 127.0.0.1 only" \
	test "$(ss -Hltn "sport = :$port" | awk '{print $4}')" = "127.0.0.1:$port"
hdr=$(curl -s -D - -o "$RUN/metrics.txt" "$url/metrics")
rig_check "GET /metrics: 200" grep -q '^HTTP/1.0 200 OK' <<< "$hdr"
rig_check "GET /metrics: Prometheus text format 0.0.4" \
	grep -q '^Content-Type: text/plain; version=0.0.4; charset=utf-8' <<< "$hdr"
rig_check "every family has HELP and TYPE" "$RG_PY" -c '
import re, sys
fams = ["relayguard_messages_total", "relayguard_signatures_total",
        "relayguard_spf_results_total", "relayguard_limit_decisions_total",
        "relayguard_abuse_signals_total", "relayguard_audit_records_total",
        "relayguard_audit_sink_up", "relayguard_redis_up",
        "relayguard_redis_roundtrip_seconds"]
text = open(sys.argv[1]).read()
for f in fams:
    assert "# HELP %s " % f in text and "# TYPE %s " % f in text, f
sample = re.compile(r"^[a-z_]+(\{[a-z_]+=\"[^\"\\\n]*\"(,[a-z_]+=\"[^\"\\\n]*\")*\})? -?[0-9.]+(e[+-][0-9]+)?$")
for line in text.splitlines():
    assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line' "$RUN/metrics.txt"
rig_check "the audit writer of the daemon reports its file sink up" \
	grep -qx 'relayguard_audit_sink_up{sink="file"} 1' "$RUN/metrics.txt"
rig_check "the latency histogram ends with +Inf and _count" \
	sh -c 'grep -q "^relayguard_redis_roundtrip_seconds_bucket{le=\"+Inf\"} 0$" "$0" && grep -q "^relayguard_redis_roundtrip_seconds_count 0$" "$0"' "$RUN/metrics.txt"
rig_check "every metric the Grafana dashboard queries is served" "$RG_PY" -c '
import json, re, sys
dash = json.load(open(sys.argv[1]))
served = set(re.findall(r"^# TYPE (\S+) ", open(sys.argv[2]).read(), re.M))
used = set()
for p in dash["panels"]:
    for t in p["targets"]:
        used |= {m if m in served else m.rsplit("_", 1)[0]
                 for m in re.findall(r"relayguard_[a-z_]+", t["expr"])}
missing = used - served
assert used and not missing, missing' "$RG_TOP/contrib/grafana/relayguard.json" "$RUN/metrics.txt"
rig_check "HEAD /metrics: 200 without a body" \
	test "$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$url/metrics")" = "200 0"
rig_check "GET /: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$url/")" = 404
rig_check "GET /metrics/../admin: 404" \
	test "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$url/metrics/../admin")" = 404
rig_check "POST /metrics: 405" \
	test "$(curl -s -X POST -o /dev/null -w '%{http_code}' "$url/metrics")" = 405

sed -i "s/^metrics_listen = .*/metrics_listen = $(rig_free_port)/" "$RUN/relayguard.conf"
kill -HUP "$RG_PID"
for i in $(seq 50); do
	[ "$(rg_log_count 'reloaded configuration')" -ge 1 ] && break
	sleep 0.1
done
rg_expect_log 'warning: metrics_listen changed to ".*": it takes effect at the next restart' \
	"a changed metrics_listen is reported at reload"
rig_check "the endpoint keeps serving after the reload" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" = 200
rg_stop

sed -i "s/^metrics_listen = .*/metrics_listen = unix:\/tmp\/m.sock/" "$RUN/relayguard.conf"
res=$("$RG_BIN" -n -c "$RUN/relayguard.conf" 2>&1) && rc=0 || rc=$?
rig_check "a bad metrics_listen: exit 78 naming line and fix" \
	sh -c 'test "$0" = 78 && echo "$1" | grep -q "relayguard.conf:[0-9]*: metrics_listen: \"unix:/tmp/m.sock\" is not an address and port (examples: 127.0.0.1:9187"' "$rc" "$res"
rg_finish
