#!/usr/bin/env bash
# t_no_link_follow.sh - the daemons never write through a link an attacker
# planted.  An attacker who can write the socket directory and wins the race
# between bind(2) and the chown/chmod of the new unix socket (played by
# bindswap.c, an LD_PRELOAD library that swaps the socket for a symbolic
# link to a file of root's) gets nothing: relayguard and relayguard-policyd
# refuse to start and the target keeps its owner and mode.  A symbolic or
# hard link planted at the pid file's path is refused, its target
# untouched.  A stale pid file (dead process) is taken over; a pid file
# locked by a running instance makes the second one refuse to start before
# it touches the running one's socket.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/policyd.sh"

rig_init no_link_follow
RG_KEY_OWNER=root rig_keys sign.test 2>/dev/null || rig_keys sign.test
rg_socket_unix
rg_conf "spf_check = no"
pd_socket_unix
pd_conf "spf_check = no"

# the attacker's library
swap=$RUN/bindswap.so
cc -shared -fPIC -O1 -o "$swap" "$RG_LIB_DIR/bindswap.c" -ldl ||
	rig_fail "cannot build bindswap.so"
# ASan (make check SAN=1) insists on coming first; the preload comes first
# (a daemon that starts although it should not is stopped by timeout 20)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# victim FILE - a file of root's, mode 0600, with known contents
victim() {
	printf 'precious\n' > "$1"
	chmod 0600 "$1"
	chown root:root "$1"
}

# unchanged FILE - still root:root 0600 with its contents
unchanged() {
	test "$(stat -c '%U:%G %a' "$1")" = "root:root 600" &&
		test "$(cat "$1")" = precious
}

# --- the socket swapped for a symbolic link right after bind() ------------
victim "$RUN/victim-milter"
rc=0
LD_PRELOAD=$swap RG_SWAP_TARGET=$RUN/victim-milter \
	timeout 20 "$RG_BIN" -f -e -c "$RUN/relayguard.conf" > "$RUN/swap-milter.out" 2>&1 || rc=$?
rig_check "milter: refuses to start when its socket was swapped (exit $rc)" \
	test "$rc" != 0
rig_check "milter: says the socket was replaced" \
	grep -q "is no longer the socket we made" "$RUN/swap-milter.out"
rig_check "milter: the link's target keeps owner, group and mode" \
	unchanged "$RUN/victim-milter"
rm -f "$RUN/relayguard.sock"

victim "$RUN/victim-policyd"
rc=0
LD_PRELOAD=$swap RG_SWAP_TARGET=$RUN/victim-policyd \
	timeout 20 "$PD_BIN" -f -e -c "$RUN/policyd.conf" > "$RUN/swap-policyd.out" 2>&1 || rc=$?
rig_check "policyd: refuses to start when its socket was swapped (exit $rc)" \
	test "$rc" != 0
rig_check "policyd: says the socket was replaced" \
	grep -q "is no longer the socket we made" "$RUN/swap-policyd.out"
rig_check "policyd: the link's target keeps owner, group and mode" \
	unchanged "$RUN/victim-policyd"
rm -f "$RUN/policyd.sock"

# --- links planted at the pid file's path --------------------------------
# (the refused starts above left their pid files: stale, as after a crash)
rm -f "$RUN/relayguard.pid" "$RUN/policyd.pid"
victim "$RUN/victim-pid"
ln -s "$RUN/victim-pid" "$RUN/relayguard.pid"
rc=0
timeout 20 "$RG_BIN" -f -e -c "$RUN/relayguard.conf" > "$RUN/pid-symlink.out" 2>&1 || rc=$?
rig_check "pid file: a symbolic link is refused (exit $rc)" test "$rc" != 0
rig_check "pid file: ... saying so" \
	grep -q "relayguard.pid is a symbolic link" "$RUN/pid-symlink.out"
rig_check "pid file: the symbolic link's target is untouched" \
	unchanged "$RUN/victim-pid"
rig_check "pid file: the socket of a refused start was never made" \
	test ! -e "$RUN/relayguard.sock"
rm -f "$RUN/relayguard.pid"

ln "$RUN/victim-pid" "$RUN/policyd.pid"
rc=0
timeout 20 "$PD_BIN" -f -e -c "$RUN/policyd.conf" > "$RUN/pid-hardlink.out" 2>&1 || rc=$?
rig_check "pid file: a hard link is refused (exit $rc)" test "$rc" != 0
rig_check "pid file: ... saying so" \
	grep -q "policyd.pid is not a plain file .* 2 links" "$RUN/pid-hardlink.out"
rig_check "pid file: the hard link's target is untouched" \
	unchanged "$RUN/victim-pid"
rm -f "$RUN/policyd.pid"

# --- a stale pid file is taken over; a live one refuses a second start ----
echo 2147480000 > "$RUN/relayguard.pid"
rg_start
rig_check "stale pid file taken over: it holds the new pid" \
	test "$(cat "$RUN/relayguard.pid")" = "$RG_PID"
rc=0
timeout 20 "$RG_BIN" -f -e -c "$RUN/relayguard.conf" > "$RUN/second.out" 2>&1 || rc=$?
rig_check "a second instance refuses to start (exit $rc)" test "$rc" != 0
rig_check "... naming the running pid" \
	grep -q "relayguard.pid is locked: already running as pid $RG_PID" "$RUN/second.out"
rig_check "the first instance still runs" kill -0 "$RG_PID"
rig_check "... its socket is still there" test -S "$RUN/relayguard.sock"
rg_stop
rg_finish
