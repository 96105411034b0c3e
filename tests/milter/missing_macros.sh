#!/bin/bash
# missing_macros - no "i" macro: the log line says NOQUEUE and the message
# is still signed, and relayguard says once how to make the MTA send "i";
# a queue id that arrives only with EOH or EOM is used, and so is one that
# comes only at the first stage the MTA knows it (Sendmail: MAIL FROM,
# Postfix: DATA).  Once with Postfix's macro timing, once with Sendmail's.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
rg_setup missing_macros
rg_start
L='^relayguard\[[0-9]+\]: '
for mta in $RG_MTAS; do
	s=$(rg_qsfx "$mta")
	rg_miltertest missing_macros.lua "MTA=$mta"
	rg_expect_log "${L}NOQUEUE: signed: d=example\.com s=rsa a=rsa-sha256, d=example\.com s=ed a=ed25519-sha256; conn=[0-9]+ client=localhost\[127\.0\.0\.1\] from=<nomacro$s@example\.com> header_from=<user@example\.com>\$" \
		"$mta: no macros: NOQUEUE: signed"
	rg_expect_log "${L}EOHQID01$s: signed: .* from=<eohqid$s@example\.com> " \
		"$mta: queue id given at EOH is logged"
	rg_expect_log "${L}EOMQID01$s: signed: .* from=<eomqid$s@example\.com> " \
		"$mta: queue id given at EOM is logged"
	rg_expect_log "${L}FIRST001$s: signed: .* from=<first$s@example\.com> " \
		"$mta: queue id given only at the MTA's first stage is logged"
	rg_expect_log "${L}NOQUEUE: not signed: untrusted client; conn=[0-9]+ client=mx\.example\.net\[192\.0\.2\.7\] from=<nomacro2$s@example\.net> header_from=<nomacro2$s@example\.net>\$" \
		"$mta: untrusted without macros: NOQUEUE: not signed"
	rg_expect_log_count ": (signed|not signed): .* from=<[a-z0-9]+$s@" 5 \
		"$mta: one decision per message"
done
rg_expect_log_count "${L}warning: the MTA sent no queue id \(macro i\) up to the end of a message: .*milter_end_of_data_macros = i; Sendmail: define\(\`confMILTER_MACROS_EOM', \`i, \{msg_id\}'\)\$" 1 \
	"no queue id: one warning per process, naming the fix"
rg_finish
