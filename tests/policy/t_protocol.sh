#!/usr/bin/env bash
# t_protocol.sh - relayguard-policyd speaks Postfix's policy protocol and
# survives every malformed input of doc/failures.md P1-P9 (tests/policy/
# pclient.py "protocol"): exact replies, pipelined and split requests,
# unknown and duplicated attributes; no empty line then EOF, over-long
# lines, binary garbage, NUL bytes, missing '=', empty names, 100,000
# attributes, no or another request= type: each closes that connection
# without a reply and a warning is logged, while a connection opened
# first is still served at the end.  Memory: 50 clients sending 100,000
# attributes each leave the daemon's RSS where it was (within 2 MB).
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/policyd.sh"

rig_init policy_protocol
pd_conf "log_level = debug"
pd_start
pd_scenario protocol
# 12 inputs above are protocol errors, each logged once
n=$(pd_log_count 'warning: conn=[0-9]+ client=127\.0\.0\.1:[0-9]+: protocol error: .*: closing without a reply')
rig_check "12 protocol errors logged as warnings ($n)" test "$n" = 12
pd_expect_log "protocol error: attribute line 2 longer than 4096 bytes" \
	"log: the over-long line, with the limit"
pd_expect_log "protocol error: more than 128 attributes in one request" \
	"log: the attribute count, with the limit"
pd_expect_log "protocol error: NUL byte in attribute line 2" "log: the NUL byte"
pd_expect_log "protocol error: request=junk_policy is not smtpd_access_policy" \
	"log: the wrong request type"
pd_expect_log 'disconnected in the middle of a request \([0-9]+ bytes\): no reply' \
	"log: EOF in the middle of a request"
pd_expect_log 'NOQUEUE: continue: RCPT from mx.example.net\[192.0.2.7\]: DUNNO; from=<ann@example.com> to=<bo@example.org> proto=ESMTP helo=<mx.example.net> instance=[0-9a-f.]+' \
	"log (debug): each decision in the milter's shape, with instance"

rss0=$(pd_rss)
pd_scenario flood 50 100000
rss1=$(pd_rss)
if [ "${RG_SAN:-0}" = 1 ]; then
	echo "note: RSS $rss0 kB -> $rss1 kB not judged under ASan"
else
	rig_check "P4: RSS after 50 floods of 100,000 attributes: $rss0 kB -> $rss1 kB (< +2048)" \
		test $((rss1 - rss0)) -lt 2048
fi
rig_check "the daemon is still running" kill -0 "$PD_PID"
pd_finish
