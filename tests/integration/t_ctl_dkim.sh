#!/usr/bin/env bash
# t_ctl_dkim.sh - relayguardctl dkim keygen and dkim check against the rig
# DNS (unbound).  Keys made by keygen are published exactly as it prints
# them (its 255-byte strings), accepted by relayguard -n, and proven right
# by an independent verifier: dkimpy signs a message with each private key
# and dkimverify.py verifies it with the published record.  dkim check
# then reports every case the way an admin needs it: ok, mismatch,
# revoked, missing, malformed (bad record, two records), dnserror, with
# the documented exit codes (0, 1, 3) and the same in --json.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/audit.sh"

rig_init ctl_dkim
rig_dns_start
keys=$RUN/keys
mkdir -m 0700 "$keys"
# out_has PATTERN - the last output ($res) has a line matching PATTERN
out_has() { grep -qE -- "$1" <<< "$res"; }
# in_dns CMD... - run CMD with the rig DNS as the system resolver
in_dns() {
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$RUN/dns/resolv.conf" "$@"
}

# keygen SELECTOR DOMAIN ARGS... - a key, its JSON in $RUN/SELECTOR.json,
# a KeyTable line
keygen() {
	local sel=$1 dom=$2
	shift 2
	"$AU_CTL" --json dkim keygen -d "$dom" -s "$sel" -D "$keys" "$@" \
		> "$RUN/$sel.json" || { rig_fail "keygen $sel exited $?"; return 1; }
	echo "$sel._domainkey.$dom $dom:$sel:$(jq -r .key_file "$RUN/$sel.json")" \
		>> "$keys/KeyTable"
	echo "*@$dom $sel._domainkey.$dom" >> "$keys/SigningTable"
}

# publish NAME STRINGS - a TXT record from already quoted strings
publish() {
	rig_dns_add "$1. 60 IN TXT $2"
}

# strings_of SELECTOR - keygen's txt_strings, quoted for unbound
strings_of() {
	jq -r '.txt_strings | map("\"" + . + "\"") | join(" ")' "$RUN/$1.json"
}

keygen rsa1 sign.test
keygen ed1 sign.test -a ed25519
keygen old1 sign.test
keygen old2 sign.test -a ed25519
keygen rev1 sign.test
keygen bad1 sign.test -a ed25519
keygen none1 sign.test
keygen two1 sign.test
keygen tmo1 x.timeout.test -b 1024
cat > "$RUN/rg.conf" <<EOF
key_table = file:$keys/KeyTable
signing_table = refile:$keys/SigningTable
socket = unix:$RUN/relayguard.sock
pid_file = $RUN/relayguard.pid
EOF

rig_check "keygen: private key mode 0600" \
	test "$(stat -c %a "$keys/rsa1.private")" = 600
rig_check "keygen: RSA 2048 by default" test "$(jq .bits "$RUN/rsa1.json")" = 2048
rig_check "keygen: RSA record cut into 255-byte strings" \
	jq -e '(.txt_strings | length) == 2 and (.txt_strings[0] | length) == 255 and (.txt_strings | join("")) == .txt' "$RUN/rsa1.json"
rig_check "keygen: Ed25519 record is the raw 32-byte key (RFC 8463)" \
	test "$(jq -r .txt "$RUN/ed1.json")" = \
	"v=DKIM1; k=ed25519; p=$(openssl pkey -in "$keys/ed1.private" -pubout -outform DER | tail -c 32 | base64 -w0)"
res=$("$AU_CTL" dkim keygen -d sign.test -s rsa1 -D "$keys" 2>&1) && rc=0 || rc=$?
rig_check "keygen: an existing key is not overwritten (exit 5)" test "$rc" = 5
rig_check "keygen: ... and says so" out_has 'rsa1.private: exists; not overwritten'
res=$("$AU_CTL" dkim keygen -d sign.test 2>&1) && rc=0 || rc=$?
rig_check "keygen: missing selector is a usage error (exit 2)" test "$rc" = 2
res=$("$AU_CTL" dkim keygen -d sign.test -s x -D "$keys" 2>&1)
rig_check "keygen: human output names the file" \
	out_has '^private key: .*/x.private \(rsa, 2048 bits, mode 0600, owner root:root\)$'
rig_check "keygen: ... the record in zone file syntax" \
	out_has '^x._domainkey.sign.test. IN TXT \( "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{237}" "[A-Za-z0-9+/=]+" \)$'
rig_check "keygen: ... and the KeyTable line" \
	out_has '^x._domainkey.sign.test sign.test:x:/.*/x.private$'
rm -f "$keys/x.private"
rig_check "relayguard -n accepts the generated keys" \
	"$RG_BIN" -n -c "$RUN/rg.conf"

publish rsa1._domainkey.sign.test "$(strings_of rsa1)"
publish ed1._domainkey.sign.test "$(strings_of ed1)"
publish old1._domainkey.sign.test "$(strings_of rsa1)"	# another key's
publish old2._domainkey.sign.test "$(strings_of ed1)"	# another key's
publish rev1._domainkey.sign.test '"v=DKIM1; k=rsa; p="'
publish bad1._domainkey.sign.test '"v=DKIM1; k=ed25519; p=not*base64"'
publish two1._domainkey.sign.test "$(strings_of two1)"
publish two1._domainkey.sign.test '"v=DKIM1; p=QUJD"'

# --- the independent check: dkimpy signs, dkimverify.py verifies ---------
msg=$'From: a@sign.test\r\nTo: b@example.net\r\nSubject: keygen\r\n\r\nbody\r\n'
for sel in rsa1 ed1; do
	"$RG_PY" - "$keys/$sel.private" "$sel" > "$RUN/$sel.eml" <<-'EOF'
	import base64, subprocess, sys
	import dkim
	path, sel = sys.argv[1], sys.argv[2].encode()
	msg = b"From: a@sign.test\r\nTo: b@example.net\r\nSubject: keygen\r\n\r\nbody\r\n"
	if sel.startswith(b"ed"):
	    der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"],
	                         capture_output=True, check=True).stdout
	    key, alg = base64.b64encode(der[-32:]), b"ed25519-sha256"
	else:
	    key, alg = open(path, "rb").read(), b"rsa-sha256"
	sig = dkim.sign(msg, sel, b"sign.test", key, signature_algorithm=alg,
	                include_headers=[b"from", b"to", b"subject"])
	sys.stdout.buffer.write(sig + msg)
	EOF
	rig_check "dkimpy verifies a $sel signature with the published record" \
		rig_verify "$RUN/$sel.eml"
done
: "$msg"

# --- dkim check ------------------------------------------------------------
res=$(in_dns "$AU_CTL" -c "$RUN/rg.conf" dkim check 2>&1) && rc=0 || rc=$?
echo "$res" | sed 's/^/    | /'
row() { echo "$res" | awk -v k="$1._domainkey.$2" '$1 == k { print $4 }'; }
rig_check "check: rsa1 ok" test "$(row rsa1 sign.test)" = ok
rig_check "check: ed1 ok" test "$(row ed1 sign.test)" = ok
rig_check "check: old1 mismatch (another RSA key published)" test "$(row old1 sign.test)" = mismatch
rig_check "check: old2 mismatch (another Ed25519 key published)" test "$(row old2 sign.test)" = mismatch
rig_check "check: rev1 revoked" test "$(row rev1 sign.test)" = revoked
rig_check "check: bad1 malformed" test "$(row bad1 sign.test)" = malformed
rig_check "check: none1 missing" test "$(row none1 sign.test)" = missing
rig_check "check: two1 malformed (two records)" test "$(row two1 sign.test)" = malformed
rig_check "check: tmo1 dnserror" test "$(row tmo1 x.timeout.test)" = dnserror
rig_check "check: a definite problem exits 1" test "$rc" = 1
rig_check "check: the detail says why" \
	out_has "^old1._domainkey.sign.test .*the published key is not the private key's public half\$"

res=$(in_dns "$AU_CTL" -c "$RUN/rg.conf" dkim check rsa1._domainkey.sign.test ed1._domainkey.sign.test) && rc=0 || rc=$?
rig_check "check: only good keys named: exit 0" test "$rc" = 0
res=$(in_dns "$AU_CTL" -c "$RUN/rg.conf" dkim check tmo1._domainkey.x.timeout.test 2>&1) && rc=0 || rc=$?
rig_check "check: only a DNS failure: exit 3" test "$rc" = 3
res=$(in_dns "$AU_CTL" -c "$RUN/rg.conf" dkim check nosuch._domainkey.sign.test 2>&1) && rc=0 || rc=$?
rig_check "check: unknown key name: exit 1" test "$rc" = 1

res=$(in_dns "$AU_CTL" -c "$RUN/rg.conf" --json dkim check 2>/dev/null) || true
rig_check "check --json: one object per key, statuses as in the table" \
	jq -e 'length == 9 and (map({(.key): .status}) | add) == {
	  "rsa1._domainkey.sign.test": "ok", "ed1._domainkey.sign.test": "ok",
	  "old1._domainkey.sign.test": "mismatch",
	  "old2._domainkey.sign.test": "mismatch",
	  "rev1._domainkey.sign.test": "revoked",
	  "bad1._domainkey.sign.test": "malformed",
	  "none1._domainkey.sign.test": "missing",
	  "two1._domainkey.sign.test": "malformed",
	  "tmo1._domainkey.x.timeout.test": "dnserror"}' <<< "$res"

res=$("$AU_CTL" -c "$RUN/rg.conf" dkim check -S "$RG_DNS_IP" rsa1._domainkey.sign.test) && rc=0 || rc=$?
rig_check "check -S NAMESERVER without touching resolv.conf" test "$rc" = 0

chmod 0644 "$keys/rsa1.private"
res=$("$AU_CTL" -c "$RUN/rg.conf" dkim check 2>&1) && rc=0 || rc=$?
rig_check "check: an unsafe key file is a configuration error (exit 78)" test "$rc" = 78
rig_check "check: ... naming the fix" out_has 'rsa1.private: mode 0644 .*chmod 600'
rg_finish
