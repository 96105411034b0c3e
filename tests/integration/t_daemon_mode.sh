#!/usr/bin/env bash
# t_daemon_mode.sh - "relayguard -c FILE" without -f: the command returns
# once the daemon is ready, with the pid file already written; the daemon
# has detached (its parent is not us); SIGTERM stops it and removes the
# pid file; a configuration error makes the command itself exit 78.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init daemon_mode
rig_keys sign.test 2>/dev/null
rg_socket_unix
rg_conf
rc=0
"$RG_BIN" -c "$RUN/relayguard.conf" || rc=$?
rig_check "start command exits 0" test "$rc" = 0
rig_check "pid file written before the command returned" test -s "$RUN/relayguard.pid"
pid=$(cat "$RUN/relayguard.pid")
rig_track_pid "$pid" relayguard-daemon
rig_check "daemon runs, detached" test "$(ps -o ppid= -p "$pid" | tr -d ' ')" != "$$"
rig_check "socket is there" test -S "$RUN/relayguard.sock"
kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
rig_check "SIGTERM stops it" bash -c "! kill -0 $pid 2>/dev/null"
rig_check "pid file removed at exit" test ! -e "$RUN/relayguard.pid"
echo "bogus_key = 1" >> "$RUN/relayguard.conf"
rc=0
"$RG_BIN" -c "$RUN/relayguard.conf" 2>/dev/null || rc=$?
rig_check "config error: the start command exits 78" test "$rc" = 78
rg_finish
