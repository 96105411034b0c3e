#!/bin/bash
# sign_error - a signing failure at run time, caused from outside: a signed
# header field named "X;Semi" (sign_headers lists it here; legal in RFC
# 5322, passed on by Postfix, impossible in h=).  on_sign_error = tempfail (default): EOH gets
# 451 4.7.1 via setreply; accept: EOH accept, unsigned; reject: 550 5.7.0.
# Each logs "signing failed ... (on_sign_error=MODE)" and the connection
# then signs a normal message.  (driver: sign_error.py)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sign_error
rg_write_conf "sign_headers = from, to, subject, date, message-id, x;semi"
rg_start
rg_py_scenario sign_error.py tempfail
for mode in accept reject; do
	rg_stop
	[ "$RG_STOPPED" = "exit status 0" ] || fail "stopping: $RG_STOPPED"
	rg_write_conf "on_sign_error = $mode" \
		"sign_headers = from, to, subject, date, message-id, x;semi"
	rg_start
	rg_py_scenario sign_error.py "$mode"
done
# A malformed DKIM-Signature already in the message is not a signed field:
# it never reaches the signer (which would refuse it), the message signs.
rg_client oldsig --qid SERROLD1 -H 'From: User <user@example.com>' \
	-H 'DKIM-Signature: garbage' --verify "$PUB" >/dev/null
rg_expect_out oldsig '^summary final=a signatures=2 ' \
	"a message with 'DKIM-Signature: garbage' is signed"
rg_expect_log_count 'SERR000[123]: signing failed' 3 \
	"one failure line per failed message"
rg_expect_log_count 'SERR000[123]OK: signed: ' 3 "three follow-up messages signed"
rg_finish
