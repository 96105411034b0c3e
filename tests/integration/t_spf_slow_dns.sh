#!/usr/bin/env bash
# t_spf_slow_dns.sh - slow DNS cannot exhaust the SPF workers.
#
# 1. Every query ends by the evaluation's deadline, however many name
#    servers resolv.conf lists: with three servers that all drop the query
#    (timeout.test), spf_timeout = 2s and spf_dns_timeout = 20s, the worker
#    itself answers temperror with the DNS reason before the front end
#    gives up (glibc's resolver would wait a whole second per server, three
#    in all, and the front end would answer "no SPF answer" while the
#    thread stays busy).
# 2. spf_max_concurrent_per_domain: four worker threads, at most two per
#    domain.  Six checks of a domain whose DNS drops every query: two are
#    evaluated (and wait for their deadline), four are answered temperror
#    at once.  A check of another domain sent after them is answered while
#    the two slow ones still wait: the test looks only at the order in
#    which the answers arrive, and the slow ones have 8 s to go.
set -eu
. "$(dirname "$0")/lib.sh"

SPFQ=$RG_TOP/${RG_BUILD:-build}/tests/spfq
[ -x "$SPFQ" ] || { echo "FAIL: $SPFQ not built (make ${RG_BUILD:-build}/tests/spfq)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (mount namespace, spf_user)"; exit 1; }

rig_init spf_slow_dns
mkdir -p "$RUN/dns"
cat > "$RUN/dns/zone.local-data" <<EOF
local-data: 'pass.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 -all"'
EOF
rig_dns_start

# inns RESOLV CMD... - CMD with RESOLV as /etc/resolv.conf (mount namespace)
inns() {
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && shift && exec "$@"' \
		"$1" "$@"
}

# wait_for CMD... - retry CMD for up to 10 s
wait_for() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# --- 1. three name servers, one deadline ------------------------------------
printf 'nameserver %s\nnameserver %s\nnameserver %s\noptions timeout:1 attempts:1\n' \
	"$RG_DNS_IP" "$RG_DNS_IP" "$RG_DNS_IP" > "$RUN/dns/resolv3.conf"
cat > "$RUN/spf1.conf" <<EOF
spf_timeout = 2s
spf_dns_timeout = 20s
spf_user = nobody
EOF
echo "192.0.2.10 h.test user@x.timeout.test" |
	inns "$RUN/dns/resolv3.conf" "$SPFQ" -f -c "$RUN/spf1.conf" \
	> "$RUN/out1" 2> "$RUN/spfq1.log" || rig_fail "spfq failed" || true
if grep -q '^result=temperror' "$RUN/out1" &&
	grep -q '^reason=x.timeout.test: DNS lookup failed (timeout)$' "$RUN/out1"; then
	rig_pass "three silent name servers: the worker answers within spf_timeout"
else
	rig_fail "three silent name servers:" || true
	sed 's/^/    | /' "$RUN/out1"
fi

# --- 2. at most two evaluations per domain ----------------------------------
cat > "$RUN/spf2.conf" <<EOF
spf_timeout = 8s
spf_dns_timeout = 8s
spf_user = nobody
spf_max_concurrent = 4
spf_max_concurrent_per_domain = 2
EOF
mkfifo "$RUN/in"
inns "$RUN/dns/resolv.conf" "$SPFQ" -P -f -c "$RUN/spf2.conf" < "$RUN/in" \
	> "$RUN/out2" 2> "$RUN/spfq2.log" &
spfq_pid=$!
rig_track_pid "$spfq_pid" spfq
exec 7> "$RUN/in"
wait_for grep -q '^spf process' "$RUN/out2" || rig_fail "spfq did not start" || true
for i in 1 2 3 4 5 6; do
	echo "192.0.2.10 h.test user$i@x.timeout.test" >&7
done
capped() { test "$(grep -c '^reason=.*running already (spf_max_concurrent_per_domain)$' "$RUN/out2")" -ge 4; }
if wait_for capped; then
	rig_pass "four of six checks of one slow domain answered at once"
else
	rig_fail "the per-domain cap did not answer four checks:" || true
	sed 's/^/    | /' "$RUN/out2"
fi
echo "192.0.2.10 h.test user@pass.test" >&7
exec 7>&-
for i in $(seq 300); do
	kill -0 "$spfq_pid" 2>/dev/null || break
	sleep 0.1
done
wait "$spfq_pid" || rig_fail "spfq exit status $?" || true

# order - the line numbers of the answers, in the order they came
order=$(sed -n 's/^line=//p' "$RUN/out2" | tr '\n' ' ')
# slow - the lines evaluated (not capped), i.e. those that hit the DNS
slow=$(awk '/^line=/ { n = substr($0, 6) } /^reason=x.timeout.test: DNS lookup failed/ { print n }' "$RUN/out2" | tr '\n' ' ')
rig_check "seven answers ($order)" test "$(echo "$order" | wc -w)" = 7
rig_check "two checks of the slow domain were evaluated ($slow)" \
	test "$(echo "$slow" | wc -w)" = 2
pos7=$(echo "$order" | tr ' ' '\n' | grep -n '^7$' | cut -d: -f1)
ok=1
for n in $slow; do
	p=$(echo "$order" | tr ' ' '\n' | grep -n "^$n\$" | cut -d: -f1)
	[ -n "$pos7" ] && [ "$pos7" -lt "$p" ] || ok=0
done
if [ "$ok" = 1 ] && [ -n "$slow" ] &&
	awk '/^line=7$/ { f = 1 } f && /^result=/ { print; exit }' "$RUN/out2" |
	grep -q '^result=pass '; then
	rig_pass "another domain is answered (pass) while the slow ones still wait"
else
	rig_fail "the other domain waited for the slow one (order: $order)" || true
	sed 's/^/    | /' "$RUN/out2"
fi
if [ "$(grep -c 'running already (spf_max_concurrent_per_domain): answering temperror until one ends' "$RUN/spfq2.log")" = 1 ]; then
	rig_pass "the cap is logged once"
else
	rig_fail "cap log lines:" || true
	sed 's/^/    | /' "$RUN/spfq2.log"
fi

[ "$RG_FAILS" = 0 ] || { echo "$RG_FAILS failed"; exit 1; }
echo "t_spf_slow_dns: all ok"
