#!/usr/bin/env bash
# t_slow_clients.sh - slow, idle and too many clients (doc/failures.md P5,
# P10): a client sending one byte every 0.3 s is closed without a reply
# once policy_request_timeout (2 s here) has passed since its first byte,
# while another connection is served all along; an idle connection is
# closed after policy_idle_timeout (3 s here); then, with the default
# timeouts, 1,000 idle connections are held while 10 more are served and
# afterwards each of the 1,000 answers a request, with the daemon's memory
# growing by less than 32 kB per connection; connections over
# policy_max_connections are closed at once, with a warning; with fewer
# file descriptors than that, clients wait in the backlog and are served
# as others close.
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/policyd.sh"

rig_init policy_slow
pd_conf "policy_request_timeout = 2s" "policy_idle_timeout = 3s" \
	"log_level = debug"
pd_start
pd_scenario slowloris
pd_expect_log 'warning: conn=[0-9]+ client=127.0.0.1:[0-9]+: request not complete 2s after its first byte \([0-9]+ bytes\): closing without a reply' \
	"log: the slow request, closed at policy_request_timeout"
pd_scenario idle
pd_expect_log 'debug: conn=[0-9]+ client=127.0.0.1:[0-9]+: idle for 3s: closing' \
	"log (debug): the idle connection, closed at policy_idle_timeout"
pd_stop

pd_conf "policy_max_connections = 1020"
: > "$RUN/policyd.log"
pd_start
rss0=$(pd_rss)
pd_scenario many 1000 "$PD_PID" | tee "$RUN/many.out"
rss1=$(sed -n 's/^rss //p' "$RUN/many.out")
if [ "${RG_SAN:-0}" = 1 ]; then
	echo "note: RSS $rss0 kB -> $rss1 kB not judged under ASan"
else
	# a connection that made a decision holds its request reader and
	# the message state (the txn's head and the MAIL verdict): about
	# 32 kB resident; 48 kB each is the bound, so a leak or a per-
	# connection copy of something big still shows
	rig_check "RSS with 1,010 connections open: $rss0 kB -> ${rss1:-?} kB (< 48 kB each)" \
		test "$(( ${rss1:-999999} - rss0 ))" -lt $((1010 * 48))
fi
pd_scenario overload 30 1020
n=$(pd_log_count 'warning: more than policy_max_connections=1020 connections: closed [0-9]+ new connection')
rig_check "over the limit: a warning (at most one a second), not one per connection ($n)" \
	test "$n" -ge 1 -a "$n" -le 20
rig_check "the daemon is still running" kill -0 "$PD_PID"
pd_stop

# fewer file descriptors than policy_max_connections: accept() fails,
# the daemon waits and tries again, clients wait in the backlog
: > "$RUN/policyd.log"
PD_NOFILE=64 pd_start
pd_scenario fdlimit 80 40
n=$(pd_log_count 'warning: accept: Too many open files \([0-9]+ connections open; raise the file descriptor limit')
rig_check "out of descriptors: a warning, at most one a second ($n)" \
	test "$n" -ge 1 -a "$n" -le 30
rig_check "the daemon is still running" kill -0 "$PD_PID"
pd_finish
