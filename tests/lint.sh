#!/bin/sh
# lint.sh - banned calls and machine paths stay out of the sources.
set -u
cd "$(dirname "$0")/.." || exit 1
rc=0
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strncpy|strtok|atoi)[[:space:]]*\('
if grep -nE "$banned" core/*.c core/*.h filter/*.c filter/*.h ctl/*.c ctl/*.h \
	policy/*.c policy/*.h tests/tools/*.c; then
	echo "lint: banned function (see STYLE: str_copy, str_format, strtol)"
	rc=1
fi
if git grep -nE '/(work|home|root)/[a-z]' -- ':!tests/lint.sh' 2>/dev/null; then
	echo "lint: absolute machine path in a tracked file"
	rc=1
fi
exit $rc
