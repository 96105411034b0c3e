#!/usr/bin/env bash
# t_policy_no_eom.sh - relayguard-policyd asked at RCPT only: messages are
# counted at DATA or END-OF-MESSAGE, so a Postfix without
# smtpd_end_of_data_restrictions (the way rate-limit daemons are usually
# wired) gets reservations that never become counts.  The service says so:
#   - wired as documented (RCPT and END-OF-MESSAGE), 25 messages over more
#     than limit_lease_time: no warning, every message counted;
#   - asked at RCPT only, 25 messages over more than limit_lease_time: one
#     warning naming smtpd_end_of_data_restrictions, nothing refused;
#   - 25 more: still one (at most one an hour).
# Real Postfix, real smtp-source, limit_backend = memory.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/policyd.sh"

WARN='no DATA or END-OF-MESSAGE request came: no message is counted.*smtpd_end_of_data_restrictions'

rig_init policy_no_eom
rig_sink_start
printf 'plan wide\n\thour messages 100000/1h\nip * wide\n' > "$RUN/limits"
pd_socket_inet
pd_conf "limits = yes" "limit_map = $RUN/limits" "limit_lease_time = 1s" \
	"audit_file = $RUN/audit.jsonl"
pd_start
rig_postfix_start
pd_postfix_wire

# burst N - N messages from 127.0.0.1, one session each; all accepted
burst() {
	smtp-source -s 1 -m "$1" -l 200 -f a@example.org -t b@example.net \
		-S 'no eom' -M client.test "127.0.0.1:$SMTP_PORT" ||
		rig_fail "smtp-source: a message of $1 was refused"
}

burst 10
sleep 1.5
burst 15
rig_wait_delivered 25 60
rig_check "RCPT and END-OF-MESSAGE: no warning" \
	test "$(pd_log_count "$WARN")" = 0
# counted: audited at END-OF-MESSAGE, where the count happens
counted() {
	jq -r 'select(.stage == "END-OF-MESSAGE" and .action == "accept") | .sender' \
		"$RUN/audit.jsonl" 2>/dev/null | grep -c . || true
}
for _ in $(seq 50); do [ "$(counted)" -ge 25 ] && break; sleep 0.1; done
rig_check "RCPT and END-OF-MESSAGE: 25 messages counted" test "$(counted)" = 25

rig_postconf "smtpd_end_of_data_restrictions ="
rig_postfix_reload
burst 10
sleep 1.5
burst 15
rig_wait_delivered 50 60
for _ in $(seq 50); do
	[ "$(pd_log_count "$WARN")" != 0 ] && break
	sleep 0.1
done
pd_expect_log "limits: [0-9]+ transactions reserved at RCPT in [0-9]+ s and $WARN" \
	"RCPT only: the warning names the missing restriction"
burst 25
rig_wait_delivered 75 60
rig_check "RCPT only: one warning, not one per message" \
	test "$(pd_log_count "$WARN")" = 1
rig_check "RCPT only: no message counted" test "$(counted)" = 25
pd_finish
