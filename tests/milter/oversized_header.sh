#!/bin/bash
# oversized_header - big header fields must not kill the session (raw
# client: miltertest cannot send them).  Default max_header_bytes (1M):
# a 70,000-byte X-Big field, a 65,535-byte Subject field, 5,000 small
# fields (~150 kB): all signed, all verify; a 70,008-byte Subject field (a
# signed field over what libopendkim can sign whole): not signed, with a
# log line naming the field.  Then with max_header_bytes = 4k: 5,000
# unsigned fields still sign (only signed fields are kept and counted), a
# 5 kB Subject -> EOH accept, "not signed: header larger than
# max_header_bytes".  A field
# larger than the 1 MiB packet limit may end the session, not the filter.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup oversized_header
rg_start
F=(-H 'From: User <user@example.com>' -H 'To: rcpt@example.net')

rg_client big_x --qid BIGX0001 "${F[@]}" -H 'Subject: big X-Big' \
	--big-header X-Big:70000 --verify "$PUB"
rg_expect_out big_x '^summary final=a signatures=2 verified=2$' \
	"70 kB X-Big field: signed, both signatures verify"
rg_expect_log 'BIGX0001: signed: ' "log: BIGX0001 signed"

# A signed field (Subject) of 65,535 bytes ("Subject:" + value), and one
# of 70,008 bytes.  libopendkim 2.11 copies each field into a buffer of at
# most 65,535 bytes (MAXBUFRSZ) and silently drops the rest, so relayguard
# does not sign a message with a longer signed field (it would not verify).
rg_client subj_max --qid BIGS0000 "${F[@]}" --big-header Subject:65527 \
	--verify "$PUB" >/dev/null
rg_expect_out subj_max '^summary final=a signatures=2 verified=2$' \
	"65,535-byte Subject field: signed, both signatures verify"
rg_client big_subj --qid BIGS0001 "${F[@]}" --big-header Subject:70000
rg_expect_out big_subj '^eoh: a$' "70 kB Subject field: EOH accept"
rg_expect_out big_subj '^summary final=a signatures=0 ' "... and no signature"
rg_expect_log 'BIGS0001: not signed: Subject header field longer than 65535 bytes; ' \
	"log: BIGS0001 not signed, naming the field"

rg_client many --qid MANY0001 "${F[@]}" -H 'Subject: many fields' \
	--many-headers 5000 --verify "$PUB"
rg_expect_out many '^summary final=a signatures=2 verified=2$' \
	"5,000 header fields (~150 kB): signed, both verify"
rg_expect_log 'MANY0001: signed: ' "log: MANY0001 signed"

rg_client huge --qid HUGE0001 "${F[@]}" --big-header X-Huge:1500000
rg_expect_out huge '^(summary final=a |DROPPED: )' \
	"1.5 MB field (over the 1 MiB packet limit): accepted or session dropped"
rg_expect_alive "after a 1.5 MB header field"

# the same filter with max_header_bytes = 4k: only fields that are signed
# are kept for the signer, so only they count against the limit
rg_stop
[ "$RG_STOPPED" = "exit status 0" ] || fail "stopping: $RG_STOPPED"
rg_write_conf "max_header_bytes = 4k"
rg_start
rg_client many64 --qid MANY0002 "${F[@]}" -H 'Subject: many fields' \
	--many-headers 5000 --verify "$PUB"
rg_expect_out many64 '^summary final=a signatures=2 verified=2$' \
	"4k limit, 5,000 unsigned fields (~150 kB) do not count: signed"
rg_client big64 --qid BIGX0002 "${F[@]}" --big-header Subject:5000
rg_expect_out big64 '^eoh: a$' "4k limit, a 5 kB Subject: EOH accept"
rg_expect_out big64 '^summary final=a signatures=0 ' "... and no signature"
rg_expect_log '^relayguard\[[0-9]+\]: BIGX0002: not signed: header larger than max_header_bytes; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<user@example\.com> header_from=<user@example\.com>$' \
	"log: BIGX0002 not signed: header larger than max_header_bytes"

rg_client small64 --qid SMAL0001 "${F[@]}" -H 'Subject: small again' \
	--verify "$PUB"
rg_expect_out small64 '^summary final=a signatures=2 verified=2$' \
	"4k limit: a normal message after them is signed and verifies"
rg_finish
