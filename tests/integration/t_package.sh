#!/usr/bin/env bash
# t_package.sh - the Debian package, built from this tree and installed for
# real: dpkg in a throwaway Debian 12 root (debootstrap minbase with the
# package's dependencies, cached under build/pkgtest/), no systemd.
#
#  1. make deb: dpkg-buildpackage and lintian (errors fail);
#  2. installed where Postfix is not (yet): user and group relayguard, the
#     files, man pages, units (the milter enabled, the policy service not),
#     conffiles, key/socket/log directories with their owners and modes;
#     then a stand-in Postfix package (the group postfix, /usr/sbin/postfix)
#     fires the package's trigger: the socket directory gets group postfix;
#  3. the milter started the way relayguard.service starts it: its
#     ExecStartPre and ExecStart lines, confined as the unit says
#     (tests/integration/unitrun.py: read-only system, private /tmp and
#     /dev, capability bounding set, no-new-privileges, the unit's system
#     call filter enforced by seccomp); it drops to relayguard, its SPF
#     process to nobody; its syslog lines reach a receiver;
#  4. the README's quick start, pasted as is (its blocks marked
#     "<!-- test: ... -->", see tests/readme_blocks.py): keygen as root
#     gives the keys to relayguard, the tables, "relayguard -n",
#     "systemctl reload relayguard" (the unit's ExecReload: the check, then
#     SIGHUP) - the reload reads the new keys as relayguard; the Postfix
#     lines against the test Postfix, whose queue directory is the root's
#     /var/spool/postfix: mail is signed with both keys and verifies
#     (python3-dkim, keys in the test DNS); every other marked config
#     block passes "relayguard -n";
#  5. the policy service's unit lines: its socket answers, its pid file
#     lives in its own run directory; a restart of the milter leaves them;
#  6. logrotate: the audit file rotated as relayguard, written again;
#  7. reinstall keeps the admin's files; remove, then purge: nothing of
#     the package is left; the user relayguard stays (Debian's practice).
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init package
UNITRUN=$RG_LIB_DIR/unitrun.py
arch=$(dpkg --print-architecture)
suite=bookworm
cache=$RG_TOP/build/pkgtest
mkdir -p "$cache"

# --- 1. build --------------------------------------------------------------
sh "$RG_TOP/debian/make-deb.sh" "$RG_TOP/build/deb" > "$RUN/make-deb.log" 2>&1 ||
	{ cat "$RUN/make-deb.log"; rig_fail "make deb failed"; exit 1; }
ver=$(dpkg-parsechangelog -l "$RG_TOP/debian/changelog" -S Version)
deb=$RG_TOP/build/deb/relayguard_${ver}_$arch.deb
rig_check "make deb built $(basename "$deb")" test -s "$deb"
rig_check "lintian: no errors" sh -c "! grep -q '^E:' '$RG_TOP/build/deb/lintian.log'"
if [ -s "$RG_TOP/build/deb/lintian.log" ]; then
	echo "lintian says:"
	sed 's/^/    /' "$RG_TOP/build/deb/lintian.log"
fi

# --- the throwaway root ------------------------------------------------------
# mirror - the first Debian mirror apt uses here (deb.debian.org if none)
mirror() {
	local m
	m=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	[ -n "$m" ] || m=$(sed -n 's/^deb \(http[^ ]*debian\) .*/\1/p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}
# the package's dependencies (first of each alternative), logrotate for the
# rotation test
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*//; s/ //g' |
	grep -v '^$' | sort -u | tr '\n' ',')logrotate
key=$(echo "$suite minbase $deps $(mirror)" | sha256sum | cut -c1-12)
base=$cache/$suite-minbase-$key.tar
if [ ! -s "$base" ]; then
	echo "building the Debian root (once; cached as $base)"
	rm -rf "$cache/root.tmp"
	if ! debootstrap --variant=minbase --include="$deps" "$suite" \
		"$cache/root.tmp" "$(mirror)" > "$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log"
		rig_fail "debootstrap failed (log: $cache/debootstrap.log)"
		exit 1
	fi
	tar -C "$cache/root.tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$cache/root.tmp"
fi
root=$RUN/root
mkdir "$root"
tar -C "$root" -xf "$base"
chmod 0755 "$root"
mkdir -p "$root/tmp/pkg"
cp "$deb" "$root/tmp/pkg/"

# in_root CMD... - run CMD as root in the root, with /proc, in a private
# mount namespace (nothing is mounted on this machine)
in_root() {
	unshare -m --propagation private sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "$@"' \
		"$root" "$@"
}
# owner_mode PATH - "user:group mode" of a path in the root, names as the
# root sees them
owner_mode() {
	local um
	um=$(stat -c '%u %g %a' "$root$1") || return 1
	set -- $um
	echo "$(awk -F: -v u="$1" '$3 == u { print $1 }' "$root/etc/passwd"):$(awk -F: -v g="$2" '$3 == g { print $1 }' "$root/etc/group") $3"
}

# --- 2. install ----------------------------------------------------------
pf_gid=$(getent group postfix | cut -d: -f3)
# keep Postfix's group id free for the stand-in (it must be this machine's:
# the test Postfix reaches the socket directory through that group)
in_root groupadd -g "$pf_gid" rgtest-reserved
if ! in_root dpkg -i "/tmp/pkg/$(basename "$deb")" > "$RUN/dpkg-i.log" 2>&1; then
	cat "$RUN/dpkg-i.log"
	rig_fail "dpkg -i failed"
	exit 1
fi
rig_check "postinst says there is no group postfix yet" \
	grep -q 'no group postfix' "$RUN/dpkg-i.log"
rig_check "socket directory without Postfix: relayguard:relayguard 750" \
	test "$(owner_mode /var/spool/postfix/relayguard)" = "relayguard:relayguard 750"
in_root groupdel rgtest-reserved

# a stand-in for the postfix package: the group postfix (with this
# machine's id) and /usr/sbin/postfix, on which the package has a trigger
fake=$RUN/fake-postfix
mkdir -p "$fake/DEBIAN" "$fake/usr/sbin"
cat > "$fake/DEBIAN/control" <<EOF
Package: rgtest-postfix
Version: 1.0
Architecture: all
Maintainer: relayguard tests <tests@example.org>
Description: stand-in for postfix in t_package.sh
 It has what relayguard's package looks for: the group postfix and
 /usr/sbin/postfix.
EOF
printf '#!/bin/sh\nset -e\ngetent group postfix > /dev/null || groupadd --system -g %s postfix\n' \
	"$pf_gid" > "$fake/DEBIAN/postinst"
printf '#!/bin/sh\nexit 0\n' > "$fake/usr/sbin/postfix"
chmod 755 "$fake/DEBIAN/postinst" "$fake/usr/sbin/postfix"
dpkg-deb --root-owner-group -b "$fake" "$root/tmp/pkg/rgtest-postfix.deb" > /dev/null
in_root dpkg -i /tmp/pkg/rgtest-postfix.deb > "$RUN/dpkg-fake.log" 2>&1 ||
	{ cat "$RUN/dpkg-fake.log"; rig_fail "dpkg -i rgtest-postfix failed"; exit 1; }
rig_check "Postfix installed: the trigger runs" \
	grep -q 'Processing triggers for relayguard' "$RUN/dpkg-fake.log"
rig_check "... and the socket directory is relayguard:postfix 750" \
	test "$(owner_mode /var/spool/postfix/relayguard)" = "relayguard:postfix 750"

pw=$(in_root getent passwd relayguard) || pw=
IFS=: read -r _ _ rg_uid rg_gid _ rg_home rg_shell <<< "$pw"
rig_check "user relayguard: a system user ($rg_uid), no home, no shell" \
	test "${rg_uid:-99999}" -lt 1000 -a "$rg_home" = /nonexistent -a "$rg_shell" = /usr/sbin/nologin
rig_check "group relayguard is the user's group" \
	test "$(in_root getent group relayguard | cut -d: -f3)" = "$rg_gid"
for f in /usr/sbin/relayguard /usr/sbin/relayguard-policyd /usr/sbin/relayguardctl; do
	rig_check "$f installed, executable" test -x "$root$f"
done
rig_check "the Redis module /usr/lib/relayguard/relayguard-redis.so, mode 644" \
	test "$(stat -c %a "$root/usr/lib/relayguard/relayguard-redis.so" 2>/dev/null)" = 644
for m in man8/relayguard.8 man8/relayguard-policyd.8 man8/relayguardctl.8 \
	man5/relayguard.conf.5 man5/relayguard-limits.5; do
	rig_check "man page $m" test -s "$root/usr/share/man/$m.gz"
done
for u in relayguard relayguard-policyd; do
	rig_check "unit $u.service installed" test -s "$root/lib/systemd/system/$u.service"
done
rig_check "relayguard.service enabled, relayguard-policyd.service not" \
	test -L "$root/etc/systemd/system/multi-user.target.wants/relayguard.service" \
	-a ! -e "$root/etc/systemd/system/multi-user.target.wants/relayguard-policyd.service"
rig_check "conffiles: the five files of /etc/relayguard and logrotate's" \
	test "$(in_root dpkg-query -W -f='${Conffiles}\n' relayguard | awk 'NF { print $1 }' | sort | tr '\n' ' ')" = \
	"/etc/logrotate.d/relayguard /etc/relayguard/KeyTable /etc/relayguard/SigningTable /etc/relayguard/limits /etc/relayguard/relayguard.conf /etc/relayguard/senders "
rig_check "key directory relayguard:relayguard 700" \
	test "$(owner_mode /etc/relayguard/keys)" = "relayguard:relayguard 700"
rig_check "audit log directory relayguard:adm 750" \
	test "$(owner_mode /var/log/relayguard)" = "relayguard:adm 750"
rig_check "the installed units rate at most 3.0 (systemd-analyze security)" \
	sh -c "for u in '$root'/lib/systemd/system/relayguard*.service; do
		systemd-analyze security --offline=true \"\$u\" 2>&1 | tail -n 1 |
		awk '{ for (i = 1; i <= NF; i++) if (\$i ~ /^[0-9]+\\.[0-9]+\$/) s = \$i }
		     END { exit !(s != \"\" && s <= 3.0) }' || exit 1
	done"
res=$(in_root relayguard -n 2>&1) || true
# says_ok TEXT - TEXT has "configuration ok", else show it
says_ok() { grep -q 'configuration ok' <<< "$1" || { printf '%s\n' "$1"; return 1; }; }
rig_check "relayguard -n passes with the package's relayguard.conf" \
	says_ok "$res"

# --- 3. the milter as its unit starts it -------------------------------------
rig_dns_start
rig_sink_start
# syslog(3) of the daemons: a receiver, their /dev/log under the units'
# PrivateDevices (unitrun.py: UNITRUN_DEVLOG)
UNITRUN_DEVLOG=$RUN/devlog.sock
export UNITRUN_DEVLOG
/usr/bin/python3 -c '
import os, socket, sys
p = sys.argv[1]
if os.path.exists(p):
    os.unlink(p)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(p)
os.chmod(p, 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")
' "$UNITRUN_DEVLOG" "$RUN/syslog.log" &
rig_track_pid $! syslog
: > "$RUN/syslog.log"
for _ in $(seq 50); do [ -S "$UNITRUN_DEVLOG" ] && break; sleep 0.1; done

milter_unit=$root/lib/systemd/system/relayguard.service
policy_unit=$root/lib/systemd/system/relayguard-policyd.service
sock=$root/var/spool/postfix/relayguard/milter.sock
# logs - what the daemons said (stderr of the unit lines, syslog)
logs() { cat "$RUN/unit.log" "$RUN/syslog.log" 2>/dev/null; }
# log_has PATTERN DESC - ok/FAIL on a line of the logs
log_has() {
	if logs | grep -qE -- "$1"; then
		rig_pass "$2"
	else
		rig_fail "$2 (no /$1/ in the logs)" || true
		logs | tail -n 20 | sed 's/^/    | /'
	fi
}
# wait_log PATTERN N - until more than N lines match (5 s)
wait_log() {
	local i
	for i in $(seq 50); do
		[ "$(logs | grep -cE -- "$1")" -gt "$2" ] && return 0
		sleep 0.1
	done
}
# unit_start UNIT - ExecStartPre, then ExecStart in the background; MAINPID
unit_start() {
	"$UNITRUN" --root "$root" "$1" ExecStartPre >> "$RUN/unit.log" 2>&1 ||
		{ rig_fail "$(basename "$1"): ExecStartPre failed"; logs | tail -n 20; return 1; }
	"$UNITRUN" --root "$root" "$1" ExecStart >> "$RUN/unit.log" 2>&1 &
	MAINPID=$!
	rig_track_pid "$MAINPID" "$(basename "$1")"
}
# unit_reload UNIT PID - the unit's ExecReload lines
unit_reload() {
	"$UNITRUN" --root "$root" --mainpid "$2" "$1" ExecReload >> "$RUN/unit.log" 2>&1
}
# unit_stop PID RUNTIMEDIR - SIGTERM as systemd does, then the runtime
# directory goes (RuntimeDirectoryPreserve=no)
unit_stop() {
	rig_stop_pid "$1"
	rm -rf "$root/run/$2"
}

# unit_up PID SOCKET - the service listens and still runs (else the test
# cannot go on)
unit_up() {
	if ! rig_wait_listen "unix:$2" 10 || { sleep 0.5; ! kill -0 "$1" 2>/dev/null; }; then
		rig_fail "the service (pid $1) did not start" || true
		logs | tail -n 20 | sed 's/^/    | /'
		exit 1
	fi
}

unit_start "$milter_unit"
milter_pid=$MAINPID
unit_up "$milter_pid" "$sock"
rig_check "milter socket relayguard:postfix 660" \
	test "$(owner_mode /var/spool/postfix/relayguard/milter.sock)" = "relayguard:postfix 660"
rig_check "the milter runs as relayguard" \
	test "$(ps -o uid= -p "$milter_pid" | tr -d ' ')" = "$rg_uid"
nobody_uid=$(awk -F: '$1 == "nobody" { print $3 }' "$root/etc/passwd")
spf_uids=$(ps -o uid= --ppid "$milter_pid" | tr -d ' ' | sort -u | tr '\n' ' ')
rig_check "its SPF process runs as nobody (privilege drop under the unit)" \
	test "$spf_uids" = "$nobody_uid "
rig_check "pid file /run/relayguard/relayguard.pid" \
	test "$(cat "$root/run/relayguard/relayguard.pid" 2>/dev/null)" = "$milter_pid"

# --- 4. the README's quick start -----------------------------------------------
# The test Postfix uses the root's /var/spool/postfix as its queue
# directory, so "unix:relayguard/milter.sock" means what it means on a
# Debian host.
mkdir -p "$RUN/postfix"
ln -s "$root/var/spool/postfix" "$RUN/postfix/queue"
rig_postfix_start ""
# publish - the DNS records of every key in the root's key directory
publish() {
	local k sel p
	for k in "$root"/etc/relayguard/keys/*.private; do
		[ -e "$k" ] || continue
		sel=$(basename "$k" .private)
		grep -qx "$sel" "$RUN/published" 2>/dev/null && continue
		if openssl pkey -in "$k" -noout -text 2>/dev/null | grep -q ED25519; then
			p="v=DKIM1; k=ed25519; p=$(openssl pkey -in "$k" -pubout -outform DER | tail -c 32 | base64 -w0)"
		else
			p="v=DKIM1; k=rsa; p=$(openssl pkey -in "$k" -pubout -outform DER | base64 -w0)"
		fi
		rig__publish "$sel._domainkey.example.com." "$p"
		echo "$sel" >> "$RUN/published"
	done
}
# systemctl ARGS - what the quick start asks of systemd, done here
systemctl() {
	case "$*" in
	"reload relayguard")
		unit_reload "$milter_unit" "$milter_pid" ||
			rig_fail "systemctl reload relayguard: ExecReload failed" ;;
	"reload postfix") rig_postfix_reload ;;
	*) rig_fail "quick start: systemctl $* is not emulated" ;;
	esac
}
postconf() { command postconf -c "$RUN/postfix/etc" "$@"; }
mkdir -p "$root/usr/local/sbin"
# in the root, systemctl only records its arguments for the host side
printf '#!/bin/sh\necho "$*" >> /tmp/pkg/systemctl.calls\n' > "$root/usr/local/sbin/systemctl"
chmod 755 "$root/usr/local/sbin/systemctl"

/usr/bin/python3 "$RG_TOP/tests/readme_blocks.py" "$RG_TOP/README.md" > "$RUN/blocks.json"
nblocks=$(jq length "$RUN/blocks.json")
rig_check "the README has marked blocks ($nblocks)" test "$nblocks" -ge 6
later=()
for i in $(seq 0 $((nblocks - 1))); do
	kind=$(jq -r ".[$i].kind" "$RUN/blocks.json")
	arg=$(jq -r ".[$i].arg" "$RUN/blocks.json")
	line=$(jq -r ".[$i].line" "$RUN/blocks.json")
	jq -r ".[$i].text" "$RUN/blocks.json" > "$RUN/block"
	case $kind in
	sh)
		: > "$root/tmp/pkg/systemctl.calls"
		cp "$RUN/block" "$root/tmp/pkg/block.sh"
		if in_root sh -e /tmp/pkg/block.sh > "$RUN/block.log" 2>&1; then
			rig_pass "README.md:$line: shell block runs"
		else
			rig_fail "README.md:$line: shell block fails" || true
			sed 's/^/    | /' "$RUN/block.log"
		fi
		publish
		while read -r call; do
			systemctl $call
		done < "$root/tmp/pkg/systemctl.calls" ;;
	file)
		cat "$RUN/block" > "$root$arg" ;;
	append)
		cat "$RUN/block" >> "$root$arg" ;;
	postfix)
		# shellcheck disable=SC1090 # the README's block, postconf and
		# systemctl being the functions above
		if . "$RUN/block" > "$RUN/block.log" 2>&1; then
			rig_pass "README.md:$line: Postfix block runs"
		else
			rig_fail "README.md:$line: Postfix block fails" || true
			sed 's/^/    | /' "$RUN/block.log"
		fi ;;
	conf|conf-add)
		later+=("$i") ;;
	esac
done
wait_log 'reloaded configuration' 0
log_has 'reloaded configuration \(generation 2\).*2 keys' \
	"the reload after keygen reads both keys as relayguard"
rig_check "the keys keygen made: relayguard:relayguard 600" \
	test "$(owner_mode /etc/relayguard/keys/rsa2026.private) $(owner_mode /etc/relayguard/keys/ed2026.private)" = \
	"relayguard:relayguard 600 relayguard:relayguard 600"

rig_send --from ann@example.com --to bob@example.net --header "Subject: package 1" \
	--body "signed by the installed package"
printf 'From: Local <local@example.com>\nTo: bob@example.net\nSubject: package 2\n\nvia sendmail\n' |
	rig_sendmail -f local@example.com bob@example.net
rig_wait_delivered 2 60
rig_check "both messages verify (python3-dkim, keys in DNS)" rig_verify "$RUN"/sink/*
# sigs FILE - "d= s=" of each DKIM-Signature of FILE, unfolded, sorted
sigs() {
	awk '/^[ \t]/ { printf "%s", $0; next } { printf "\n%s", $0 }' "$1" |
		sed -n 's/^DKIM-Signature:.*[[:space:]]d=\([^;]*\);.*[[:space:]]s=\([^;]*\);.*/\1 \2/p' |
		sort | tr '\n' ' '
}
for f in "$RUN"/sink/*; do
	rig_check "$(basename "$f"): signed by rsa2026 and ed2026 of example.com" \
		test "$(sigs "$f")" = "example.com ed2026 example.com rsa2026 "
done

for i in "${later[@]}"; do
	kind=$(jq -r ".[$i].kind" "$RUN/blocks.json")
	line=$(jq -r ".[$i].line" "$RUN/blocks.json")
	if [ "$kind" = conf ]; then
		jq -r ".[$i].text" "$RUN/blocks.json" > "$root/tmp/pkg/readme.conf"
	else
		{ cat "$root/etc/relayguard/relayguard.conf"; jq -r ".[$i].text" "$RUN/blocks.json"; } \
			> "$root/tmp/pkg/readme.conf"
	fi
	if in_root relayguard -n -c /tmp/pkg/readme.conf > "$RUN/block.log" 2>&1; then
		rig_pass "README.md:$line: $kind block passes relayguard -n"
	else
		rig_fail "README.md:$line: $kind block fails relayguard -n" || true
		sed 's/^/    | /' "$RUN/block.log"
	fi
done

# --- 5. the policy service ---------------------------------------------------
unit_start "$policy_unit"
policy_pid=$MAINPID
psock=$root/var/spool/postfix/relayguard/policy.sock
unit_up "$policy_pid" "$psock"
# policy_ask - one request over the socket, the reply's action line
policy_ask() {
	/usr/bin/python3 -c '
import os, socket, sys
# the path may be longer than a socket address holds: connect from its
# directory
os.chdir(os.path.dirname(sys.argv[1]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(os.path.basename(sys.argv[1]))
s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=127.0.0.1\nclient_name=localhost\nhelo_name=localhost\nsender=ann@example.com\nrecipient=bob@example.net\ninstance=1.2.3\n\n")
r = b""
while not r.endswith(b"\n\n"):
    d = s.recv(4096)
    if not d:
        break
    r += d
print(r.decode().splitlines()[0])
' "$psock"
}
answer=$(policy_ask 2>&1) || true
rig_check "the policy service answers on its socket ($answer)" \
	grep -q '^action=' <<< "$answer"
rig_check "policy socket relayguard:postfix 660, pid file in /run/relayguard-policyd" \
	test "$(owner_mode /var/spool/postfix/relayguard/policy.sock) $(cat "$root/run/relayguard-policyd/relayguard-policyd.pid")" = \
	"relayguard:postfix 660 $policy_pid"
unit_stop "$milter_pid" relayguard
unit_start "$milter_unit"
milter_pid=$MAINPID
unit_up "$milter_pid" "$sock"
rig_check "a restart of the milter leaves the policy service's socket and pid file" \
	test -S "$psock" -a "$(cat "$root/run/relayguard-policyd/relayguard-policyd.pid")" = "$policy_pid"
unit_stop "$policy_pid" relayguard-policyd

# --- 6. the audit file and logrotate ---------------------------------------
echo "audit_file = /var/log/relayguard/audit.jsonl" >> "$root/etc/relayguard/relayguard.conf"
n=$(logs | grep -c 'reloaded configuration' || true)
unit_reload "$milter_unit" "$milter_pid" || rig_fail "reload with audit_file failed"
wait_log 'reloaded configuration' "$n"
rig_send --from ann@example.com --to bob@example.net --header "Subject: package 3"
rig_wait_delivered 3 60
audit=/var/log/relayguard/audit.jsonl
for _ in $(seq 50); do [ -s "$root$audit" ] && break; sleep 0.1; done
rig_check "the audit file is written as relayguard" \
	test "$(owner_mode $audit | cut -d' ' -f1)" = "relayguard:relayguard"
if in_root logrotate -f /etc/logrotate.d/relayguard > "$RUN/logrotate.log" 2>&1; then
	rig_pass "logrotate rotates it"
else
	rig_fail "logrotate failed" || true
	sed 's/^/    | /' "$RUN/logrotate.log"
fi
rig_check "... the old file is audit.jsonl.1, the new one relayguard:adm 640" \
	test -s "$root$audit.1" -a "$(owner_mode $audit)" = "relayguard:adm 640"
rig_send --from ann@example.com --to bob@example.net --header "Subject: package 4"
rig_wait_delivered 4 60
for _ in $(seq 50); do [ -s "$root$audit" ] && break; sleep 0.1; done
rig_check "relayguard writes to the new file" test -s "$root$audit"
unit_stop "$milter_pid" relayguard
rig_postfix_stop

# --- 7. reinstall, remove, purge -----------------------------------------------
in_root dpkg -i "/tmp/pkg/$(basename "$deb")" > "$RUN/dpkg-re.log" 2>&1 ||
	{ cat "$RUN/dpkg-re.log"; rig_fail "reinstall failed"; }
rig_check "reinstall keeps the admin's relayguard.conf, tables and keys" \
	sh -c "grep -q '^key_table = file:/etc/relayguard/KeyTable' '$root/etc/relayguard/relayguard.conf' &&
		grep -q rsa2026 '$root/etc/relayguard/KeyTable' &&
		test -s '$root/etc/relayguard/keys/rsa2026.private'"
rig_check "... and the keys' owner" \
	test "$(owner_mode /etc/relayguard/keys/rsa2026.private)" = "relayguard:relayguard 600"
in_root dpkg -L relayguard > "$RUN/files.list"
in_root dpkg -r relayguard > "$RUN/dpkg-r.log" 2>&1 || { cat "$RUN/dpkg-r.log"; rig_fail "dpkg -r failed"; }
rig_check "remove: programs gone, conffiles kept" \
	test ! -e "$root/usr/sbin/relayguard" -a -s "$root/etc/relayguard/relayguard.conf"
in_root dpkg --purge relayguard > "$RUN/dpkg-purge.log" 2>&1 ||
	{ cat "$RUN/dpkg-purge.log"; rig_fail "dpkg --purge failed"; }
left=$(while read -r f; do
	case $f in /.|/etc|/lib|/lib/systemd|/lib/systemd/system|/usr|/usr/lib|/usr/sbin|/usr/share|/usr/share/doc|/usr/share/man|/usr/share/man/man5|/usr/share/man/man8|/var|/var/log|/var/spool|/etc/logrotate.d) continue ;;
	/var/spool/postfix) continue ;;	# Postfix's queue is in it
	esac
	if [ -e "$root$f" ] || [ -L "$root$f" ]; then echo "$f"; fi
done < "$RUN/files.list")
rig_check "purge: nothing of the package is left" test -z "$left"
[ -z "$left" ] || echo "$left" | sed 's/^/    left: /'
rig_check "purge: keys, sockets, logs and the enablement link are gone" \
	test ! -e "$root/etc/relayguard" -a ! -e "$root/var/spool/postfix/relayguard" \
	-a ! -e "$root/var/log/relayguard" \
	-a ! -e "$root/etc/systemd/system/multi-user.target.wants/relayguard.service"
rig_check "purge: dpkg knows the package no more" \
	sh -c "! grep -q '^Package: relayguard\$' '$root/var/lib/dpkg/status'"
rig_check "purge: the user relayguard stays (Debian's practice for system users)" \
	in_root getent passwd relayguard
rg_finish
