#!/usr/bin/env bash
# t_migrate_opendkim.sh - "relayguardctl migrate opendkim":
#   1. Debian's own /etc/opendkim.conf (as the opendkim package ships it):
#      the result passes relayguard -n, carries UserID, Canonicalization,
#      OversignHeaders, UMask, moves the local socket to relayguard's
#      socket directory, is signing only, and every setting line of the
#      file is accounted for (a setting written, or a note with its line);
#   2. a multi-domain setup (KeyTable and SigningTable through Include,
#      two keys for one domain (RSA both: opendkim 2.11 signs with one
#      algorithm for all keys), a subdomain pattern, MultipleSignatures,
#      InternalHosts as a file with an exclusion and a host name, names in
#      odd case): the real opendkim signs a set of messages through a real
#      Postfix; then the migrated relayguard.conf, on the same socket
#      (Postfix unchanged), signs the same messages: the same domains,
#      selectors and algorithms for each, every signature verifies
#      (python3-dkim), the excluded client is signed by neither;
#   3. what cannot be carried over is listed with its line: a database
#      table, inline keys, verification settings, an unknown name; a
#      refile InternalHosts pattern becomes a network; -o refuses to
#      overwrite without --force; a missing file exits 78.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init migrate_opendkim
CTL=$RG_TOP/${RG_BUILD:-build}/relayguardctl
ODKIM=/usr/sbin/opendkim

# --- 1. Debian's default opendkim.conf -----------------------------------------
# the file as the package ships it: /etc/opendkim.conf when it is unchanged
# (dpkg's checksum), else the package's copy
debconf=$RUN/debian-opendkim.conf
sum=$(dpkg-query -W -f='${Conffiles}\n' opendkim | awk '$1 == "/etc/opendkim.conf" { print $2 }')
if [ -n "$sum" ] && [ "$(md5sum < /etc/opendkim.conf | cut -d' ' -f1)" = "$sum" ]; then
	cp /etc/opendkim.conf "$debconf"
else
	deb=$(ls /var/cache/apt/archives/opendkim_*.deb 2>/dev/null | tail -n 1)
	if [ -z "$deb" ]; then
		mkdir -p "$RG_TOP/build/pkgtest"
		(cd "$RG_TOP/build/pkgtest" && apt-get download opendkim > /dev/null 2>&1) || true
		deb=$(ls "$RG_TOP"/build/pkgtest/opendkim_*.deb 2>/dev/null | tail -n 1)
	fi
	[ -n "$deb" ] || { rig_fail "no pristine /etc/opendkim.conf and no opendkim package"; exit 1; }
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./etc/opendkim.conf > "$debconf"
fi
"$CTL" migrate opendkim "$debconf" > "$RUN/deb.conf" 2> "$RUN/deb.notes" ||
	{ cat "$RUN/deb.notes"; rig_fail "migrate of Debian's opendkim.conf failed"; }
# has FILE LINE... - every line is a line of FILE
has() {
	local f=$1 l
	shift
	for l in "$@"; do
		grep -qxF -- "$l" "$f" || { echo "missing: $l"; return 1; }
	done
}
rig_check "Debian's file: user, socket, group, mode, canonicalization, oversigning" \
	has "$RUN/deb.conf" "user = opendkim" \
	"socket = unix:/var/spool/postfix/relayguard/milter.sock" \
	"socket_group = postfix" "socket_mode = 0660" \
	"canonicalization = relaxed/simple" "oversign_headers = from" \
	"multiple_signatures = no"
rig_check "... signing only: relayguard's checks off" \
	has "$RUN/deb.conf" "sender_login_check = no" "own_domain_action = accept" "spf_check = no"
# the socket directory the package makes, in a private mount namespace
# (this machine's /var/spool/postfix is left alone)
rig_check "... relayguard -n accepts it (with the package's socket directory)" \
	unshare -m sh -c 'mount -t tmpfs -o mode=755 tmpfs /var/spool/postfix &&
		mkdir -m 750 /var/spool/postfix/relayguard &&
		chgrp postfix /var/spool/postfix/relayguard &&
		exec "$0" -n -c "$1"' "$RG_BIN" "$RUN/deb.conf"
rig_check "... the verification-only TrustAnchorFile is listed with its line" \
	grep -q "$debconf:[0-9]*: TrustAnchorFile /usr/share/dns/root.key: verification only" "$RUN/deb.notes"
rig_check "... so is the socket move, with the main.cf line" \
	grep -q "Socket local:/run/opendkim/opendkim.sock: changed: .*smtpd_milters = unix:relayguard/milter.sock" "$RUN/deb.notes"
"$CTL" --json migrate opendkim "$debconf" > "$RUN/deb.json"
n=$(grep -cE ': (changed|not needed|verification only|not carried over): ' "$RUN/deb.notes")
rig_check "... --json: the text, signs, and the same $n notes" \
	jq -e --argjson n "$n" '(.conf | test("user = opendkim")) and .signs == false and (.notes | length) == $n' "$RUN/deb.json"
# every setting line: written (a comment names its line) or noted
missing=""
while IFS=: read -r n _; do
	grep -q "($debconf:$n)\$" "$RUN/deb.conf" || grep -q "^relayguardctl: migrate: $debconf:$n: " "$RUN/deb.notes" ||
		missing="$missing $n"
done < <(grep -n '^[[:space:]]*[A-Za-z]' "$debconf")
rig_check "... every setting line of the file is accounted for" test -z "$missing"
[ -z "$missing" ] || echo "    lines without a trace:$missing"

# --- 2. a multi-domain setup, signed by opendkim, then by relayguard ---------------
rig_dns_start
k=$RUN/keys
mkdir -m 0700 "$k"
# key NAME rsa|ed25519 DOMAIN SELECTOR - a key file and its DNS record
key() {
	local p
	( umask 077
	  if [ "$2" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/$1.private" 2>/dev/null
	  else
		openssl genpkey -algorithm ed25519 -out "$k/$1.private"
	  fi )
	if [ "$2" = rsa ]; then
		p="v=DKIM1; k=rsa; p=$(openssl pkey -in "$k/$1.private" -pubout -outform DER | base64 -w0)"
	else
		p="v=DKIM1; k=ed25519; p=$(openssl pkey -in "$k/$1.private" -pubout -outform DER | tail -c 32 | base64 -w0)"
	fi
	rig__publish "$4._domainkey.$3." "$p"
}
key a-rsa rsa a.test sel1
key b-rsa rsa b.test sel2
key b-rsa3 rsa b.test sel3
key c-rsa rsa c.test cat
cat > "$k/KeyTable" <<EOF
# name                  domain:selector:key file
sel1._domainkey.a.test  a.test:sel1:$k/a-rsa.private
sel2._domainkey.b.test  b.test:sel2:$k/b-rsa.private
sel3._domainkey.b.test  b.test:sel3:$k/b-rsa3.private
cat._domainkey.c.test   c.test:cat:$k/c-rsa.private
EOF
cat > "$k/SigningTable" <<EOF
*@a.test     sel1._domainkey.a.test
*@b.test     sel2._domainkey.b.test
*@b.test     sel3._domainkey.b.test
*@*.c.test   cat._domainkey.c.test
EOF
cat > "$RUN/internal" <<EOF
# who may have mail signed
127.0.0.0/24
!127.0.0.9      # except this one
localhost
EOF
chmod 0600 "$k"/*
port=$(rig_free_port)
cat > "$RUN/opendkim-tables.conf" <<EOF
KEYTABLE          file:$k/KeyTable
signingtable      refile:$k/SigningTable
EOF
cat > "$RUN/opendkim.conf" <<EOF
# a multi-domain signer (written by t_migrate_opendkim.sh)
Syslog                  no
SyslogSuccess           yes
LogWhy                  yes
Background              no
Mode                    sv
Socket                  inet:$port@localhost
PidFile                 $RUN/opendkim.pid
Include                 $RUN/opendkim-tables.conf
MultipleSignatures      yes
canonicalization        relaxed/relaxed
SignHeaders             From,To,Subject,Date,Message-ID
OversignHeaders         From
InternalHosts           file:$RUN/internal
RequireSafeKeys         yes
On-SignatureError       tempfail
On-BadSignature         accept
EOF
"$ODKIM" -f -x "$RUN/opendkim.conf" < /dev/null > "$RUN/opendkim.log" 2>&1 &
odkim_pid=$!
rig_track_pid "$odkim_pid" opendkim
rig_wait_listen "inet:$port@127.0.0.1" 10 || { cat "$RUN/opendkim.log"; exit 1; }
rig_sink_start
rig_postfix_start "inet:127.0.0.1:$port"
rig_postconf "smtpd_authorized_xclient_hosts = 127.0.0.0/8"
rig_postfix_reload

# send_all PHASE - the same messages each time
send_all() {
	rig_send --from ann@a.test --to x@example.net --header "Subject: $1 a"
	rig_send --from bob@b.test --to x@example.net --header "Subject: $1 b"
	rig_send --from cat@mail.c.test --to x@example.net --header "Subject: $1 sub"
	rig_send --from dan@nokey.test --to x@example.net --header "Subject: $1 nokey"
	rig_send --xclient "ADDR=127.0.0.9 NAME=excluded.test" --from eve@a.test \
		--to x@example.net --header "Subject: $1 excluded"
}
# sigs FILE - "d s a" of each DKIM-Signature, sorted, on one line
sigs() {
	awk '/^[ \t]/ { printf "%s", $0; next } { printf "\n%s", $0 }' "$1" |
		grep '^DKIM-Signature:' | while read -r h; do
			d=$(sed -n 's/.*[[:space:];]d=\([^;]*\);.*/\1/p' <<< "$h")
			s=$(sed -n 's/.*[[:space:];]s=\([^;]*\);.*/\1/p' <<< "$h")
			a=$(sed -n 's/.*[[:space:];]a=\([^;]*\);.*/\1/p' <<< "$h")
			echo "$d $s $a"
		done | sort | tr '\n' ' '
}
# table PHASE - "case: signatures" per message of a phase
table() {
	local f c
	for c in a b sub nokey excluded; do
		f=$(grep -l "^Subject: $1 $c\$" "$RUN"/sink/*) || { echo "$c: missing"; continue; }
		echo "$c: $(sigs "$f")"
	done
}

send_all odkim
rig_wait_delivered 5 60
table odkim > "$RUN/odkim.table"
rig_check "opendkim signed as configured" test "$(cat "$RUN/odkim.table")" = "a: a.test sel1 rsa-sha256 
b: b.test sel2 rsa-sha256 b.test sel3 rsa-sha256 
sub: c.test cat rsa-sha256 
nokey: 
excluded: "
rig_stop_pid "$odkim_pid"

"$CTL" migrate opendkim "$RUN/opendkim.conf" -o "$RUN/relayguard.conf" 2> "$RUN/multi.notes" ||
	{ cat "$RUN/multi.notes"; rig_fail "migrate failed"; exit 1; }
rig_check "the same socket, as an address (Postfix unchanged)" \
	has "$RUN/relayguard.conf" "socket = inet:$port@127.0.0.1"
rig_check "tables, found through Include, names in any case" \
	has "$RUN/relayguard.conf" "key_table = file:$k/KeyTable" "signing_table = refile:$k/SigningTable"
rig_check "the settings that shape the signatures" \
	has "$RUN/relayguard.conf" "multiple_signatures = yes" "canonicalization = relaxed/relaxed" \
	"sign_headers = from, to, subject, date, message-id" "oversign_headers = from" \
	"require_safe_keys = yes" "on_sign_error = tempfail"
hosts=$(awk '/^internal_hosts = / { v = substr($0, 18); on = 1; next }
	on && /^[ \t]/ { sub(/^[ \t]+/, " "); v = v $0; next } { on = 0 }
	END { print v }' "$RUN/relayguard.conf")
# localhost's addresses here (::1 where /etc/hosts has it)
lh6=$(getent ahosts localhost | awk '$1 ~ /:/ { print ", " $1 }' | sort -u | tr -d '\n')
rig_check "internal_hosts: the /24 without 127.0.0.9, plus localhost's other addresses ($hosts)" \
	test "$hosts" = "127.0.0.0/29, 127.0.0.8, 127.0.0.10/31, 127.0.0.12/30, 127.0.0.16/28, 127.0.0.32/27, 127.0.0.64/26, 127.0.0.128/25$lh6"
rig_check "the host name is listed with what it became" \
	grep -q "internal:[0-9]*: localhost: changed: host name localhost is" "$RUN/multi.notes"
rig_check "the verification setting is listed" \
	grep -q "opendkim.conf:[0-9]*: On-BadSignature accept: verification only" "$RUN/multi.notes"
# the test's own pid file (the default, /run/relayguard, is the unit's)
echo "pid_file = $RUN/relayguard.pid" >> "$RUN/relayguard.conf"
rig_check "relayguard -n accepts the migrated file" "$RG_BIN" -n -c "$RUN/relayguard.conf"
"$RG_BIN" -f -c "$RUN/relayguard.conf" >> "$RUN/relayguard.log" 2>&1 &
RG_PID=$!
rig_track_pid "$RG_PID" relayguard
rig_wait_listen "inet:$port@127.0.0.1" 10 || { cat "$RUN/relayguard.log"; exit 1; }
send_all rg
rig_wait_delivered 10 60
table rg > "$RUN/rg.table"
rig_check "relayguard signs every message as opendkim did (domains, selectors, algorithms)" \
	diff "$RUN/odkim.table" "$RUN/rg.table"
signed=$(grep -l '^DKIM-Signature:' "$RUN"/sink/* | sort)
rig_check "all $(echo "$signed" | wc -l) signed messages verify (python3-dkim)" \
	rig_verify $signed
rig_check "the excluded client and the domain without a key: unsigned, both times" \
	test "$(grep -L '^DKIM-Signature:' "$RUN"/sink/* | xargs grep -h '^Subject:' | sort | tr '\n' ' ')" = \
	"Subject: odkim excluded Subject: odkim nokey Subject: rg excluded Subject: rg nokey "

# --- 3. what is not carried over -----------------------------------------------
cat > "$RUN/inline.KeyTable" <<EOF
inl._domainkey.a.test a.test:inl:MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAL
rel._domainkey.a.test a.test:rel:./keys/rel.private
EOF
printf '10.1.*\n192.168.*.*\n*.example.com\n' > "$RUN/internal.re"
cat > "$RUN/other.conf" <<EOF
KeyTable            file:$RUN/inline.KeyTable
SigningTable        dsn:mysql://u:p@3306+db/odkim/table=sign?keycol=k?datacol=v
InternalHosts       refile:$RUN/internal.re
TrustAnchorFile     /usr/share/dns/root.key
Nameservers         127.0.0.1
NoSuchSetting       yes
SignatureTTL        3600
Socket              inet:8891
Canonicalization    relaxed
Syslog              yes
Syslog              no
EOF
"$CTL" migrate opendkim "$RUN/other.conf" > "$RUN/other.out" 2> "$RUN/other.notes" && rc=0 || rc=$?
rig_check "a configuration with losses is still written (exit 0)" test "$rc" = 0
# note LINE KIND TEXT - a note about other.conf:LINE of that kind
note() { grep -q "other.conf:$1: .*: $2: .*${3:-}" "$RUN/other.notes"; }
rig_check "a database table: not carried over, with its line" note 2 "not carried over" "file: and refile:"
rig_check "inline key data: not carried over, with the KeyTable line" \
	grep -q "inline.KeyTable:1: inl._domainkey.a.test: not carried over: the key is in the table itself" "$RUN/other.notes"
rig_check "a relative key path: changed (relayguard's base is the table's directory)" \
	grep -q "inline.KeyTable:2: rel._domainkey.a.test: changed: .*relative key path" "$RUN/other.notes"
rig_check "verification settings: listed as such" note 4 "verification only" "verifies nothing"
rig_check "... Nameservers too" note 5 "verification only"
rig_check "an unknown name: listed" note 6 "not carried over" "not an OpenDKIM setting"
rig_check "SignatureTTL: not carried over, why" note 7 "not carried over" "x= tag"
rig_check "inet:PORT (every address) becomes 0.0.0.0, with a warning" \
	sh -c "grep -qx 'socket = inet:8891@0.0.0.0' '$RUN/other.out' && grep -q 'other.conf:8: .*every address' '$RUN/other.notes'"
rig_check "Canonicalization relaxed means relaxed/simple" \
	grep -qx 'canonicalization = relaxed/simple' "$RUN/other.out"
rig_check "a setting given twice: the first is noted as overridden" note 10 "not needed" "overridden by .*other.conf:11"
rig_check "refile InternalHosts: whole-octet patterns become networks" \
	grep -qx 'internal_hosts = 10.1.0.0/16, 192.168.0.0/16' "$RUN/other.out"
rig_check "... a host name pattern is listed" \
	grep -q 'internal.re:3: \*.example.com: not carried over: matches client host names' "$RUN/other.notes"
rig_check "relayguard's parser accepts everything that was written" \
	sh -c "'$RG_BIN' -n -c '$RUN/other.out' 2>&1 | grep -qv 'setting:'"
"$CTL" migrate opendkim "$RUN/other.conf" -o "$RUN/relayguard.conf" 2> "$RUN/exists.err" && rc=0 || rc=$?
rig_check "-o refuses to overwrite without --force (exit 5)" \
	sh -c "test $rc = 5 && grep -q 'exists; not overwritten' '$RUN/exists.err'"
"$CTL" migrate opendkim "$RUN/other.conf" -o "$RUN/relayguard.conf" --force 2> /dev/null
rig_check "... and does with --force" grep -q 'inline.KeyTable' "$RUN/relayguard.conf"
"$CTL" migrate opendkim "$RUN/nonexistent.conf" > /dev/null 2> "$RUN/missing.err" && rc=0 || rc=$?
rig_check "a missing OpenDKIM file: exit 78, named" \
	sh -c "test $rc = 78 && grep -q 'nonexistent.conf: No such file' '$RUN/missing.err'"
rg_finish
