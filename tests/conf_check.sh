#!/bin/sh
# conf_check.sh - every key of the settings table (relayguard -d) appears
# in conf/relayguard.conf with its default and in conf/relayguard.conf.5,
# and neither names a key the table does not have.
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
defaults=$("${RG_BIN:-build/relayguard}" -d) || { echo "relayguard -d failed"; exit 1; }
keys=$(echo "$defaults" | sed 's/ = .*//')
for key in $keys; do
	def=$(echo "$defaults" | sed -n "s/^$key = //p" | cut -c1-40)
	have=$(sed -n "s/^#$key = //p" conf/relayguard.conf | cut -c1-40)
	if [ "$have" != "$def" ] && ! grep -q "^#$key =\$" conf/relayguard.conf; then
		echo "conf/relayguard.conf: #$key = $def: missing or other default ($have)"
		rc=1
	fi
	grep -q "^\.IP \\\\fB$key\\\\fR" conf/relayguard.conf.5 ||
		{ echo "conf/relayguard.conf.5: no .IP entry for $key"; rc=1; }
done
for key in $(sed -n 's/^#\([a-z_]*\) =.*/\1/p' conf/relayguard.conf) \
	   $(sed -n 's/^\.IP \\fB\([a-z_]*\)\\fR.*/\1/p' conf/relayguard.conf.5); do
	echo "$keys" | grep -qx "$key" ||
		{ echo "documented key $key is not in the settings table"; rc=1; }
done
[ "$rc" = 0 ] && echo "conf: $(echo "$keys" | wc -l) keys documented"
exit $rc
