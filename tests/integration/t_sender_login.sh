#!/usr/bin/env bash
# t_sender_login.sh - sender authentication on a real Postfix with real SASL
# logins (Cyrus sasldb), clients authenticating with swaks:
#   - a login sending as itself passes and is signed;
#   - as an address the map delegates to it (and as its whole domain);
#   - as another tenant's address: 553 5.7.1 at MAIL FROM;
#   - with a matching envelope but a forged header From or Sender: 553 5.7.1
#     at the end of the header, nothing delivered;
#   - the null sender and a bare <postmaster>: 553 at MAIL FROM;
#   - an outside client without login using our domain: 550 5.7.1, in MAIL
#     FROM and in the header From;
#   - nothing forged is ever signed or delivered.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init sender_login
rig_dns_start
rig_keys sign.test
rig_keys other.test
rig_sink_start
cat > "$RUN/senders" <<'MAP'
# login              may send as
alice@sign.test      sales@sign.test
bob                  @other.test
MAP
rg_socket_inet
rg_conf "sender_login_map = $RUN/senders"
rg_start
rig_postfix_start "$RG_MILTER"
rig_postconf "smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
	"relay_domains = example.net"
rig_sasl_user alice@sign.test alicepw
rig_sasl_user bob bobpw

# send AS_LOGIN PASS MAIL_FROM HEADER_FROM SUBJECT [SWAKS-ARGS...]
send() {
	local login=$1 pass=$2 from=$3 hfrom=$4 subj=$5
	shift 5
	rig_send --auth PLAIN --auth-user "$login" --auth-password "$pass" \
		--from "$from" --to rcpt@example.net \
		--header "From: $hfrom" --header "Subject: $subj" "$@"
}

# refused WHAT REPLY-ERE CMD... - CMD fails and the transcript has REPLY-ERE
refused() {
	local what=$1 ere=$2
	shift 2
	if RG_SEND_QUIET=1 "$@"; then
		rig_fail "$what: accepted" || true
	elif grep -qE "^<\*\* $ere" "$RUN/send.last"; then
		rig_pass "$what"
	else
		rig_fail "$what: no /$ere/ reply" || true
		sed 's/^/    | /' "$RUN/send.last" | tail -n 12
	fi
}

# --- allowed -------------------------------------------------------------
rig_check "alice as herself: accepted" \
	send alice@sign.test alicepw alice@sign.test "Alice <alice@sign.test>" "self"
rig_check "alice as a delegated address: accepted" \
	send alice@sign.test alicepw sales@sign.test "Sales <sales@sign.test>" "delegated"
rig_check "bob (no address login) as his whole domain: accepted" \
	send bob bobpw anyone@other.test "Bob <anyone@other.test>" "domain"

# --- refused -------------------------------------------------------------
refused "alice as another tenant's address: 553 at MAIL FROM" \
	'553 5\.7\.1 <anyone@other\.test>: sender address not owned by login alice@sign\.test' \
	send alice@sign.test alicepw anyone@other.test "X <anyone@other.test>" "tenant"
grep -q 'MAIL FROM:<anyone@other.test>' "$RUN/send.last" &&
	! grep -q '^ *-> DATA' "$RUN/send.last" &&
	rig_pass "refused before DATA: no body sent" ||
	rig_fail "the refused client got as far as DATA" || true
refused "alice with her envelope but a forged From: 553 after the header" \
	'553 5\.7\.1 <ceo@other\.test>: sender address not owned by login alice@sign\.test' \
	send alice@sign.test alicepw alice@sign.test "CEO <ceo@other.test>" "forged from"
refused "alice with a forged Sender field: 553" \
	'553 5\.7\.1 <x@other\.test>: sender address not owned' \
	send alice@sign.test alicepw alice@sign.test "Alice <alice@sign.test>" "forged sender" \
	--header "Sender: x@other.test"
refused "alice with two From addresses, one forged: 553" \
	'553 5\.7\.1 <ceo@other\.test>' \
	send alice@sign.test alicepw alice@sign.test "alice@sign.test, ceo@other.test" "two from"
refused "bob outside his domain: 553" \
	'553 5\.7\.1 <bob@sign\.test>: sender address not owned by login bob' \
	send bob bobpw bob@sign.test "Bob <bob@sign.test>" "bob outside"
refused "null sender from a login: 553" \
	'553 5\.7\.1 <>: sender address not owned by login alice@sign\.test' \
	send alice@sign.test alicepw "<>" "Alice <alice@sign.test>" "null sender"
refused "bare <postmaster> from a login: 553" \
	'553 5\.7\.1 <postmaster' \
	send alice@sign.test alicepw postmaster "Alice <alice@sign.test>" "postmaster"
refused "outside client using our domain in MAIL FROM: 550" \
	'550 5\.7\.1 <spoof@sign\.test>: sign\.test is a local domain' \
	rig_send --xclient "ADDR=192.0.2.7 NAME=mx.outside.example" \
	--from spoof@sign.test --to rcpt@example.net --header "Subject: spoof env"
refused "outside client using our domain in From: 550" \
	'550 5\.7\.1 <ceo@sign\.test>: sign\.test is a local domain' \
	rig_send --xclient "ADDR=192.0.2.7 NAME=mx.outside.example" \
	--from x@outside.test --to rcpt@example.net \
	--header "From: CEO <ceo@sign.test>" --header "Subject: spoof hdr"
rig_check "outside client with its own domain: accepted" \
	rig_send --xclient "ADDR=192.0.2.7 NAME=mx.outside.example" \
	--from x@outside.test --to rcpt@example.net \
	--header "From: X <x@outside.test>" --header "Subject: outside ok"

rig_wait_delivered 4 60
signed=$(grep -l '^DKIM-Signature:' "$RUN"/sink/* | sort)
rig_check "3 delivered messages signed, the outside one not" \
	test "$(echo "$signed" | wc -w)" = 3
# shellcheck disable=SC2086
rig_check "the signatures verify" rig_verify $signed
for s in self delegated domain; do
	f=$(grep -l "^Subject: $s\$" "$RUN"/sink/*) || true
	rig_check "'$s' delivered and signed" test -n "$f" -a -n "$(grep -l '^DKIM-Signature' $f)"
done
f=$(grep -l '^Subject: domain$' "$RUN"/sink/*)
rig_check "bob's message signed with other.test's key" grep -q 'd=other.test' "$f"
for s in tenant "forged from" "forged sender" "two from" "bob outside" \
	"null sender" postmaster "spoof env" "spoof hdr"; do
	rig_check "'$s' never delivered" sh -c "! grep -l '^Subject: $s\$' $RUN/sink/*"
done
rg_expect_log 'reject: MAIL: 553 5\.7\.1 <anyone@other\.test>: sender address not owned by login alice@sign\.test; reason=sender-not-owned; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<anyone@other\.test> sasl_username=alice@sign\.test' \
	"log: the MAIL FROM refusal with login and reason"
rg_expect_log '[0-9A-F]+: reject: END-OF-HEADER: 553 5\.7\.1 <ceo@other\.test>: .* header_from=<ceo@other\.test>' \
	"log: the header From refusal with the queue id"
rg_finish
