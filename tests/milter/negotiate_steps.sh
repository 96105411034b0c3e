#!/bin/bash
# negotiate_steps - the filter negotiates only the protocol steps, actions
# and macros its configuration needs, per connection, and every check
# still works with them: signing only (no HELO, RCPT, DATA), then after a SIGHUP to limits + abuse control + SPF + audit
# (HELO, RCPT, quarantine; the quota refuses at RCPT) while a session
# opened before keeps its own; limits only over TCP (no header, EOH,
# body, DATA).  (driver: negotiate_steps.py)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup negotiate_steps "spf_check = no" "internal_hosts = 127.0.0.0/8"
printf 'plan two\n\thour messages 2/1h\nsender * two\n' > "$RUN/limits"
cp "$CONF" "$RUN/sign.conf"
{
	cat "$RUN/sign.conf"
	echo "limits = yes"
	echo "limit_map = $RUN/limits"
	echo "abuse_control = yes"
	echo "spf_check = yes"
	echo "audit_file = $RUN/audit.jsonl"
} | grep -v '^spf_check = no$' > "$RUN/full.conf"
rg_start
rg_py_scenario negotiate_steps.py sign
rg_expect_log 'NEGS0001: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256' \
	"signed with both keys, only the steps it needs"
rg_stop
[ "$RG_STOPPED" = "exit status 0" ] || fail "stopping: $RG_STOPPED"

# limits only, over TCP: a config of its own, no key table
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SOCK=inet:$port@127.0.0.1
cat > "$CONF" <<CONF
socket = $SOCK
pid_file = $RUN/relayguard.pid
spf_check = no
sender_login_check = no
internal_hosts = 127.0.0.0/8
limits = yes
limit_map = $RUN/limits
CONF
rg_start
rg_py_scenario negotiate_steps.py limits
rg_finish
