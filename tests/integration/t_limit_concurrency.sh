#!/usr/bin/env bash
# t_limit_concurrency.sh - one quota, exact across MTA nodes: two relayguard
# instances sharing one redis-server, each the milter of its own smtpd
# listener of a real Postfix; 8 parallel SASL-authenticated SMTP clients
# (4 per listener) send 1,000 single-recipient messages for one login whose
# quota is 100/hour.  Exactly 100 are delivered, the other 900 get
# 451 4.7.1 at RCPT, delivered + tempfailed = sent, both instances took
# part, and Redis holds exactly 100 for the login.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"

rig_init limit_concurrency
rig_dns_start
rig_keys sign.test
rig_sink_start
rr_start main
cat > "$RUN/limits" <<'MAP'
plan hundred
	hour		messages	100/1h
login	alice@sign.test		hundred
MAP
common=("limits = yes" "limit_map = $RUN/limits" "limit_backend = redis"
	"redis_server = 127.0.0.1:$(rr_port main)" "redis_timeout = 2s")
# instance A: the rig's usual one
rg_socket_inet
rg_conf "${common[@]}"
rg_start
milter_a=$RG_MILTER
# instance B: a second relayguard, same Redis, its own socket and files
port_b=$(rig_free_port)
sed -e "s|^socket = .*|socket = inet:$port_b@127.0.0.1|" \
	-e "s|^pid_file = .*|pid_file = $RUN/relayguard-b.pid|" \
	"$RUN/relayguard.conf" > "$RUN/relayguard-b.conf"
unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
	"$RUN/dns/resolv.conf" "$RG_BIN" -f -e -c "$RUN/relayguard-b.conf" \
	>> "$RUN/relayguard-b.log" 2>&1 &
rig_track_pid $! relayguard-b
rig_wait_listen "inet:$port_b@127.0.0.1" 10
rig_postfix_start "$milter_a"
# a second smtpd listener of the same Postfix, with instance B as milter
smtp_b=$(rig_free_port)
echo "127.0.0.1:$smtp_b inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$port_b -o non_smtpd_milters=inet:127.0.0.1:$port_b" \
	>> "$RUN/postfix/etc/master.cf"
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
na=$(grep -c ': tempfail: RCPT: 451 4\.7\.1 hour quota exceeded for login:alice@sign\.test' "$RUN/relayguard.log" || true)
nb=$(grep -c ': tempfail: RCPT: 451 4\.7\.1 hour quota exceeded for login:alice@sign\.test' "$RUN/relayguard-b.log" || true)
sa=$(grep -c ': signed: ' "$RUN/relayguard.log" || true)
sb=$(grep -c ': signed: ' "$RUN/relayguard-b.log" || true)
echo "instance A: $sa signed, $na tempfailed; instance B: $sb signed, $nb tempfailed"
rig_check "the two instances logged 900 tempfails together" test $((na + nb)) = 900
rig_check "the two instances signed 100 together" test $((sa + sb)) = 100
rig_check "both instances took part" test "$na" -gt 0 -a "$nb" -gt 0
used=$(rr_used main 'rg:{login:alice@sign.test}:hour')
rig_check "Redis: the login's hour bucket holds 100 (got $used)" test "$used" = 100
rg_finish
