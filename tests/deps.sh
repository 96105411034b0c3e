#!/bin/sh
# deps.sh PKG... - install the Debian packages that are missing.
#
# Postfix is installed "No configuration" so it neither asks questions nor
# touches the machine's mail setup; services are not started (policy-rc.d
# is put in place for the install when the machine has none).
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps: installing$missing"
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	made_policy=1
fi
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
rc=0
{ apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >/dev/null || rc=$?
[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
if [ "$rc" != 0 ]; then
	echo "deps: apt-get failed ($rc)" >&2
	exit "$rc"
fi
