#!/bin/sh
# lint.sh - banned calls, machine paths and layer violations stay out of the
# sources.
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
src="util/*.[ch] core/*.[ch] filter/*.[ch] policy/*.[ch] ctl/*.[ch] redis/*.[ch] tests/tools/*.c"
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strncpy|strtok|atoi)[[:space:]]*\('
# shellcheck disable=SC2086 # $src: a list of globs
if grep -nE "$banned" $src; then
	echo "lint: banned function (see STYLE: str_copy, str_format, strtol)"
	rc=1
fi
if git grep -nE '/(work|home|root)/[a-z]' -- ':!tests/lint.sh' 2>/dev/null; then
	echo "lint: absolute machine path in a tracked file"
	rc=1
fi
# util/ is the ground floor: it includes only its own headers, never one of
# core/, filter/, policy/ or ctl/ (and never libmilter's or libopendkim's).
for f in util/*.[ch]; do
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		if [ ! -f "util/$h" ]; then
			echo "lint: $f includes \"$h\", which is not in util/"
			rc=1
		fi
	done
	if grep -nE '#include <(libmilter/|opendkim/|hiredis/|spf2/)' "$f"; then
		echo "lint: $f includes a mail or storage library header"
		rc=1
	fi
done
# The repository stands alone: product files cite no tracker issue numbers
# and no documents outside the tree.
if git grep -nE '\.\./shared|[Ii]ssue #?[0-9]+' -- ':!tests/lint.sh' 2>/dev/null; then
	echo "lint: a tracked file cites an issue number or a file outside the tree"
	rc=1
fi
# The failure matrix is doc/failures.md: citations point there, and every
# row they name (R4, P1-P9, ...) is a row of it.
if git grep -n 'RELIABILITY' -- ':!tests/lint.sh' 2>/dev/null; then
	echo "lint: cite the failure matrix as doc/failures.md"
	rc=1
fi
for id in $(git grep -h 'failures\.md' -- ':!doc/failures.md' 2>/dev/null |
	grep -oE '\b[RDKAMP][0-9]+b?(-[RDKAMP]?[0-9]+)?\b' |
	awk -F- '{ p = substr($1, 1, 1); a = substr($1, 2) + 0
		if ($2 == "") { print $1; next }
		b = $2; sub(/^[A-Z]/, "", b)
		for (i = a; i <= b + 0; i++) print p i }' | sort -u); do
	if ! grep -q "^| $id |" doc/failures.md; then
		echo "lint: doc/failures.md has no row $id (cited in the tree)"
		rc=1
	fi
done
exit $rc
