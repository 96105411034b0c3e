#!/bin/bash
# abort_mid_body - SMFIC_ABORT in the middle of a body and after the header
# fields, then a complete message on the same connection: only the last
# message is signed, with its own body hash, and it verifies; the aborted
# ones leave no decision in the log.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup abort_mid_body
rg_start
BH=$("$PY" "$HERE/miltclient.py" --bh 'message three body\r\n')
rg_miltertest abort_mid_body.lua "BH=$BH" "MSG=$RUN/third.eml"
rg_expect_log '^relayguard\[[0-9]+\]: ABRT0003: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<third@example\.com> header_from=<third@example\.com>$' \
	"log: message 3 signed, its own sender and From"
rg_expect_no_log 'ABRT000[12]' "aborted messages: no decision logged"
timeout 30 "$PY" "$HERE/miltclient.py" --verify-file "$RUN/third.eml" \
	--verify "$PUB" > "$RUN/verify.out" 2>&1
sed 's/^/  verify| /' "$RUN/verify.out"
rg_expect_out verify '^summary signatures=2 verified=2$' \
	"message 3's signatures verify"
rg_finish
