#!/bin/bash
# body_edge_cases - bodies and header values an MTA may pass (raw client):
# NUL bytes, bare LF and bare CR, an empty body, 8-bit header values, a
# 50 MB body in 64 KiB chunks.  Each is signed (two signatures) and
# verifies; bodies with bare CR/LF verify in their CRLF form (what the
# filter signs: libopendkim's FIXCRLF).  The filter's resident memory after
# the 50 MB message must be less than 20 MB above what it was before.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup body_edge_cases
rg_start
F=(-H 'From: User <user@example.com>' -H 'To: rcpt@example.net')

rg_client nul --qid BODY0001 "${F[@]}" -H 'Subject: NUL bytes' \
	--body 'line one\r\nNUL here:\0:and\0\0there\r\nend\r\n' --verify "$PUB"
rg_expect_out nul '^summary final=a signatures=2 verified=2$' \
	"NUL bytes in the body: signed, verifies"

rg_client bare --qid BODY0002 "${F[@]}" -H 'Subject: bare LF and CR' \
	--body 'bare LF\nnext\r\nbare CR\rnext\r\nboth\n\r\nend\r\n' \
	--verify "$PUB" --verify-fixcrlf
rg_expect_out bare '^summary final=a signatures=2 verified=2$' \
	"bare LF and bare CR in the body: signed, verifies in CRLF form"

rg_client empty --qid BODY0003 "${F[@]}" -H 'Subject: empty body' \
	--body '' --verify "$PUB"
rg_expect_out empty '^summary final=a signatures=2 verified=2$' \
	"empty body: signed, verifies"
rg_expect_out_fixed empty "bh=$("$PY" "$HERE/miltclient.py" --bh ''):" \
	"empty body: bh= is the hash of the empty body"

rg_client eightbit --qid BODY0004 \
	-H 'From: J\xe9r\xf4me M\xfcller <user@example.com>' \
	-H 'To: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= <rcpt@example.net>' \
	-H 'Subject: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln \xe2\x82\xac' \
	--body 'caf\xc3\xa9\r\n' --verify "$PUB"
rg_expect_out eightbit '^summary final=a signatures=2 verified=2$' \
	"8-bit header values (UTF-8, Latin-1 From name): signed, verify"

# warm up with a 1 MB message, then measure around the 50 MB one
rg_client warm --qid BODY0005 "${F[@]}" -H 'Subject: warm-up' \
	--body-bytes 1000000 --chunk 65536 >/dev/null
rss0=$(rg_rss_kb)
rg_client big --qid BODY0006 "${F[@]}" -H 'Subject: 50 MB' \
	--body-bytes 50000000 --chunk 65536 --verify "$PUB"
rss1=$(rg_rss_kb)
rg_expect_out big '^summary final=a signatures=2 verified=2$' \
	"50 MB body in 64 KiB chunks: signed, both verify"
grow=$((rss1 - rss0))
if [ "${RG_SAN:-0}" = 1 ]; then
	echo "note: RSS growth ${grow} kB not judged under ASan (quarantine)"
elif [ "$grow" -lt 20480 ]; then
	ok "RSS before ${rss0} kB, after ${rss1} kB: grew ${grow} kB (< 20 MB)"
else
	fail "RSS before ${rss0} kB, after ${rss1} kB: grew ${grow} kB (>= 20 MB)"
fi
for q in 1 2 3 4 6; do
	rg_expect_log "BODY000$q: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; " \
		"log: BODY000$q signed"
done
rg_finish
