#!/usr/bin/env bash
# t_unix_socket_user.sh - relayguard on a unix socket, dropping privileges
# to an unprivileged user (nobody) that owns the keys: the socket gets the
# configured group and mode so Postfix's smtpd (user postfix) reaches it,
# the daemon runs as nobody, mail is signed and verifies, and a reload
# (which reads the keys again as nobody) works.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init unix_user
rig_dns_start
RG_KEY_OWNER=nobody rig_keys sign.test
rig_sink_start
rg_socket_unix
rg_conf "user = nobody" "socket_group = postfix" "socket_mode = 0660"
rg_start
rig_postfix_start "$RG_MILTER"

sock=$RUN/relayguard.sock
rig_check "socket is group postfix, mode 660" \
	test "$(stat -c '%G %a' "$sock")" = "postfix 660"
rig_check "daemon runs as nobody" \
	test "$(ps -o user= -p "$RG_PID" | tr -d ' ')" = nobody
rig_send --from a@sign.test --to b@example.net --header "Subject: unix 1"
kill -HUP "$RG_PID"
for _ in $(seq 50); do
	[ "$(rg_log_count 'reloaded configuration')" = 1 ] && break
	sleep 0.1
done
rg_expect_log 'reloaded configuration \(generation 2\)' \
	"reload as nobody re-reads the keys"
rig_send --from a@sign.test --to b@example.net --header "Subject: unix 2"
rig_wait_delivered 2 60
rig_check "both messages verify" rig_verify "$RUN"/sink/*
rig_check "the reload did not stop the daemon" kill -0 "$RG_PID"
rg_finish
