#!/bin/sh
# run.sh [SUITE...] - run the test suites and print one closing line,
# "N passed, N failed".  Suites: lint conf unit milter policy integration fuzz
# (default: all, in that order).  A cmocka program counts its test cases;
# a script counts as one test.  Output of each failing test is shown.
#
# VALGRIND="valgrind --error-exitcode=1 ..." runs unit tests under it.
# RG_ONLY="GLOB ..." runs only the tests whose name (e.g. t_sign_postfix,
# limit_test, milter/sighup_reload) matches one of the shell globs.
# When the fuzz suite follows the integration suite, its quick run starts
# beside the integration tests (they mostly wait for mail and timers), one
# target at a time, and is counted in its place; RG_FUZZ_BESIDE=0 runs it
# after them instead.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
suites=${*:-"lint conf unit milter policy integration fuzz"}
# RG_BUILD: the build directory (make check SAN=1 uses build-san)
RG_BUILD=${RG_BUILD:-build}
RG_BIN=$top/$RG_BUILD/relayguard
export RG_BUILD RG_BIN
# Under ASan freed memory sits in a quarantine: RSS checks mean nothing.
case $RG_BUILD in *san*) RG_SAN=1 ;; *) RG_SAN=0 ;; esac
export RG_SAN
[ -x "$RG_BIN" ] || { echo "run.sh: $RG_BIN not built (make)"; exit 1; }
pass=0
fail=0
failed=""
log=$(mktemp)
fuzz_log=$(mktemp)
fuzz_pid=""
made_tmp=""
trap 'rm -f "$log" "$fuzz_log" "$fuzz_log.end"; [ -n "$made_tmp" ] && rm -rf "$made_tmp"' EXIT

# dir_is_safe DIR - no directory from / down to DIR writable by others
# (relayguard refuses DKIM keys below such a directory, e.g. /tmp).
dir_is_safe() {
	d=$(cd "$1" && pwd -P) || return 1
	while :; do
		perm=$(stat -c %A "$d") || return 1
		case $perm in ????????w?|????????w?t|????????wt) return 1 ;; esac
		case $perm in ?????w????) [ "$(stat -c %g "$d")" = 0 ] || return 1 ;; esac
		[ "$d" = / ] && return 0
		d=$(dirname "$d")
	done
}

# Tests put keys and run directories below RG_SAFE_TMPDIR.
if [ -z "${RG_SAFE_TMPDIR:-}" ]; then
	mkdir -p build
	if dir_is_safe build; then
		RG_SAFE_TMPDIR=$top/build/tmp
		mkdir -p "$RG_SAFE_TMPDIR"
		chmod 755 "$RG_SAFE_TMPDIR"
	elif [ "$(id -u)" = 0 ]; then
		made_tmp=$(mktemp -d /run/relayguard-test.XXXXXX)
		chmod 755 "$made_tmp"
		RG_SAFE_TMPDIR=$made_tmp
	else
		echo "run.sh: $top is below a world-writable directory and" \
			"/run is root's: set RG_SAFE_TMPDIR to a safe directory"
		exit 1
	fi
fi
export RG_SAFE_TMPDIR

# selected NAME - true when RG_ONLY is unset or one of its globs matches
selected() {
	[ -z "${RG_ONLY:-}" ] && return 0
	for g in $RG_ONLY; do
		# shellcheck disable=SC2254 # $g is a glob on purpose
		case $1 in $g|*/$g) return 0 ;; esac
	done
	return 1
}

# count_script NAME CMD... - one test per script
count_script() {
	name=$1
	shift
	selected "$name" || return 0
	start=$(date +%s)
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name ($(( $(date +%s) - start ))s)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name"
		sed 's/^/    | /' "$log" | tail -n 60
	fi
}

# fuzz_quick - the fuzz suite's quick run: a few seconds per parser, ASan
# + UBSan
fuzz_quick() {
	env FUZZ_TIME="${FUZZ_TIME:-3}" \
		FUZZ_JOBS="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}" \
		bash tests/fuzz/run.sh
}

# fuzz_beside - start the quick fuzz run in the background (one target at
# a time), when the fuzz suite comes after the integration suite
fuzz_beside() {
	[ "${RG_FUZZ_BESIDE:-1}" = 1 ] || return 0
	case " $suites " in *" fuzz "*) ;; *) return 0 ;; esac
	selected fuzz-quick || return 0
	fuzz_start=$(date +%s)
	(
		FUZZ_JOBS=${FUZZ_JOBS:-1} fuzz_quick >"$fuzz_log" 2>&1
		rc=$?
		date +%s > "$fuzz_log.end"
		exit $rc
	) &
	fuzz_pid=$!
}

# count_fuzz - the fuzz suite: waits for the run fuzz_beside started, or
# runs it now
count_fuzz() {
	if [ -z "$fuzz_pid" ]; then
		count_script fuzz-quick fuzz_quick
		return
	fi
	if wait "$fuzz_pid"; then
		pass=$((pass + 1))
		echo "ok   fuzz-quick (beside the integration tests," \
			"$(( $(cat "$fuzz_log.end") - fuzz_start ))s)"
	else
		fail=$((fail + 1))
		failed="$failed fuzz-quick"
		echo "FAIL fuzz-quick"
		sed 's/^/    | /' "$fuzz_log" | tail -n 60
	fi
	fuzz_pid=""
}

# count_cmocka BIN - one test per cmocka case
count_cmocka() {
	name=$(basename "$1")
	selected "$name" || return 0
	${VALGRIND:-} "$1" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1	# crashed, or valgrind found errors
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" = 0 ]; then
		echo "ok   $name ($p cases)"
	else
		failed="$failed $name"
		echo "FAIL $name ($f of $((p + f)) cases)"
		sed 's/^/    | /' "$log" | tail -n 60
	fi
}

for suite in $suites; do
	echo "== $suite"
	case $suite in
	lint)
		count_script lint sh tests/lint.sh ;;
	conf)
		count_script conf-table-documented sh tests/conf_check.sh ;;
	unit)
		for t in "$RG_BUILD"/tests/*_test; do
			[ -x "$t" ] && count_cmocka "$t"
		done ;;
	milter)
		# The daemon may exit (SIGTERM) with a session thread still
		# holding its configuration: LeakSanitizer would report that
		# as a leak.  Per-message leaks are caught by the RSS tests
		# (without SAN) and by the unit tests under LSan.
		[ "$RG_SAN" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
		for t in tests/milter/*.sh; do
			[ "$(basename "$t")" = lib.sh ] && continue
			[ -f "$t" ] && count_script "milter/$(basename "$t" .sh)" bash "$t"
		done ;;
	policy)
		# relayguard-policyd over a plain socket (tests/policy/)
		for t in tests/policy/t_*.sh; do
			[ -f "$t" ] && count_script "policy/$(basename "$t" .sh)" bash "$t"
		done ;;
	fuzz)
		count_fuzz ;;
	integration)
		fuzz_beside
		[ "$RG_SAN" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
		for t in tests/integration/t_*.sh; do
			[ -f "$t" ] && count_script "integration/$(basename "$t" .sh)" bash "$t"
		done ;;
	*)
		echo "unknown suite $suite"; fail=$((fail + 1)) ;;
	esac
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
