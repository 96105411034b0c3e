#!/bin/bash
# close_without_connect - sessions that end early must not hurt the filter:
# connect the socket and close at once; negotiate and close; negotiate,
# CONNECT and close; cut off in the middle of the header; a packet with an
# absurd length.  Each twice.  The filter must stay up and, with
# max_connections = 3, still take a normal connection afterwards (no
# leaked connection count), whose message is signed and verifies.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup close_without_connect "max_connections = 3"
rg_start
for round in 1 2; do
	for mode in close negotiate-close connect-close header-close garbage; do
		rg_client "$mode-$round" --mode "$mode" --qid "CUT$round" >/dev/null ||
			fail "client --mode $mode (round $round) failed"
		rg_alive || { fail "filter died after --mode $mode"; break 2; }
	done
done
ok "ten cut-off sessions sent"
rg_expect_alive "after the cut-off sessions"
rg_expect_out garbage-1 '^garbage: filter (closed|dropped)' \
	"absurd packet length: the filter drops the session"
rg_expect_no_log 'CUT[12]: (signed|not signed)' \
	"no decision logged for the cut-off messages"
sleep 0.3	# let the filter's session threads see the hang-ups
rg_client after --qid AFTER0001 -H 'From: User <user@example.com>' \
	-H 'Subject: after the cut-off sessions' --verify "$PUB"
rg_expect_out after '^connect: noreply$' \
	"next connection accepted (connection count not leaked)"
rg_expect_out after '^summary final=a signatures=2 verified=2$' \
	"next message signed twice, both verify"
rg_expect_log '^relayguard\[[0-9]+\]: AFTER0001: signed: ' "log: AFTER0001 signed"
rg_expect_no_log 'max_connections' "no connection refused as overload"
rg_finish
