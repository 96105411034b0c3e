#!/usr/bin/env bash
# t_units.sh - the systemd units of contrib/systemd/, without systemd as
# PID 1:
#   - systemd-analyze security --offline rates both at most 3.0;
#   - each has its own RuntimeDirectory (a restart of one never removes
#     the other's pid file), optional ("-") ReadWritePaths outside it (no
#     226/NAMESPACE where a directory is missing), an ExecReload that runs
#     the configuration check before the signal;
#   - their ExecStart lines, pointed at this build, run confined as the
#     unit says (tests/integration/unitrun.py: capability bounding set,
#     no-new-privileges, the system call filter by seccomp, umask, private
#     /tmp and /dev): the
#     milter drops to its user, its SPF process to nobody, mail through a
#     real Postfix is signed and verifies; ExecReload (check, then SIGHUP)
#     reloads it; the policy service answers;
#   - the counter-check: the SIGHUP sent inside the sandbox (without "+")
#     is refused once the daemon runs as its user - why ExecReload's kill
#     runs outside it.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init units
UNITS=$RG_TOP/contrib/systemd
UNITRUN=$RG_LIB_DIR/unitrun.py

# score UNIT - the exposure systemd-analyze gives
score() {
	systemd-analyze security --offline=true "$1" 2>&1 | tail -n 1 |
		sed -n 's/.*: \([0-9][0-9]*\.[0-9]\) .*/\1/p'
}
for u in relayguard relayguard-policyd; do
	s=$(score "$UNITS/$u.service")
	rig_check "$u.service: exposure $s, at most 3.0" \
		awk -v s="$s" 'BEGIN { exit !(s != "" && s + 0 <= 3.0) }'
done
# key UNIT KEY - the values of KEY in UNIT, one per line
key() { sed -n "s/^$2=//p" "$1"; }
rig_check "separate runtime directories" \
	test "$(key "$UNITS/relayguard.service" RuntimeDirectory) $(key "$UNITS/relayguard-policyd.service" RuntimeDirectory)" = \
	"relayguard relayguard-policyd"
for u in relayguard relayguard-policyd; do
	rig_check "$u: every ReadWritePaths entry is optional (-)" \
		sh -c "! sed -n 's/^ReadWritePaths=//p' '$UNITS/$u.service' | tr ' ' '\n' | grep -v '^-' | grep -q ."
	rig_check "$u: ExecReload checks ($u -n) before it signals" \
		test "$(key "$UNITS/$u.service" ExecReload | sed 's/ .*//' | tr '\n' ' ')" = "/usr/sbin/$u +/bin/kill "
	rig_check "$u: the check is -n" \
		sh -c "sed -n 's/^ExecReload=//p' '$UNITS/$u.service' | head -n 1 | grep -q ' -n '"
done

# --- the units' lines run confined -------------------------------------------
rig_dns_start
rig_keys sign.test
chown -R nobody "$RUN/keys"
rig_sink_start
rg_socket_inet
rg_conf "user = nobody"
pport=$(rig_free_port)
cat >> "$RUN/relayguard.conf" <<EOF
policy_socket = inet:$pport@127.0.0.1
policy_pid_file = $RUN/relayguard-policyd.pid
EOF
# the programs, copied beside the run: a tree under /tmp would be hidden by
# the units' PrivateTmp
mkdir -p "$RUN/sbin"
cp "$RG_TOP/${RG_BUILD:-build}/relayguard" \
	"$RG_TOP/${RG_BUILD:-build}/relayguard-policyd" "$RUN/sbin/"
# local UNIT - the unit with these programs and this configuration
local_unit() {
	sed -e "s#/usr/sbin/#$RUN/sbin/#g" \
		-e "s#/etc/relayguard/relayguard.conf#$RUN/relayguard.conf#g" \
		"$UNITS/$1.service" > "$RUN/$1.service"
}
local_unit relayguard
local_unit relayguard-policyd
# syslog(3) under the unit (PrivateDevices: its own /dev/log) goes to a
# receiver; the log checks read it and stderr
UNITRUN_DEVLOG=$RUN/devlog.sock
export UNITRUN_DEVLOG
/usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")
' "$UNITRUN_DEVLOG" "$RUN/syslog.log" &
rig_track_pid $! syslog
for _ in $(seq 50); do [ -S "$UNITRUN_DEVLOG" ] && break; sleep 0.1; done
# rg_log_count PATTERN - matching lines of stderr and syslog
rg_log_count() { cat "$RUN/relayguard.log" "$RUN/syslog.log" 2>/dev/null | grep -cE -- "$1" || true; }
: > "$RUN/unit.log"
"$UNITRUN" "$RUN/relayguard.service" ExecStartPre >> "$RUN/unit.log" 2>&1 ||
	{ cat "$RUN/unit.log"; rig_fail "ExecStartPre failed"; exit 1; }
"$UNITRUN" "$RUN/relayguard.service" ExecStart >> "$RUN/relayguard.log" 2>&1 &
RG_PID=$!
rig_track_pid "$RG_PID" relayguard
rig_wait_listen "$RG_SOCKET" 10 || { cat "$RUN/relayguard.log"; exit 1; }
sleep 0.5
rig_check "the milter runs under the unit's confinement" kill -0 "$RG_PID"
rig_check "... as nobody" test "$(ps -o user= -p "$RG_PID" | tr -d ' ')" = nobody
rig_check "... with no capability left" \
	test "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$RG_PID/status")" = 0000000000000000
rig_check "... private /dev: no disk in it" \
	sh -c "! ls -l '/proc/$RG_PID/root'/dev/ | grep -qE 'sd|vd|nvme|loop'"
rig_check "... no_new_privs and a seccomp filter" \
	test "$(sed -n 's/^\(NoNewPrivs\|Seccomp\):[[:space:]]*//p' "/proc/$RG_PID/status" | tr '\n' ' ')" = "1 2 "
rig_check "its SPF process runs as nobody" \
	test "$(ps -o user= --ppid "$RG_PID" | tr -d ' ' | sort -u)" = nobody
rig_postfix_start "$RG_MILTER"
rig_send --from a@sign.test --to b@example.net --header "Subject: unit 1"
"$UNITRUN" --mainpid "$RG_PID" "$RUN/relayguard.service" ExecReload >> "$RUN/unit.log" 2>&1 ||
	rig_fail "ExecReload failed" || true
for _ in $(seq 50); do
	[ "$(rg_log_count 'reloaded configuration')" -gt 0 ] && break
	sleep 0.1
done
rig_check "ExecReload: checked, then reloaded" \
	test "$(rg_log_count 'reloaded configuration \(generation 2\)')" -gt 0
rig_send --from a@sign.test --to b@example.net --header "Subject: unit 2"
rig_wait_delivered 2 60
rig_check "mail signed under the unit verifies" rig_verify "$RUN"/sink/*
rig_check "... twice each (RSA and Ed25519)" \
	test "$(cat "$RUN"/sink/* | grep -c '^DKIM-Signature:')" = 4

# the counter-check: ExecReload's kill inside the sandbox
sed 's#^ExecReload=+/bin/kill#ExecReload=/bin/kill#' "$RUN/relayguard.service" \
	> "$RUN/sandboxed-kill.service"
out=$("$UNITRUN" --mainpid "$RG_PID" "$RUN/sandboxed-kill.service" ExecReload 2>&1) && rc=0 || rc=$?
rig_check "without \"+\" the SIGHUP is refused (no CAP_KILL in the sandbox)" \
	test "$rc" != 0 -a -n "$(grep -i 'not permitted' <<< "$out")"

# the policy service
"$UNITRUN" "$RUN/relayguard-policyd.service" ExecStart >> "$RUN/policyd.log" 2>&1 &
PD_PID=$!
rig_track_pid "$PD_PID" relayguard-policyd
rig_wait_listen "inet:$pport@127.0.0.1" 10 || { cat "$RUN/policyd.log"; exit 1; }
answer=$(/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=127.0.0.1\nclient_name=localhost\nhelo_name=localhost\nsender=a@sign.test\nrecipient=b@example.net\ninstance=1.2.3\n\n")
r = b""
while not r.endswith(b"\n\n"):
    d = s.recv(4096)
    if not d:
        break
    r += d
print(r.decode().splitlines()[0] if r else "")
' "$pport" 2>&1) || true
rig_check "the policy service answers under its unit ($answer)" grep -q '^action=' <<< "$answer"
rig_check "... as nobody" test "$(ps -o user= -p "$PD_PID" | tr -d ' ')" = nobody
rg_finish
