#!/usr/bin/env bash
# bench.sh - "make bench": messages per second through one private Postfix
# instance (the integration rig, tests/integration/lib.sh), bare and with a
# DKIM-signing milter in front of it:
#
#   bare         Postfix alone, no milter
#   rg-inet      Postfix + relayguard   over inet:127.0.0.1:PORT
#   rg-unix      Postfix + relayguard   over a unix socket
#   odkim-inet   Postfix + opendkim     over inet:127.0.0.1:PORT
#   odkim-unix   Postfix + opendkim     over a unix socket
#   rgfull-inet, rgfull-unix
#                Postfix + relayguard with what a provider turns on:
#                RSA-2048 + Ed25519 signatures, limits by sender and by
#                client address in Redis, abuse control (penalty box,
#                fan-out, stolen login: also in Redis), own_domains, SPF
#                (for outside clients; this load comes from inside)
#   rspamd-inet, rspamd-unix
#                Postfix + Debian's rspamd 3.4 in milter mode (its proxy
#                worker scanning by itself, one process per CPU), signing
#                with the same RSA key (dkim_signing) and a ratelimit rule
#                by sender and by client address in the same Redis; only
#                those modules and the dkim module they need are loaded,
#                so it does the same work, not a spam scan.  Its own
#                config, pid file, ports and directories under the run
#                directory; never the system service.
#   null-inet, null-unix (only when asked for in BENCH_CONFIGS): Postfix +
#                tests/bench/nullmilter.c, a milter that sends relayguard's
#                packets but does no work (the protocol's own cost)
#
# rg-* and odkim-* sign with the same RSA-2048 key only (the rig's
# SigningTable cut down to its RSA entry), relaxed/relaxed; rgfull-* add
# the Ed25519 key.  Load: smtp-source from
# 127.0.0.1 (an internal client, so mail is signed), BENCH_SESSIONS (20)
# parallel sessions, BENCH_MSGS (2000) messages of BENCH_SIZE (4096) bytes,
# one message per SMTP session (smtp-source's default).  Postfix relays
# everything to an smtp-sink on loopback that keeps nothing (no -d).
#
# Per configuration: a few sample messages go to a second, dumping sink
# (the rig's) and are checked with dkimverify.py (signed with a milter,
# unsigned bare) before and after the measured run; a warm-up batch; then
# the measured run.  Time = from the start of smtp-source to the moment
# the maillog shows the run's last "status=sent" (followed with tail -F:
# the maillog itself has whole seconds only).  CPU per message is taken
# from /proc: the filter process (all threads), Postfix (master + its
# children, live and reaped), smtp-sink, smtp-source, and the whole
# machine (/proc/uptime; includes anything else that runs on it).
#
# Environment:
#   BENCH_MSGS (2000)  BENCH_SESSIONS (20)  BENCH_SIZE (4096)
#   BENCH_WARMUP (N/10, 50..200)  BENCH_SAMPLE (3)
#   BENCH_CONFIGS ("bare rg-inet rg-unix rgfull-inet rgfull-unix
#                 rspamd-inet rspamd-unix odkim-inet odkim-unix")
#   BENCH_POSTCONF    more main.cf settings for all configurations,
#                     ';'-separated (experiments with the Postfix tuning)
#   BENCH_RG_BIN      another relayguard binary (a patched build to compare)
#   BENCH_NULL_ARGS   options for nullmilter (-n TCP_NODELAY, -s STEPS)
#   BENCH_PRELOAD     comma-separated names from tests/bench/preload/
#                     (nodelay): built and preloaded into the
#                     filters, to measure a change without making it
#   BENCH_FILTER_ENV  more environment for the filters ("NAME=value ...")
#   BENCH_PROBE       a command run in the background during each measured
#                     run of a milter configuration, with $FILTER_PID,
#                     $BENCH_CONF and $RUN set, stopped with SIGINT after
#                     it (e.g. 'strace -c -f -p $FILTER_PID'); its output
#                     is in $RUN/bench/probe.CONF.log (RG_KEEP=1 keeps it)
#   RG_KEEP=1         keep the run directory
#
# Timings never fail the run: the exit status is 1 only when the rig broke
# (a filter or Postfix did not come up, mail was not all delivered in time)
# or mail that should be signed was not.
set -eu
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../integration/rg.sh
. "$(dirname "$0")/../integration/rg.sh"
# shellcheck source-path=SCRIPTDIR source=../integration/redis.sh
. "$(dirname "$0")/../integration/redis.sh"

N=${BENCH_MSGS:-2000}
SESSIONS=${BENCH_SESSIONS:-20}
SIZE=${BENCH_SIZE:-4096}
WARM=${BENCH_WARMUP:-$((N / 10 < 50 ? 50 : (N / 10 > 200 ? 200 : N / 10)))}
SAMPLE=${BENCH_SAMPLE:-3}
CONFIGS=${BENCH_CONFIGS:-"bare rg-inet rg-unix rgfull-inet rgfull-unix rspamd-inet rspamd-unix odkim-inet odkim-unix"}
ODKIM=/usr/sbin/opendkim
RSPAMD=/usr/bin/rspamd
D=bench.test
FROM=sender@$D
RCPT=rcpt@example.net
SAMPLE_RCPT=rcpt@sample.example.net	# routed to the dumping sink
HZ=$(getconf CLK_TCK)
# mail must arrive at >= 5 msg/s or the rig is considered broken
TIMEOUT=$((N / 5 < 60 ? 60 : N / 5))

for c in smtp-source /usr/bin/time "$ODKIM" "$RSPAMD" redis-server; do
	command -v "$c" > /dev/null ||
		{ echo "FAIL: bench: $c missing (make deps)"; exit 1; }
done
case $N in '' | *[!0-9]* | 0) echo "FAIL: bench: BENCH_MSGS=$N"; exit 1 ;; esac

rig_init bench
B=$RUN/bench
mkdir -p "$B"
BROKEN=0

# broken MSG - the rig (not the speed) failed: note it, go on
broken() {
	echo "FAIL: $*"
	BROKEN=$((BROKEN + 1))
}

# --- DNS (for the sample checks) ------------------------------------------

# Other test runs may hold the default rig DNS address: try a few.
if [ -z "${BENCH_DNS_FIXED:-}" ]; then
	for ip in "$RG_DNS_IP" 127.0.31.153 127.0.32.153 127.0.33.153; do
		RG_DNS_IP=$ip
		rig_dns_start 2> "$B/dns.err" && break
		RG_DNS_IP=""
	done
	[ -n "$RG_DNS_IP" ] || { cat "$B/dns.err"; exit 1; }
else
	rig_dns_start
fi
rig_keys "$D"
# RSA-2048 only (rg-*, odkim-*), RSA-2048 + Ed25519 (rgfull-*)
cp "$RUN/keys/SigningTable" "$B/SigningTable.full"
grep " rsa\._domainkey\.$D\$" "$RUN/keys/SigningTable" > "$B/SigningTable"
cat "$B/SigningTable" > "$RUN/keys/SigningTable"

# one Redis for the limits of relayguard and rspamd's ratelimit; flushed
# before each configuration
rr_start bench
REDIS_PORT=$(rr_port bench)
REDIS_PID=$(rr_pid bench)

# --- sinks and Postfix ----------------------------------------------------

# The rig's sink (-d, one file per message) takes the samples; a second
# smtp-sink that keeps nothing takes the load.
rig_sink_start
DUMP_PORT=$SINK_PORT
FAST_PORT=$(rig_free_port)
smtp-sink -u postfix -4 -h sink.test "127.0.0.1:$FAST_PORT" 256 \
	< /dev/null > "$B/fastsink.log" 2>&1 &
SINK_PID=$!
rig_track_pid "$SINK_PID" smtp-sink-fast
rig_wait_listen "127.0.0.1:$FAST_PORT" 5

rig_postfix_start ""
PF_LOG=$RUN/postfix/maillog
# The same tuning for every configuration: room for 20+ smtpd and 20
# deliveries at once, no ramp-up towards the sink, cached connections to
# it.  Samples (rcpt@sample.example.net) go to the dumping sink.
rig_postconf \
	"relayhost = [127.0.0.1]:$FAST_PORT" \
	"transport_maps = inline:{ {sample.example.net = smtp:[127.0.0.1]:$DUMP_PORT} }" \
	"default_process_limit = 200" \
	"smtpd_client_connection_count_limit = 0" \
	"default_destination_concurrency_limit = 20" \
	"initial_destination_concurrency = 20" \
	"smtp_connection_cache_on_demand = yes" \
	"smtp_connection_cache_destinations = [127.0.0.1]:$FAST_PORT" \
	"smtpd_peername_lookup = no" \
	"milter_default_action = tempfail"
# BENCH_POSTCONF: more 'name = value' settings, ';'-separated (experiments)
if [ -n "${BENCH_POSTCONF:-}" ]; then
	IFS=';' read -r -a extra <<< "$BENCH_POSTCONF"
	rig_postconf "${extra[@]}"
fi
# a restart, not a reload: every setting (import_environment too) holds
rig_postfix_stop
rig__postfix start
RG_POSTFIX_STARTED=1
rig_wait_listen "127.0.0.1:$SMTP_PORT" 10
MASTER_PID=$(rig__postfix_master_pid)

# bench_reload - rig_postfix_reload (which waits for the old generation)
bench_reload() {
	rig_postfix_reload
}

# --- filters --------------------------------------------------------------

# BENCH_PRELOAD=nodelay: build tests/bench/preload/NAME.c and
# preload them into the filters (experiments; see those files)
PRELOAD=""
for x in $(echo "${BENCH_PRELOAD:-}" | tr ',' ' '); do
	cc -O2 -Wall -Wextra -shared -fPIC -o "$B/$x.so" \
		"$RG_TOP/tests/bench/preload/$x.c" -ldl -lcrypto ||
		{ echo "FAIL: bench: cannot build preload/$x.c"; exit 1; }
	PRELOAD=${PRELOAD:+$PRELOAD:}$B/$x.so
done
FILTER_ENV="${BENCH_FILTER_ENV:-}${PRELOAD:+ LD_PRELOAD=$PRELOAD NODELAY_LISTEN=1}"

FILTER_PID=""
MILTER=""
FILTER_LOG=""

# start_relayguard inet|unix [full] - rg.sh's relayguard, RSA-only table;
# full: both keys, limits and abuse control in Redis, own_domains, SPF
start_relayguard() {
	local -a more=()
	if [ "$1" = inet ]; then
		rg_socket_inet
	else
		rg_socket_unix
	fi
	if [ "${2:-}" = full ]; then
		printf 'plan big\n\thour messages 100000000/1h\n%s\n%s\n%s\n' \
			'	day recipients 100000000/1d' 'sender * big' 'ip * big' \
			> "$B/limits"
		more=("limits = yes" "limit_map = $B/limits" "limit_backend = redis"
			"redis_server = 127.0.0.1:$REDIS_PORT" "abuse_control = yes"
			"own_domains = $D" "spf_check = yes")
	fi
	rg_conf "socket_group = postfix" "socket_mode = 0660" \
		"internal_hosts = 127.0.0.0/8" "${more[@]}"
	# a pid file of its own: the one before may still be exiting (it
	# holds its pid file's lock until then)
	sed -i "s#^pid_file = .*#pid_file = $B/relayguard-$1${2:+-$2}.pid#" \
		"$RUN/relayguard.conf"
	[ "${2:-}" = full ] &&
		sed -i "s#^signing_table = .*#signing_table = refile:$B/SigningTable.full#" \
			"$RUN/relayguard.conf"
	# shellcheck disable=SC2086
	env $FILTER_ENV "${BENCH_RG_BIN:-$RG_BIN}" -f -e -c "$RUN/relayguard.conf" \
		>> "$RUN/relayguard.log" 2>&1 &
	RG_PID=$!
	rig_track_pid "$RG_PID" relayguard
	rig_wait_listen "$RG_SOCKET" 10 || { tail "$RUN/relayguard.log"; return 1; }
	FILTER_PID=$RG_PID
	MILTER=$RG_MILTER
	FILTER_LOG=$RUN/relayguard.log
}

# start_opendkim inet|unix - Debian's opendkim with its own config file,
# in the foreground, same key and table, never /etc/opendkim.conf
start_opendkim() {
	local dir=$RUN/opendkim-$1 port sock
	mkdir -p "$dir"
	if [ "$1" = inet ]; then
		port=$(rig_free_port)
		sock=inet:$port@127.0.0.1
		MILTER=inet:127.0.0.1:$port
	else
		sock=unix:$dir/opendkim.sock
		MILTER=$sock
	fi
	cat > "$dir/opendkim.conf" <<-EOF
	# generated by tests/bench/bench.sh
	Mode			s
	Syslog			no
	Background		no
	PidFile			$dir/opendkim.pid
	Socket			$sock
	KeyTable		file:$RUN/keys/KeyTable
	SigningTable		refile:$RUN/keys/SigningTable
	SignatureAlgorithm	rsa-sha256
	Canonicalization	relaxed/relaxed
	InternalHosts		127.0.0.0/8
	# the socket must be reachable by smtpd (user postfix)
	UMask			000
	EOF
	# shellcheck disable=SC2086
	env $FILTER_ENV "$ODKIM" -f -x "$dir/opendkim.conf" \
		< /dev/null > "$dir/stderr.log" 2>&1 &
	FILTER_PID=$!
	rig_track_pid "$FILTER_PID" opendkim
	rig_wait_listen "$sock" 10 || { cat "$dir/stderr.log"; return 1; }
	FILTER_LOG=$dir/stderr.log
}

# start_rspamd inet|unix - Debian's rspamd 3.4, its proxy worker in milter
# mode scanning by itself: DKIM signing with the RSA key, a ratelimit by
# sender and by client address in the bench's Redis.  Its own top-level
# config (not /etc/rspamd/rspamd.conf, which would load every module and
# the system's paths); the compiled regular expressions are cached in
# build/ so that only the first run waits for them.
start_rspamd() {
	local dir=$RUN/rspamd-$1 port sock hs=$RG_TOP/build/bench-rspamd-cache
	mkdir -p "$dir" "$hs"
	if [ "$1" = inet ]; then
		port=$(rig_free_port)
		sock=127.0.0.1:$port
		MILTER=inet:127.0.0.1:$port
	else
		sock="$dir/rspamd.sock mode=0666"
		MILTER=unix:$dir/rspamd.sock
	fi
	cat > "$dir/rspamd.conf" <<-EOF
	# generated by tests/bench/bench.sh
	options {
		pidfile = "$dir/rspamd.pid";
		local_addrs = [127.0.0.0/8];
		# the C module dkim_signing needs; no spam rules
		filters = "dkim";
		control_socket = "$dir/rspamd.ctl mode=0600";
		history_file = "$dir/history";
		cache_file = "$dir/symbols.cache";
		dynamic_conf = "$dir/dynamic";
		stats_file = "$dir/stats.ucl";
		hs_cache_dir = "$hs/";
		tempdir = "$dir";
	}
	logging {
		type = "file";
		filename = "$dir/rspamd.log";
		level = "notice";
	}
	modules {
		path = "\${PLUGINSDIR}";
	}
	actions {
		reject = 15;
		add_header = 6;
	}
	redis {
		servers = "127.0.0.1:$REDIS_PORT";
	}
	dkim {
	}
	dkim_signing {
		domain {
			$D {
				path = "$RUN/keys/rsa.private";
				selector = "rsa";
			}
		}
		sign_local = true;
		allow_username_mismatch = true;
	}
	ratelimit {
		check_local = true;
		check_authed = true;
		rates {
			by_sender {
				selector = 'from("smtp"):addr';
				bucket = { burst = 100000000; rate = "100000000 / 1h"; }
			}
			by_ip {
				selector = "ip";
				bucket = { burst = 100000000; rate = "100000000 / 1h"; }
			}
		}
	}
	worker "rspamd_proxy" {
		bind_socket = "$sock";
		milter = yes;
		timeout = 120s;
		count = $NCPU;
		upstream "local" {
			default = yes;
			self_scan = yes;
		}
	}
	EOF
	# shellcheck disable=SC2086
	env $FILTER_ENV "$RSPAMD" -f -i -c "$dir/rspamd.conf" \
		< /dev/null > "$dir/stderr.log" 2>&1 &
	FILTER_PID=$!
	rig_track_pid "$FILTER_PID" rspamd
	# the first start compiles its regular expressions: up to minutes
	rig_wait_listen "$MILTER" 300 ||
		{ tail "$dir/stderr.log" "$dir/rspamd.log"; return 1; }
	FILTER_LOG=$dir/rspamd.log
}

# start_nullmilter inet|unix - tests/bench/nullmilter.c: a filter that
# does no work but sends what relayguard sends (the protocol's floor).
# BENCH_NULL_ARGS: more options for it (-n: TCP_NODELAY, -s STEPS).
start_nullmilter() {
	local src=$RG_TOP/tests/bench/nullmilter.c bin=$B/nullmilter port sock
	if [ ! -x "$bin" ]; then
		cc -O2 -Wall -Wextra -o "$bin" "$src" -lmilter ||
			{ echo "bench: cannot build $src" >&2; return 1; }
	fi
	if [ "$1" = inet ]; then
		port=$(rig_free_port)
		sock=inet:$port@127.0.0.1
		MILTER=inet:127.0.0.1:$port
	else
		sock=unix:$B/nullmilter.sock
		MILTER=$sock
	fi
	# shellcheck disable=SC2086
	env $FILTER_ENV "$bin" -p "$sock" ${BENCH_NULL_ARGS:-} \
		< /dev/null > "$B/nullmilter-$1.log" 2>&1 &
	FILTER_PID=$!
	rig_track_pid "$FILTER_PID" nullmilter
	rig_wait_listen "$sock" 10 || { cat "$B/nullmilter-$1.log"; return 1; }
	[ "$1" = inet ] || chmod 666 "$B/nullmilter.sock"
	FILTER_LOG=$B/nullmilter-$1.log
}

# --- measuring helpers ----------------------------------------------------

# ticks PID - utime+stime of a process (all its threads), clock ticks
ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $(( ${12} + ${13} ))
}

# filter_ticks - the filter and its live child processes (rspamd's
# workers, relayguard's SPF process)
filter_ticks() {
	local t p
	[ -n "$FILTER_PID" ] || { echo 0; return; }
	t=$(ticks "$FILTER_PID")
	for p in $(ps -o pid= --ppid "$FILTER_PID"); do
		t=$((t + $(ticks "$p")))
	done
	echo "$t"
}

# postfix_ticks - the master, its reaped children, its live children
postfix_ticks() {
	local s t p
	s=$(cat "/proc/$MASTER_PID/stat") || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	t=$(( ${12} + ${13} + ${14} + ${15} ))
	for p in $(ps -o pid= --ppid "$MASTER_PID"); do
		t=$((t + $(ticks "$p")))
	done
	echo "$t"
}

# machine_ms - "busy total" CPU milliseconds of the machine, all CPUs:
# total = CPUs x uptime, busy = total - idle (/proc/uptime).  Not the busy
# fields of /proc/stat: those are tick samples and, on this kind of VM,
# miss 10-25 % of the time when many short bursts run (checked against the
# wall clock), while idle time is measured exactly.
NCPU=$(nproc)
machine_ms() {
	awk -v n="$NCPU" '{ printf "%d %d\n", (n * $1 - $2) * 1000, n * $1 * 1000 }' /proc/uptime
}

# log_since OFFSET - the maillog from byte OFFSET on
log_since() {
	tail -c "+$(($1 + 1))" "$PF_LOG"
}

SENT_RE="relay=127\.0\.0\.1\[127\.0\.0\.1\]:$FAST_PORT,.*status=sent"

# sent_since OFFSET - deliveries to the fast sink since OFFSET
sent_since() {
	log_since "$1" | grep -c "$SENT_RE" || true
}

# wait_sent OFFSET N - wait until N deliveries to the fast sink
wait_sent() {
	local off=$1 n=$2 c=0 t0=$SECONDS
	while [ $((SECONDS - t0)) -lt "$TIMEOUT" ]; do
		c=$(sent_since "$off")
		[ "$c" -ge "$n" ] && return 0
		sleep 0.2
	done
	echo "timeout after ${TIMEOUT}s: $c of $n delivered" >&2
	postqueue -c "$RUN/postfix/etc" -p 2>&1 | tail -n 5 | sed 's/^/    | /' >&2
	log_since "$off" | grep -vE 'status=sent|: (connect|disconnect) from|client=|message-id=|from=<|removed$' |
		tail -n 10 | sed 's/^/    | /' >&2
	return 1
}

# watch_end OFFSET N FILE - (run in the background) when the maillog shows
# N deliveries to the fast sink after OFFSET, write the time to FILE.
# The maillog has whole seconds only; tail -F (inotify) sees each line as
# it is written, so this is the moment of the last delivery to a few ms.
watch_end() {
	local fifo=$B/watch.fifo tp
	rm -f "$fifo"
	mkfifo "$fifo"
	tail -c "+$(($1 + 1))" -F "$PF_LOG" > "$fifo" 2> /dev/null &
	tp=$!
	# (not > /dev/null: GNU grep then reads to EOF despite -m)
	grep -m "$2" "$SENT_RE" < "$fifo" > "$3.lines"
	date +%s.%N > "$3"
	kill "$tp" 2> /dev/null
	wait "$tp" 2> /dev/null || true
	rm -f "$fifo"
}

# source COUNT RCPT [SESSIONS] - smtp-source into Postfix
source_mail() {
	smtp-source -s "${3:-$SESSIONS}" -m "$1" -l "$SIZE" -f "$FROM" -t "$2" \
		-M client.test "127.0.0.1:$SMTP_PORT"
}

SAMPLES_SENT=0
# check_samples CONF WHEN - send BENCH_SAMPLE messages to the dumping sink,
# verify them: signed (milter) or unsigned (bare)
check_samples() {
	local conf=$1 when=$2 files out rc
	find "$RUN/sink" -maxdepth 1 -type f | sort > "$B/sink.before"
	source_mail "$SAMPLE" "$SAMPLE_RCPT" 1 > "$B/sample.log" 2>&1 ||
		{ broken "$conf: smtp-source (sample $when) failed"; cat "$B/sample.log"; return 1; }
	SAMPLES_SENT=$((SAMPLES_SENT + SAMPLE))
	rig_wait_delivered "$SAMPLES_SENT" 60 > /dev/null ||
		{ broken "$conf: samples $when not delivered"; return 1; }
	# the new files (names sort by second only, not by arrival)
	files=$(find "$RUN/sink" -maxdepth 1 -type f | sort | comm -13 "$B/sink.before" -)
	case $conf in
	bare | null-*)
		# shellcheck disable=SC2086
		if out=$(rig_verify --expect-unsigned $files 2>&1); then
			echo "  $when: $SAMPLE sampled messages unsigned (as expected)"
		else
			broken "$conf: signed mail without a signing filter?"; echo "$out"
		fi
		return 0
		;;
	esac
	# shellcheck disable=SC2086
	out=$(rig_verify $files 2>&1)
	rc=$?
	if [ "$rc" = 0 ] &&
		[ "$(echo "$out" | grep -c 'a=rsa-sha256: signature ok$')" = "$SAMPLE" ] &&
		{ [ "${conf#rgfull-}" = "$conf" ] ||
		  [ "$(echo "$out" | grep -c 'a=ed25519-sha256: signature ok$')" = "$SAMPLE" ]; }; then
		case $conf in
		rgfull-*) echo "  $when: $SAMPLE sampled messages signed, rsa-sha256 + ed25519-sha256, verify ok" ;;
		*) echo "  $when: $SAMPLE sampled messages signed, rsa-sha256, verify ok" ;;
		esac
	else
		broken "$conf: sampled messages not (correctly) signed ($when)"
		printf '%s\n' "$out" | sed 's/^/    | /'
	fi
}

# stop_probe PID - SIGINT to the probe and its children (strace, perf
# print their summaries on it); SIGTERM after 10 s (a background shell
# script ignores SIGINT), SIGKILL after 15 s.
stop_probe() {
	local pid=$1 p i
	for p in "$pid" $(ps -o pid= --ppid "$pid"); do
		kill -INT "$p" 2> /dev/null || true
	done
	for i in $(seq 150); do
		kill -0 "$pid" 2> /dev/null || break
		[ "$i" = 100 ] && kill -TERM "$pid" 2> /dev/null
		sleep 0.1
	done
	kill -KILL "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
}

# --- one configuration ----------------------------------------------------

RESULTS=$B/results	# CONF N SECONDS FILTER_MS PF_MS SINK_MS SRC_MS BUSY_MS ALL_MS REDIS_MS

run_config() {
	local conf=$1 off loff=0 f0 f1 p0 p1 s0 s1 m0 m1 w0 w1 t1 r0 r1 probe=""
	local line secs start watcher signed_re
	FILTER_PID=""
	MILTER=""
	FILTER_LOG=""
	echo "== $conf"
	case $conf in
	bare) ;;
	rg-inet) start_relayguard inet ;;
	rg-unix) start_relayguard unix ;;
	rgfull-inet) start_relayguard inet full ;;
	rgfull-unix) start_relayguard unix full ;;
	rspamd-inet) start_rspamd inet ;;
	rspamd-unix) start_rspamd unix ;;
	odkim-inet) start_opendkim inet ;;
	odkim-unix) start_opendkim unix ;;
	null-inet) start_nullmilter inet ;;
	null-unix) start_nullmilter unix ;;
	*) broken "unknown configuration $conf"; return 0 ;;
	esac || { broken "$conf: filter did not start"; return 0; }
	rig_postconf "smtpd_milters = $MILTER" "non_smtpd_milters = $MILTER"
	bench_reload || { broken "$conf: postfix reload"; return 0; }
	redis-cli -p "$REDIS_PORT" flushall > /dev/null
	echo "  milter: ${MILTER:-none}${FILTER_PID:+, filter pid $FILTER_PID}"

	check_samples "$conf" before || true

	# warm-up: new smtpd processes, milter threads, caches
	off=$(stat -c %s "$PF_LOG")
	if ! source_mail "$WARM" "$RCPT" > "$B/warm.log" 2>&1 || ! wait_sent "$off" "$WARM"; then
		broken "$conf: warm-up failed"; cat "$B/warm.log"
		stop_filter; return 0
	fi
	sleep 0.5

	# the measured run
	off=$(stat -c %s "$PF_LOG")
	[ -n "$FILTER_LOG" ] && loff=$(stat -c %s "$FILTER_LOG")
	if [ -n "${BENCH_PROBE:-}" ] && [ -n "$FILTER_PID" ]; then
		BENCH_CONF=$conf FILTER_PID=$FILTER_PID RUN=$RUN \
			bash -c "$BENCH_PROBE" > "$B/probe.$conf.log" 2>&1 &
		probe=$!
		sleep 1
	fi
	rm -f "$B/end.$conf"
	watch_end "$off" "$N" "$B/end.$conf" &
	watcher=$!
	f0=$(filter_ticks); r0=$(ticks "$REDIS_PID")
	p0=$(postfix_ticks); s0=$(ticks "$SINK_PID"); read -r m0 w0 < <(machine_ms)
	start=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$B/time.$conf" \
		smtp-source -s "$SESSIONS" -m "$N" -l "$SIZE" -f "$FROM" -t "$RCPT" \
		-M client.test "127.0.0.1:$SMTP_PORT" > "$B/source.$conf.log" 2>&1 ||
		{ broken "$conf: smtp-source failed"; sed 's/^/    | /' "$B/source.$conf.log"; }
	for _ in $(seq $((TIMEOUT * 20))); do
		[ -s "$B/end.$conf" ] && break
		sleep 0.05
	done
	if [ ! -s "$B/end.$conf" ]; then
		wait_sent "$off" "$N" ||
			broken "$conf: not all $N messages delivered"
		kill "$watcher" 2> /dev/null || true
		echo "$start" > "$B/end.$conf"
	fi
	wait "$watcher" 2> /dev/null || true
	f1=$(filter_ticks); r1=$(ticks "$REDIS_PID")
	p1=$(postfix_ticks); s1=$(ticks "$SINK_PID"); read -r m1 w1 < <(machine_ms)
	[ -z "$probe" ] || stop_probe "$probe"
	t1=$(awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$B/time.$conf")

	log_since "$off" > "$B/maillog.$conf"
	secs=$(awk -v a="$start" -v b="$(cat "$B/end.$conf")" 'BEGIN { printf "%.3f", b - a }')

	# signing check over the whole run (relayguard logs every decision,
	# rspamd every task with its symbols)
	case $conf in
	rg-*) signed_re=': signed: d=bench\.test s=rsa a=rsa-sha256;' ;;
	rgfull-*) signed_re=': signed: d=bench\.test s=rsa a=rsa-sha256, d=bench\.test s=ed a=ed25519-sha256;' ;;
	rspamd-*) signed_re='DKIM_SIGNED\(0\.00\)\{bench\.test:s=rsa;\}' ;;
	*) signed_re="" ;;
	esac
	if [ -n "$signed_re" ]; then
		line=$(tail -c "+$((loff + 1))" "$FILTER_LOG" | grep -cE "$signed_re" || true)
		if [ "$line" -ge "$N" ]; then
			echo "  the filter logged $line signed messages for $N"
		else
			broken "$conf: the filter logged $line signed messages for $N"
			tail -c "+$((loff + 1))" "$FILTER_LOG" | grep -vE "$signed_re" | tail -n 5 | sed 's/^/    | /'
		fi
	fi
	check_samples "$conf" after || true
	echo "$conf $N $secs $(( (f1 - f0) * 1000 / HZ )) $(( (p1 - p0) * 1000 / HZ ))" \
		"$(( (s1 - s0) * 1000 / HZ )) $t1 $((m1 - m0)) $((w1 - w0))" \
		"$(( (r1 - r0) * 1000 / HZ ))" >> "$RESULTS"
	awk -v s="$secs" -v n="$N" 'BEGIN { printf "  %d messages in %.3f s: %.1f msg/s\n", n, s, (s > 0) ? n / s : 0 }'
	stop_filter
}

# stop_filter - take the filter out of Postfix and send it SIGTERM (by
# pid).  No waiting: a libmilter filter notices only within 5 s, idle; the
# EXIT trap (rig_cleanup) waits for all of them at once and SIGKILLs what
# is left.  Every filter has its own socket, so an old one that exits late
# removes nothing of the next.
stop_filter() {
	[ -n "$FILTER_PID" ] || return 0
	rig_postconf "smtpd_milters =" "non_smtpd_milters ="
	bench_reload || true
	kill -TERM "$FILTER_PID" 2> /dev/null || true
	FILTER_PID=""
}

# --- main -----------------------------------------------------------------

: > "$RESULTS"
echo "bench: $N messages of $SIZE bytes, $SESSIONS sessions, warm-up $WARM," \
	"$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench: Postfix 127.0.0.1:$SMTP_PORT -> smtp-sink 127.0.0.1:$FAST_PORT" \
	"(samples -> 127.0.0.1:$DUMP_PORT), RSA-2048 key, relaxed/relaxed"
for v in BENCH_PRELOAD BENCH_FILTER_ENV BENCH_RG_BIN BENCH_NULL_ARGS BENCH_POSTCONF; do
	[ -z "${!v:-}" ] || echo "bench: experiment: $v=${!v}"
done
for conf in $CONFIGS; do
	run_config "$conf"
done

echo
echo "bench: load average after the runs $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v sess="$SESSIONS" '
	{ conf[NR] = $1; n[NR] = $2; s[NR] = $3; fms[NR] = $4; pms[NR] = $5
	  sms[NR] = $6; src[NR] = $7; busy[NR] = $8; wall[NR] = $9; rms[NR] = $10
	  r[$1] = ($3 > 0) ? $2 / $3 : 0 }
	function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
	END {
	  bare = r["bare"]
	  printf "%-12s %6s %8s %8s %6s %8s %9s\n", "config", "msgs", "seconds", "msg/s", "x bare", "x rspamd", "session"
	  for (i = 1; i <= NR; i++) {
		c = conf[i]; k = (c ~ /-unix$/) ? "unix" : "inet"
		printf "%-12s %6d %8.3f %8.1f %6s %8s %7.1fms\n", c, n[i], s[i], r[c],
			ratio(r[c], bare), (c == "bare") ? "-" : ratio(r[c], r["rspamd-" k]),
			(r[c] > 0) ? sess / r[c] * 1000 : 0
	  }
	  print "(x rspamd: against rspamd on the same kind of socket; session: mean"
	  print "duration of one SMTP session, sessions / msg/s)"
	  print ""
	  print "CPU per message in ms: the filter (all its threads and processes),"
	  print "Postfix (master and children), Redis, smtp-sink, smtp-source, the"
	  print "whole machine (/proc/uptime: also the kernel and anything else"
	  print "running), other = machine - the rest; busy = share of all CPUs used"
	  printf "%-12s %7s %8s %6s %6s %7s %8s %7s %6s\n", "config", "filter", "postfix", "redis", "sink",
		"source", "machine", "other", "busy"
	  for (i = 1; i <= NR; i++)
		printf "%-12s %7.3f %8.3f %6.3f %6.3f %7.3f %8.3f %7.3f %5.0f%%\n", conf[i],
			fms[i] / n[i], pms[i] / n[i], rms[i] / n[i], sms[i] / n[i], src[i] / n[i],
			busy[i] / n[i], (busy[i] - fms[i] - pms[i] - rms[i] - sms[i] - src[i]) / n[i],
			(wall[i] > 0) ? busy[i] * 100 / wall[i] : 0
	  print ""
	  for (t = 1; t <= 2; t++) {
		k = (t == 1) ? "inet" : "unix"
		printf "%s: relayguard/bare %s, relayguard/opendkim %s; provider set: relayguard/bare %s, relayguard/rspamd %s\n", k,
			ratio(r["rg-" k], bare), ratio(r["rg-" k], r["odkim-" k]),
			ratio(r["rgfull-" k], bare), ratio(r["rgfull-" k], r["rspamd-" k])
	  }
	}' "$RESULTS"

if [ "$BROKEN" != 0 ]; then
	echo "bench: $BROKEN problem(s) with the rig or with signing (see FAIL: lines)"
	exit 1
fi
echo "bench: done (timings are information, not pass/fail)"
