#!/usr/bin/env bash
# t_policy_postfix.sh - relayguard-policyd behind a real Postfix
# (check_policy_service at RCPT and END-OF-MESSAGE, as contrib/postfix/
# main.cf.policy): requests arrive for every recipient and at the end of
# the message, tied together by Postfix's instance and queue id, with the
# SASL login and the client Postfix saw; DUNNO lets the mail through; with
# the daemon stopped Postfix answers smtpd_policy_service_default_action
# (451 4.3.5) at RCPT and delivers nothing; once it is back, mail flows.
# The quota, forged-sender and SPF refusals are in t_policy_checks.sh,
# the quota shared with the milter in t_policy_shared_quota.sh.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/policyd.sh"

rig_init policy_postfix
rig_sink_start
pd_socket_inet
pd_conf "log_level = debug"
pd_start
rig_postfix_start
pd_postfix_wire

pd_send_expect 250 "two recipients, DUNNO: accepted" \
	--from ann@sign.test --to bo@example.net,cy@example.org \
	--header "Subject: policy 1"
pd_send_expect 250 "a SASL login from outside: accepted" \
	--xclient "ADDR=192.0.2.7 NAME=mx.outside.example LOGIN=ann@sign.test" \
	--from ann@sign.test --to bo@example.net --header "Subject: policy 2"
rig_wait_delivered 2 60

# the first message: two RCPT requests and one END-OF-MESSAGE, one instance
inst=$(sed -n 's/.*continue: RCPT from .* to=<bo@example.net> .*instance=\([^ ]*\) .*/\1/p' \
	"$RUN/policyd.log" | head -n 1)
rig_check "RCPT request for the first recipient, with an instance ($inst)" test -n "$inst"
# (Postfix has a queue id from the first accepted recipient on)
pd_expect_log "[0-9A-F]+: continue: RCPT from localhost\\[127.0.0.1\\]: DUNNO; from=<ann@sign.test> to=<cy@example.org> proto=ESMTP helo=<client.test> instance=$inst" \
	"RCPT request for the second recipient, same instance"
qid=$(sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-F]*\): message-id=.*/\1/p' \
	"$RUN/postfix/maillog" | head -n 1)
pd_expect_log "$qid: continue: END-OF-MESSAGE from localhost\\[127.0.0.1\\]: DUNNO; from=<ann@sign.test> to=<> proto=ESMTP helo=<client.test> instance=$inst" \
	"END-OF-MESSAGE request with Postfix's queue id $qid and the same instance"
pd_expect_log "continue: RCPT from mx.outside.example\\[192.0.2.7\\]: DUNNO; from=<ann@sign.test> to=<bo@example.net> proto=ESMTP helo=<client.test> sasl_username=ann@sign.test instance=" \
	"the client address and SASL login Postfix saw"
conns=$(grep -c 'connected (' "$RUN/policyd.log" || true)
reqs=$(grep -c ': continue: ' "$RUN/policyd.log" || true)
rig_check "5 requests ($reqs) over long-lived connections ($conns)" \
	test "$reqs" = 5 -a "$conns" -lt 5

# the daemon stopped: Postfix's default action, nothing delivered
pd_stop
pd_send_expect 451 "policy service down: smtpd_policy_service_default_action at RCPT" \
	--from ann@sign.test --to bo@example.net --header "Subject: policy 3"
rig_check "the reply is the configured default action" \
	grep -q '451 4.3.5 <bo@example.net>: Recipient address rejected: Policy service unavailable, try again later' "$RUN/send.last"
rig_check "nothing more delivered" test "$(rig_sink_count)" = 2
rig_check "Postfix logged that it could not reach the policy service" \
	grep -qE "warning: (connect to|problem talking to server) 127.0.0.1:$PD_PORT" \
	"$RUN/postfix/maillog"

# back again: mail flows
pd_start
pd_send_expect 250 "policy service back: accepted again" \
	--from ann@sign.test --to bo@example.net --header "Subject: policy 4"
rig_wait_delivered 3 60
pd_finish
