# shellcheck shell=bash
# sm.sh - a private Sendmail in the integration rig (lib.sh), without
# installing it: Debian's sendmail-bin conflicts with postfix (both are the
# system MTA), so its .deb is unpacked into the run directory and run from
# there with a sendmail.cf built by m4 from sendmail-cf's macros.
#
#   sm_unpack			the two .debs (cached in build/debs), unpacked
#				into $RUN/sendmail/root; sets SM_BIN, SM_CF_DIR
#   sm_milter_snippet SOCKET	contrib/sendmail/relayguard.mc with its socket
#				changed to SOCKET (inet:PORT@127.0.0.1)
#   sm_start [MC-LINE...]	build sendmail.cf and start Sendmail on
#				127.0.0.1:$SM_PORT relaying to the sink; the
#				lines (m4) are added to the .mc, e.g. the
#				relayguard snippet; sets SM_PID
#   sm_stop			SIGTERM it and wait
#   sm_send SWAKS-ARGS...	rig_send to Sendmail's port
#   sm_send_bs SWAKS-ARGS...	the same over "sendmail -bs" (stdin, no
#				network peer: what the milter sees as client)
#   sm_wait_delivered N [T]	N messages in the sink, Sendmail queue empty
#   sm_qid			the queue id of the last sm_send (from
#				Sendmail's "250 2.0.0 QID Message accepted")
#   sm_user NAME PASSWORD	a SASL login (sasldb of this Sendmail)
#   sm_show_log			the end of Sendmail's log, indented
#
# Sendmail runs as root in the foreground (-bD) inside private mount and
# UTS namespaces (unshare -m -u): its host name is relay.test, and its own
# hosts file, the rig's resolv.conf and a private SASL password database
# are bind-mounted over /etc/hosts, /etc/resolv.conf and /etc/sasldb2.
# Nothing of the machine is changed.  Sendmail logs through syslog(3) only;
# with -d89.8 it writes the same lines as debug output instead, which -D
# sends to $RUN/sendmail/maillog (no syslog daemon needed).
#
# Needs: rig_dns_start (resolv.conf) and rig_sink_start before sm_start;
# the packages m4, libwrap0, libdb5.3, libldap-2.5-0, libnsl2, libsasl2-2,
# libsasl2-modules and sasl2-bin (tests/packages.txt); apt-get and the
# package lists for the first download (root runs apt-get update when the
# lists do not know sendmail-bin).  RG_DEB_CACHE overrides build/debs.

SM_DEB_CACHE=${RG_DEB_CACHE:-$RG_TOP/build/debs}

# sm__deb PKG - the newest cached .deb of PKG, empty if none
sm__deb() {
	find "$SM_DEB_CACHE" -maxdepth 1 -name "$1_*.deb" 2>/dev/null |
		sort -V | tail -n 1
}

# sm__fetch - make sure sendmail-bin and sendmail-cf are in the cache
sm__fetch() {
	local need="" p out
	mkdir -p "$SM_DEB_CACHE"
	for p in sendmail-bin sendmail-cf; do
		[ -n "$(sm__deb "$p")" ] || need="$need $p"
	done
	[ -z "$need" ] && return 0
	if ! apt-cache show sendmail-bin > /dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || {
			rig__die "the package lists do not know sendmail-bin" \
				"(run apt-get update as root)"
			return 1
		}
		rig__log "apt-get update (the lists do not know sendmail-bin)"
		out=$(apt-get -o DPkg::Lock::Timeout=600 update -q 2>&1) || {
			echo "$out" | tail -n 5 >&2
			rig__die "apt-get update failed"
			return 1
		}
	fi
	rig__log "apt-get download$need into $SM_DEB_CACHE"
	# shellcheck disable=SC2086
	out=$(cd "$SM_DEB_CACHE" && apt-get download -q $need 2>&1) || {
		echo "$out" | tail -n 5 >&2
		rig__die "apt-get download$need failed"
		return 1
	}
	for p in $need; do
		[ -n "$(sm__deb "$p")" ] ||
			{ rig__die "apt-get download left no $p .deb"; return 1; }
	done
}

# sm_unpack - sendmail-bin and sendmail-cf unpacked below $RUN/sendmail
sm_unpack() {
	local root=$RUN/sendmail/root p c
	[ "$(id -u)" = 0 ] || {
		rig__die "sm.sh needs root: Sendmail runs in its own mount" \
			"and UTS namespaces"
		return 1
	}
	for c in m4 dpkg unshare mount hostname swaks saslpasswd2; do
		command -v "$c" > /dev/null ||
			{ rig__die "sm_unpack: missing $c"; return 1; }
	done
	sm__fetch || return 1
	mkdir -p "$root"
	for p in sendmail-bin sendmail-cf; do
		dpkg -x "$(sm__deb "$p")" "$root" ||
			{ rig__die "dpkg -x $(sm__deb "$p") failed"; return 1; }
	done
	# Debian 12: /usr/libexec/sendmail; before: /usr/lib/sm.bin
	for SM_BIN in "$root/usr/libexec/sendmail/sendmail" \
		"$root/usr/lib/sm.bin/sendmail" ""; do
		[ -x "$SM_BIN" ] && break
	done
	SM_CF_DIR=$root/usr/share/sendmail/cf
	if [ -z "$SM_BIN" ] || [ ! -f "$SM_CF_DIR/m4/cf.m4" ]; then
		rig__die "no sendmail binary or cf.m4 in the .debs"
		return 1
	fi
	SM_VERSION=$(basename "$(sm__deb sendmail-bin)" .deb)
	export SM_BIN SM_CF_DIR SM_VERSION
	if ldd "$SM_BIN" | grep -q 'not found'; then
		ldd "$SM_BIN" | grep 'not found' >&2
		rig__die "libraries for sendmail are missing (tests/packages.txt)"
		return 1
	fi
}

# sm_milter_snippet SOCKET - the contrib .mc lines, socket replaced
sm_milter_snippet() {
	local f=$RG_TOP/contrib/sendmail/relayguard.mc
	grep -q 'S=inet:8891@127\.0\.0\.1,' "$f" ||
		{ rig__die "$f: no S=inet:8891@127.0.0.1"; return 1; }
	sed "s/S=inet:8891@127\.0\.0\.1,/S=$1,/" "$f"
}

# sm_user NAME PASSWORD - a SASL login in this Sendmail's sasldb
sm_user() {
	mkdir -p "$RUN/sendmail"
	echo "$2" | saslpasswd2 -p -c -f "$RUN/sendmail/sasldb2" \
		-u relay.test "$1" ||
		{ rig__die "saslpasswd2 failed"; return 1; }
	chmod 0600 "$RUN/sendmail/sasldb2"
}

# sm__mc LINE... - the rig's sendmail.mc: loopback only, everything to the
# sink, no DNS needed, files in $RUN/sendmail; LINEs go before the mailers
sm__mc() {
	local d=$RUN/sendmail l
	cat <<-EOF
	divert(-1)
	# generated by tests/integration/sm.sh - private test instance
	divert(0)dnl
	VERSIONID(\`relayguard test rig')dnl
	OSTYPE(\`linux')dnl
	define(\`confDOMAIN_NAME', \`relay.test')dnl
	define(\`QUEUE_DIR', \`$d/queue')dnl
	define(\`confPID_FILE', \`$d/sendmail.pid')dnl
	define(\`STATUS_FILE', \`$d/statistics')dnl
	define(\`confHELP_FILE', \`$d/helpfile')dnl
	define(\`confCW_FILE', \`-o $d/local-host-names')dnl
	define(\`confCR_FILE', \`-o $d/relay-domains')dnl
	define(\`confSERVICE_SWITCH_FILE', \`$d/service.switch')dnl
	define(\`confHOSTS_FILE', \`$d/hosts')dnl
	dnl the sink's address is not one of ours: no interface probing
	define(\`confDONT_PROBE_INTERFACES', \`True')dnl
	define(\`confLOG_LEVEL', \`9')dnl
	define(\`confMILTER_LOG_LEVEL', \`14')dnl
	define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN CRAM-MD5')dnl
	define(\`confTO_CONNECT', \`5s')dnl
	undefine(\`ALIAS_FILE')dnl
	dnl everything to the sink; the mailer is named because a bare
	dnl [127.0.0.1] is one of our own addresses (class w) and is dropped
	define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
	define(\`RELAY_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
	FEATURE(\`nocanonify')dnl
	FEATURE(\`accept_unresolvable_domains')dnl
	dnl a test rig on loopback: relay for every client, trust no AUTH
	dnl for relaying (relayguard's decisions are what is tested)
	FEATURE(\`promiscuous_relay')dnl
	FEATURE(\`no_default_msa')dnl
	DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
	EOF
	for l in "$@"; do
		printf '%s\n' "$l"
	done
	echo "MAILER(\`smtp')dnl"
}

# sm__run ARGS... - exec this Sendmail with ARGS in its namespaces.  It
# replaces the calling shell: "sm__run -bD &" makes $! Sendmail's own pid
# (a function run in the background is a subshell, and without exec that
# subshell, not Sendmail, would get the signal that is meant to stop it).
sm__run() {
	local d=$RUN/sendmail
	# shellcheck disable=SC2016 # expanded by the inner sh
	exec unshare -m -u sh -c '
		hostname relay.test &&
		mount --bind "$1" /etc/hosts &&
		mount --bind "$2" /etc/resolv.conf &&
		mount --bind "$3" /etc/sasldb2 &&
		shift 3 && exec "$@"' sm "$d/hosts" "$RUN/dns/resolv.conf" \
		"$d/sasldb2" "$SM_BIN" "$@" -C "$d/sendmail.cf" \
		-D "$d/maillog" -d89.8
}

# sm_start [MC-LINE...] - build sendmail.cf, start Sendmail, wait for it
sm_start() {
	local d=$RUN/sendmail out
	[ -n "${SINK_PORT:-}" ] || { rig__die "sm_start needs rig_sink_start first"; return 1; }
	[ -s "$RUN/dns/resolv.conf" ] || { rig__die "sm_start needs rig_dns_start first"; return 1; }
	[ -n "${SM_BIN:-}" ] || sm_unpack || return 1
	SM_PORT=$(rig_free_port) || return 1
	export SM_PORT
	mkdir -p "$d"
	# Sendmail refuses a queue directory others can write; 0700, root
	install -d -m 0700 "$d/queue"
	printf 'hosts files\n' > "$d/service.switch"
	# "relay.test" must resolve: Sendmail wants a qualified own name
	printf '127.0.0.1 localhost relay.test relay\n' > "$d/hosts"
	[ -f "$d/sasldb2" ] || sm_user rig-nobody "$(openssl rand -hex 12)" || return 1
	if [ ! -f /etc/sasldb2 ]; then
		rig__die "/etc/sasldb2 is missing (package sasl2-bin):" \
			"the private sasldb is bind-mounted over it"
		return 1
	fi
	sm__mc "$@" > "$d/sendmail.mc"
	if ! out=$(m4 "$SM_CF_DIR/m4/cf.m4" "$d/sendmail.mc" 2>&1 > "$d/sendmail.cf"); then
		echo "$out" >&2
		rig__die "m4 could not build sendmail.cf from $d/sendmail.mc"
		return 1
	fi
	# warnings only (promiscuous_relay prints one); keep them for failures
	echo "$out" > "$d/m4.log"
	chmod 0644 "$d/sendmail.cf"
	touch "$d/maillog"
	# -D before -d; -d89.8 turns syslog lines into debug output
	sm__run -bD < /dev/null > "$d/stderr.log" 2>&1 &
	SM_PID=$!
	rig_track_pid "$SM_PID" sendmail || return 1
	rig_wait_listen "127.0.0.1:$SM_PORT" 20 || {
		cat "$d/stderr.log" "$d/maillog" >&2
		return 1
	}
}

# sm_stop - stop Sendmail (SIGTERM, SIGKILL after the grace period) and
# make sure nothing listens on its port any more
sm_stop() {
	local _i
	rig_stop_pid "$SM_PID" || return 1
	for _i in $(seq 50); do
		rig__tcp_listening 127.0.0.1 "$SM_PORT" || return 0
		sleep 0.1
	done
	rig_fail "Sendmail still listens on 127.0.0.1:$SM_PORT after sm_stop"
}

# sm_send SWAKS-ARGS... - swaks to Sendmail (see rig_send)
sm_send() {
	SMTP_PORT=$SM_PORT rig_send "$@"
}

# sm_send_bs SWAKS-ARGS... - one SMTP session with "sendmail -bs" (the
# way a local program may submit), transcript as for sm_send
sm_send_bs() {
	local rc=0 pipe=$RUN/sendmail/bs-session
	# shellcheck disable=SC2016
	printf '#!/bin/bash\n. "%s"\nRUN="%s" SM_BIN="%s"\nsm__run -bs\n' \
		"$RG_LIB_DIR/sm.sh" "$RUN" "$SM_BIN" > "$pipe"
	chmod 0755 "$pipe"
	swaks --pipe "$pipe" --helo client.test --timeout 30 "$@" \
		> "$RUN/send.last" 2>&1 || rc=$?
	cat "$RUN/send.last" >> "$RUN/send.log"
	if [ "$rc" != 0 ]; then
		echo "sm_send_bs: swaks exited $rc:" >&2
		sed 's/^/    | /' "$RUN/send.last" >&2
	fi
	return "$rc"
}

# sm__queue_empty - no queued message left (qf/df files)
sm__queue_empty() {
	[ -z "$(find "$RUN/sendmail/queue" -maxdepth 1 -type f \
		\( -name 'qf*' -o -name 'df*' \) -print -quit)" ]
}

# sm_wait_delivered N [TIMEOUT] - wait (default 30 s) until exactly N
# messages are in the sink and Sendmail's queue is empty.  smtp-sink makes
# a message's file at MAIL FROM but completes it before its 250 reply, and
# Sendmail removes its queue files only after that reply: both conditions
# together mean every file is complete.  More than N fails at once.
sm_wait_delivered() {
	local n=${1:?usage: sm_wait_delivered N [TIMEOUT]} t=${2:-30} c _i
	for _i in $(seq $((t * 10))); do
		c=$(rig_sink_count)
		if [ "$c" -gt "$n" ]; then
			rig_fail "sink holds $c messages, expected $n"
			return 1
		fi
		[ "$c" = "$n" ] && sm__queue_empty && return 0
		sleep 0.1
	done
	rig_fail "timeout after ${t}s: $c of $n messages delivered to the sink"
	find "$RUN/sendmail/queue" -maxdepth 1 -type f | sed 's/^/    | /'
	sm_show_log 10
	return 1
}

# sm_qid - the queue id Sendmail gave the last message sent with sm_send
sm_qid() {
	sed -n 's/^<-  250 2\.0\.0 \([A-Za-z0-9]*\) Message accepted.*/\1/p' \
		"$RUN/send.last" | tail -n 1
}

# sm_show_log - the last lines of Sendmail's log
sm_show_log() {
	echo "--- last lines of $RUN/sendmail/maillog:"
	tail -n "${1:-25}" "$RUN/sendmail/maillog" | sed 's/^/    | /'
}
