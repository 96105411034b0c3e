#!/usr/bin/env bash
# t_keygen_owner.sh - keys made by "relayguardctl dkim keygen" as root
# belong to the configured run-time user (and its group), mode 0600, in a
# key directory keygen creates (mode 0700, same owner): relayguard, which
# reads every key again as that user on SIGHUP, reloads with them.  The
# counter-check: a key kept by root (--owner root) passes at start (still
# root) but makes the first reload fail, the running configuration kept.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init keygen_owner
CTL=$RG_TOP/${RG_BUILD:-build}/relayguardctl
keys=$RUN/keys.d
tables=$RUN/tables
mkdir -p "$tables"
cat > "$RUN/relayguard.conf" <<EOF
user = nobody
spf_check = no
EOF
nobody_group=$(id -gn nobody)

out=$("$CTL" -c "$RUN/relayguard.conf" dkim keygen -d sign.test -s rsa1 \
	-D "$keys")
rig_check "keygen names the owner" \
	grep -q "^private key: $keys/rsa1.private (rsa, 2048 bits, mode 0600, owner nobody:$nobody_group)\$" <<< "$out"
rig_check "the key belongs to nobody:$nobody_group, mode 600" \
	test "$(stat -c '%U:%G %a' "$keys/rsa1.private")" = "nobody:$nobody_group 600"
rig_check "the key directory keygen made belongs to nobody, mode 700" \
	test "$(stat -c '%U %a' "$keys")" = "nobody 700"
"$CTL" -c "$RUN/relayguard.conf" --json dkim keygen -d sign.test -s ed1 \
	-a ed25519 -D "$keys" > "$RUN/ed1.json"
rig_check "--json names the owner" \
	test "$(jq -r .owner "$RUN/ed1.json")" = "nobody:$nobody_group"
rig_check "an existing directory keeps its owner" \
	test "$(stat -c '%U %a' "$keys")" = "nobody 700"

# tables readable by nobody, keys as keygen left them
printf 'rsa1._domainkey.sign.test sign.test:rsa1:%s\ned1._domainkey.sign.test sign.test:ed1:%s\n' \
	"$keys/rsa1.private" "$keys/ed1.private" > "$tables/KeyTable"
printf '*@sign.test rsa1._domainkey.sign.test\n*@sign.test ed1._domainkey.sign.test\n' \
	> "$tables/SigningTable"
chmod 644 "$tables/KeyTable" "$tables/SigningTable"
rg_socket_inet
cat >> "$RUN/relayguard.conf" <<EOF
socket = $RG_SOCKET
key_table = file:$tables/KeyTable
signing_table = refile:$tables/SigningTable
pid_file = $RUN/relayguard.pid
EOF

# reload_done N - wait until the log holds more than N reload results
reload_done() {
	local i
	for i in $(seq 50); do
		[ "$(rg_log_count 'reloaded configuration|reload failed')" -gt "$1" ] && return 0
		sleep 0.1
	done
}

rg_start
rig_check "the daemon runs as nobody" \
	test "$(ps -o user= -p "$RG_PID" | tr -d ' ')" = nobody
kill -HUP "$RG_PID"
reload_done 0
rg_expect_log 'reloaded configuration \(generation 2\)' \
	"a reload as nobody reads the keys keygen made"

# the counter-check: a root-owned key
"$CTL" -c "$RUN/relayguard.conf" dkim keygen -d sign.test -s root1 \
	-D "$keys" --owner root > /dev/null
rig_check "--owner root keeps the key root's" \
	test "$(stat -c '%U %a' "$keys/root1.private")" = "root 600"
echo "root1._domainkey.sign.test sign.test:root1:$keys/root1.private" >> "$tables/KeyTable"
kill -HUP "$RG_PID"
reload_done 1
rg_expect_log "reload failed, keeping the running configuration: .*root1.private" \
	"a root-owned key makes the reload fail, the old configuration is kept"
rig_check "the daemon still runs" kill -0 "$RG_PID"
rg_finish
