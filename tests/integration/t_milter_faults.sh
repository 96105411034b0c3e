#!/usr/bin/env bash
# t_milter_faults.sh - faults of the milter process under real load (M1,
# M3): SIGHUP every 100 ms, alternating a good and a broken configuration,
# while 400 messages flow: every message is delivered and signed, none is
# refused.  Then relayguard is killed with SIGKILL in the middle of a load
# and restarted: Postfix answers 451 for what it could not filter
# (milter_default_action = tempfail), everything it accepted is delivered
# and signed: 0 lost, 0 unsigned.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init milter_faults
rig_dns_start
rig_keys sign.test
rig_sink_start
rg_socket_inet
rg_conf
cp "$RUN/relayguard.conf" "$RUN/good.conf"
rg_start
rig_postfix_start "$RG_MILTER"

# --- M3: reloads during load ------------------------------------------------
(
	for i in $(seq 60); do
		if [ $((i % 2)) = 0 ]; then
			echo "no_such_key = 1" >> "$RUN/relayguard.conf"
		else
			cp "$RUN/good.conf" "$RUN/relayguard.conf"
		fi
		kill -HUP "$RG_PID" 2>/dev/null || exit 0
		sleep 0.1
	done
	cp "$RUN/good.conf" "$RUN/relayguard.conf"
) &
hup=$!
smtp-source -s 10 -m 400 -l 2048 -f load@sign.test -t r@example.net \
	"127.0.0.1:$SMTP_PORT" || rig_fail "smtp-source saw an error reply" || true
wait "$hup" || true
rig_wait_delivered 400 120
rig_check "M3: reloads happened" test "$(rg_log_count 'reloaded configuration')" -ge 20
rig_check "M3: bad reloads were refused" test "$(rg_log_count 'reload failed')" -ge 20
rig_check "M3: 400 signed" test "$(rg_log_count ': signed: ')" = 400
unsigned=$(grep -L '^DKIM-Signature:' "$RUN"/sink/* | wc -l)
rig_check "M3: no delivered message unsigned" test "$unsigned" = 0
rig_check "M3: no milter tempfail in the maillog" \
	test "$(grep -c 'milter-reject' "$RUN/postfix/maillog" || true)" = 0
# shellcheck disable=SC2046
rig_check "M3: a sample of 20 verifies" rig_verify $(ls "$RUN"/sink/* | shuf -n 20)

# --- M1: SIGKILL mid-load ----------------------------------------------------
rm -f "$RUN"/sink/*
before=$(grep -c ': signed: ' "$RUN/relayguard.log")
smtp-source -A -s 5 -m 2000 -l 2048 -f kill@sign.test -t r@example.net \
	"127.0.0.1:$SMTP_PORT" > "$RUN/source.out" 2>&1 &
src=$!
sleep 1
rig_stop_pid "$RG_PID" KILL
sleep 1
rg_start
wait "$src" || true
sleep 2
accepted=$(grep -c 'postfix/qmgr.*from=<kill@sign.test>' "$RUN/postfix/maillog" || true)
refused=$(grep -c 'milter-reject.*451 4.7.1' "$RUN/postfix/maillog" || true)
rig_wait_delivered "$accepted" 120
delivered=$(rig_sink_count)
rig_check "M1: Postfix refused some with 451 4.7.1 ($refused)" test "$refused" -gt 0
rig_check "M1: every accepted message delivered ($delivered of $accepted)" \
	test "$delivered" = "$accepted"
rig_check "M1: none delivered unsigned" \
	test "$(grep -L '^DKIM-Signature:' "$RUN"/sink/* | wc -l)" = 0
after=$(grep -c ': signed: ' "$RUN/relayguard.log")
rig_check "M1: signed lines match deliveries" test $((after - before)) -ge "$delivered"
rg_finish
