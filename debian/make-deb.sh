#!/bin/sh
# make-deb.sh OUTDIR - build the Debian package from this tree ("make deb").
#
# The tree (without build directories and version control) is copied to
# OUTDIR/relayguard-VERSION, dpkg-buildpackage builds the binary package
# there (so the .deb, .buildinfo and .changes land in OUTDIR, not in the
# parent of the tree), and lintian checks it: any error fails, warnings are
# printed.  Needs debhelper, dpkg-dev and lintian (tests/packages.txt).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
src=$out/relayguard-$ver
rm -rf "$src" "$out"/relayguard_"$ver"_* "$out"/relayguard-dbgsym_"$ver"_*
mkdir -p "$src"
tar -C "$top" --exclude-vcs --exclude=./build --exclude=./build-san \
	--exclude=__pycache__ --exclude='*.o' --exclude='*.d' -cf - . |
	tar -C "$src" -xf -
echo "deb: building relayguard $ver in $src (log: $out/build.log)"
# the build sees nothing of a calling make (make check) or of the tests'
# environment (RG_*): the package is built as from a clean shell
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
for v in $(env | sed -n 's/^\(RG_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -j2) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
rm -rf "$src"
deb=$out/relayguard_${ver}_$arch.deb
echo "deb: $deb"
# lintian: errors fail the build; the tags are kept in lintian.log
lintian --fail-on error "$out/relayguard_${ver}_$arch.changes" \
	> "$out/lintian.raw" 2>&1 || {
	cat "$out/lintian.raw" >&2
	echo "deb: lintian found errors" >&2
	exit 1
}
# (lintian's own note that it runs as root is not about the package)
grep -v 'running with root privileges' "$out/lintian.raw" > "$out/lintian.log" || true
rm -f "$out/lintian.raw"
if [ -s "$out/lintian.log" ]; then
	echo "deb: lintian warnings:"
	sed 's/^/    /' "$out/lintian.log"
else
	echo "deb: lintian: no errors, no warnings"
fi
