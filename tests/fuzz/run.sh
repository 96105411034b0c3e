#!/bin/bash
# run.sh [TARGET...] - build the libFuzzer targets in tests/fuzz/ and run
# each for FUZZ_TIME seconds (default 20; FUZZ_TIME=5 is the quick mode
# make check uses).  Targets: addr conf keytable owner spfrec authres spfcheck
# json metrics_http dkimrec limitmap redis_reply bodyfp policy author sockspec
# (default: all).
#
# Each target links the core, built once with clang-14 and ASan + UBSan,
# into build/fuzz/.  The committed seeds in
# tests/fuzz/corpus/NAME/ are read; new inputs go to build/fuzz/corpus/NAME/
# so the seeds stay small.  A crash, leak, timeout or broken invariant
# leaves its input in build/fuzz/artifacts/ and makes the run fail.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

FUZZ_TIME=${FUZZ_TIME:-20}
FUZZ_CC=${FUZZ_CC:-clang-14}
targets=${*:-"addr conf keytable owner spfrec authres spfcheck json metrics_http dkimrec limitmap redis_reply bodyfp policy author sockspec"}
# more targets (one line each, so that additions merge)
[ $# -eq 0 ] && targets="$targets odkmigrate"
out=build/fuzz

case $FUZZ_TIME in
''|*[!0-9]*) echo "run.sh: FUZZ_TIME must be whole seconds"; exit 1 ;;
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
for t in $targets; do
	src=tests/fuzz/${t}_fuzz.c
	bin=$out/${t}_fuzz
	log=$out/${t}.log
	if [ ! -f "$src" ]; then
		echo "FAIL $t: no $src"
		failed="$failed $t"
		continue
	fi
	# shellcheck disable=SC2086,SC2046 # $libs: a list of flags
	if ! "$FUZZ_CC" $FUZZ_CFLAGS -fsanitize=fuzzer,address,undefined \
		-o "$bin" "$src" "$out"/obj/*.o $(extra_src "$t") $libs \
		-pthread $(link_flags "$t"); then
		echo "FAIL $t: does not build"
		failed="$failed $t"
		continue
	fi
	mkdir -p "$out/corpus/$t"
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	# shellcheck disable=SC2086 # $dict is empty or one flag
	"$bin" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" $dict \
		"$out/corpus/$t" "tests/fuzz/corpus/$t" </dev/null >"$log" 2>&1
	rc=$?
	runs=$(final_stat number_of_executed_units "$log")
	speed=$(final_stat average_exec_per_sec "$log")
	if [ "$rc" = 0 ]; then
		echo "ok   $t: ${runs:-?} runs, ${speed:-?} exec/s," \
			"$(find "$out/corpus/$t" -type f | wc -l) corpus files"
	else
		echo "FAIL $t (exit $rc): see $log"
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" |
			head -n 20 | sed 's/^/    | /'
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz failed:$failed"
	exit 1
fi
echo "fuzz: all targets ran ${FUZZ_TIME}s without a finding"
