#!/usr/bin/env bash
# t_dkim_canon_python.sh - relayguard's DKIM body canonicalizer
# (core/dkimcanon.c) gives the same body hashes as python3-dkim's, simple
# and relaxed, for a hand-written list of bodies, 3000 seeded random ones
# and the bodies of the committed fuzz corpus, each fed whole, byte by byte
# and in 7-byte pieces (dkimcanon_py.py says how the bodies reach dkimpy).
# No rig: only the dkimcanon_hash tool and Debian's python3-dkim.
set -eu
. "$(dirname "$0")/lib.sh"

tool=$RG_TOP/${RG_BUILD:-build}/tests/dkimcanon_hash
[ -x "$tool" ] || { echo "FAIL: $tool not built (make $tool)"; exit 1; }
"$RG_PY" -c 'import dkim' || { echo "FAIL: python3-dkim missing"; exit 1; }
if out=$("$RG_PY" "$RG_LIB_DIR/dkimcanon_py.py" "$tool" \
	"$RG_TOP/tests/fuzz/corpus/dkimcanon"); then
	rig_pass "$(echo "$out" | tail -n 1)"
else
	echo "$out" | head -n 20 | sed 's/^/    | /'
	rig_fail "relayguard and python3-dkim differ"
fi
[ "$RG_FAILS" = 0 ] && echo "all checks passed"
[ "$RG_FAILS" = 0 ]
