# shellcheck shell=bash
# lib.sh - integration-test rig: throwaway DNS, DKIM keys, SMTP sink and a
# private Postfix instance on loopback.  Sourced by tests/integration/t_*.sh,
# the rig self-test and tests/demo.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	rig_init mytest			# run dir + EXIT trap
#	rig_dns_start			# unbound on $RG_DNS_IP:53, zone "test."
#	rig_keys sign.test		# keys + KeyTable/SigningTable + DNS records
#	rig_sink_start			# smtp-sink, one file per message in $RUN/sink
#	...start the milter, rig_track_pid $!...
#	rig_postfix_start inet:127.0.0.1:$PORT
#	rig_send --from a@sign.test --to b@example.net
#	rig_wait_delivered 1
#	rig_verify "$RUN"/sink/*
#
# Everything the rig starts listens on loopback only, lives in $RUN and is
# stopped by its pid when the script exits (never by process name).  Nothing
# outside $RUN is written; /etc/postfix and the machine's Postfix are not
# touched.
#
# Functions (the names are a contract with the tests; keep them):
#   rig_init NAME		make $RUN, install the EXIT trap
#   rig_cleanup			stop what the rig started, remove $RUN
#   rig_track_pid PID [LABEL]	stop PID in rig_cleanup too (PID: a job of
#				this shell, e.g. $!, or any pid we started)
#   rig_stop_pid PID [SIG]	stop one tracked pid now (TERM, 10 s, KILL)
#   rig_free_port		print a free TCP port on 127.0.0.1
#   rig_wait_listen SOCKET [T]	wait until inet:/unix: SOCKET accepts
#   rig_dns_start		unbound for the zone "test." on $RG_DNS_IP:53
#   rig_dns_add RECORD...	add records live ('NAME. 60 TXT "..."')
#   rig_dns_del NAME...		remove all records of NAME live
#   rig_keys DOMAIN		RSA + Ed25519 keys, tables, DNS records
#   rig_sink_start		smtp-sink on 127.0.0.1:$SINK_PORT
#   rig_sink_count		number of messages in $RUN/sink
#   rig_postfix_start [MILTER]	private Postfix on 127.0.0.1:$SMTP_PORT
#   rig_postconf 'k = v'...	change the private main.cf (then reload)
#   rig_postfix_reload		postfix reload, wait until it is done
#   rig_postfix_stop		postfix stop, wait for the master to exit
#   rig_sasl_user USER PASS	add a SASL login (Cyrus sasldb in $RUN/sasl);
#				the first call turns SASL AUTH on in Postfix
#   rig_wait_delivered N [T]	N messages in the sink, Postfix queue empty
#   rig_send SWAKS-ARGS...	swaks to 127.0.0.1:$SMTP_PORT, quiet if ok
#   rig_sendmail ARGS... <MSG	sendmail(1) of the private instance
#   rig_verify FILE...		dkimverify.py against the rig DNS
#   rig_pass MSG / rig_fail MSG	print "ok: MSG" / "FAIL: MSG" (returns 1)
#
# Environment: RG_KEEP=1 keeps $RUN after the run; RG_DNS_IP (default
# 127.0.0.153) picks the DNS address; RG_KEY_OWNER (default root) owns the
# key directory; RG_RUN_BASE overrides the parent of the run directories;
# RG_STOP_GRACE (default 10) is the seconds between SIGTERM and SIGKILL.

# The repository top, from this file's own location.
RG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RG_TOP=$(cd "$RG_LIB_DIR/../.." && pwd)
RG_PY=/usr/bin/python3		# Debian's python: sees python3-dkim
RG_DNS_IP=${RG_DNS_IP:-127.0.0.153}
RG_KEY_OWNER=${RG_KEY_OWNER:-root}
RG_FAILS=0
export RG_TOP RG_DNS_IP
case :$PATH: in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

# --- messages ------------------------------------------------------------

rig_pass() { echo "ok: $*"; }

# rig_fail MSG - print "FAIL: MSG" and return 1: under set -e a bare
# rig_fail ends the script; "rig_fail ... || true" goes on counting.
rig_fail() {
	echo "FAIL: $*"
	RG_FAILS=$((RG_FAILS + 1))
	return 1
}

rig__log() { echo "rig: $*" >&2; }

# rig_check DESC CMD... - run CMD, print ok:/FAIL: DESC (CMD's output
# indented below a failure), count failures; never ends the script
rig_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		rig_pass "$desc"
	else
		rig_fail "$desc" || true
		[ -z "$out" ] || echo "$out" | sed 's/^/    | /'
	fi
}

# rig__die MSG - a rig function cannot go on: say why, return 1.
rig__die() {
	echo "FAIL: rig: $*" >&2
	return 1
}

# --- run directory and cleanup -------------------------------------------

# rig__dir_safe DIR - true when no directory from / down to DIR is writable
# by others (or by a group other than root's) and all are searchable by
# others, so that DKIM key-safety checks accept keys below DIR and the
# postfix user can reach its queue.
rig__dir_safe() {
	local d perm
	d=$(cd "$1" && pwd -P) || return 1
	while :; do
		perm=$(stat -c %A "$d") || return 1
		case $perm in ????????w?) return 1 ;; esac	# o+w, sticky or not
		case $perm in ?????w????) [ "$(stat -c %g "$d")" = 0 ] || return 1 ;; esac
		case $perm in ?????????x|?????????t) ;; *) return 1 ;; esac
		[ "$d" = / ] && return 0
		d=$(dirname "$d")
	done
}

# rig_init NAME - create the run directory $RG_TOP/build/run/NAME.XXXXXX
# (mode 0755, not below /tmp: DKIM key checks refuse world-writable
# parents), export RUN and install the EXIT trap.
rig_init() {
	local name=${1:?usage: rig_init NAME} base c missing=""
	for c in unbound unbound-control unbound-checkconf smtp-sink postfix \
		postconf postqueue swaks openssl ss script dig "$RG_PY"; do
		command -v "$c" > /dev/null || missing="$missing $c"
	done
	"$RG_PY" -c 'import dkim, dns.resolver, nacl' 2> /dev/null ||
		missing="$missing python3-dkim/dnspython/nacl"
	if [ -n "$missing" ]; then
		rig__die "missing:$missing (install tests/integration/packages.txt)"
		return 1
	fi
	base=${RG_RUN_BASE:-$RG_TOP/build/run}
	mkdir -p "$base"
	chmod 0755 "$base"
	if ! rig__dir_safe "$base"; then
		# tests/run.sh exports RG_SAFE_TMPDIR when the tree is unsafe
		if [ -n "${RG_SAFE_TMPDIR:-}" ] && rig__dir_safe "$RG_SAFE_TMPDIR"; then
			base=$RG_SAFE_TMPDIR/run
			mkdir -p "$base"
			chmod 0755 "$base"
		elif [ "$(id -u)" = 0 ] && rig__dir_safe /run; then
			# e.g. "make demo" in a clone under /tmp: a base of
			# our own under /run, removed again in rig_cleanup
			RG_MADE_BASE=$(mktemp -d /run/relayguard-rig.XXXXXX)
			chmod 0755 "$RG_MADE_BASE"
			base=$RG_MADE_BASE
		else
			rig__die "$base: a parent is writable by others or not" \
				"searchable: set RG_RUN_BASE to a safe directory"
			return 1
		fi
	fi
	RUN=$(mktemp -d "$base/$name.XXXXXX")
	chmod 0755 "$RUN"
	export RUN
	: > "$RUN/.pids"
	: > "$RUN/.ports"
	RG_POSTFIX_STARTED=0
	trap rig_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	rig__log "run directory $RUN"
}

# rig__starttime PID - the process start time (field 22 of /proc/PID/stat),
# to tell our process from a later one that reuses its pid.
rig__starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }		# the command name may contain blanks
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}"
}

# rig_track_pid PID [LABEL] - stop PID in rig_cleanup (and rig_stop_pid).
rig_track_pid() {
	local pid=${1:?usage: rig_track_pid PID [LABEL]} st
	st=$(rig__starttime "$pid") || { rig__die "pid $pid is not running"; return 1; }
	echo "$pid $st ${2:-pid}" >> "$RUN/.pids"
	# out of the job table: bash reaps it silently (no "Killed" notice)
	disown "$pid" 2>/dev/null || true
}

# rig__alive PID START - PID runs (not a zombie) and is still the process
# we started.
rig__alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- "$2" $stat
	[ "$2" != Z ] && [ "${21}" = "$1" ]
}

# rig__stop SIGNAL ENTRY... - ENTRY is "PID START LABEL" (a line of
# $RUN/.pids): send SIGNAL to all of them, wait up to RG_STOP_GRACE seconds
# (default 10) for all together, SIGKILL what is left, reap our children.
# Why 10 and not 5: a libmilter filter (opendkim, relayguard) notices
# SIGTERM only when its listener polls the stop flag, every 5 s.
rig__stop() {
	local sig=$1 grace=${RG_STOP_GRACE:-10} e pid st label left i
	shift
	for e in "$@"; do
		read -r pid st label <<< "$e"
		rig__alive "$pid" "$st" && kill "-$sig" "$pid" 2>/dev/null
	done
	for i in $(seq $((grace * 10))); do
		left=0
		for e in "$@"; do
			read -r pid st label <<< "$e"
			rig__alive "$pid" "$st" && left=1
		done
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	for e in "$@"; do
		read -r pid st label <<< "$e"
		if rig__alive "$pid" "$st"; then
			rig__log "$label (pid $pid) still runs ${grace}s after SIG$sig: SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	return 0
}

# rig_stop_pid PID [SIGNAL] - stop one tracked pid now (default SIGTERM,
# then SIGKILL after RG_STOP_GRACE s); SIGNAL KILL simulates a crash.
rig_stop_pid() {
	local pid=${1:?usage: rig_stop_pid PID [SIGNAL]} e
	local -a mine=()
	while read -r e; do
		[ "${e%% *}" = "$pid" ] && mine+=("$e")
	done < "$RUN/.pids"
	[ ${#mine[@]} -gt 0 ] || { rig__die "rig_stop_pid: pid $pid is not tracked"; return 1; }
	rig__stop "${2:-TERM}" "${mine[@]}"
}

# rig_cleanup - stop everything the rig started (Postfix first, then all
# tracked pids together) and remove $RUN unless RG_KEEP=1.  Installed as the
# EXIT trap (INT and TERM exit through it); keeps the script's exit status.
rig_cleanup() {
	local rc=$? lines
	set +e
	trap - EXIT INT TERM
	[ -n "${RUN:-}" ] && [ -d "$RUN" ] || return "$rc"
	if [ "${RG_POSTFIX_STARTED:-0}" = 1 ]; then
		rig_postfix_stop
	fi
	# all at once: one grace period in all, not one per process
	mapfile -t lines < "$RUN/.pids"
	[ ${#lines[@]} -gt 0 ] && rig__stop TERM "${lines[@]}"
	if [ "$rc" != 0 ] && [ -s "$RUN/postfix/maillog" ]; then
		echo "rig: last lines of $RUN/postfix/maillog:" >&2
		tail -n 15 "$RUN/postfix/maillog" | sed 's/^/    | /' >&2
	fi
	if [ "${RG_KEEP:-0}" = 1 ]; then
		rig__log "kept $RUN"
	else
		rm -rf "$RUN"
		[ "$rc" != 0 ] && rig__log "removed $RUN (RG_KEEP=1 keeps it)"
		[ -n "${RG_MADE_BASE:-}" ] && rmdir "$RG_MADE_BASE" 2>/dev/null
	fi
	return "$rc"
}

# --- ports and sockets ---------------------------------------------------

# rig_free_port - print a TCP port that nothing listens on, from 20000-31999
# (below the kernel's ephemeral range, so outgoing connections never hold
# it).  Ports already handed out in this run are not given twice.
rig_free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		if [ -n "${RUN:-}" ] && grep -qx "$p" "$RUN/.ports" 2>/dev/null; then
			continue
		fi
		[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ] || continue
		[ -n "${RUN:-}" ] && echo "$p" >> "$RUN/.ports"
		echo "$p"
		return 0
	done
	rig__die "no free TCP port found (tried $i)"
}

# rig__tcp_listening IP PORT - something listens on IP:PORT (TCP)
rig__tcp_listening() {
	ss -Hltn "sport = :$2" 2>/dev/null | awk -v a="$1:$2" \
		'$4 == a || $4 == "0.0.0.0:" substr(a, index(a, ":") + 1) ||
		 $4 == "*:" substr(a, index(a, ":") + 1) { f = 1 } END { exit !f }'
}

# rig_wait_listen SOCKET [TIMEOUT] - wait until SOCKET accepts connections.
# SOCKET: inet:PORT@127.0.0.1 or inet6:PORT@[::1] (OpenDKIM/relayguard style),
# inet:127.0.0.1:PORT (Postfix style), 127.0.0.1:PORT, or unix:/path.
rig_wait_listen() {
	local sock=${1:?usage: rig_wait_listen SOCKET [TIMEOUT]} t=${2:-10}
	local ip port path i
	case $sock in
	unix:*|local:*) path=${sock#*:} ;;
	inet:*@*) port=${sock#inet:}; ip=${port#*@}; port=${port%@*} ;;
	inet6:*@*) port=${sock#inet6:}; ip=${port#*@}; port=${port%@*}
		ip=${ip#[}; ip="[${ip%]}]" ;;	# as ss prints it: [::1]
	inet:*) ip=${sock#inet:}; port=${ip##*:}; ip=${ip%:*} ;;
	*:*) ip=${sock%:*}; port=${sock##*:} ;;
	*) rig__die "rig_wait_listen: cannot parse $sock"; return 1 ;;
	esac
	for i in $(seq $((t * 10))); do
		if [ -n "${path:-}" ]; then
			[ -S "$path" ] && return 0
		else
			rig__tcp_listening "$ip" "$port" && return 0
		fi
		sleep 0.1
	done
	rig__die "nothing listens on $sock after ${t}s"
}

# --- DNS -----------------------------------------------------------------

# rig_dns_start - unbound serving the static zone "test." on $RG_DNS_IP:53
# (port 53 because libc resolvers, libspf2 and libopendkim have no port
# syntax).  Config, log and the remote-control socket are in $RUN/dns;
# records from $RUN/dns/zone.local-data (rig_keys writes there too) plus
# rig_dns_add at run time.  Also writes $RUN/dns/resolv.conf: programs that
# use the libc resolver (libspf2) see the rig DNS only through it, bind-
# mounted in a private mount namespace (root), e.g.
#	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
#		"$RUN/dns/resolv.conf" build/relayguard -f -e -c "$RUN/rg.conf" &
# (the machine's /etc/resolv.conf is never changed).
# Fault zones for SPF tests: timeout.test (dropped), refused.test (REFUSED),
# servfail.test (SERVFAIL after ~0.1 s).
rig_dns_start() {
	local dir=$RUN/dns ip=$RG_DNS_IP pid i
	mkdir -p "$dir"
	if ss -Hlnu "sport = :53" | awk '{print $4}' | grep -qxE "($ip|0\.0\.0\.0|\*):53" ||
		rig__tcp_listening "$ip" 53; then
		rig__die "$ip:53 is already in use (another rig running?)." \
			"Set RG_DNS_IP to another 127.x.y.z address."
		return 1
	fi
	touch "$dir/zone.local-data"
	cat > "$dir/unbound.conf" <<-EOF
	# generated by tests/integration/lib.sh - throwaway test DNS
	server:
	    interface: $ip
	    port: 53
	    do-ip6: no
	    access-control: 127.0.0.0/8 allow
	    username: ""
	    chroot: ""
	    directory: "$dir"
	    pidfile: "$dir/unbound.pid"
	    logfile: "$dir/unbound.log"
	    use-syslog: no
	    verbosity: 1
	    do-daemonize: no
	    num-threads: 1
	    module-config: "iterator"
	    do-not-query-localhost: no
	    # never cache: records added or removed live are seen at once
	    cache-max-ttl: 0
	    cache-max-negative-ttl: 0
	    # a dead forwarder must give SERVFAIL quickly, not a client timeout
	    infra-cache-max-rtt: 50
	    outbound-msg-retry: 1
	    infra-host-ttl: 1
	    outgoing-range: 64
	    # unknown names answer NXDOMAIN, below test. and everywhere else:
	    # no query ever leaves loopback (only servfail.test is forwarded,
	    # to a dead address on 127.0.0.9)
	    local-zone: "." static
	    local-zone: "test." static
	    local-zone: "timeout.test." deny
	    local-zone: "refused.test." refuse
	    local-zone: "servfail.test." transparent
	    include: "$dir/zone.local-data"
	forward-zone:
	    name: "servfail.test."
	    forward-addr: 127.0.0.9@53
	remote-control:
	    control-enable: yes
	    control-use-cert: no
	    control-interface: "$dir/unbound.ctl"
	EOF
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$ip" > "$dir/resolv.conf"
	if ! unbound-checkconf "$dir/unbound.conf" > "$dir/checkconf.log" 2>&1; then
		cat "$dir/checkconf.log" >&2
		rig__die "unbound-checkconf failed"
		return 1
	fi
	unbound -d -c "$dir/unbound.conf" < /dev/null > "$dir/stderr.log" 2>&1 &
	pid=$!
	rig_track_pid "$pid" unbound
	for i in $(seq 50); do
		if unbound-control -c "$dir/unbound.conf" status > /dev/null 2>&1; then
			export RG_DNS_IP
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$dir/stderr.log" "$dir/unbound.log" >&2 2>/dev/null
	rig__die "unbound did not start on $ip:53"
}

# rig_dns_add RECORD... - add records at run time, unbound local-data
# syntax: 'name.test. 60 TXT "v=spf1 -all"' (TXT strings <= 255 bytes each).
rig_dns_add() {
	local r out
	for r in "$@"; do
		out=$(unbound-control -c "$RUN/dns/unbound.conf" local_data "$r" 2>&1)
		[ "$out" = ok ] || { rig__die "rig_dns_add $r: $out"; return 1; }
	done
}

# rig_dns_del NAME... - remove every record of NAME at run time.
rig_dns_del() {
	local n out
	for n in "$@"; do
		out=$(unbound-control -c "$RUN/dns/unbound.conf" local_data_remove "$n" 2>&1)
		[ "$out" = ok ] || { rig__die "rig_dns_del $n: $out"; return 1; }
	done
}

# rig__txt STRING - STRING as a DNS TXT rdata of "quoted" strings of at
# most 255 bytes each (RFC 1035 character-strings).
rig__txt() {
	local s=$1 out=""
	while [ ${#s} -gt 255 ]; do
		out="$out\"${s:0:255}\" "
		s=${s:255}
	done
	echo "$out\"$s\""
}

# rig__publish NAME TXT - publish a TXT record now (if DNS runs) and for
# later starts of the rig DNS (zone.local-data).
rig__publish() {
	local rr
	rr="$1 60 IN TXT $(rig__txt "$2")"
	mkdir -p "$RUN/dns"
	echo "local-data: '$rr'" >> "$RUN/dns/zone.local-data"
	if [ -S "$RUN/dns/unbound.ctl" ]; then
		rig_dns_add "$rr"
	fi
}

# --- keys ----------------------------------------------------------------

# rig_keys DOMAIN - DKIM keys for DOMAIN in $RUN/keys (mode 0700, files
# 0600, owner RG_KEY_OWNER): rsa.private (RSA-2048) and ed.private (Ed25519,
# PEM PKCS#8).  Publishes rsa._domainkey.DOMAIN and ed._domainkey.DOMAIN
# (RFC 8463: p= is the raw 32-byte key) in the rig DNS and appends to the
# OpenDKIM-format $RUN/keys/KeyTable and $RUN/keys/SigningTable (refile:).
# The key pair is made once per run; further domains reuse it.
rig_keys() {
	local d=${1:?usage: rig_keys DOMAIN} k=$RUN/keys rsap edp
	mkdir -p "$k"
	chmod 0700 "$k"
	if [ ! -s "$k/rsa.private" ]; then
		( umask 077
		  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$k/rsa.private" 2>/dev/null &&
		  openssl genpkey -algorithm ed25519 -out "$k/ed.private" ) ||
			{ rig__die "openssl genpkey failed"; return 1; }
	fi
	chmod 0600 "$k/rsa.private" "$k/ed.private"
	rsap=$(openssl pkey -in "$k/rsa.private" -pubout -outform DER | base64 -w0)
	edp=$(openssl pkey -in "$k/ed.private" -pubout -outform DER | tail -c 32 | base64 -w0)
	if [ -z "$rsap" ] || [ ${#edp} != 44 ]; then
		rig__die "public key extraction failed"
		return 1
	fi
	rig__publish "rsa._domainkey.$d." "v=DKIM1; k=rsa; p=$rsap" || return 1
	rig__publish "ed._domainkey.$d." "v=DKIM1; k=ed25519; p=$edp" || return 1
	# the same records, one per line, for DNS-free verification
	printf 'rsa._domainkey.%s v=DKIM1; k=rsa; p=%s\ned._domainkey.%s v=DKIM1; k=ed25519; p=%s\n' \
		"$d" "$rsap" "$d" "$edp" >> "$k/pub.txt"
	printf 'rsa._domainkey.%s %s:rsa:%s\ned._domainkey.%s %s:ed:%s\n' \
		"$d" "$d" "$k/rsa.private" "$d" "$d" "$k/ed.private" >> "$k/KeyTable"
	printf '*@%s rsa._domainkey.%s\n*@%s ed._domainkey.%s\n' \
		"$d" "$d" "$d" "$d" >> "$k/SigningTable"
	chmod 0600 "$k/KeyTable" "$k/SigningTable" "$k/pub.txt"
	chown -R "$RG_KEY_OWNER" "$k"
}

# --- SMTP sink -----------------------------------------------------------

# rig_sink_start - smtp-sink on 127.0.0.1:$SINK_PORT writing every message
# it accepts to its own file in $RUN/sink (smtp-sink -d: the file is created
# at MAIL FROM and complete before the 250 reply to "."; an aborted
# transaction removes it).  A file holds smtp-sink's X-Client-Addr,
# X-Client-Proto, X-Helo-Args, X-Mail-Args, X-Rcpt-Args and Received:
# lines, then the message with LF line ends, then one empty line; none of
# that disturbs DKIM verification (unsigned headers, trailing empty lines).
rig_sink_start() {
	local port
	port=$(rig_free_port) || return 1
	mkdir -p "$RUN/sink"
	# smtp-sink drops root for this user (-u) before writing the files
	chown postfix "$RUN/sink"
	smtp-sink -u postfix -4 -h sink.test -d "$RUN/sink/%Y%m%d-%H%M%S." \
		"127.0.0.1:$port" 64 < /dev/null > "$RUN/sink.log" 2>&1 &
	rig_track_pid $! smtp-sink
	SINK_PORT=$port
	export SINK_PORT
	rig_wait_listen "127.0.0.1:$port" 5 || { cat "$RUN/sink.log" >&2; return 1; }
}

# rig_sink_count - how many messages are in $RUN/sink
rig_sink_count() {
	find "$RUN/sink" -maxdepth 1 -type f | wc -l
}

# --- Postfix -------------------------------------------------------------

# rig__postfix CMD - run "postfix CMD" for the private instance.  "start"
# runs on a pseudo terminal (script -qec): before its log is set up
# Postfix prints fatal errors only to a terminal.  Not so for reload (its
# postfix-script leaves a background postsuper on the terminal, and script
# would wait ~2 s for it) nor stop; those errors are in the maillog.
# Output in $RUN/postfix/cmd.log, shown on failure.
rig__postfix() {
	local cmd="postfix -c $RUN/postfix/etc $1" rc=0
	if [ "$1" = start ]; then
		script -qec "$cmd" /dev/null < /dev/null > "$RUN/postfix/cmd.log" 2>&1 || rc=$?
	else
		$cmd < /dev/null > "$RUN/postfix/cmd.log" 2>&1 || rc=$?
	fi
	if [ "$rc" != 0 ]; then
		tr -d '\r' < "$RUN/postfix/cmd.log" >&2
		tail -n 5 "$RUN/postfix/maillog" >&2 2>/dev/null
		rig__die "$cmd failed"
		return 1
	fi
}

# rig__postfix_master_pid - pid of the private master, empty if none
rig__postfix_master_pid() {
	local f=$RUN/postfix/queue/pid/master.pid pid
	[ -s "$f" ] || return 0
	pid=$(tr -dc 0-9 < "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
	return 0
}

# rig_postfix_start [MILTER] - private Postfix instance: config in
# $RUN/postfix/etc, queue and data below $RUN/postfix, log in
# $RUN/postfix/maillog, smtpd on 127.0.0.1:$SMTP_PORT (not chrooted), all
# mail relayed to the sink.  MILTER (inet:127.0.0.1:PORT or unix:/path)
# becomes smtpd_milters and non_smtpd_milters, milter_default_action =
# tempfail.  Needs rig_sink_start first.  RG_POSTFIX_SYSLOG=1: Postfix logs
# through syslog(3) instead (a test that runs its own syslog daemon).
rig_postfix_start() {
	local milter=${1:-} pf=$RUN/postfix port maillog
	[ -n "${SINK_PORT:-}" ] || { rig__die "rig_postfix_start needs rig_sink_start first"; return 1; }
	port=$(rig_free_port) || return 1
	# queue_directory: root-owned, must exist ("postfix start" fills it);
	# data_directory: must belong to the postfix user (master.lock)
	mkdir -p "$pf/etc" "$pf/queue"
	install -d -o postfix -m 0700 "$pf/data"
	maillog="maillog_file = $pf/maillog"
	[ "${RG_POSTFIX_SYSLOG:-0}" = 1 ] && maillog="# maillog_file: none, syslog"
	cat > "$pf/etc/main.cf" <<-EOF
	# generated by tests/integration/lib.sh - private test instance
	compatibility_level = 3.6
	queue_directory = $pf/queue
	data_directory = $pf/data
	# log to a file: no syslog daemon in tests (needs the postlog service)
	$maillog
	maillog_file_prefixes = $pf
	myhostname = relay.test
	mydomain = test
	myorigin = \$myhostname
	mydestination =
	local_recipient_maps =
	relay_domains =
	alias_maps =
	alias_database =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
	smtpd_banner = \$myhostname ESMTP relayguard test rig
	biff = no
	append_dot_mydomain = no
	# everything goes to the sink, no DNS, no TLS
	relayhost = [127.0.0.1]:$SINK_PORT
	smtp_dns_support_level = disabled
	smtp_host_lookup = native
	smtp_tls_security_level = none
	smtpd_tls_security_level = none
	smtp_address_preference = ipv4
	# retry deferred mail quickly
	queue_run_delay = 1s
	minimal_backoff_time = 1s
	maximal_backoff_time = 2s
	smtp_connect_timeout = 5s
	delay_warning_time = 0
	# the milter under test
	smtpd_milters = $milter
	non_smtpd_milters = $milter
	milter_default_action = tempfail
	milter_protocol = 6
	EOF
	# master.cf: Debian's services, none chrooted (a unix milter socket
	# then need not live in the queue directory), smtpd on our port.
	cat > "$pf/etc/master.cf" <<-EOF
	# generated by tests/integration/lib.sh - private test instance
	127.0.0.1:$port inet n - n - - smtpd
	pickup     unix  n - n 60 1 pickup
	cleanup    unix  n - n -  0 cleanup
	qmgr       unix  n - n 300 1 qmgr
	tlsmgr     unix  - - n 1000? 1 tlsmgr
	rewrite    unix  - - n -  - trivial-rewrite
	bounce     unix  - - n -  0 bounce
	defer      unix  - - n -  0 bounce
	trace      unix  - - n -  0 bounce
	verify     unix  - - n -  1 verify
	flush      unix  n - n 1000? 0 flush
	proxymap   unix  - - n -  - proxymap
	proxywrite unix  - - n -  1 proxymap
	smtp       unix  - - n -  - smtp
	relay      unix  - - n -  - smtp
	showq      unix  n - n -  - showq
	error      unix  - - n -  - error
	retry      unix  - - n -  - error
	discard    unix  - - n -  - discard
	local      unix  - n n -  - local
	virtual    unix  - n n -  - virtual
	lmtp       unix  - - n -  - lmtp
	anvil      unix  - - n -  1 anvil
	scache     unix  - - n -  1 scache
	postlog    unix-dgram n - n - 1 postlogd
	EOF
	# "postfix start" runs the fatal checks and creates the queue
	# subdirectories itself (a separate "postfix check" costs 2 s more)
	rig__postfix start || return 1
	RG_POSTFIX_STARTED=1
	SMTP_PORT=$port
	export SMTP_PORT
	rig_wait_listen "127.0.0.1:$port" 10 || return 1
}

# rig_sasl_user USER PASS - a SASL login for the private Postfix: Cyrus
# SASL with its own sasldb in $RUN/sasl, PLAIN
# and LOGIN over plain text (a loopback test rig).  USER may be an address
# (alice@example.com: user alice, realm example.com) or a bare name.  The
# first call sets smtpd_sasl_auth_enable and reloads Postfix; clients then
# authenticate with swaks --auth-user USER --auth-password PASS, and the
# milter sees the login in {auth_authen}.
rig_sasl_user() {
	local user=${1:?usage: rig_sasl_user USER PASS} pass=${2:?PASS}
	local dir=$RUN/sasl name=$1 realm=relay.test conf=$RUN/postfix/etc/sasl
	# a bare name lives in the realm of the server name (myhostname)
	case $user in *@*) name=${user%@*}; realm=${user##*@} ;; esac
	mkdir -p "$dir" "$conf"
	# Debian's Postfix reads $config_directory/sasl/smtpd.conf (it did
	# not honour cyrus_sasl_config_path here)
	if [ ! -f "$conf/smtpd.conf" ]; then
		cat > "$conf/smtpd.conf" <<-EOF
		pwcheck_method: auxprop
		auxprop_plugin: sasldb
		sasldb_path: $dir/sasldb2
		mech_list: PLAIN LOGIN
		EOF
	fi
	# -p: password on stdin; -u: the realm
	echo "$pass" | saslpasswd2 -p -c -f "$dir/sasldb2" -u "$realm" "$name" ||
		{ rig__die "saslpasswd2 $user failed"; return 1; }
	chown postfix "$dir/sasldb2"
	chmod 0600 "$dir/sasldb2"
	if [ "$(postconf -c "$RUN/postfix/etc" -h smtpd_sasl_auth_enable)" != yes ]; then
		rig_postconf "smtpd_sasl_auth_enable = yes" \
			"smtpd_sasl_type = cyrus" \
			"smtpd_sasl_path = smtpd" \
			"smtpd_sasl_security_options = noanonymous" \
			"smtpd_sasl_local_domain =" \
			"smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination" || return 1
		rig_postfix_reload || return 1
	fi
}

# rig_postconf 'name = value'... - edit the private main.cf (postconf -e);
# call rig_postfix_reload afterwards when Postfix runs.
rig_postconf() {
	postconf -c "$RUN/postfix/etc" -e "$@"
}

# rig_postfix_reload - reload the private instance; returns when the master
# has logged the reload (new smtpd processes use the new settings).
rig_postfix_reload() {
	local log=$RUN/postfix/maillog n i master old p left
	n=$(grep -c ': reload -- ' "$log" 2>/dev/null || true)
	master=$(rig__postfix_master_pid)
	old=$([ -n "$master" ] && ps -o pid= --ppid "$master" || true)
	rig__postfix reload || return 1
	for i in $(seq 50); do
		[ "$(grep -c ': reload -- ' "$log" 2>/dev/null)" -gt "${n:-0}" ] && break
		sleep 0.1
	done
	[ "$i" = 50 ] && { rig__die "postfix reload not logged in $log after 5 s"; return 1; }
	# An idle smtpd of the old generation may still take one more session
	# with the old settings: wait until all of them are gone.
	for i in $(seq 100); do
		left=0
		for p in $old; do
			[ -d "/proc/$p" ] && { left=1; break; }
		done
		[ "$left" = 0 ] && return 0
		sleep 0.1
	done
	rig__log "warning: old Postfix processes still run 10 s after a reload"
}

# rig_postfix_stop - stop the private instance and wait for its master to
# exit (SIGKILL to that pid after 5 s).
rig_postfix_stop() {
	local pid i
	pid=$(rig__postfix_master_pid)
	[ -n "$pid" ] || { RG_POSTFIX_STARTED=0; return 0; }
	rig__postfix stop
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		rig__log "postfix master $pid still running after stop: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	RG_POSTFIX_STARTED=0
}

# rig__queue_empty - the private Postfix queue is empty
rig__queue_empty() {
	postqueue -c "$RUN/postfix/etc" -p 2>/dev/null | grep -q '^Mail queue is empty'
}

# rig_wait_delivered N [TIMEOUT] - wait (default 30 s) until exactly N
# messages are in $RUN/sink and the Postfix queue is empty (smtp-sink closes
# a file before it answers "."; Postfix dequeues after that answer, so the
# files are complete then).  More than N fails at once.
rig_wait_delivered() {
	local n=${1:?usage: rig_wait_delivered N [TIMEOUT]} t=${2:-30} c i
	for i in $(seq $((t * 10))); do
		c=$(rig_sink_count)
		if [ "$c" -gt "$n" ]; then
			rig_fail "sink holds $c messages, expected $n"
			return 1
		fi
		if [ "$c" = "$n" ]; then
			if [ "${RG_POSTFIX_STARTED:-0}" != 1 ] || rig__queue_empty; then
				return 0
			fi
		fi
		sleep 0.1
	done
	rig_fail "timeout after ${t}s: $c of $n messages delivered to the sink"
	if [ "${RG_POSTFIX_STARTED:-0}" = 1 ]; then
		postqueue -c "$RUN/postfix/etc" -p 2>&1 | sed 's/^/    | /'
		tail -n 10 "$RUN/postfix/maillog" 2>/dev/null | sed 's/^/    | /'
	fi
	return 1
}

# --- sending and checking ------------------------------------------------

# rig_send SWAKS-ARGS... - swaks to the private Postfix (127.0.0.1:$SMTP_PORT).
# Silent when it works; the transcript is in $RUN/send.last (appended to
# $RUN/send.log) and printed on failure unless RG_SEND_QUIET=1 (for tests
# that expect a rejection).  Returns swaks' status.  Example:
#	rig_send --from a@sign.test --to b@example.net \
#		--header 'Subject: test 1' --body 'hello'
# swaks reads the message from stdin with --data -.
# For load, smtp-source (postfix package) sends generated messages with a
# From: header from -f (sign with a SigningTable entry for that domain):
#	smtp-source -s 4 -m 100 -l 2000 -f a@sign.test -t b@example.net \
#		-S 'load test' -M client.test 127.0.0.1:$SMTP_PORT
# (-s parallel sessions, -m messages, -l body bytes, -F FILE sends a
# ready-made message instead; it exits 1 at the first unexpected reply
# unless -A; it writes "From: <a@sign.test>", with angle brackets).
rig_send() {
	local rc=0
	[ -n "${SMTP_PORT:-}" ] || { rig__die "rig_send needs rig_postfix_start first"; return 1; }
	swaks --server "127.0.0.1:$SMTP_PORT" --helo client.test --timeout 30 \
		"$@" > "$RUN/send.last" 2>&1 || rc=$?
	cat "$RUN/send.last" >> "$RUN/send.log"
	if [ "$rc" != 0 ] && [ "${RG_SEND_QUIET:-0}" != 1 ]; then
		echo "rig_send: swaks exited $rc:" >&2
		sed 's/^/    | /' "$RUN/send.last" >&2
	fi
	return "$rc"
}

# rig_sendmail SENDMAIL-ARGS... < MESSAGE - submit through the private
# instance's sendmail(1)/postdrop (pickup -> cleanup -> non_smtpd_milters).
rig_sendmail() {
	sendmail -C "$RUN/postfix/etc" "$@"
}

# rig_verify [--expect-unsigned] FILE... - verify every DKIM-Signature of
# each FILE with dkimpy, keys from the rig DNS; see dkimverify.py.
rig_verify() {
	"$RG_PY" "$RG_LIB_DIR/dkimverify.py" --dns "$RG_DNS_IP" "$@"
}
