#!/usr/bin/env bash
# t_spf_dns.sh - SPF through the real path: build/tests/spfq -> spfclient ->
# the SPF process (re-executed, running as spf_user) -> glibc resolver ->
# the rig's unbound.  spfq runs in a private mount namespace with the rig's
# resolv.conf bind-mounted over /etc/resolv.conf.
#
# Covers every result, include/redirect, mx, IPv6 and IPv4-mapped clients,
# macros (libspf2's truncation bug D7), the 10-lookup limit, void lookups,
# syntax errors, a timed-out / SERVFAIL / REFUSED lookup answered within
# spf_timeout although one query alone may wait 20 s, an answer too big for
# UDP (D11), the worker killed with SIGKILL in the middle of a request
# (that request temperror, the next one served by a new worker), the
# worker's uid and restrictions, and pyspf's verdicts on the same DNS.
set -eu
. "$(dirname "$0")/lib.sh"

SPFQ=$RG_TOP/${RG_BUILD:-build}/tests/spfq
[ -x "$SPFQ" ] || { echo "FAIL: $SPFQ not built (make ${RG_BUILD:-build}/tests/spfq)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (mount namespace, spf_user)"; exit 1; }

rig_init spf_dns
mkdir -p "$RUN/dns"
# 1,400 bytes of record: more than a plain 512-byte UDP answer holds
pad=$(printf 'x%.0s' $(seq 1 200))
big='"v=spf1 '
for i in 1 2 3 4 5 6; do big="$big\" \"pad$i=$pad "; done
big="$big\" \"ip4:192.0.2.0/24 -all\""
cat > "$RUN/dns/zone.local-data" <<EOF
local-data: 'pass.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"'
local-data: 'pass.test. 60 A 192.0.2.1'
local-data: 'soft.test. 60 TXT "v=spf1 ip4:192.0.2.0/24 ~all"'
local-data: 'neutral.test. 60 TXT "v=spf1 ?all"'
local-data: 'nospf.test. 60 A 192.0.2.1'
local-data: 'helo.pass.test. 60 TXT "v=spf1 a:pass.test -all"'
local-data: 'inc.test. 60 TXT "v=spf1 include:pass.test -all"'
local-data: 'redir.test. 60 TXT "v=spf1 redirect=pass.test"'
local-data: 'mx.test. 60 TXT "v=spf1 mx -all"'
local-data: 'mx.test. 60 MX 10 pass.test.'
local-data: 'dup.test. 60 TXT "v=spf1 +all"'
local-data: 'dup.test. 60 TXT "v=spf1 -all"'
local-data: 'loop.test. 60 TXT "v=spf1 include:loop.test -all"'
local-data: 'many.test. 60 TXT "v=spf1 a:a1.test a:a2.test a:a3.test a:a4.test a:a5.test a:a6.test a:a7.test a:a8.test a:a9.test a:a10.test a:a11.test -all"'
local-data: 'a1.test. 60 A 203.0.113.1'
local-data: 'a2.test. 60 A 203.0.113.1'
local-data: 'a3.test. 60 A 203.0.113.1'
local-data: 'a4.test. 60 A 203.0.113.1'
local-data: 'a5.test. 60 A 203.0.113.1'
local-data: 'a6.test. 60 A 203.0.113.1'
local-data: 'a7.test. 60 A 203.0.113.1'
local-data: 'a8.test. 60 A 203.0.113.1'
local-data: 'a9.test. 60 A 203.0.113.1'
local-data: 'a10.test. 60 A 203.0.113.1'
local-data: 'a11.test. 60 A 203.0.113.1'
local-data: 'void.test. 60 TXT "v=spf1 a:v1.test a:v2.test a:v3.test -all"'
local-data: 'macro.test. 60 TXT "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"'
local-data: '10.2.0.192.user._spf.macro.test. 60 A 127.0.0.2'
local-data: 'trunc.test. 60 TXT "v=spf1 exists:%{d2}.ok.test -all"'
local-data: 'trunc.test.ok.test. 60 A 127.0.0.2'
local-data: 'badmacro.test. 60 TXT "v=spf1 exists:%{z}.badmacro.test -all"'
local-data: 'exp.test. 60 TXT "v=spf1 -all exp=why.exp.test"'
local-data: 'why.exp.test. 60 TXT "%{i} may not send for %{d}"'
local-data: 'syntax.test. 60 TXT "v=spf1 ip4:192.0.2.0/33 -all"'
local-data: 'zero.test. 60 TXT "v=spf1 ip4:0.0.0.0/0 -all"'
local-data: 'numeric.test. 60 TXT "v=spf1 a:foo.123 -all"'
local-data: 'inctimeout.test. 60 TXT "v=spf1 include:x.timeout.test -all"'
local-data: 'incservfail.test. 60 TXT "v=spf1 include:x.servfail.test -all"'
local-data: 'big.test. 60 TXT $big'
local-data: 'mm.test. 60 TXT "v=spf1 a:macro%%percent%_%_space%-url-space.mm.test -all"'
local-data: 'macro%percent\\032\\032space%20url-space.mm.test. 60 A 192.0.2.10'
EOF
rig_dns_start

cat > "$RUN/spf.conf" <<EOF
spf_timeout = 2s
spf_dns_timeout = 20s
spf_user = nobody
spf_max_concurrent = 4
authserv_id = mx.rig.test
EOF

# inns CMD... - CMD with the rig's resolv.conf, in a mount namespace
inns() {
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$RUN/dns/resolv.conf" "$@"
}

# --- every case through the SPF process -------------------------------------
cat > "$RUN/cases" <<EOF
192.0.2.10 h.test user@pass.test
198.51.100.1 h.test user@pass.test
198.51.100.1 h.test user@soft.test
198.51.100.1 h.test user@neutral.test
198.51.100.1 h.test user@nospf.test
192.0.2.10 h.test user@inc.test
198.51.100.1 h.test user@inc.test
192.0.2.10 h.test user@redir.test
198.51.100.1 h.test user@redir.test
192.0.2.1 h.test user@mx.test
2001:db8::5 h.test user@pass.test
::ffff:192.0.2.10 h.test user@pass.test
192.0.2.1 helo.pass.test <>
192.0.2.10 h.test user@macro.test
192.0.2.10 h.test user@trunc.test
192.0.2.10 h.test user@many.test
192.0.2.10 h.test user@loop.test
192.0.2.10 h.test user@void.test
192.0.2.10 h.test user@syntax.test
192.0.2.10 h.test user@badmacro.test
192.0.2.10 h.test user@dup.test
198.51.100.1 h.test user@zero.test
192.0.2.10 h.test user@numeric.test
198.51.100.1 h.test user@exp.test
192.0.2.10 h.test user@x.timeout.test
192.0.2.10 h.test user@inctimeout.test
192.0.2.10 h.test user@incservfail.test
192.0.2.10 h.test user@x.refused.test
192.0.2.10 h.test user@big.test
192.0.2.10 h.test user@mm.test
EOF
inns "$SPFQ" -f -c "$RUN/spf.conf" < "$RUN/cases" > "$RUN/out" 2> "$RUN/spfq.log" ||
	{ cat "$RUN/spfq.log"; rig_fail "spfq failed"; }

# result_of N - the result line of the Nth case
result_of() {
	awk -v n="$1" '/^result=/ { if (++i == n) { print; exit } }' "$RUN/out"
}
# block_of N - all lines of the Nth case
block_of() {
	awk -v n="$1" '/^result=/ { i++ } i == n { print } /^\.$/ && i == n { exit }' "$RUN/out"
}

# expect N RESULT DESC [PATTERN] - case N gave RESULT (and PATTERN in its block)
expect() {
	local n=$1 want=$2 desc=$3 pat=${4:-}
	local got
	got=$(result_of "$n")
	if [ "${got#result="$want" }" = "$got" ]; then
		rig_fail "$desc: want $want, got: $got" || true
		return
	fi
	if [ -n "$pat" ] && ! block_of "$n" | grep -qE -- "$pat"; then
		rig_fail "$desc: no /$pat/ in:" || true
		block_of "$n" | sed 's/^/    | /'
		return
	fi
	rig_pass "$desc: $want"
}

expect 1 pass "ip4 match" 'mech=ip4:192.0.2.0/24'
expect 2 fail "no match, -all" 'verdict=reject 550 5.7.23'
expect 3 softfail "~all" 'verdict=continue'
expect 4 neutral "?all"
expect 5 none "domain without SPF record"
expect 6 pass "include: pass"
expect 7 fail "include: no match goes on to -all"
expect 8 pass "redirect= pass"
expect 9 fail "redirect= fail"
expect 10 pass "mx mechanism"
expect 11 pass "IPv6 client, ip6 mechanism"
expect 12 pass "IPv4-mapped IPv6 client checked as IPv4"
expect 13 pass "null sender: postmaster@HELO" '^Authentication-Results: mx.rig.test; spf=pass .* smtp.helo=helo.pass.test$'
expect 14 pass "macro %{l1r+-} keeps the whole local part (libspf2: fail, D7)"
expect 15 pass "macro %{d2} of a two-label domain (libspf2: fail, D7)"
expect 16 permerror "11 DNS-querying terms" 'more than 10 DNS-querying terms'
expect 17 permerror "include loop" 'reason=more than 10'
expect 18 permerror "three void lookups (libspf2: fail)" 'void lookups'
expect 19 permerror "prefix /33" 'reason=SPF record of syntax.test'
expect 20 permerror "unknown macro letter" 'macro'
expect 21 permerror "two SPF records" '2 SPF records'
expect 22 pass "ip4 prefix /0 (libspf2: permerror)"
expect 23 permerror "numeric top label (libspf2 looks it up)" 'top label'
expect 24 fail "exp= explanation expanded" 'verdict=reject 550 5.7.23 .*: 192.0.2.10|198.51.100.1 may not send for exp.test'
expect 25 temperror "sender's own record times out" 'verdict=tempfail 451 4.7.24'
expect 25 temperror "the worker's own deadline gives the DNS reason" \
	'^reason=x.timeout.test: DNS lookup failed'
expect 26 temperror "include: lookup times out"
expect 27 temperror "include: SERVFAIL"
expect 28 temperror "REFUSED"
expect 29 pass "record over 512 bytes (TCP or EDNS0)"
expect 30 pass "macro-encoded percents and spaces (%%, %_, %-) looked up as expanded" \
	'mech=a:macro%%percent%_%_space%-url-space.mm.test'

# the time bound: one query alone could wait 20 s (spf_dns_timeout), the
# whole evaluation must end near spf_timeout = 2 s.  10 s leaves room for a
# loaded machine and still fails if the deadline were not enforced.
for n in 25 26; do
	ms=$(result_of "$n" | sed -n 's/.* ms=\([0-9]*\).*/\1/p')
	if [ -n "$ms" ] && [ "$ms" -lt 10000 ]; then
		rig_pass "case $n: temperror after $ms ms (bound 2000 ms, one query may take 20000)"
	else
		rig_fail "case $n: timed-out lookup took ${ms:-?} ms" || true
	fi
done

# --- pyspf, the independent oracle, on the cases where it follows RFC 7208 ---
# (pyspf is skipped for the timeouts: it waits 20 s per query)
{ head -n 24 "$RUN/cases"; sed -n 30p "$RUN/cases"; } > "$RUN/oracle.cases"
inns "$RG_PY" -c '
import sys, spf
for line in open(sys.argv[1]):
    ip, helo, sender = line.split()[:3]
    if sender == "<>":
        sender = ""
    print(spf.check2(i=ip, s=sender, h=helo, timeout=5)[0])
' "$RUN/oracle.cases" > "$RUN/oracle" 2> "$RUN/oracle.err" ||
	{ cat "$RUN/oracle.err"; rig_fail "pyspf failed" || true; }
sed -n 's/^result=\([a-z]*\) .*/\1/p' "$RUN/out" | sed -n '1,24p;30p' > "$RUN/ours"
if diff -u "$RUN/oracle" "$RUN/ours" > "$RUN/oracle.diff"; then
	rig_pass "pyspf agrees on all $(wc -l < "$RUN/oracle") cases"
else
	rig_fail "pyspf disagrees:" || true
	sed 's/^/    | /' "$RUN/oracle.diff"
fi

# --- the worker: who it runs as, SIGKILL in the middle of a request ---------
# a long query (8 s) leaves time to see it in flight on a loaded machine;
# the killed request still ends at once
sed -e 's/^spf_timeout = .*/spf_timeout = 10s/' \
	-e 's/^spf_dns_timeout = .*/spf_dns_timeout = 8s/' "$RUN/spf.conf" > "$RUN/spf2.conf"
mkfifo "$RUN/in"
inns "$SPFQ" -f -c "$RUN/spf2.conf" < "$RUN/in" > "$RUN/out2" 2> "$RUN/spfq2.log" &
spfq_pid=$!
rig_track_pid "$spfq_pid" spfq
exec 7> "$RUN/in"

# wait_for CMD... - retry CMD for up to 10 s
wait_for() {
	local i
	for i in $(seq 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
wait_for grep -q '^spf process' "$RUN/out2" || rig_fail "spfq did not start"
sup=$(sed -n 's/^spf process //p' "$RUN/out2")
worker_of() { ps -o pid= --ppid "$1" | tr -d ' ' | head -n 1; }
wait_for test -n "$(worker_of "$sup")" || rig_fail "no worker under $sup"
worker=$(worker_of "$sup")
nobody=$(id -u nobody)
for p in "$sup" "$worker"; do
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$p/status")
	nnp=$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$p/status")
	if [ "$uids" = "$nobody $nobody $nobody $nobody" ] && [ "$nnp" = 1 ]; then
		rig_pass "pid $p runs as nobody ($uids), NoNewPrivs 1"
	else
		rig_fail "pid $p: uids $uids, NoNewPrivs $nnp" || true
	fi
done
# only stdin/stdout/stderr, the control socket and nothing else
fds=$(find "/proc/$worker/fd" -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' ')
case $fds in
"0 1 2 3 ") rig_pass "worker holds only fds 0-3" ;;
*) rig_fail "worker fds: $fds" || true ;;
esac
# a private key of the front end's user: the worker cannot read it
mkdir -m 700 "$RUN/keys"
echo secret > "$RUN/keys/k.private"
chmod 600 "$RUN/keys/k.private"
if setpriv --reuid="$nobody" --regid="$(id -g nobody)" --clear-groups \
	cat "$RUN/keys/k.private" > /dev/null 2>&1; then
	rig_fail "spf_user can read a 0600 key of root" || true
else
	rig_pass "spf_user cannot read the keys"
fi

# a request that waits on a dropped query, then SIGKILL the worker while
# its query socket is open
echo "192.0.2.10 h.test user@x.timeout.test" >&7
in_query() { ss -Hunp "dst $RG_DNS_IP:53" | grep -q "pid=$worker,"; }
if wait_for in_query; then
	kill -KILL "$worker"
	wait_for grep -q '^result=' "$RUN/out2" || true
	if grep -q '^reason=SPF worker died' "$RUN/out2" &&
		grep -q '^result=temperror' "$RUN/out2"; then
		rig_pass "worker killed mid-request: that request is temperror"
	else
		rig_fail "killed worker:" || true
		sed 's/^/    | /' "$RUN/out2"
	fi
else
	rig_fail "the worker never had a query in flight" || true
fi
echo "192.0.2.10 h.test user@pass.test" >&7
wait_for test "$(grep -c '^result=' "$RUN/out2")" -ge 2 || true
if [ "$(grep '^result=' "$RUN/out2" | sed -n 2p | cut -d' ' -f1)" = result=pass ]; then
	rig_pass "next request served by a new worker"
else
	rig_fail "after the kill:" || true
	sed 's/^/    | /' "$RUN/out2"
fi
if grep -q "worker pid $worker killed by signal 9; starting a new one" "$RUN/spfq2.log"; then
	rig_pass "supervisor logged the restart"
else
	rig_fail "no restart log line:" || true
	sed 's/^/    | /' "$RUN/spfq2.log"
fi
exec 7>&-
wait "$spfq_pid" || rig_fail "spfq exit status $?" || true
sleep 0.2
if kill -0 "$sup" 2> /dev/null; then
	rig_fail "SPF process $sup still runs after spfq exited" || true
else
	rig_pass "SPF process ended with its front end"
fi

[ "$RG_FAILS" = 0 ] || { echo "$RG_FAILS failed"; exit 1; }
echo "t_spf_dns: all ok"
