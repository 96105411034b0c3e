#!/bin/bash
# author_fields - the author fields an attacker writes (From, Sender,
# Resent-From, Resent-Sender) refused at the end of the header through the
# milter protocol, with the reason in the log: for a SASL login a field
# that cannot be read, or a Resent-* address it does not own; for an
# outside client our domain wherever a mail client would show it in a
# field that cannot be read.  Once with Postfix's macro timing, once with
# Sendmail's.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup author_fields
rg_start
for mta in $RG_MTAS; do
	s=$(rg_qsfx "$mta")
	rg_miltertest author_fields.lua "MTA=$mta"
	for q in AUTH1 AUTH2 AUTH3; do
		rg_expect_log "^relayguard\[[0-9]+\]: $q$s: reject: END-OF-HEADER: 553 5\.7\.1 empty address in From: the author cannot be checked; reason=sender-unreadable; .* sasl_username=user@example\.com\$" \
			"$mta: $q: an empty mailbox in a login's From: 553"
	done
	rg_expect_log "^relayguard\[[0-9]+\]: AUTH4$s: reject: END-OF-HEADER: 553 5\.7\.1 <x@other\.example>: sender address not owned by login user@example\.com; reason=sender-not-owned;" \
		"$mta: AUTH4: a Resent-From the login does not own: 553"
	rg_expect_log "^relayguard\[[0-9]+\]: AUTH5$s: reject: END-OF-HEADER: 553 5\.7\.1 unterminated comment, quote or <> in Resent-Sender: the author cannot be checked; reason=sender-unreadable;" \
		"$mta: AUTH5: an unreadable RESENT-SENDER: 553"
	rg_expect_log "^relayguard\[[0-9]+\]: AUTH6$s: reject: END-OF-HEADER: 553 5\.7\.1 malformed group in From: the author cannot be checked; reason=sender-unreadable;" \
		"$mta: AUTH6: a group named like an address: 553"
	rg_expect_log "^relayguard\[[0-9]+\]: AUTH7$s: not signed: no address in From; " \
		"$mta: AUTH7: an empty group names nobody: accepted unsigned"
	for q in OUT1 OUT2 OUT3 OUT4 OUT5; do
		rg_expect_log "^relayguard\[[0-9]+\]: $q$s: reject: END-OF-HEADER: 550 5\.7\.1 <ceo@example\.com>: example\.com is a local domain, authenticate to send as it; reason=own-domain-spoof; .* from=<x@other\.example>" \
			"$mta: $q: our domain in an unreadable author field: 550"
	done
	rg_expect_log "^relayguard\[[0-9]+\]: OUT6$s: not signed: untrusted client; " \
		"$mta: OUT6: unreadable, none of ours: passed unsigned"
done
rg_finish
