#!/bin/bash
# run.sh [--long] [TARGET...] - build the libFuzzer targets in tests/fuzz/
# (one per NAME_fuzz.c; default: all of them) and run each in turn.
#
# Quick mode (make fuzz, make check): FUZZ_TIME seconds per target
# (default 20; make check uses 3), FUZZ_JOBS targets at a time (default 1;
# make check uses one per CPU).  The committed seeds in
# tests/fuzz/corpus/NAME/ are read; new inputs go to build/fuzz/corpus/NAME/
# so the committed corpus does not change.
#
# Long mode (make fuzz-long): each target runs until FUZZ_RUNS executions
# (default 10 million) or, when FUZZ_BUDGET is set, until that many seconds
# have passed, whichever comes first; one target at a time, under
# nice -n FUZZ_NICE (default 10).  Then the committed corpus is minimized
# with libFuzzer's -merge=1: every input of tests/fuzz/corpus/NAME/ and of
# build/fuzz/corpus/NAME/ goes in, the smallest set with the same coverage
# comes out.  Hand-written seeds (any name that is not 40 hex digits) stay
# as they are; the other files of tests/fuzz/corpus/NAME/ are replaced by
# that set, named by the SHA-1 of their content as libFuzzer names them.
# At the end a table shows, per target: executions, executions per second,
# seconds, the coverage of the minimized corpus (cov = edges, ft =
# features, as libFuzzer counts them), its files and size.
#
# Each target links the core, built once with clang-14 and ASan + UBSan,
# into build/fuzz/.  A crash, leak, timeout or broken invariant leaves its
# input in build/fuzz/artifacts/ and makes the run fail (in long mode the
# other targets still run).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

long=0
if [ "${1:-}" = --long ]; then
	long=1
	shift
fi
FUZZ_TIME=${FUZZ_TIME:-20}
FUZZ_RUNS=${FUZZ_RUNS:-10000000}
FUZZ_BUDGET=${FUZZ_BUDGET:-}
FUZZ_NICE=${FUZZ_NICE:-10}
FUZZ_CC=${FUZZ_CC:-clang-14}
out=build/fuzz

all_targets() {
	for f in tests/fuzz/*_fuzz.c; do
		basename "$f" _fuzz.c
	done
}
targets=${*:-$(all_targets)}

FUZZ_JOBS=${FUZZ_JOBS:-1}
for v in FUZZ_TIME FUZZ_RUNS FUZZ_NICE FUZZ_JOBS; do
	case ${!v} in
	''|*[!0-9]*) echo "run.sh: $v must be a whole number"; exit 1 ;;
	esac
done
case $FUZZ_BUDGET in
*[!0-9]*) echo "run.sh: FUZZ_BUDGET must be whole seconds"; exit 1 ;;
esac
if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "run.sh: $FUZZ_CC not found (Debian: clang-14 libclang-rt-14-dev)"
	exit 1
fi
if ! libs=$(pkg-config --cflags --libs milter opendkim libcrypto libidn2 hiredis); then
	echo "run.sh: pkg-config cannot find milter, opendkim, libcrypto or hiredis"
	exit 1
fi
libs="$libs -lresolv -lm"	# core/spfdns.c, core/abuse_mem.c
mkdir -p "$out/artifacts" || exit 1

# max_len per target: room for the limits each parser enforces
# (a 512-byte mailbox, an 8 KiB config line, a 4 KiB table line).
max_len() {
	case $1 in
	addr|authres) echo 2048 ;;
	conf|spfrec|spfcheck) echo 10000 ;;
	json) echo 16384 ;;
	metrics_http) echo 4200 ;;
	limitmap) echo 9000 ;;
	redis_reply) echo 4096 ;;
	bodyfp) echo 65536 ;;
	policy) echo 65536 ;;	# over the default max_request (32k)
	author) echo 8192 ;;	# past the lenient reader's 1 KiB domain cap
	odkmigrate) echo 8192 ;;
	dkimcanon) echo 4096 ;;	# 15 cut points and a body of lines
	*) echo 6000 ;;
	esac
}

# extra_src NAME - sources outside core/ that a target tests
extra_src() {
	case $1 in
	policy) echo "-Ipolicy policy/policy_req.c" ;;
	esac
}

# link_flags NAME - extra link flags of one target
link_flags() {
	case $1 in
	keytable) echo "-Wl,--wrap=PEM_read_bio_PrivateKey" ;;
	esac
}

# final_stat NAME LOG - one "stat::NAME: N" value from libFuzzer's final stats
final_stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# cov_ft LOG - "COV FT" from the last line of a log that names them
cov_ft() {
	sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p' "$1" | tail -n 1
}

# is_sha1_name FILE - does the file carry a libFuzzer (SHA-1) name?
is_sha1_name() {
	local b
	b=$(basename "$1")
	[ ${#b} = 40 ] || return 1
	case $b in
	*[!0-9a-f]*) return 1 ;;
	esac
	return 0
}

# minimize T BIN - shrink tests/fuzz/corpus/T to a minimal set of the
# committed and the found inputs, hand-written seeds kept
minimize() {
	local t=$1 bin=$2 seeds=tests/fuzz/corpus/$1 merged=$out/merge/$1
	local f h

	rm -rf "$merged" "$out/merge/$t.ctl" && mkdir -p "$merged" "$seeds" ||
		return 1
	if ! nice -n "$FUZZ_NICE" "$bin" -merge=1 -timeout=10 \
		-rss_limit_mb=2048 -max_len="$(max_len "$t")" \
		-merge_control_file="$out/merge/$t.ctl" \
		"$merged" "$seeds" "$out/corpus/$t" \
		</dev/null >"$out/$t.merge.log" 2>&1; then
		echo "FAIL $t: merge failed, see $out/$t.merge.log"
		return 1
	fi
	# hand-written seeds stay; their content is not stored twice
	for f in "$seeds"/*; do
		[ -f "$f" ] || continue
		if is_sha1_name "$f"; then
			rm -f "$f"
		else
			h=$(sha1sum <"$f" | cut -c1-40)
			rm -f "$merged/$h"
		fi
	done
	for f in "$merged"/*; do
		[ -f "$f" ] && cp "$f" "$seeds/"
	done
	return 0
}

# The core, instrumented once for every target (libFuzzer coverage, ASan,
# UBSan), two compilers at a time.
FUZZ_CFLAGS="-g -O1 -fno-sanitize-recover=all -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Iutil -Icore"
mkdir -p "$out/obj" || exit 1
rm -f "$out"/obj/*.o
# shellcheck disable=SC2086 # FUZZ_CFLAGS and libs: lists of flags
if ! printf '%s\n' util/*.c core/*.c | xargs -P 2 -I{} sh -c \
	'o=$0/$(basename "$1" .c).o; exec "$2" $3 -fsanitize=fuzzer-no-link,address,undefined $4 -c -o "$o" "$1"' \
	"$out/obj" {} "$FUZZ_CC" "$FUZZ_CFLAGS" "$(pkg-config --cflags milter opendkim libcrypto libidn2 hiredis)"; then
	echo "FAIL: the core does not build for fuzzing"
	exit 1
fi

failed=""
table=""
# fuzz_one T - build target T and run it (quick or long); 1 on a failure
# (named in $failed; in long mode its row added to $table)
fuzz_one() {
	local t=$1 src bin log seeds dict limit run start rc secs runs speed
	local cov ft files kib
	src=tests/fuzz/${t}_fuzz.c
	bin=$out/${t}_fuzz
	log=$out/${t}.log
	if [ ! -f "$src" ]; then
		echo "FAIL $t: no $src"
		failed="$failed $t"
		return 1
	fi
	# shellcheck disable=SC2086,SC2046 # $libs: a list of flags
	if ! "$FUZZ_CC" $FUZZ_CFLAGS -fsanitize=fuzzer,address,undefined \
		-o "$bin" "$src" "$out"/obj/*.o $(extra_src "$t") $libs \
		-pthread $(link_flags "$t"); then
		echo "FAIL $t: does not build"
		failed="$failed $t"
		return 1
	fi
	mkdir -p "$out/corpus/$t"
	seeds=""
	[ -d "tests/fuzz/corpus/$t" ] && seeds="tests/fuzz/corpus/$t"
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	if [ "$long" = 1 ]; then
		limit="-runs=$FUZZ_RUNS"
		[ -n "$FUZZ_BUDGET" ] && limit="$limit -max_total_time=$FUZZ_BUDGET"
		run="nice -n $FUZZ_NICE"
	else
		limit="-max_total_time=$FUZZ_TIME"
		run=""
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086 # $run, $limit, $dict, $seeds: lists
	$run "$bin" $limit -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" $dict \
		"$out/corpus/$t" $seeds </dev/null >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(final_stat number_of_executed_units "$log")
	speed=$(final_stat average_exec_per_sec "$log")
	if [ "$rc" != 0 ]; then
		echo "FAIL $t (exit $rc): see $log"
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error|_fuzz: ' \
			"$log" | head -n 20 | sed 's/^/    | /'
		failed="$failed $t"
		table="$table$t ${runs:-?} ${speed:-?} $secs - - - - FAIL
"
		return 1
	fi
	if [ "$long" = 0 ]; then
		echo "ok   $t: ${runs:-?} runs, ${speed:-?} exec/s," \
			"$(find "$out/corpus/$t" -type f | wc -l) corpus files"
		return 1
	fi
	if ! minimize "$t" "$bin"; then
		failed="$failed $t"
		return 1
	fi
	# the coverage of the minimized corpus, as libFuzzer reads it in
	"$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" "tests/fuzz/corpus/$t" \
		</dev/null >"$out/$t.cov.log" 2>&1
	read -r cov ft <<<"$(cov_ft "$out/$t.cov.log")"
	files=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
	kib=$(( $(cat "tests/fuzz/corpus/$t"/* | wc -c) / 1024 ))
	echo "ok   $t: ${runs:-?} runs in ${secs}s, cov ${cov:-?} ft ${ft:-?}," \
		"$files corpus files"
	table="$table$t ${runs:-?} ${speed:-?} $secs ${cov:-?} ${ft:-?} $files $kib ok
"
	return 0
}

if [ "$long" = 1 ] || [ "$FUZZ_JOBS" -le 1 ]; then
	for t in $targets; do
		fuzz_one "$t"
	done
else
	# quick mode, FUZZ_JOBS targets at a time: each one's lines are
	# shown together once all have run
	for t in $targets; do
		while [ "$(jobs -rp | wc -l)" -ge "$FUZZ_JOBS" ]; do
			wait -n
		done
		fuzz_one "$t" > "$out/$t.out" 2>&1 &
	done
	wait
	for t in $targets; do
		cat "$out/$t.out"
		grep -q "^FAIL" "$out/$t.out" && failed="$failed $t"
	done
fi
if [ "$long" = 1 ]; then
	echo
	echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)," \
		"$(nproc) CPUs; runs capped at $FUZZ_RUNS${FUZZ_BUDGET:+, ${FUZZ_BUDGET}s per target}"
	{
		echo "target runs exec/s secs cov ft files KiB result"
		printf '%s' "$table"
	} | awk '{ printf "%-14s %10s %8s %6s %6s %7s %6s %6s %s\n",
		   $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
fi
if [ -n "$failed" ]; then
	echo "fuzz failed:$failed"
	exit 1
fi
if [ "$long" = 1 ]; then
	echo "fuzz-long: every target ran without a finding"
else
	echo "fuzz: all targets ran ${FUZZ_TIME}s without a finding"
fi
