#!/bin/bash
# not_signed_reasons - no From, two From, a From domain without key,
# malformed From (and two more malformed shapes): EOH accept, and one
# "not signed: REASON" log line each.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup not_signed_reasons
rg_start
rg_miltertest not_signed_reasons.lua
L='^relayguard\[[0-9]+\]: '
T='; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<user@example\.com>'
rg_expect_log "${L}NOSIG001: not signed: no From header$T\$" "no From: logged"
rg_expect_log "${L}NOSIG002: not signed: several From headers$T header_from=<a@example\.com>\$" \
	"two From: logged"
rg_expect_log "${L}NOSIG003: not signed: no key for domain other\.example$T header_from=<user@other\.example>\$" \
	"From other.example: logged"
rg_expect_log "${L}NOSIG004: not signed: malformed From address$T\$" \
	"malformed From: logged"
rg_expect_log "${L}NOSIG005: not signed: unterminated comment, quote or <> in From$T\$" \
	"unterminated From: logged"
rg_expect_log "${L}NOSIG006: not signed: several addresses in From$T\$" \
	"two addresses in From: logged"
rg_expect_log_count 'NOSIG00[1-6]: ' 6 "exactly one log line per message"
rg_expect_no_log ': signed: ' "nothing signed"
rg_finish
