#!/usr/bin/env bash
# t_config_check.sh - "relayguard -n" and startup refuse every bad
# configuration, table and key (rows K1-K3), naming file, line and what is
# wrong, with exit status 78; a good configuration gives exit 0 and one
# summary line.  -n also checks what fails only at start or at the first
# reload: both sockets' syntax (Postfix's forms get the right one), users
# and groups, the directories of the files to be written, and everything a
# reload reads, as the run-time user; an empty sender map while ownership
# checks are on is a warning naming the key.  -d KEY prints one default, -p
# what the file changes.  A key deleted after startup does not matter until
# a reload (K4): keys are held in memory.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init config_check
RG_KEY_OWNER=root rig_keys sign.test 2>/dev/null || rig_keys sign.test
rg_socket_unix
rg_conf
conf=$RUN/relayguard.conf
keys=$RUN/keys

# expect_bad DESC PATTERN - -n must exit 78 and print PATTERN
expect_bad() {
	local out rc=0
	out=$("$RG_BIN" -n -c "$conf" 2>&1) || rc=$?
	if [ "$rc" = 78 ] && echo "$out" | grep -qE -- "$2"; then
		rig_pass "$1"
	else
		rig_fail "$1: rc=$rc, want 78 and /$2/" || true
		echo "$out" | sed 's/^/    | /'
	fi
}

out=$("$RG_BIN" -n -c "$conf")
rig_check "good config: exit 0, one line" test "$(echo "$out" | wc -l)" = 1
rig_check "summary counts keys and entries" \
	grep -q '2 keys, 2 signing table entries' <<< "$out"

cp "$conf" "$conf.good"
echo "ldap_timeout = 5x" >> "$conf"
expect_bad "unknown key named with file:line" "relayguard.conf:6: ldap_timeout: unknown key"
cp "$conf.good" "$conf"; echo "milter_timeout = 5x" >> "$conf"
expect_bad "bad time names an example" 'relayguard.conf:6: milter_timeout: "5x" is not a time \(examples: 500ms'
cp "$conf.good" "$conf"; echo "internal_hosts = 10.0.0.1/8" >> "$conf"
expect_bad "network with host bits" 'internal_hosts: "10.0.0.1/8" has host bits set'
cp "$conf.good" "$conf"; echo "user = no-such-user-here" >> "$conf"
expect_bad "unknown user, named with file:line" \
	'relayguard.conf:6: user: no such user "no-such-user-here"; create it'
cp "$conf.good" "$conf"; echo "user = relayguard-not-here" >> "$conf"
rc=0; out=$("$RG_BIN" -n -c "$conf" 2>&1) || rc=$?
rig_check "unknown user: the failing line is not offered as the example" \
	bash -c "! grep -q 'example: user = relayguard-not-here' <<< '$out'"

# What -n checks beyond the file's syntax, each message with file:line.
# A row: DESC|the line added|the message expected (@RUN@: the run dir).
while IFS='|' read -r desc line want; do
	[ -n "$desc" ] || continue
	cp "$conf.good" "$conf"
	sed -i "/^${line%% =*} = /d" "$conf"	# the generated file sets socket
	echo "${line//@RUN@/$RUN}" >> "$conf"
	expect_bad "$desc" "relayguard.conf:$(wc -l < "$conf"): $want"
done <<'ROWS'
Postfix's inet:HOST:PORT names the right form|socket = inet:127.0.0.1:8891|socket: "inet:127.0.0.1:8891" is Postfix's syntax; here it is written inet:8891@127.0.0.1 \(PORT@HOST\) \(examples: unix:/
port out of range|socket = inet:99999@127.0.0.1|socket: "inet:99999@127.0.0.1": port 99999 is out of range \(1 to 65535\)
unknown socket type|socket = tcp:8891|socket: "tcp:8891": unknown socket type "tcp"
Postfix's relative unix: path|socket = unix:relayguard/milter.sock|socket: "unix:relayguard/milter.sock": the path is relative .*unix:/var/spool/postfix/relayguard/milter.sock
the policy socket is read by the same parser|policy_socket = inet:127.0.0.1:10045|policy_socket: "inet:127.0.0.1:10045" is Postfix's syntax; here it is written inet:10045@127.0.0.1
socket_group that does not exist|socket_group = no-such-group|socket_group: no such group "no-such-group"; set socket_group to the group Postfix's smtpd runs as
spf_user that does not exist|spf_user = no-such-spf-user|spf_user: no such user "no-such-spf-user"
spf_user root|spf_user = root|spf_user: "root" is root; name an unprivileged user
socket directory missing|socket = unix:@RUN@/missing/m.sock|socket: the directory .*/missing does not exist \(make it: owner root, group postfix, mode 0750
audit file directory missing|audit_file = @RUN@/missing/audit.jsonl|audit_file: the directory .*/missing does not exist
pid file directory missing|pid_file = @RUN@/missing/deeper/relayguard.pid|pid_file: the directory .*/missing/deeper does not exist
ROWS

# keys readable by root only, user = nobody: everything else passes, but
# the first reload (as nobody) could not read them
cp "$conf.good" "$conf"; echo "user = nobody" >> "$conf"
expect_bad "what the run-time user cannot read: the reload check fails" \
	"a reload \(which reads everything again as user nobody\) would fail: .*Permission denied"

# the sender map left empty while ownership checks are on: a warning
cp "$conf.good" "$conf"
rc=0; out=$("$RG_BIN" -n -c "$conf" 2>&1 >/dev/null) || rc=$?
rig_check "no sender map with sender_login_check on: exit 0 ($rc)" test "$rc" = 0
rig_check "... and a warning naming the key to set" \
	grep -q "warning: .*relayguard.conf: sender_login_map: not set while sender_login_check = yes.* set sender_login_map (e.g. sender_login_map = /etc/relayguard/senders) or sender_login_check = no" <<< "$out"
echo "sender_login_check = no" >> "$conf"
out=$("$RG_BIN" -n -c "$conf" 2>&1 >/dev/null)
rig_check "... not with sender_login_check = no ($out)" test -z "$out"
cp "$conf.good" "$conf"

# -d [KEY]
rig_check "-d KEY prints that default" \
	test "$("$RG_BIN" -d socket pid_file)" = "socket = unix:/var/spool/postfix/relayguard/milter.sock
pid_file = /run/relayguard/relayguard.pid"
rc=0; out=$("$RG_BIN" -d sockett 2>&1) || rc=$?
rig_check "-d with an unknown key: exit 2 and a suggestion" \
	test "$rc/$out" = "2/relayguard: sockett: unknown key (did you mean socket?)"

# -p: only what differs from the defaults, as postconf -n
cp "$conf.good" "$conf"
printf 'milter_timeout = 300\nlog_level = DEBUG\n' >> "$conf"
rig_check "-p lists the settings that differ, not those equal to a default" \
	test "$("$RG_BIN" -p -c "$conf" | sed 's/ =.*//' | tr '\n' ' ')" = \
	"socket pid_file log_level key_table signing_table "
rig_check "-p in canonical form" grep -qx "log_level = debug" <("$RG_BIN" -p -c "$conf")
cp "$conf.good" "$conf"

# K1: key file missing
cp "$conf.good" "$conf"
mv "$keys/ed.private" "$keys/ed.moved"
expect_bad "K1 missing key names table line and file" "KeyTable:2: .*ed.private: No such file or directory"
mv "$keys/ed.moved" "$keys/ed.private"

# K2: readable by others; below a world-writable directory
chmod 0640 "$keys/rsa.private"
expect_bad "K2 key readable by group" "rsa.private: mode 0640 lets group or others read .*chmod 600"
chmod 0600 "$keys/rsa.private"
mkdir -m 1777 "$RUN/sticky"
cp -p "$keys/rsa.private" "$RUN/sticky/rsa.private"
sed -i "s#$keys/rsa.private#$RUN/sticky/rsa.private#" "$keys/KeyTable"
expect_bad "K2 key below a world-writable (sticky) directory" "directory .*/sticky can be written by other users"
sed -i "s#$RUN/sticky/rsa.private#$keys/rsa.private#" "$keys/KeyTable"
echo "require_safe_keys = no" >> "$conf"
chmod 0644 "$keys/rsa.private"
rig_check "require_safe_keys = no accepts a 0644 key" "$RG_BIN" -n -c "$conf"
chmod 0600 "$keys/rsa.private"
cp "$conf.good" "$conf"

# K3: malformed keys
cp "$keys/ed.private" "$keys/ed.save"
echo "garbage" > "$keys/ed.private"
expect_bad "K3 garbage key" "ed.private: not a PEM private key"
head -c 60 "$keys/ed.save" > "$keys/ed.private"
expect_bad "K3 truncated PEM" "ed.private: not a PEM private key"
( umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	-out "$keys/ed.private" 2>/dev/null )
echo "min_key_bits = 2048" >> "$conf"
expect_bad "K3 RSA below min_key_bits" "RSA key of 1024 bits is below min_key_bits 2048"
cp "$conf.good" "$conf"
( umask 077; openssl genpkey -algorithm ed25519 -outform DER -out "$keys/ed.der" &&
  base64 -w0 "$keys/ed.der" > "$keys/ed.private" )
expect_bad "K3 Ed25519 as one-line base64 DER" "ed.private: not a PEM private key"
( umask 077; openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret \
	-out "$keys/ed.private" )
expect_bad "K3 passphrase-protected key, no prompt" "ed.private: not a PEM private key"
cp -p "$keys/ed.save" "$keys/ed.private"

# tables
echo '*@other.test nosuch._domainkey.other.test' >> "$keys/SigningTable"
expect_bad "SigningTable names an unknown key" "SigningTable:3: key name \"nosuch._domainkey.other.test\" is not in the KeyTable"
sed -i '$d' "$keys/SigningTable"
echo 'inline sign.test:x:MIIEvQIBADANBg' >> "$keys/KeyTable"
expect_bad "inline key data refused" "KeyTable:3: inline key data is not supported"
sed -i '$d' "$keys/KeyTable"
sed -i 's#^signing_table = refile:#signing_table = csl:#' "$conf"
expect_bad "unsupported data set type" 'signing_table: "csl:.*only file:PATH and refile:PATH'
cp "$conf.good" "$conf"

# startup refuses what -n refuses, with the same status
chmod 0644 "$keys/rsa.private"
rc=0; "$RG_BIN" -f -e -c "$conf" > "$RUN/start.out" 2>&1 || rc=$?
rig_check "startup with an unsafe key exits 78" test "$rc" = 78
rig_check "startup names the key" grep -q 'rsa.private: mode 0644' "$RUN/start.out"
chmod 0600 "$keys/rsa.private"

# K4: key removed while running - still signs (keys are in memory)
rg_start
mv "$keys/rsa.private" "$keys/rsa.gone"
rig_check "K4 running daemon unaffected by a removed key file" kill -0 "$RG_PID"
kill -HUP "$RG_PID"
for _ in $(seq 50); do
	[ "$(rg_log_count 'reload failed')" = 1 ] && break
	sleep 0.1
done
rg_expect_log "reload failed, keeping the running configuration: .*rsa.private: No such file" \
	"K4 reload with the key gone keeps the running configuration"
rig_check "daemon still runs after the failed reload" kill -0 "$RG_PID"
mv "$keys/rsa.gone" "$keys/rsa.private"
rg_finish
