# tests/milter/lib.sh - shared shell for the milter protocol tests (bash).
#
# A test script does:
#	. "$(dirname "$0")/lib.sh"
#	rg_setup NAME ["conf line" ...]	# run dir, keys, tables, config
#	rg_start			# filter in the foreground, log to $LOG
#	rg_miltertest FILE.lua  or  rg_client ARGS...
#	rg_expect_log 'ERE' "what"	# checks; each failure prints "FAIL: ..."
#	rg_finish			# filter still alive? stop it; exit status
#
# Everything started here is tracked by pid and stopped by the EXIT trap:
# the filter (SIGTERM, SIGKILL after 5 s) and any helper in RG_BG_PIDS.
# Every check prints "ok: ..." or "FAIL: ..."; rg_finish exits 1 after any
# FAIL and shows the filter's log.
# Run directories live below RG_SAFE_TMPDIR (set by tests/run.sh), else
# build/run, else (when those are below a world-writable directory and we
# are root) a directory made under /run: relayguard refuses keys below a
# directory others can write, e.g. /tmp.  RG_KEEP=1 keeps the run dir.
#
# Run directly (bash tests/milter/lib.sh; tests/run.sh does, as
# "milter/lib") it checks itself: the filter starts with both keys,
# negotiates, and stops on SIGTERM with status 0.

set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$TOP/tests/milter
RG_BIN=${RG_BIN:-$TOP/build/relayguard}
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in tests/milter
RG_FAILS=0
RG_FAIL_LIST=""
RG_PID=""
RG_BG_PIDS=""
RG_MADE_BASE=""
RG_BASE=""
SOCK=""	# rg_setup picks a unix socket unless a test sets one first
RUN=""
RG_T0=$(date +%s.%N)

fail() {
	echo "FAIL: $*"
	RG_FAILS=$((RG_FAILS + 1))
	RG_FAIL_LIST="$RG_FAIL_LIST  FAIL: $*
"
}

ok() {
	echo "ok: $*"
}

# rg_dir_safe DIR - no directory from / down to DIR writable by others
# (a group-writable one only when the group is root), as the filter checks
rg_dir_safe() {
	local d perm
	d=$(cd "$1" 2>/dev/null && pwd -P) || return 1
	while :; do
		perm=$(stat -c %A "$d") || return 1
		case $perm in ????????w?) return 1 ;; esac	# others may write
		case $perm in
		?????w????) [ "$(stat -c %g "$d")" = 0 ] || return 1 ;;
		esac
		[ "$d" = / ] && return 0
		d=$(dirname "$d")
	done
}

# rg_base - set RG_BASE to a safe directory to make run directories in
rg_base() {
	if [ -n "${RG_SAFE_TMPDIR:-}" ] && rg_dir_safe "$RG_SAFE_TMPDIR"; then
		RG_BASE=$RG_SAFE_TMPDIR
		return 0
	fi
	if mkdir -p "$TOP/build/run" && chmod 755 "$TOP/build/run" &&
		rg_dir_safe "$TOP/build/run"; then
		RG_BASE=$TOP/build/run
		return 0
	fi
	if [ "$(id -u)" = 0 ]; then
		RG_MADE_BASE=$(mktemp -d /run/relayguard-milter.XXXXXX) || return 1
		chmod 755 "$RG_MADE_BASE"
		RG_BASE=$RG_MADE_BASE
		return 0
	fi
	return 1
}

# rg_cleanup - the EXIT trap: stop what we started, remove the run dir
rg_cleanup() {
	local rc=$? p
	trap - EXIT
	for p in $RG_BG_PIDS; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "$RG_PID" ] && rg_stop >/dev/null
	if [ -n "$RUN" ] && [ -d "$RUN" ]; then
		if [ "${RG_KEEP:-0}" = 1 ]; then
			echo "run directory kept: $RUN"
		else
			rm -rf "$RUN"
		fi
	fi
	[ -n "$RG_MADE_BASE" ] && [ "${RG_KEEP:-0}" != 1 ] && rm -rf "$RG_MADE_BASE"
	exit "$rc"
}
trap rg_cleanup EXIT
trap 'exit 130' INT TERM

# rg_keys DIR - an RSA-2048 and an Ed25519 key (mode 600) and pub.txt,
# the public keys as DNS TXT text for miltclient.py --verify
rg_keys() {
	local dir=$1 rsap edp
	mkdir -p "$dir" && chmod 700 "$dir"
	(umask 077
	 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$dir/rsa.private" 2>/dev/null &&
	 openssl genpkey -algorithm ed25519 -out "$dir/ed.private" 2>/dev/null) ||
		{ echo "rg_keys: openssl genpkey failed"; return 1; }
	chmod 600 "$dir/rsa.private" "$dir/ed.private"
	rsap=$(openssl pkey -in "$dir/rsa.private" -pubout -outform DER | base64 -w0)
	edp=$(openssl pkey -in "$dir/ed.private" -pubout -outform DER |
		tail -c 32 | base64 -w0)
	{
		printf 'rsa._domainkey.example.com v=DKIM1; k=rsa; p=%s\n' "$rsap"
		printf 'ed._domainkey.example.com v=DKIM1; k=ed25519; p=%s\n' "$edp"
		printf 'rsa._domainkey.other.example v=DKIM1; k=rsa; p=%s\n' "$rsap"
	} > "$dir/pub.txt"
}

# rg_write_conf [LINE...] - relayguard.conf for $SOCK with extra lines
rg_write_conf() {
	local line
	{
		echo "# written by tests/milter/lib.sh"
		echo "socket = $SOCK"
		echo "pid_file = $RUN/relayguard.pid"
		echo "key_table = file:$RUN/KeyTable"
		echo "signing_table = refile:$RUN/SigningTable"
		# SPF needs a DNS server; the milter tests have none (the
		# integration tests check SPF with the rig's)
		case " $* " in *" spf_check "*) ;; *) echo "spf_check = no" ;; esac
		for line in "$@"; do
			echo "$line"
		done
	} > "$CONF"
}

# rg_setup NAME [CONF-LINE...] - run dir, keys, KeyTable, SigningTable, conf.
# Sets RUN, CONF, LOG, PUB (public keys), SOCK (unix socket unless SOCK is
# already set, e.g. to inet:PORT@127.0.0.1).
rg_setup() {
	local name=$1
	shift
	if [ ! -x "$RG_BIN" ]; then
		echo "FAIL: $RG_BIN is missing: run make first"
		exit 1
	fi
	command -v miltertest >/dev/null ||
		echo "note: miltertest is not installed (tests/packages.txt)"
	rg_base || {
		echo "FAIL: no safe directory for keys: set RG_SAFE_TMPDIR"
		exit 1
	}
	RUN=$(mktemp -d "$RG_BASE/milter-$name.XXXXXX") || exit 1
	chmod 700 "$RUN"
	CONF=$RUN/relayguard.conf
	LOG=$RUN/relayguard.log
	PUB=$RUN/keys/pub.txt
	: > "$LOG"
	SOCK=${SOCK:-unix:$RUN/rg.sock}
	case $SOCK in
	unix:*)
		if [ ${#SOCK} -gt 100 ]; then
			echo "FAIL: socket path too long for AF_UNIX: $SOCK"
			exit 1
		fi ;;
	esac
	rg_keys "$RUN/keys" || exit 1
	cat > "$RUN/KeyTable" <<-EOF
	rsa._domainkey.example.com example.com:rsa:$RUN/keys/rsa.private
	ed._domainkey.example.com example.com:ed:$RUN/keys/ed.private
	EOF
	cat > "$RUN/SigningTable" <<-EOF
	*@example.com rsa._domainkey.example.com
	*@example.com ed._domainkey.example.com
	EOF
	rg_write_conf "$@"
}

# rg_start_try - start the filter, wait until it listens; 1 if it did not
rg_start_try() {
	local _i n
	n=$(grep -c "starting relayguard" "$LOG")
	"$RG_BIN" -f -c "$CONF" </dev/null >>"$LOG" 2>&1 &
	RG_PID=$!
	for _i in $(seq 1 100); do
		if [ "$(grep -c "starting relayguard" "$LOG")" -gt "$n" ] &&
			rg_listening; then
			return 0
		fi
		if ! rg_alive; then
			wait "$RG_PID" 2>/dev/null
			RG_PID=""
			return 1
		fi
		sleep 0.05
	done
	rg_stop
	return 1
}

# rg_start - rg_start_try, and give up the test when the filter fails
rg_start() {
	if ! rg_start_try; then
		echo "FAIL: relayguard did not start:"
		sed 's/^/    /' "$LOG"
		exit 1
	fi
}

# rg_listening - the socket accepts connections
rg_listening() {
	case $SOCK in
	unix:*) [ -S "${SOCK#unix:}" ] ;;
	inet:*)
		local port=${SOCK#inet:}
		port=${port%%@*}
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# rg_alive - the filter process exists and is not a zombie
rg_alive() {
	local st
	[ -n "$RG_PID" ] || return 1
	st=$(awk '{print $3}' "/proc/$RG_PID/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# rg_stop - SIGTERM, then SIGKILL after 5 s; RG_STOPPED tells how it ended.
# libmilter notices SIGTERM only when its listener wakes up: at the next
# connection or after its 5-second select() timeout.  So after the signal
# the socket is poked (connect + close) every 0.1 s; without that every
# stop would take up to 5 s and race the SIGKILL.
rg_stop() {
	RG_STOPPED="not running"
	[ -n "$RG_PID" ] || return 0
	kill -TERM "$RG_PID" 2>/dev/null
	timeout 6 "$PY" - "$SOCK" "$RG_PID" <<-'EOF' 2>/dev/null
	import socket, sys, time
	spec, pid = sys.argv[1], sys.argv[2]
	def alive():
	    try:
	        return open("/proc/%s/stat" % pid).read().split()[2] != "Z"
	    except OSError:
	        return False
	end = time.monotonic() + 5
	while alive() and time.monotonic() < end:
	    try:
	        if spec.startswith("unix:"):
	            s = socket.socket(socket.AF_UNIX)
	            s.settimeout(0.5)
	            s.connect(spec[5:])
	        else:
	            port, _, host = spec[5:].partition("@")
	            s = socket.create_connection((host, int(port)), 0.5)
	        s.close()
	    except OSError:
	        pass
	    time.sleep(0.1)
	EOF
	if rg_alive; then
		kill -KILL "$RG_PID" 2>/dev/null
		wait "$RG_PID" 2>/dev/null
		RG_PID=""
		RG_STOPPED="ignored SIGTERM for 5 s: killed"
		return 1
	fi
	wait "$RG_PID" 2>/dev/null
	RG_STOPPED="exit status $?"
	RG_PID=""
	return 0
}

# rg_hup - ask the filter to reload
rg_hup() {
	kill -HUP "$RG_PID"
}

# rg_rss_kb - the filter's resident set size in kB
rg_rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$RG_PID/status"
}

# rg_log_wait ERE [SECONDS] - wait until a log line matches
rg_log_wait() {
	local re=$1 t=${2:-5} _i
	for _i in $(seq 1 $((t * 20))); do
		grep -Eq -- "$re" "$LOG" && return 0
		sleep 0.05
	done
	return 1
}

# rg_expect_log ERE WHAT - a log line must match (waits up to 5 s)
rg_expect_log() {
	if rg_log_wait "$1" 5; then
		ok "$2"
	else
		fail "$2: no log line matches /$1/"
	fi
}

# rg_expect_log_count ERE N WHAT - exactly N log lines match
rg_expect_log_count() {
	local n
	rg_log_wait "$1" 5
	n=$(grep -Ec -- "$1" "$LOG")
	if [ "$n" = "$2" ]; then
		ok "$3"
	else
		fail "$3: $n log lines match /$1/, expected $2"
	fi
}

# rg_expect_no_log ERE WHAT
rg_expect_no_log() {
	if grep -Eq -- "$1" "$LOG"; then
		fail "$2: unexpected log line: $(grep -E -- "$1" "$LOG" | head -n 1)"
	else
		ok "$2"
	fi
}

# rg_expect_alive WHAT
rg_expect_alive() {
	if rg_alive; then
		ok "filter alive $1"
	else
		fail "filter died $1"
	fi
}

# The MTAs whose macro timing lib.lua plays (MTA=postfix|sendmail): the
# scenarios that depend on it run once for each.
RG_MTAS="postfix sendmail"

# rg_qsfx MTA - what lib.lua appends to queue ids in a run for MTA
rg_qsfx() {
	case $1 in
	sendmail) echo S ;;
	*) echo P ;;
	esac
}

# rg_mail_qid BASE MTA - the id a decision at MAIL FROM is logged with:
# Sendmail knows the queue id then, Postfix does not yet (NOQUEUE)
rg_mail_qid() {
	case $2 in
	sendmail) echo "$1$(rg_qsfx "$2")" ;;
	*) echo NOQUEUE ;;
	esac
}

# rg_miltertest LUA [NAME=VALUE...] - run a miltertest script against
# $SOCK; output goes to stdout and $RUN/LUA.out; every "FAIL:" line it
# prints counts.  miltertest crashes (it has a few) count too.  With
# MTA=NAME among the definitions the output is $RUN/LUA-NAME.out and QSFX
# is defined to rg_qsfx NAME.
rg_miltertest() {
	local lua=$1 out rc n
	shift
	out=$RUN/$(basename "$lua" .lua)
	local defs=(-D "SOCK=$SOCK" -D "LIB=$HERE/lib.lua")
	local d
	for d in "$@"; do
		defs+=(-D "$d")
		case $d in
		MTA=*)
			out=$out-${d#MTA=}
			defs+=(-D "QSFX=$(rg_qsfx "${d#MTA=}")") ;;
		esac
	done
	out=$out.out
	timeout -k 5 60 stdbuf -oL miltertest "${defs[@]}" -s "$HERE/$lua" \
		>"$out" 2>&1
	rc=$?
	sed 's/^/  | /' "$out"
	n=$(grep -c '^FAIL' "$out")
	if [ "$rc" != 0 ] || [ "$n" != 0 ]; then
		fail "miltertest $lua ${out##*/}: exit status $rc, $n failed checks"
		return 1
	fi
	if ! grep -q '^DONE' "$out"; then
		fail "miltertest $lua did not reach its end"
		return 1
	fi
	return 0
}

# rg_client OUTNAME ARGS... - run miltclient.py against $SOCK; output in
# $RUN/OUTNAME.out (also shown); returns its exit status
rg_client() {
	local name=$1 rc
	shift
	timeout -k 5 120 "$PY" "$HERE/miltclient.py" "$SOCK" "$@" \
		>"$RUN/$name.out" 2>&1
	rc=$?
	sed "s/^/  $name| /" "$RUN/$name.out" | cut -c1-300
	return "$rc"
}

# rg_py_scenario FILE.py [ARGS...] - run a scenario driver written with
# miltclient.py's helpers; like rg_miltertest, "FAIL" lines and a missing
# DONE count.  It gets SOCK RG_PID LOG RUN PUB CONF in its environment.
rg_py_scenario() {
	local py=$1 out rc n
	shift
	out=$RUN/$(basename "$py" .py).out
	SOCK=$SOCK RG_PID=$RG_PID LOG=$LOG RUN=$RUN PUB=$PUB CONF=$CONF \
		timeout -k 5 120 "$PY" "$HERE/$py" "$@" >"$out" 2>&1
	rc=$?
	sed 's/^/  | /' "$out" | cut -c1-300
	n=$(grep -c '^FAIL' "$out")
	if [ "$rc" != 0 ] || [ "$n" != 0 ]; then
		fail "$py: exit status $rc, $n failed checks"
		return 1
	fi
	if ! grep -q '^DONE' "$out"; then
		fail "$py did not reach its end"
		return 1
	fi
	return 0
}

# rg_expect_out_fixed OUTNAME STRING WHAT - as rg_expect_out, fixed string
rg_expect_out_fixed() {
	if grep -Fq -- "$2" "$RUN/$1.out"; then
		ok "$3"
	else
		fail "$3: no output line of $1 contains \"$2\""
	fi
}

# rg_expect_out OUTNAME ERE WHAT - a line of a client's output matches
rg_expect_out() {
	if grep -Eq -- "$2" "$RUN/$1.out"; then
		ok "$3"
	else
		fail "$3: no output line of $1 matches /$2/"
		return 1
	fi
}

# rg_expect_no_out OUTNAME ERE WHAT
rg_expect_no_out() {
	if grep -Eq -- "$2" "$RUN/$1.out"; then
		fail "$3: $(grep -E -- "$2" "$RUN/$1.out" | head -n 1 | cut -c1-200)"
	else
		ok "$3"
	fi
}

# rg_free_port - a TCP port on 127.0.0.1 nobody listens on right now
rg_free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# rg_finish - final checks, stop the filter, exit 0 only if all passed
rg_finish() {
	rg_expect_alive "at the end"
	rg_expect_no_log 'AddressSanitizer|runtime error:|stack smashing|Segmentation' \
		"no sanitizer or crash report in the log"
	if grep -qs '^STRAY reply' "$RUN"/*.out; then
		fail "the filter answered a step it negotiated as no-reply:" \
			"$(grep -hs '^STRAY reply' "$RUN"/*.out | head -n 1)"
	fi
	rg_stop
	if [ "$RG_STOPPED" = "exit status 0" ]; then
		ok "stopped by SIGTERM"
	else
		fail "stopping the filter: $RG_STOPPED"
	fi
	# (as root libmilter leaves the unix socket file behind on purpose)
	if [ "$RG_FAILS" != 0 ]; then
		echo "--- relayguard log, without \"signed:\" lines (last 30) ---"
		grep -v ': signed: ' "$LOG" | tail -n 30 | cut -c1-400
		echo "--- ($(grep -c ': signed: ' "$LOG") \"signed:\" lines not shown)"
		printf 'failed checks:\n%s' "$RG_FAIL_LIST" | cut -c1-300
		echo "$RG_FAILS check(s) FAILED ($(rg_elapsed) s)"
		exit 1
	fi
	echo "all checks passed ($(rg_elapsed) s)"
	exit 0
}

rg_elapsed() {
	awk -v a="$RG_T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'
}

# self-test when run directly
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	rg_setup lib
	rg_start
	rg_expect_alive "after start"
	rg_expect_log "starting relayguard .*: 2 keys, 2 signing table entries" \
		"startup line names both keys"
	rg_client selftest --mode negotiate-close
	rg_expect_out selftest '^negotiated version=6 ' "filter negotiates protocol 6"
	rg_finish
fi
