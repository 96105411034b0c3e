#!/usr/bin/env bash
# t_daemon.sh - relayguard-policyd as a daemon: -n checks the file (exit 0,
# or 78 naming file, line and key) and reads no DKIM key table; -d lists
# the policy_* keys; without -f
# the start command returns once the pid file is written and the daemon
# has detached; inet6 works; a unix socket gets policy_socket_mode and
# policy_socket_group, privileges are dropped to "user"; a second instance
# on the same socket is refused and the first keeps serving; SIGHUP with a
# good file applies new limits to new connections (and logs the
# generation), with a bad file keeps the running one; SIGTERM stops it and
# removes the pid file and the socket; a stale socket file left by a
# killed daemon is replaced at the next start.
set -eu
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/policyd.sh"

rig_init policy_daemon
pd_socket_unix
pd_conf

# --- -n and -d -------------------------------------------------------------
out=$("$PD_BIN" -n -c "$RUN/policyd.conf" 2>&1) && rc=0 || rc=$?
rig_check "-n: a good file exits 0" test "$rc" = 0
rig_check "-n: says so, with the socket" \
	grep -q "configuration ok: .*socket unix:$RUN/policyd.sock" <<< "$out"
cp "$RUN/policyd.conf" "$RUN/bad.conf"
echo "policy_max_line = 4x" >> "$RUN/bad.conf"
out=$("$PD_BIN" -n -c "$RUN/bad.conf" 2>&1) && rc=0 || rc=$?
rig_check "-n: a bad value exits 78" test "$rc" = 78
rig_check "-n: the error names file, line, key and the fix ($out)" \
	grep -q "bad.conf:$(wc -l < "$RUN/bad.conf"): policy_max_line: \"4x\" is not a size (examples:" <<< "$out"
sed -i 's/^policy_socket = .*/policy_socket = tcp:10045/; $d' "$RUN/bad.conf"
out=$("$PD_BIN" -n -c "$RUN/bad.conf" 2>&1) && rc=0 || rc=$?
rig_check "-n: a bad policy_socket exits 78 with file:line and examples ($out)" \
	test "$rc" = 78 -a -n "$(grep 'bad.conf:2: policy_socket: "tcp:10045": unknown socket type "tcp" (unix, local, inet or inet6) (examples: unix:' <<< "$out")"
cp "$RUN/policyd.conf" "$RUN/bad.conf"
sed -i "s#^policy_pid_file = .*#policy_pid_file = $RUN/none/deeper/p.pid#" "$RUN/bad.conf"
out=$("$PD_BIN" -n -c "$RUN/bad.conf" 2>&1) && rc=0 || rc=$?
rig_check "-n: a pid file two missing directories deep exits 78 ($out)" \
	test "$rc" = 78 -a -n "$(grep 'bad.conf:3: policy_pid_file: the directory .*/none/deeper does not exist' <<< "$out")"
rig_check "-d lists the policy keys with their defaults" \
	grep -qx "policy_socket = unix:/var/spool/postfix/relayguard/policy.sock" <("$PD_BIN" -d)
cp "$RUN/policyd.conf" "$RUN/bad.conf"
echo "policy_socket_group = no-such-group" >> "$RUN/bad.conf"
out=$("$PD_BIN" -n -c "$RUN/bad.conf" 2>&1) && rc=0 || rc=$?
rig_check "-n: an unknown policy_socket_group exits 78 ($out)" \
	test "$rc" = 78 -a -n "$(grep 'policy_socket_group: no such group "no-such-group"' <<< "$out")"

# the policy service reads no DKIM key: tables it cannot read do not stop it
cp "$RUN/policyd.conf" "$RUN/keys.conf"
echo "key_table = file:$RUN/no-such-KeyTable" >> "$RUN/keys.conf"
echo "signing_table = refile:$RUN/no-such-SigningTable" >> "$RUN/keys.conf"
out=$("$PD_BIN" -n -c "$RUN/keys.conf" 2>&1) && rc=0 || rc=$?
rig_check "-n: key tables are not read (exit $rc: $out)" test "$rc" = 0
RG_BIN=${RG_BIN:-$RG_TOP/${RG_BUILD:-build}/relayguard}
"$RG_BIN" -n -c "$RUN/keys.conf" > /dev/null 2>&1 && rc=0 || rc=$?
rig_check "... while the milter refuses the same file (exit $rc)" test "$rc" = 78

# --- daemon mode, unix socket, privileges ----------------------------------
pd_conf "user = nobody" "policy_socket_group = nogroup" \
	"policy_socket_mode = 0660" "policy_max_line = 4k"
rc=0
"$PD_BIN" -c "$RUN/policyd.conf" || rc=$?
rig_check "start command exits 0" test "$rc" = 0
rig_check "pid file written before the command returned" test -s "$RUN/policyd.pid"
PD_PID=$(cat "$RUN/policyd.pid")
rig_track_pid "$PD_PID" relayguard-policyd-daemon
rig_check "detached (its parent is not this shell)" \
	test "$(ps -o ppid= -p "$PD_PID" | tr -d ' ')" != "$$"
rig_check "the socket is there" test -S "$RUN/policyd.sock"
rig_check "socket owner nobody, group nogroup, mode 660 ($(stat -c '%U %G %a' "$RUN/policyd.sock"))" \
	test "$(stat -c '%U %G %a' "$RUN/policyd.sock")" = "nobody nogroup 660"
uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$PD_PID/status")
nobody=$(id -u nobody)
rig_check "runs as nobody (real, effective, saved, fs uid: $uid)" \
	test "$uid" = "$nobody$nobody$nobody$nobody"
pd_scenario ask recipient=first@example.org | grep -q '^action=DUNNO$' &&
	rig_pass "served over the unix socket" || rig_fail "served over the unix socket" || true

# a second instance with the same pid file: refused by the pid file's lock
# before it touches the socket; one with a pid file of its own: refused
# because a server answers on the socket; the first unharmed either way
out=$("$PD_BIN" -f -e -c "$RUN/policyd.conf" 2>&1) && rc=0 || rc=$?
rig_check "a second instance with the same pid file is refused (exit $rc)" test "$rc" = 1
rig_check "... naming the running pid" \
	grep -q "policyd.pid is locked: already running as pid $PD_PID" <<< "$out"
sed "s#^policy_pid_file = .*#policy_pid_file = $RUN/second.pid#" \
	"$RUN/policyd.conf" > "$RUN/second.conf"
out=$("$PD_BIN" -f -e -c "$RUN/second.conf" 2>&1) && rc=0 || rc=$?
rig_check "a second instance on the socket is refused (exit $rc)" test "$rc" = 1
rig_check "... saying the socket is in use" grep -q "is in use by a running server" <<< "$out"
pd_scenario ask | grep -q '^action=DUNNO$' &&
	rig_pass "the first instance still serves" || rig_fail "the first instance still serves" || true

# --- reload ------------------------------------------------------------------
# A 300-byte line passes policy_max_line = 4k ...
long=$(printf 'x%.0s' $(seq 300))
pd_scenario ask "ccert_subject=$long" | grep -q '^action=DUNNO$' &&
	rig_pass "a 300-byte line passes with policy_max_line = 4k" ||
	rig_fail "a 300-byte line passes with policy_max_line = 4k" || true
# ... and not once the reload has set 256
sed -i 's/^policy_max_line = .*/policy_max_line = 256/' "$RUN/policyd.conf"
kill -HUP "$PD_PID"
for _ in $(seq 50); do
	out=$(pd_client ask "ccert_subject=$long" || true)
	[ -z "$out" ] && break
	sleep 0.1
done
rig_check "after SIGHUP a new connection gets the new limit (no reply)" test -z "$out"
rig_check "... and a normal request is still served" \
	bash -c "$(declare -f pd_client); RG_PY=$RG_PY RG_TOP=$RG_TOP PD_SOCKET=$PD_SOCKET pd_client ask | grep -q '^action=DUNNO$'"
echo "policy_workers = many" >> "$RUN/policyd.conf"
kill -HUP "$PD_PID"
sleep 0.5
pd_scenario ask | grep -q '^action=DUNNO$' &&
	rig_pass "a bad file on SIGHUP: still serving" ||
	rig_fail "a bad file on SIGHUP: still serving" || true
rig_check "the daemon still runs" kill -0 "$PD_PID"
sed -i '$d' "$RUN/policyd.conf"

kill "$PD_PID"
for _ in $(seq 100); do kill -0 "$PD_PID" 2>/dev/null || break; sleep 0.1; done
rig_check "SIGTERM stops it" bash -c "! kill -0 $PD_PID 2>/dev/null"

# --- inet6 -------------------------------------------------------------------
PD_SOCKET=inet6:$(rig_free_port)@[::1]
pd_conf "log_level = debug"
: > "$RUN/policyd.log"
pd_start
pd_scenario ask | grep -q '^action=DUNNO$' &&
	rig_pass "served over inet6 ($PD_SOCKET)" ||
	rig_fail "served over inet6 ($PD_SOCKET)" || true
pd_expect_log 'conn=[0-9]+ client=\[::1\]:[0-9]+: connected' "log: the IPv6 client as [::1]:port"
pd_stop
pd_socket_unix

# --- SIGTERM cleanup as root, stale socket ----------------------------------
pd_conf "log_level = info"
: > "$RUN/policyd.log"
pd_start
pd_scenario ask | grep -q '^action=DUNNO$' || rig_fail "served (root run)" || true
kill -KILL "$PD_PID"
for _ in $(seq 100); do kill -0 "$PD_PID" 2>/dev/null || break; sleep 0.1; done
rig_check "after SIGKILL the socket file is left behind" test -S "$RUN/policyd.sock"
pd_start
pd_scenario ask | grep -q '^action=DUNNO$' &&
	rig_pass "a stale socket file is replaced at start" ||
	rig_fail "a stale socket file is replaced at start" || true
# a client in the middle of a request when SIGTERM comes: closed
pd_client partial > "$RUN/partial.out" 2>&1 &
client=$!
for _ in $(seq 100); do grep -q '^sent' "$RUN/partial.out" && break; sleep 0.1; done
kill "$PD_PID"
for _ in $(seq 100); do kill -0 "$PD_PID" 2>/dev/null || break; sleep 0.1; done
rig_check "SIGTERM: exits" bash -c "! kill -0 $PD_PID 2>/dev/null"
wait "$client" && rc=0 || rc=$?
rig_check "SIGTERM: a client in the middle of a request is closed without a reply" \
	grep -q '^ok: closed without a reply' "$RUN/partial.out"
rig_check "SIGTERM: exit status 0 ($(cat "$RUN/policyd.rc" 2>/dev/null))" \
	test "$(cat "$RUN/policyd.rc" 2>/dev/null)" = 0
rig_check "SIGTERM: pid file removed" test ! -e "$RUN/policyd.pid"
rig_check "SIGTERM: socket removed" test ! -e "$RUN/policyd.sock"
pd_expect_log "stopping relayguard-policyd" "log: stopping"
pd_finish
