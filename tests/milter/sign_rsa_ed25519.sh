#!/bin/bash
# sign_rsa_ed25519 - trusted client (127.0.0.1): two signatures (RSA and
# Ed25519) inserted at index 0, From oversigned, the right body hash, both
# verify with python3-dkim, and one "signed" log line naming both, with the
# queue id.  Once with Postfix's macro timing, once with Sendmail's.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup sign_rsa_ed25519
rg_start
BH=$("$PY" "$HERE/miltclient.py" --bh 'hello world\r\n')
for mta in $RG_MTAS; do
	q=SIGN0001$(rg_qsfx "$mta")
	rg_miltertest sign_rsa_ed25519.lua "MTA=$mta" "BH=$BH" \
		"MSG=$RUN/signed-$mta.eml"
	rg_expect_log "^relayguard\[[0-9]+\]: $q: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<user@example\.com> header_from=<user@example\.com>\$" \
		"$mta: log: $q signed with both keys"
	rg_expect_log_count "$q: " 1 "$mta: exactly one log line for the message"
	if [ ! -s "$RUN/signed-$mta.eml" ]; then
		fail "$mta: miltertest wrote no message to verify"
		continue
	fi
	timeout 30 "$PY" "$HERE/miltclient.py" --verify-file \
		"$RUN/signed-$mta.eml" --verify "$PUB" > "$RUN/verify-$mta.out" 2>&1
	sed 's/^/  verify| /' "$RUN/verify-$mta.out"
	rg_expect_out "verify-$mta" '^summary signatures=2 verified=2$' \
		"$mta: both signatures verify (python3-dkim, keys from file)"
	# negative control: the verifier must notice a changed Subject
	sed 's/^Subject: relayguard milter test/Subject: relayguard milter tesT/' \
		"$RUN/signed-$mta.eml" > "$RUN/tampered-$mta.eml"
	timeout 30 "$PY" "$HERE/miltclient.py" --verify-file \
		"$RUN/tampered-$mta.eml" --verify "$PUB" > "$RUN/tampered-$mta.out" 2>&1
	rg_expect_out "tampered-$mta" '^summary signatures=2 verified=0$' \
		"$mta: negative control: a changed Subject fails both signatures"
done
rg_finish
