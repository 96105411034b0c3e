# shellcheck shell=bash
# exact.sh - the body of the quota exactness tests (t_limit_exact_*.sh):
# one login with a daily quota of EX_QUOTA messages, EX_MESSAGES messages
# sent through two smtpd listeners of a real Postfix, each with its own
# front end (two relayguard milters, or two relayguard-policyd), while
# faults happen; then every refused message is retried until rounds in a
# row accept nothing.  Exact means: delivered == EX_QUOTA, every delivered
# message once and signed twice (milter), the store's count and
# relayguardctl's agree with it, nothing accepted was lost, nothing
# relayguard refused was counted.  A front end SIGKILLed after Redis
# counted a message and before Postfix read the answer leaves a counted
# message Postfix tempfails: each is found (maillog, marker in Redis),
# shown, and the figures are checked with it.
#
#   EX_FRONT	milter | policy
#   EX_BACKEND	redis | memory
#   EX_FAILMODE	tempfail | local
#   EX_FAULTS	words: freeze (Redis SIGSTOP 2 s), kill (Redis SIGKILL and
#		restart from its append-only file), crash (the second front
#		end SIGKILLed and started again), hup (SIGHUP every 100 ms to
#		the first), abort (every 5th client leaves after RCPT)
#   EX_ONE	1: both listeners use the first front end (the memory
#		backend: counters live in one process)
#
# Functions: ex_run (everything), then the checks it counts with rig_check.

EX_QUOTA=${EX_QUOTA:-120}
EX_MESSAGES=${EX_MESSAGES:-300}
EX_FRONT=${EX_FRONT:-milter}
EX_BACKEND=${EX_BACKEND:-redis}
EX_FAILMODE=${EX_FAILMODE:-tempfail}
EX_FAULTS=${EX_FAULTS:-"freeze kill crash hup"}
EX_LEASE=${EX_LEASE:-4s}
CTL=$RG_TOP/${RG_BUILD:-build}/relayguardctl
LOGIN=alice@sign.test

# ex__has WORD - is WORD among EX_FAULTS?
ex__has() { case " $EX_FAULTS " in *" $1 "*) return 0 ;; esac; return 1; }

# ex__conf FILE SOCKET-LINE PID-LINE - a front end's configuration
ex__conf() {
	local f=$1
	{
		echo "$2"
		echo "$3"
		echo "key_table = file:$RUN/keys/KeyTable"
		echo "signing_table = refile:$RUN/keys/SigningTable"
		echo "limits = yes"
		echo "limit_map = $RUN/limits"
		echo "limit_backend = $EX_BACKEND"
		echo "limit_fail_mode = $EX_FAILMODE"
		echo "limit_lease_time = $EX_LEASE"
		echo "redis_server = 127.0.0.1:$(rr_port main)"
		echo "redis_timeout = 300ms"
		echo "redis_connect_timeout = 300ms"
		if [ "$EX_FRONT" = policy ]; then echo "spf_check = no"; fi
	} > "$f"
}

# ex__start_front N - start front end N (a or b) on its socket
ex__start_front() {
	local n=$1 port bin
	port=$(cat "$RUN/front-$n.port")
	if [ "$EX_FRONT" = milter ]; then
		bin=$RG_BIN
	else
		bin=$PD_BIN
	fi
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$RUN/dns/resolv.conf" "$bin" -f -e -c "$RUN/front-$n.conf" \
		>> "$RUN/front-$n.log" 2>&1 &
	echo $! > "$RUN/front-$n.pid"
	rig_track_pid "$!" "front-$n"
	rig_wait_listen "127.0.0.1:$port" 10
}

# ex__setup - DNS, keys, sink, Redis, two front ends, Postfix with two
# listeners
ex__setup() {
	local n port smtp
	rig_dns_start
	rig_keys sign.test
	rig_sink_start
	# every write on disk before Redis answers: a SIGKILL loses nothing
	# Redis acknowledged
	rr_start main --appendonly yes --appendfsync always
	printf 'plan q\n\tday\tmessages\t%s/1d\nlogin\t%s\tq\n' \
		"$EX_QUOTA" "$LOGIN" > "$RUN/limits"
	for n in a b; do
		port=$(rig_free_port)
		echo "$port" > "$RUN/front-$n.port"
		if [ "$EX_FRONT" = milter ]; then
			ex__conf "$RUN/front-$n.conf" \
				"socket = inet:$port@127.0.0.1" \
				"pid_file = $RUN/front-$n.pidfile"
		else
			ex__conf "$RUN/front-$n.conf" \
				"policy_socket = inet:$port@127.0.0.1" \
				"policy_pid_file = $RUN/front-$n.pidfile"
		fi
		ex__start_front "$n"
	done
	if [ "$EX_FRONT" = milter ]; then
		rig_postfix_start "inet:127.0.0.1:$(cat "$RUN/front-a.port")"
	else
		rig_postfix_start ""
	fi
	smtp=$(rig_free_port)
	if [ "$EX_FRONT" = milter ]; then
		port=$(cat "$RUN/front-b.port")
		[ "${EX_ONE:-0}" = 1 ] && port=$(cat "$RUN/front-a.port")
		echo "127.0.0.1:$smtp inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$port" \
			>> "$RUN/postfix/etc/master.cf"
	else
		for n in a b; do
			port=$(cat "$RUN/front-$n.port")
			eval "pol_$n=inet:127.0.0.1:$port"
		done
		# listener A asks front a, listener B front b, at RCPT and at
		# the end of the message
		rig_postconf "smtpd_recipient_restrictions = check_policy_service $pol_a" \
			"smtpd_end_of_data_restrictions = check_policy_service $pol_a" \
			"smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again later" \
			"smtpd_policy_service_timeout = 10s" \
			"smtpd_policy_service_retry_delay = 1s"
		echo "127.0.0.1:$smtp inet n - n - - smtpd -o smtpd_recipient_restrictions=check_policy_service,$pol_b -o smtpd_end_of_data_restrictions=check_policy_service,$pol_b" \
			>> "$RUN/postfix/etc/master.cf"
	fi
	SMTP_B=$smtp
	rig_sasl_user "$LOGIN" alicepw	# reloads Postfix
	rig_wait_listen "127.0.0.1:$SMTP_B" 10
}

# ex__load MODE ARGS... - quota_load.py through both listeners
ex__load() {
	"$RG_PY" "$RG_LIB_DIR/quota_load.py" "$@" --server "127.0.0.1:$SMTP_PORT" \
		--server "127.0.0.1:$SMTP_B" --login "$LOGIN" --password alicepw \
		--sender "$LOGIN" --state "$RUN/state.json"
}

# ex__faults - the faults, in the background of the first sending phase
ex__faults() {
	local pid
	if ex__has hup; then
		( while [ -e "$RUN/storm" ]; do
			kill -HUP "$(cat "$RUN/front-a.pid")" 2>/dev/null
			sleep 0.1
		  done ) &
		rig_track_pid $! hup-storm
	fi
	sleep 0.7
	if ex__has freeze; then
		echo "fault: Redis frozen (SIGSTOP) for 2 s"
		kill -STOP "$(rr_pid main)"
		sleep 2
		kill -CONT "$(rr_pid main)"
	fi
	sleep 0.5
	if ex__has crash; then
		echo "fault: front end b SIGKILLed"
		pid=$(cat "$RUN/front-b.pid")
		rig_stop_pid "$pid" KILL
		sleep 0.5
		ex__start_front b
	fi
	sleep 0.3
	if ex__has kill; then
		echo "fault: Redis SIGKILLed, started again from its AOF"
		rr_stop main KILL
		sleep 0.3
		rr_restart main --appendonly yes --appendfsync always
	fi
	sleep 0.5
	if ex__has freeze; then
		echo "fault: Redis frozen (SIGSTOP) for 1 s, again"
		kill -STOP "$(rr_pid main)"
		sleep 1
		kill -CONT "$(rr_pid main)"
	fi
	rm -f "$RUN/storm"
}

# ex__store_used - what the store counted for the login's day limit
ex__store_used() {
	if [ "$EX_BACKEND" = redis ]; then
		rr_used main "rg:{login:$LOGIN}:day"
	else
		grep -o 'used=[0-9]*' "$RUN/front-a.log" | tail -n 1 | cut -d= -f2
	fi
}

# ex__cut - the queue ids of messages Postfix tempfailed at the end of the
# message because their front end was gone (SIGKILLed while it answered:
# the MTA's own default reply, never relayguard's), then a line "ours:
# QID..." with every other end-of-message refusal
ex__cut() {
	local log=$RUN/postfix/maillog
	sed -n 's/.*\]: \([0-9A-Za-z]*\): \(milter-reject\|reject\): END-OF-MESSAGE .*\(Service unavailable - try again later\|Policy service unavailable, try again later\).*/\1/p' "$log" | sort -u
	echo "ours: $(sed -n 's/.*\]: \([0-9A-Za-z]*\): \(milter-reject\|reject\): END-OF-MESSAGE .*/\1 &/p' "$log" |
		grep -v 'Service unavailable - try again later\|Policy service unavailable, try again later' |
		cut -d' ' -f1 | sort -u | tr '\n' ' ')"
}

# ex__counted QID - did a commit of this queue id run (its marker)?
ex__counted() {
	[ "$EX_BACKEND" = redis ] &&
		[ "$(rr_cli main --scan --pattern "rg:*:q:$1" | wc -l)" != 0 ]
}

# ex_run - the whole test
ex_run() {
	local out acc sent dup signed used ctl_used wait q
	local cut=0 ncut=0 ours=0
	ex__setup
	touch "$RUN/storm"
	ex__faults > "$RUN/faults.log" 2>&1 &
	local fpid=$!
	local abort=0
	ex__has abort && abort=5
	out=$(ex__load send --ids "1-$EX_MESSAGES" --threads 8 --pace 0.12 \
		--abort "$abort" 2> "$RUN/load.err")
	wait "$fpid" || true
	cat "$RUN/faults.log"
	echo "first pass: $out"
	# retries, as MTA queues would: rounds until two in a row accept
	# nothing, each a lease apart (abandoned reservations expire)
	wait=$(( ${EX_LEASE%s} + 2 ))
	out=$(ex__load retry --rounds 2 --wait "$wait" 2>> "$RUN/load.err")
	echo "after retries: $out"
	grep '^round' "$RUN/load.err" | tail -n 5 | sed 's/^/    /'
	acc=$(sed -n 's/^accepted=\([0-9]*\).*/\1/p' <<< "$out")
	rig_wait_delivered "$acc" 120 || true
	sent=$(rig_sink_count)
	echo "commits without an answer, counted before the reply: $(cat "$RUN"/front-*.log | grep -c 'commit got no answer.*counted after' || true)"
	echo "commits without an answer, counted later: $(cat "$RUN"/front-*.log | grep -c 'commit got no answer.*when Redis answers' || true)"
	# A front end SIGKILLed between Redis's answer to a commit and the
	# MTA's receipt of its own: the message counted, and Postfix
	# tempfails it (the milter protocol has no atomic end; the policy
	# service is asked again and its repeated commit is a duplicate).
	# Counted high by those, never low; each one is shown.
	for q in $(ex__cut | grep -v '^ours:'); do
		ncut=$((ncut + 1))
		if ex__counted "$q"; then
			cut=$((cut + 1))
			echo "counted, then its front end was killed before Postfix heard: $q"
		fi
	done
	for q in $(ex__cut | sed -n 's/^ours://p'); do
		if ex__counted "$q"; then
			ours=$((ours + 1))
			echo "refused by relayguard and counted: $q"
		fi
	done
	echo "end-of-message answers cut off by the kill: $ncut ($cut counted)"
	rig_check "no message relayguard refused was counted ($ours)" \
		test "$ours" = 0
	if [ "$EX_FAILMODE" = local ]; then
		# decided on each node while Redis was away: at most the local
		# share more, and every one of them counted in Redis after
		local most=$((EX_QUOTA + 2 * (EX_QUOTA * 10 + 99) / 100))
		rig_check "accepted the quota, at most the local shares more ($acc, at most $most)" \
			test "$acc" -ge "$EX_QUOTA" -a "$acc" -le "$most"
		rig_check "delivered what was accepted ($sent)" test "$sent" = "$acc"
	else
		rig_check "Postfix accepted exactly the quota, less those cut off ($acc of $EX_QUOTA, $cut cut off)" \
			test "$acc" = "$((EX_QUOTA - cut))"
		rig_check "delivered exactly that ($sent)" \
			test "$sent" = "$((EX_QUOTA - cut))"
	fi
	dup=$(grep -h '^Subject: quota id ' "$RUN"/sink/* | sort | uniq -d | wc -l)
	rig_check "every message delivered once ($dup twice)" test "$dup" = 0
	if [ "$EX_FRONT" = milter ]; then
		signed=$(grep -c '^DKIM-Signature:' "$RUN"/sink/* | awk -F: '$2 != 2' | wc -l)
		rig_check "every delivered message carries both signatures" \
			test "$signed" = 0
	fi
	used=$(ex__store_used)
	rig_check "the store counted exactly what was delivered, and those cut off ($used)" \
		test "$used" = "$((sent + cut))"
	if [ "$EX_BACKEND" = redis ]; then
		ctl_used=$("$CTL" -c "$RUN/front-a.conf" --json quota show \
			"login:$LOGIN" | jq -r '.limits[0].used')
		rig_check "relayguardctl agrees ($ctl_used)" test "$ctl_used" = "$used"
	fi
}
