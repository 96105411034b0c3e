#!/bin/bash
# inet_socket - the basic signing test (sign_rsa_ed25519.lua, same checks)
# over socket = inet:PORT@127.0.0.1 with a free port, which must be bound
# to 127.0.0.1 only; plus the raw client over TCP.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
started=0
for _ in 1 2 3; do	# the free port may be taken before we bind it
	port=$(rg_free_port)
	SOCK=inet:$port@127.0.0.1
	if [ -z "$RUN" ]; then
		rg_setup inet_socket
	else
		rg_write_conf
	fi
	if rg_start_try; then
		started=1
		break
	fi
	echo "port $port: start failed, trying another"
done
[ "$started" = 1 ] || { fail "relayguard did not start on an inet socket"; rg_finish; }
ok "listening on $SOCK"
if command -v ss >/dev/null; then
	bound=$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | tr '\n' ' ')
	if [ "$bound" = "127.0.0.1:$port " ]; then
		ok "bound to 127.0.0.1:$port only"
	else
		fail "port $port bound as: $bound"
	fi
fi
BH=$("$PY" "$HERE/miltclient.py" --bh 'hello world\r\n')
rg_miltertest sign_rsa_ed25519.lua "BH=$BH" "MSG=$RUN/signed.eml"
rg_expect_log '^relayguard\[[0-9]+\]: SIGN0001: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<user@example\.com> header_from=<user@example\.com>$' \
	"log: SIGN0001 signed with both keys"
timeout 30 "$PY" "$HERE/miltclient.py" --verify-file "$RUN/signed.eml" \
	--verify "$PUB" > "$RUN/verify.out" 2>&1
rg_expect_out verify '^summary signatures=2 verified=2$' \
	"both signatures verify"
rg_client tcp --qid INET0002 -H 'From: User <user@example.com>' \
	-H 'Subject: over TCP' --verify "$PUB" >/dev/null
rg_expect_out tcp '^summary final=a signatures=2 verified=2$' \
	"raw client over TCP: signed, verifies"
rg_finish
