#!/usr/bin/env bash
# t_policy_replies.sh - relayguard-policyd's actions through a real Postfix,
# with engine verdicts chosen by the recipient (tests/policy/
# script_engine.c) while the engine's own checks are stubs: a tempfail is
# Postfix's "451 4.7.1 <rcpt>: Recipient address rejected: <our text>" at
# RCPT, before DATA, and nothing is delivered; a reject is "553 5.7.1 ...";
# in a message to two recipients only the refused one is left out; a
# verdict header with policy_prepend_headers arrives once in the delivered
# message, even with two recipients.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/policyd.sh"

rig_init policy_replies
rig_sink_start
pd_build_scripted
pd_socket_inet
pd_conf "policy_prepend_headers = yes"
pd_start
rig_postfix_start
pd_postfix_wire

pd_send_expect 451 "tempfail verdict: 451 at RCPT" \
	--from ann@sign.test --to tempfail@example.net --header "Subject: t1"
rig_check "... with the verdict's code and text" \
	grep -q '451 4.7.1 <tempfail@example.net>: Recipient address rejected: hourly quota reached' \
	"$RUN/send.last"
rig_check "... before DATA (no DATA command sent)" bash -c "! grep -q '^ *-> DATA' '$RUN/send.last'"
pd_send_expect 553 "reject verdict: 553 at RCPT" \
	--from ann@sign.test --to reject@example.net --header "Subject: t2"
rig_check "... with the verdict's code and text" \
	grep -q '553 5.7.1 <reject@example.net>: Recipient address rejected: sender address not owned by the login' \
	"$RUN/send.last"
pd_send_expect 250 "two recipients, one refused: accepted for the other" \
	--from ann@sign.test --to ok@example.net,tempfail2@example.net \
	--header "Subject: t3"
pd_send_expect 250 "a verdict header, two recipients" \
	--from ann@sign.test --to header1@example.net,header2@example.net \
	--header "Subject: t4"
rig_wait_delivered 2 60
t4=$(grep -l '^Subject: t4' "$RUN"/sink/*)
rig_check "t3 went to ok@ only" test \
	"$(grep -c 'to=<ok@example.net>.*status=sent' "$RUN/postfix/maillog") $(grep -c 'to=<tempfail2@example.net>.*status=sent' "$RUN/postfix/maillog")" = "1 0"
rig_check "t4 has the PREPENDed header exactly once" \
	test "$(grep -c '^Authentication-Results: relay.test; spf=pass smtp.mailfrom=example.com' "$t4")" = 1
rig_check "Postfix logged our 451 with its queue-less NOQUEUE line" \
	grep -q 'NOQUEUE: reject: RCPT from localhost\[127.0.0.1\]: 451 4.7.1 <tempfail@example.net>: Recipient address rejected: hourly quota reached' \
	"$RUN/postfix/maillog"
pd_finish
