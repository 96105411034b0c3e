#!/usr/bin/env bash
# t_policy_shared_quota.sh - one quota shared by the two front ends, exact:
# a real Postfix with two smtpd listeners, one with the relayguard milter,
# the other with relayguard-policyd (check_policy_service at RCPT and
# END-OF-MESSAGE), both on one redis-server.  8 parallel SASL clients (4 per
# listener) send 1,000 single-recipient messages for one login whose quota
# is 100/hour: exactly 100 are delivered, the other 900 are tempfailed (at
# RCPT, or by the policy service at the end of the message), both front
# ends took part, and Redis holds exactly 100.  A mixed fleet: Redis has
# the relayguard module loaded, the milter decides with RELAYGUARD.LIMIT
# (limit_redis_module = auto), the policy service with the Lua script
# (limit_redis_module = no): both kinds counted, one exact quota.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"
. "$(dirname "$0")/policyd.sh"

rig_init policy_shared_quota
rig_dns_start
rig_keys sign.test
rig_sink_start
RR_MODULE=yes rr_start main
cat > "$RUN/limits" <<'MAP'
plan hundred
	hour		messages	100/1h
login	alice@sign.test		hundred
MAP
common=("limits = yes" "limit_map = $RUN/limits" "limit_backend = redis"
	"redis_server = 127.0.0.1:$(rr_port main)" "redis_timeout = 2s")
rg_socket_inet
rg_conf "${common[@]}" "audit_file = $RUN/audit-milter.jsonl"
rg_start
pd_socket_inet
pd_conf "${common[@]}" "audit_file = $RUN/audit-policy.jsonl" \
	"limit_redis_module = no"
pd_start
rig_postfix_start "$RG_MILTER"
# listener B: no milter, the policy service at RCPT and end of data
smtp_b=$(rig_free_port)
echo "127.0.0.1:$smtp_b inet n - n - - smtpd -o smtpd_milters= -o smtpd_recipient_restrictions=check_policy_service,$PD_POSTFIX -o smtpd_end_of_data_restrictions=check_policy_service,$PD_POSTFIX" \
	>> "$RUN/postfix/etc/master.cf"
rig_postconf "smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later"
rig_sasl_user alice@sign.test alicepw	# reloads Postfix
rig_wait_listen "127.0.0.1:$smtp_b" 10

out=$("$RG_PY" "$RG_LIB_DIR/smtp_load.py" --server "127.0.0.1:$SMTP_PORT" \
	--server "127.0.0.1:$smtp_b" --login alice@sign.test \
	--password alicepw --sender alice@sign.test --threads 8 \
	--messages 1000 2> "$RUN/load.err") || true
echo "load: $out"
rig_check "every message answered: accepted=100 tempfailed=900" \
	test "$out" = "accepted=100 tempfailed=900 rejected=0 other=0"
rig_wait_delivered 100 120
rig_check "exactly 100 delivered to the sink" test "$(rig_sink_count)" = 100
sleep 1	# the audit writers drain in the background
acc() { jq -c 'select(.stage == "END-OF-MESSAGE" and .action == "accept")' "$1" | wc -l; }
sm=$(acc "$RUN/audit-milter.jsonl")
sp=$(acc "$RUN/audit-policy.jsonl")
echo "delivered through the milter: $sm, through the policy service: $sp"
rig_check "both front ends delivered some" test "$sm" -gt 0 -a "$sp" -gt 0
rig_check "together exactly 100" test $((sm + sp)) = 100
used=$(rr_used main 'rg:{login:alice@sign.test}:hour')
rig_check "Redis: the login's hour bucket holds 100 (got $used)" test "$used" = 100
stat() { rr_cli main INFO commandstats | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p"; }
nm=$(stat relayguard.limit); ns=$(stat evalsha)
rig_check "the milter's decisions ran in the module ($nm), the policy service's in the script ($ns)" \
	test "${nm:-0}" -gt 0 -a "${ns:-0}" -gt 0
rg_expect_log 'limit decisions run in the RELAYGUARD.LIMIT module' \
	"the milter logs that it uses the module"
rig_check "the policy service (limit_redis_module = no) never asked for it" \
	test "$(pd_log_count 'RELAYGUARD')" = 0
pd_finish
