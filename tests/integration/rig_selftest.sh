#!/usr/bin/env bash
# rig_selftest.sh - prove the integration rig (lib.sh) end to end with
# Debian's opendkim as the milter, before relayguard exists:
#
#   unbound (zone test.) -> keys published -> smtp-sink -> Postfix (private
#   instance) -> two opendkim milters (RSA, Ed25519) -> swaks x3 ->
#   sink files -> dkimverify.py (dkimpy, keys from the rig DNS)
#
# plus the negative checks: a tampered Subject fails verification, mail
# from a domain without keys stays unsigned, a milter that is down makes
# Postfix answer 4xx (milter_default_action = tempfail), a reload without
# milters lets mail through unsigned, and sendmail(1) mail goes through
# non_smtpd_milters.
#
# opendkim 2.11 signs with one algorithm per instance (SignatureAlgorithm is
# global: an Ed25519 key under the default rsa-sha256 gives "451 4.7.0
# resource unavailable"), hence one instance per key type, chained in
# smtpd_milters.
#
# Prints ok:/FAIL: lines; exit status 0 only if every check passed.
# RG_KEEP=1 keeps the run directory for inspection.
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

rig_init selftest
t0=$SECONDS
D=sign.test

indent() { sed "s/^/    ${1:-}/"; }

# not CMD... - succeeds when CMD fails (for rig_check)
not() { ! "$@"; }

# --- DNS and keys --------------------------------------------------------
rig_dns_start
rig_keys "$D"
rig_check "rig DNS serves the RSA key (split TXT strings)" \
	test "$(dig +short @"$RG_DNS_IP" "rsa._domainkey.$D" TXT | grep -c 'k=rsa')" = 1
rig_check "rig DNS serves the Ed25519 key" \
	test "$(dig +short @"$RG_DNS_IP" "ed._domainkey.$D" TXT | grep -c 'k=ed25519')" = 1
rig_dns_add 'live.test. 60 TXT "added at run time"'
rig_check "rig_dns_add is seen at once" \
	test "$(dig +short @"$RG_DNS_IP" live.test TXT)" = '"added at run time"'
rig_check "unknown names under test. are NXDOMAIN" \
	bash -c "dig @$RG_DNS_IP nosuch.test TXT | grep -q 'status: NXDOMAIN'"

# --- sink and milters ----------------------------------------------------
rig_sink_start

# start_opendkim NAME ALG KEYSEL - an opendkim signing with the KEYSEL key
# only (rsa or ed); echoes its milter socket for Postfix.
start_opendkim() {
	local name=$1 alg=$2 sel=$3 dir=$RUN/$1 port
	port=$(rig_free_port)
	mkdir -p "$dir"
	grep " $sel\._domainkey\." "$RUN/keys/SigningTable" > "$dir/SigningTable"
	cat > "$dir/opendkim.conf" <<-EOF
	# opendkim for the rig self-test (-x: never reads /etc/opendkim.conf)
	Mode			s
	Syslog			no
	Background		no
	PidFile			$dir/opendkim.pid
	Socket			inet:$port@127.0.0.1
	KeyTable		file:$RUN/keys/KeyTable
	SigningTable		refile:$dir/SigningTable
	SignatureAlgorithm	$alg
	Canonicalization	relaxed/relaxed
	InternalHosts		127.0.0.1
	UMask			022
	EOF
	# RequireSafeKeys stays on (default): proves $RUN is a safe key place
	opendkim -f -x "$dir/opendkim.conf" < /dev/null > "$dir/stderr.log" 2>&1 &
	rig_track_pid $! "$name"
	OPENDKIM_PID=$!
	rig_wait_listen "inet:$port@127.0.0.1" 10 >&2 || { cat "$dir/stderr.log" >&2; return 1; }
	MILTER_SOCK=inet:127.0.0.1:$port
}
start_opendkim odkim-rsa rsa-sha256 rsa
M_RSA=$MILTER_SOCK
start_opendkim odkim-ed ed25519-sha256 ed
M_ED=$MILTER_SOCK
ED_PID=$OPENDKIM_PID

# --- Postfix -------------------------------------------------------------
rig_postfix_start "$M_RSA $M_ED"
rig_pass "Postfix on 127.0.0.1:$SMTP_PORT, sink on 127.0.0.1:$SINK_PORT, milters $M_RSA $M_ED"

# --- three signed messages -----------------------------------------------
rig_send --from "alice@$D" --to bob@example.net --header 'Subject: rig test 1'
rig_send --from "alice@$D" --to bob@example.net --header 'Subject: rig test 2' \
	--body $'line one\n.a line that starts with a dot\n..two dots\n\n\n'
printf 'From: Alice <alice@%s>\nTo: bob@example.net\nSubject: rig test 3,\n a folded subject\nMessage-ID: <3@%s>\n\nbody 3\n' "$D" "$D" |
	rig_send --from "alice@$D" --to bob@example.net --to carol@example.org --data -
if rig_wait_delivered 3 30; then
	rig_pass "3 messages delivered to the sink"
else
	exit 1
fi

out=$(rig_verify "$RUN"/sink/* 2>&1) && rc=0 || rc=$?
echo "$out" | indent
rig_check "rig_verify: every signature verifies" test "$rc" = 0
rig_check "rig_verify: 6 signatures ok (RSA + Ed25519 on each)" \
	test "$(echo "$out" | grep -c ': signature ok$')" = 6
rig_check "Ed25519 signatures present (a=ed25519-sha256)" \
	test "$(echo "$out" | grep -c 'a=ed25519-sha256: signature ok')" = 3
rig_check "dot-stuffed body line arrived unstuffed" \
	grep -qx '.a line that starts with a dot' "$RUN"/sink/*

# --- negative: tampered Subject ------------------------------------------
first=$(find "$RUN/sink" -maxdepth 1 -type f | sort | head -n 1)
mkdir -p "$RUN/tampered"
sed 's/^Subject: rig test/Subject: rig tesT/' "$first" > "$RUN/tampered/msg"
rig_check "tampering really changed the copy" not cmp -s "$first" "$RUN/tampered/msg"
out=$(rig_verify "$RUN/tampered/msg" 2>&1) && rc=0 || rc=$?
echo "$out" | indent
rig_check "rig_verify fails on a tampered Subject (exit $rc)" test "$rc" = 1
rig_check "both signatures reported FAILED" \
	test "$(echo "$out" | grep -c 'signature FAILED')" = 2
rig_check "--expect-unsigned fails on a signed file" \
	not rig_verify --expect-unsigned "$first"

# --- negative: a domain without keys stays unsigned ----------------------
rig_send --from carol@nokeys.test --to bob@example.net --header 'Subject: unsigned'
rig_wait_delivered 4 30
unsigned=$(grep -l '^Subject: unsigned' "$RUN"/sink/*)
rig_check "rig_verify --expect-unsigned passes for nokeys.test" \
	rig_verify --expect-unsigned "$unsigned"
rig_check "rig_verify fails for an unsigned message" \
	not rig_verify "$unsigned"

# --- sendmail(1): the non_smtpd_milters path -----------------------------
printf 'From: alice@%s\nTo: bob@example.net\nSubject: via sendmail\n\nbody\n' "$D" |
	rig_sendmail -f "alice@$D" bob@example.net
rig_wait_delivered 5 30
rig_check "sendmail(1) mail signed by non_smtpd_milters" \
	rig_verify "$(grep -l '^Subject: via sendmail' "$RUN"/sink/*)"

# --- milter down: tempfail -----------------------------------------------
rig_stop_pid "$ED_PID" KILL		# a crash: no graceful shutdown
RG_SEND_QUIET=1 rig_send --from "alice@$D" --to bob@example.net \
	--header 'Subject: milter down' && rc=0 || rc=$?
rig_check "milter down: swaks fails (exit $rc)" test "$rc" != 0
rig_check "milter down: Postfix answered 4xx" grep -q '^<\*\* *4[0-9][0-9]' "$RUN/send.last"

# --- reload without milters ----------------------------------------------
rig_postconf 'smtpd_milters =' 'non_smtpd_milters ='
rig_postfix_reload
rig_send --from "alice@$D" --to bob@example.net --header 'Subject: after reload'
rig_wait_delivered 6 30
rig_check "after reload without milters: delivered unsigned" \
	rig_verify --expect-unsigned "$(grep -l '^Subject: after reload' "$RUN"/sink/*)"

echo "rig self-test: $RG_FAILS failed, $((SECONDS - t0)) s"
[ "$RG_FAILS" = 0 ]
