#!/usr/bin/env bash
# t_sendmail.sh - relayguard on a real Sendmail.  Debian's
# sendmail-bin is unpacked, not installed (sm.sh), and run on 127.0.0.1 with
# the lines of contrib/sendmail/relayguard.mc, relaying to the rig's sink:
#   - mail from an internal client (127.0.0.1) and from a SASL login on an
#     outside address (127.0.0.2) is signed and verifies with python3-dkim;
#     mail from the outside address without a login is passed unsigned;
#   - a login sending as an address it does not own is refused (553 5.7.1),
#     also when it hides in a header From that cannot be read; so is an
#     outside client using our domain (550 5.7.1);
#   - a login over its quota is tempfailed (451 4.7.1) at RCPT;
#   - relayguard logs Sendmail's own queue id, for the untrusted client too
#     (Sendmail knows it at MAIL FROM), and the right one for each of two
#     messages sent over one SMTP session;
#   - a "sendmail -bs" session (no network peer) is not trusted by address;
#   - the macros also arrive when Sendmail's global macro lists leave them
#     out: relayguard asks for them itself (smfi_setsymlist);
#   - a '%' in a reply text (an SPF explanation) reaches Sendmail as '?':
#     the client gets relayguard's 550 5.7.23 with the explanation (a
#     single '%' made Sendmail drop the text for its default reply);
#   - with relayguard gone, F=T makes Sendmail answer 451: nothing passes
#     unsigned.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/sm.sh"

rig_init sendmail
rig_dns_start
rig_keys sign.test
rig_sink_start
rg_socket_inet
# 127.0.0.2 (also loopback) plays a client outside internal_hosts; the
# login alice owns alice@sign.test
printf 'alice  alice@sign.test\n' > "$RUN/owners"
RG_BASE_CONF=("internal_hosts = 127.0.0.1/32" "sender_login_map = $RUN/owners")
rg_conf "${RG_BASE_CONF[@]}"
rg_start
sm_unpack
sm_user alice alice-secret
sm_start "$(sm_milter_snippet "$RG_SOCKET")"
rig__log "$SM_VERSION on 127.0.0.1:$SM_PORT, relayguard on $RG_SOCKET"

# sm_log_has ERE DESC - Sendmail's log has a matching line
sm_log_has() {
	if grep -qE -- "$1" "$RUN/sendmail/maillog"; then
		rig_pass "$2"
	else
		rig_fail "$2 (no /$1/ in Sendmail's log)" || true
		sm_show_log 15
	fi
}

# --- the snippet made it into sendmail.cf ---------------------------------
cf=$RUN/sendmail/sendmail.cf
rig_check "sendmail.cf: relayguard is the input filter" \
	grep -qx 'O InputMailFilters=relayguard' "$cf"
rig_check "sendmail.cf: F=T and the timeouts of the snippet" \
	grep -qx "Xrelayguard, S=$RG_SOCKET, F=T, T=C:10s;S:30s;R:30s;E:5m" "$cf"
rig_check "sendmail.cf: i and {auth_authen} at MAIL FROM" \
	grep -qE '^O Milter\.macros\.envfrom=i, .*\{auth_authen\}' "$cf"
rig_check "sendmail.cf: i at end of header and end of message" \
	grep -qE '^O Milter\.macros\.eoh=i$' "$cf"

# --- internal client: signed, Sendmail's queue id in the log --------------
sm_send --from inside@sign.test --to rcpt@example.net \
	--header "Subject: internal client"
qid_in=$(sm_qid)
sm_send -li 127.0.0.2 --auth PLAIN --auth-user alice \
	--auth-password alice-secret --from alice@sign.test \
	--to rcpt@example.net --header "Subject: sasl login"
qid_sasl=$(sm_qid)
sm_send -li 127.0.0.2 --from outside@outside.test --to rcpt@example.net \
	--header "Subject: outside client"
qid_out=$(sm_qid)
rig_check "Sendmail gave three queue ids" \
	test -n "$qid_in" -a -n "$qid_sasl" -a -n "$qid_out"
sm_wait_delivered 3 30

f_in=$(grep -l '^Subject: internal client' "$RUN"/sink/*)
f_sasl=$(grep -l '^Subject: sasl login' "$RUN"/sink/*)
f_out=$(grep -l '^Subject: outside client' "$RUN"/sink/*)
rig_check "internal client: signed through Sendmail, both signatures verify" \
	rig_verify "$f_in"
rig_check "internal client: one rsa-sha256 and one ed25519-sha256 signature" \
	test "$(grep -c 'a=rsa-sha256' "$f_in") $(grep -c 'a=ed25519-sha256' "$f_in")" = "1 1"
rg_expect_log "^relayguard\\[[0-9]+\\]: $qid_in: signed: d=sign.test s=rsa a=rsa-sha256, d=sign.test s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\\[127.0.0.1\\] from=<inside@sign.test> header_from=<inside@sign.test>\$" \
	"log: internal client signed, with Sendmail's queue id $qid_in"
sm_log_has "^$qid_in: from=<inside@sign.test>, " \
	"Sendmail's log has the same queue id $qid_in"
rig_check "SASL login from outside: signed, both signatures verify" \
	rig_verify "$f_sasl"
rg_expect_log "^relayguard\\[[0-9]+\\]: $qid_sasl: signed: .* client=unknown\\[127.0.0.2\\] from=<alice@sign.test> sasl_username=alice " \
	"log: SASL login signed, {auth_authen} from Sendmail"
rig_check "outside client without login: delivered unsigned" \
	rig_verify --expect-unsigned "$f_out"
rg_expect_log "^relayguard\\[[0-9]+\\]: $qid_out: not signed: untrusted client; conn=[0-9]+ client=unknown\\[127.0.0.2\\] from=<outside@outside.test> header_from=<outside@outside.test> spf=none\$" \
	"log: untrusted client, with Sendmail's queue id ($qid_out)"
before=$(rig_sink_count)
if RG_SEND_QUIET=1 sm_send -li 127.0.0.2 --from spoof@sign.test \
	--to rcpt@example.net --header "Subject: spoof"; then
	rig_fail "outside client using our domain: Sendmail accepted it" || true
fi
rig_check "outside client using our domain: 550 5.7.1 at MAIL FROM" \
	grep -qE '^<[-*]+ +550 5\.7\.1 <spoof@sign\.test>.*sign\.test is a local domain' "$RUN/send.last"
rg_expect_log ": reject: MAIL: 550 5\\.7\\.1 <spoof@sign\\.test>: .*reason=own-domain-spoof; .*client=unknown\\[127\\.0\\.0\\.2\\]" \
	"log: the spoof refused, with Sendmail's queue id"

# --- two messages over one SMTP session: each its own queue id -----------
smtp-source -d -s 1 -m 2 -l 300 -f twice@sign.test -t rcpt@example.net \
	-M client.test "127.0.0.1:$SM_PORT" ||
	rig_fail "smtp-source: an unexpected reply" || true
sm_wait_delivered 5 30
sm_ids=$(sed -n 's/^\([A-Za-z0-9]*\): from=<twice@sign.test>, .*/\1/p' \
	"$RUN/sendmail/maillog" | sort)
rg_ids=$(sed -n 's/^relayguard\[[0-9]*\]: \([A-Za-z0-9]*\): signed: .* from=<twice@sign.test> .*/\1/p' \
	"$RUN/relayguard.log" | sort)
rig_check "one session, two messages: two queue ids in Sendmail's log" \
	test "$(echo "$sm_ids" | sort -u | wc -w)" = 2
rig_check "one session, two messages: relayguard logs the same two ids" \
	test "$rg_ids" = "$sm_ids"
# shellcheck disable=SC2046
rig_check "one session, two messages: both signed and verified" \
	rig_verify $(grep -l '^From: <twice@sign.test>' "$RUN"/sink/*)

# --- "sendmail -bs": no network peer, so no client address ----------------
# (Local mail normally goes through Sendmail's MSP, which hands it to the
# daemon over SMTP from 127.0.0.1; a -bs session run against sendmail.cf
# itself reaches the milter with an unknown address family.)
before=$(rig_sink_count)
sm_send_bs --from local@outside.test --to rcpt@example.net \
	--header "Subject: sendmail -bs"
qid_bs=$(sm_qid)
sm_wait_delivered $((before + 1)) 30
rg_expect_log "^relayguard\\[[0-9]+\\]: $qid_bs: not signed: untrusted client; conn=[0-9]+ client=localhost\\[unknown\\] from=<local@outside.test> header_from=<local@outside.test>\$" \
	"sendmail -bs: no client address, not trusted without a login"

# --- limits: a login over its quota --------------------------------
# A quota of 2 messages an hour for the login alice: the third message is
# refused with 451 4.7.1 at RCPT by Sendmail (relayguard's reply passed
# on), nothing of it is delivered, relayguard logs "QID: tempfail: ...
# sasl_username=alice" with Sendmail's queue id.
printf 'plan two\n\thour messages 2/1h\nlogin alice two\n' > "$RUN/limits"
SM_QUOTA_CONF=("limits = yes" "limit_map = $RUN/limits")
check_quota_tempfail() {
	local n before
	rg_stop
	rg_conf "${RG_BASE_CONF[@]}" "${SM_QUOTA_CONF[@]}"
	rg_start
	before=$(rig_sink_count)
	for n in 1 2; do
		sm_send -li 127.0.0.2 --auth PLAIN --auth-user alice \
			--auth-password alice-secret --from alice@sign.test \
			--to rcpt@example.net --header "Subject: quota $n"
	done
	if RG_SEND_QUIET=1 sm_send -li 127.0.0.2 --auth PLAIN \
		--auth-user alice --auth-password alice-secret \
		--from alice@sign.test --to rcpt@example.net \
		--header "Subject: quota 3"; then
		rig_fail "login over quota: Sendmail accepted the third message" || true
	fi
	rig_check "login over quota: 451 4.7.1 from Sendmail" \
		grep -qE '^<[-*]+ +451 4\.7\.1 ' "$RUN/send.last"
	sm_wait_delivered $((before + 2)) 30 || true
	rg_expect_log '^relayguard\[[0-9]+\]: [0-9A-Za-z]+: tempfail: RCPT: 451 4\.7\.1 hour quota exceeded for login:alice, .* sasl_username=alice' \
		"log: login over quota tempfailed, with Sendmail's queue id"
}
check_quota_tempfail

# --- sender authentication: a forged sender ----------------------
# alice owns alice@sign.test only: sending as boss@sign.test is refused
# with 553 5.7.1 by Sendmail at MAIL FROM, nothing is delivered, relayguard
# logs "QID: reject: MAIL: 553 ... sasl_username=alice".
SM_FORGED_CONF=("sender_login_map = $RUN/owners")
check_forged_sender() {
	local before
	rg_stop
	rg_conf "internal_hosts = 127.0.0.1/32" "${SM_FORGED_CONF[@]}"
	rg_start
	before=$(rig_sink_count)
	if RG_SEND_QUIET=1 sm_send -li 127.0.0.2 --auth PLAIN \
		--auth-user alice --auth-password alice-secret \
		--from boss@sign.test --to rcpt@example.net \
		--header "Subject: forged"; then
		rig_fail "forged sender: Sendmail accepted it" || true
	fi
	rig_check "forged sender: 5xx 5.7.1 from Sendmail" \
		grep -qE '^<[-*]+ +5[0-9][0-9] 5\.7\.1 ' "$RUN/send.last"
	sm_wait_delivered "$before" 30 &&
		rig_pass "forged sender: nothing delivered" ||
		rig_fail "forged sender: something was delivered" || true
	rg_expect_log ': reject: MAIL: 553 5\.7\.1 <boss@sign\.test>: sender address not owned by login alice; .* from=<boss@sign.test> sasl_username=alice' \
		"log: forged sender refused"
	# her own envelope, but a From another address hides behind an
	# empty mailbox in: 553 at the end of the header through Sendmail
	if RG_SEND_QUIET=1 sm_send -li 127.0.0.2 --auth PLAIN \
		--auth-user alice --auth-password alice-secret \
		--from alice@sign.test --to rcpt@example.net \
		--header "From: boss@sign.test, <>" \
		--header "Subject: forged header"; then
		rig_fail "unreadable header From: Sendmail accepted it" || true
	fi
	rig_check "unreadable header From: 553 5.7.1 from Sendmail" \
		grep -qE '^<[-*]+ +553 5\.7\.1 .*the author cannot be checked' "$RUN/send.last"
	sm_wait_delivered "$before" 30 &&
		rig_pass "unreadable header From: nothing delivered" ||
		rig_fail "unreadable header From: something was delivered" || true
}
check_forged_sender

# --- a '%' in a reply text: still the 5xx ---------------------------------
# Sendmail does not pass on a milter reply whose text holds a single '%'
# (libmilter asks for '%%'): 8.17 answers its default "550 5.7.1 Command
# rejected" instead, so the SPF reason and its 5.7.23 are lost (measured
# before the fix).  An SPF explanation (exp=) is text from the sender's
# DNS: "100%%" expands to "100%".  relayguard's replies carry no '%': the
# client gets 550 5.7.23 with the explanation, '%' shown as '?', and
# nothing is delivered.
check_percent_reply() {
	local before
	rig_dns_add 'pct.test. 60 TXT "v=spf1 -all exp=why.pct.test"' \
		'why.pct.test. 60 TXT "100%% forged: %{s} may not use %{i}"'
	before=$(rig_sink_count)
	if RG_SEND_QUIET=1 sm_send -li 127.0.0.2 --from x@pct.test \
		--to rcpt@example.net --header "Subject: percent"; then
		rig_fail "a '%' in the SPF explanation: Sendmail accepted it" || true
	fi
	rig_check "a '%' in the SPF explanation: still 550 5.7.23 from Sendmail" \
		grep -E '^<[-*]+ +550 5\.7\.23 (<x@pct\.test>\.\.\. )?SPF fail: 127\.0\.0\.2 is not allowed to send mail for pct\.test: 100\? forged: x@pct\.test may not use 127\.0\.0\.2$' "$RUN/send.last"
	sm_wait_delivered "$before" 30 &&
		rig_pass "a '%' in the SPF explanation: nothing delivered" ||
		rig_fail "a '%' in the SPF explanation: something was delivered" || true
	rg_expect_log ': reject: MAIL: 550 5\.7\.23 SPF fail: .* 100\? forged: .*reason=spf-fail; .*from=<x@pct\.test>' \
		"log: the SPF refusal, the text as the client got it"
}
check_percent_reply

# --- macros without Sendmail's global lists: smfi_setsymlist ---------------
# Only the INPUT_MAIL_FILTER line of the snippet, and global lists without
# i and {auth_authen}: what relayguard logs proves that Sendmail sent the
# macros relayguard asked for when it connected.
sm_stop || true
filter_line=$(sm_milter_snippet "$RG_SOCKET" | grep '^INPUT_MAIL_FILTER(')
sm_start "$filter_line" \
	"define(\`confMILTER_MACROS_CONNECT', \`j')dnl" \
	"define(\`confMILTER_MACROS_ENVFROM', \`{mail_addr}')dnl" \
	"define(\`confMILTER_MACROS_ENVRCPT', \`{rcpt_addr}')dnl" \
	"define(\`confMILTER_MACROS_EOM', \`{msg_id}')dnl"
rig_check "second sendmail.cf: no i in any global macro list" \
	test -z "$(grep -E '^O Milter\.macros\.[a-z]+=(.*[ ,])?i(,|$)' "$RUN/sendmail/sendmail.cf")"
before=$(rig_sink_count)
sm_send -li 127.0.0.2 --auth PLAIN --auth-user alice \
	--auth-password alice-secret --from alice@sign.test \
	--to rcpt@example.net --header "Subject: symlist"
qid_sym=$(sm_qid)
sm_wait_delivered $((before + 1)) 30
rg_expect_log "^relayguard\\[[0-9]+\\]: $qid_sym: signed: .* from=<alice@sign.test> sasl_username=alice " \
	"setsymlist: queue id $qid_sym and {auth_authen} without global lists"

# --- relayguard gone: F=T, Sendmail tempfails ------------------------------
rg_stop
before=$(rig_sink_count)
if RG_SEND_QUIET=1 sm_send --from inside@sign.test --to rcpt@example.net \
	--header "Subject: filter down"; then
	rig_fail "relayguard stopped: Sendmail accepted the message" || true
fi
# Sendmail 8.17 answers MAIL FROM with "451 4.3.2 Please try again later"
rig_check "relayguard stopped: Sendmail answers 451 (F=T)" \
	grep -qE '^<[-*]+ +451 4\.[0-9]\.[0-9] ' "$RUN/send.last"
# (a queued message would be seen: the wait needs an empty queue)
sm_wait_delivered "$before" 30 && rig_pass "relayguard stopped: nothing delivered" ||
	rig_fail "relayguard stopped: something was delivered" || true
sm_log_has 'Milter \(relayguard\): error connecting to filter' \
	"Sendmail's log: the filter could not be reached"
sm_log_has 'Milter: initialization failed, temp failing commands' \
	"Sendmail's log: temp failing commands (F=T)"

sm_stop && rig_pass "Sendmail stopped, its port is free" || true
[ "$RG_FAILS" = 0 ] || sm_show_log 30
rg_finish
