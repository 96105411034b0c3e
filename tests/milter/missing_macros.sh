#!/bin/bash
# missing_macros - no "i" macro: the log line says NOQUEUE and the message
# is still signed; a queue id that arrives only with EOH or EOM is used.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup missing_macros
rg_start
rg_miltertest missing_macros.lua
L='^relayguard\[[0-9]+\]: '
rg_expect_log "${L}NOQUEUE: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<nomacro@example\.com> header_from=<user@example\.com>\$" \
	"no macros: NOQUEUE: signed"
rg_expect_log "${L}EOHQID01: signed: .* from=<eohqid@example\.com> " \
	"queue id given at EOH is logged"
rg_expect_log "${L}EOMQID01: signed: .* from=<eomqid@example\.com> " \
	"queue id given at EOM is logged"
rg_expect_log "${L}NOQUEUE: not signed: untrusted client; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<nomacro2@example\.net> header_from=<nomacro2@example\.net>\$" \
	"untrusted without macros: NOQUEUE: not signed"
rg_expect_log_count ': (signed|not signed): ' 4 "one decision per message"
rg_finish
