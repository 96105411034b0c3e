#!/bin/bash
# sign_rsa_ed25519 - trusted client (127.0.0.1): two signatures (RSA and
# Ed25519) inserted at index 0, From oversigned, the right body hash, both
# verify with python3-dkim, and one "signed" log line naming both.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sign_rsa_ed25519
rg_start
BH=$("$PY" "$HERE/miltclient.py" --bh 'hello world\r\n')
rg_miltertest sign_rsa_ed25519.lua "BH=$BH" "MSG=$RUN/signed.eml"
rg_expect_log '^relayguard\[[0-9]+\]: SIGN0001: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<user@example\.com> header_from=<user@example\.com>$' \
	"log: SIGN0001 signed with both keys"
rg_expect_log_count 'SIGN0001: ' 1 "exactly one log line for the message"
if [ -s "$RUN/signed.eml" ]; then
	timeout 30 "$PY" "$HERE/miltclient.py" --verify-file "$RUN/signed.eml" \
		--verify "$PUB" > "$RUN/verify.out" 2>&1
	sed 's/^/  verify| /' "$RUN/verify.out"
	rg_expect_out verify '^summary signatures=2 verified=2$' \
		"both signatures verify (python3-dkim, keys from file)"
	# negative control: the verifier must notice a changed Subject
	sed 's/^Subject: relayguard milter test/Subject: relayguard milter tesT/' \
		"$RUN/signed.eml" > "$RUN/tampered.eml"
	timeout 30 "$PY" "$HERE/miltclient.py" --verify-file "$RUN/tampered.eml" \
		--verify "$PUB" > "$RUN/tampered.out" 2>&1
	rg_expect_out tampered '^summary signatures=2 verified=0$' \
		"negative control: a changed Subject fails both signatures"
else
	fail "miltertest wrote no message to verify"
fi
rg_finish
