#!/usr/bin/env bash
# t_abuse_postfix.sh - every abuse signal triggered for real through a
# private Postfix with real SASL logins, relayguard on a real redis-server:
#   - stolen credentials: one login authenticating from three /24 networks
#     on 127.0.0.0/8 hears 451 4.7.1 at MAIL FROM from the third;
#   - penalty box: a login refused twice by its quota is blocked at MAIL
#     FROM; unblocked by relayguardctl and refused twice again, its second
#     block lasts twice as long (repeat offence);
#   - fan-out: one body from one login to more recipients than allowed is
#     held (Postfix hold queue); one body spread over two logins too;
#   - spike: a login with a quiet history (seeded in Redis) sending a burst
#     is rejected at end of DATA;
#   - caps: a third recipient domain in one message hears 452 4.5.3 and the
#     message goes to the other two;
#   - quota warnings at 50, 80 and 100 percent, once each; the reputation
#     and "top" counts; the audit lines of every signal; the metrics; the
#     report's blocked subjects and login events from the audit file.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/redis.sh"

CTL=$RG_TOP/${RG_BUILD:-build}/relayguardctl
rig_init abuse_postfix
rig_dns_start
rig_keys sign.test
rig_sink_start
rr_start main
cat > "$RUN/limits" <<'MAP'
plan two
	hour		messages	2/1h
plan big
	hour		messages	1000/1h
login	alice@sign.test		two
login	*			big
MAP
rg_socket_inet
mport=$(rig_free_port)
rg_conf "limits = yes" "metrics_listen = $mport" "limit_map = $RUN/limits" "limit_backend = redis" \
	"redis_server = 127.0.0.1:$(rr_port main)" \
	"audit_file = $RUN/audit.jsonl" \
	"abuse_control = yes" "penalty_box_trips = 2" \
	"stolen_login_networks = 2" "stolen_login_action = tempfail" \
	"fanout_sender_recipients = 3" "fanout_recipients = 5" \
	"fanout_action = hold" "spike_factor = 5" "spike_min_messages = 3" \
	"spike_action = reject" "max_recipient_domains = 2"
rg_start
rig_postfix_start "$RG_MILTER"
for u in alice carol dave erin frank grace spiky; do
	rig_sasl_user "$u@sign.test" "${u}pw"
done

# as LOGIN SUBJECT [SWAKS-ARGS...] - LOGIN@sign.test sends as itself
as() {
	local u=$1 subj=$2
	shift 2
	rig_send --auth PLAIN --auth-user "$u@sign.test" --auth-password "${u}pw" \
		--from "$u@sign.test" --header "From: $u@sign.test" \
		--header "Subject: $subj" "$@"
}

# refused_as LOGIN SUBJECT SWAKS-ARGS... - as, expected to be refused
refused_as() {
	if RG_SEND_QUIET=1 as "$@"; then
		rig_fail "$1 \"$2\": accepted, expected a refusal" || true
	fi
}

# said PATTERN - the last transcript holds a server line matching PATTERN
said() { grep -qE -- "^<\*\* $1" "$RUN/send.last"; }

# audit JQ-FILTER - the audit lines selected by a jq filter (compact)
audit() { jq -c "select($1)" "$RUN/audit.jsonl"; }

# wait_for DESC CMD... - retry CMD (0.2 s apart, 30 s at most): the
# background writer and Postfix's queue manager take their time
wait_for() {
	local desc=$1 i
	shift
	for i in $(seq 150); do
		"$@" > /dev/null 2>&1 && { rig_pass "$desc"; return 0; }
		sleep 0.2
	done
	rig_fail "$desc (not within 30 s)" || true
}

# --- stolen credentials: three networks, two allowed --------------------
rig_check "carol from 127.0.1.1: accepted" as carol "net 1" --to c1@example.net \
	--local-interface 127.0.1.1
rig_check "carol from 127.0.2.1: accepted" as carol "net 2" --to c2@example.net \
	--local-interface 127.0.2.1
rig_check "carol from 127.0.2.77 (same /24): accepted" as carol "net 2b" \
	--to c2@example.net --local-interface 127.0.2.77
refused_as carol "net 3" --to c3@example.net --local-interface 127.0.3.1
rig_check "carol from a third /24: 451 4.7.1 at MAIL FROM" \
	said '451 4\.7\.1 login used from too many networks'
rig_check "audit: stolen_credentials for login:carol@sign.test, tempfail" \
	test -n "$(audit '.stage == "MAIL" and .client_addr == "127.0.3.1" and .signals[0].name == "stolen_credentials" and .signals[0].subject == "login:carol@sign.test" and .signals[0].action == "tempfail"')"
rg_expect_log 'abuse: stolen_credentials: login:carol@sign\.test: used from more than 2 client networks within 1h \(now 127\.0\.3\.0/24\); action=tempfail' \
	"log: the stolen-credentials line"

# --- penalty box and quota warnings: quota 2/h, blocked after 2 refusals ---
rig_check "alice 1 of 2: accepted" as alice "alice 1" --to a1@example.net
rig_check "alice 2 of 2: accepted" as alice "alice 2" --to a2@example.net
refused_as alice "alice 3" --to a3@example.net
rig_check "alice 3: quota, 451 at RCPT" said '451 4\.7\.1 hour quota exceeded'
refused_as alice "alice 4" --to a4@example.net
rig_check "alice 4: quota, 451 at RCPT" said '451 4\.7\.1 hour quota exceeded'
refused_as alice "alice 5" --to a5@example.net
rig_check "alice 5: blocked by the penalty box at MAIL FROM" \
	said '451 4\.7\.1 login:alice@sign\.test is blocked until [0-9T:-]+Z'
rig_check "audit: penalty_box raised with the second quota refusal" \
	test -n "$(audit '.stage == "RCPT" and .reason == "quota" and (.signals | map(select(.name == "penalty_box" and .subject == "login:alice@sign.test")) | length) == 1')"
rig_check "audit: the blocked MAIL FROM" \
	test -n "$(audit '.stage == "MAIL" and .reason == "penalty-box" and .signals[0].name == "penalty_box"')"
first=$("$CTL" -c "$RUN/relayguard.conf" --json block show login:alice@sign.test)
rig_check "relayguardctl block show: 10 minutes, by the penalty box, offence 1" \
	jq -e '(((.until | fromdate) - (.since | fromdate)) == 600) and .by == "penalty_box" and .offences == 1' <<< "$first"
rig_check "relayguardctl unblock lifts the block" \
	"$CTL" -c "$RUN/relayguard.conf" unblock login:alice@sign.test
refused_as alice "alice 6" --to a6@example.net
rig_check "alice 6 after unblock: the quota again (not blocked)" \
	said '451 4\.7\.1 hour quota exceeded'
refused_as alice "alice 7" --to a7@example.net
refused_as alice "alice 8" --to a8@example.net
rig_check "alice 8: blocked again" said '451 4\.7\.1 login:alice@sign\.test is blocked'
second=$("$CTL" -c "$RUN/relayguard.conf" --json block show login:alice@sign.test)
rig_check "repeat offence: the second block lasts 20 minutes (offence 2)" \
	jq -e '(((.until | fromdate) - (.since | fromdate)) == 1200) and .offences == 2' <<< "$second"
wait_for "quota warnings: 50, 80 and 100 percent of alice's hour, once each" \
	test "$(jq -r 'select(.event == "quota_warning" and .limits[0].subject == "login:alice@sign.test") | .reason' "$RUN/audit.jsonl" | sort | tr '\n' ' ')" = "quota 100% quota 50% quota 80% "

# --- fan-out: one body, too many recipients --------------------------------
body=$'Dear friend,\nWe have a special offer for you this week only: visit our shop and save on everything.'
rig_check "dave: body to 2 recipients, accepted" as dave "offer" \
	--to r1@example.net,r2@example.net --body "$body"
rig_check "dave: the same body to 2 more (4 > 3 per sender): accepted into hold" \
	as dave "offer again" --to r3@example.net,r4@example.net \
	--body "${body/friend/Dave}"
other='Hello, your parcel is waiting at the depot: confirm the delivery address on our site today please.'
rig_check "erin: another body to 3 recipients, accepted" as erin "parcel" \
	--to s1@example.net,s2@example.net,s3@example.net --body "$other"
rig_check "frank: that body to 3 more (6 > 5 all senders): accepted into hold" \
	as frank "parcel" --to s4@example.net,s5@example.net,s6@example.net \
	--body "$other"
rig_check "audit: dave's second message held, fanout for login:dave@sign.test" \
	test -n "$(audit '.action == "hold" and .login == "dave@sign.test" and .signals[0].name == "fanout" and .signals[0].subject == "login:dave@sign.test"')"
rig_check "audit: frank's message held, fanout for the body from all senders" \
	test -n "$(audit '.action == "hold" and .login == "frank@sign.test" and (.signals[0].subject | test("^fp:[0-9a-f]{32}$"))')"
rg_expect_log 'hold: END-OF-MESSAGE: held for review: fanout; reason=hold' \
	"log: the hold line"

# --- caps: at most 2 recipient domains --------------------------------------
RG_SEND_QUIET=1 as grace "three domains" \
	--to g@one.example,g@two.example,g@three.example || true
rig_check "grace: the third domain hears 452 4.5.3" \
	said '452 4\.5\.3 too many recipient domains in one message \(at most 2\)'

# --- spike: a quiet history, then a burst -----------------------------------
now=$(date +%s%3N)
rr_cli main HSET 'rg:{login:spiky@sign.test}:spike' s 0 l 5 \
	t $((now - 86400000)) f $((now - 8 * 86400000)) > /dev/null
rig_check "spiky 1: accepted" as spiky "burst 1" --to p1@example.net
rig_check "spiky 2: accepted" as spiky "burst 2" --to p2@example.net
refused_as spiky "burst 3" --to p3@example.net
rig_check "spiky 3: 550 5.7.1 at end of DATA (spike)" \
	said '550 5\.7\.1 sending rate far above'
rig_check "audit: spike for login:spiky@sign.test, reject" \
	test -n "$(audit '.stage == "END-OF-MESSAGE" and .action == "reject" and .signals[0].name == "spike" and .signals[0].subject == "login:spiky@sign.test"')"

# --- what left, what waits ----------------------------------------------------
# carol 3, alice 2, dave 1, erin 1, grace 1, spiky 2; two held
held() {
	postqueue -c "$RUN/postfix/etc" -j | jq -s '[.[] | select(.queue_name == "hold")] | length'
}
rig_wait_delivered_held() {
	test "$(rig_sink_count)" = 10 && test "$(held)" = 2 &&
		test "$(postqueue -c "$RUN/postfix/etc" -j | jq -s '[.[] | select(.queue_name != "hold")] | length')" = 0
}
wait_for "10 messages delivered, 2 in Postfix's hold queue" rig_wait_delivered_held
rig_check "the held ones are not in the sink" \
	sh -c '! grep -l "^Subject: offer again" "$0"/sink/* 2>/dev/null' "$RUN"
rig_check "grace's message went to two recipients" \
	test "$(grep -c '^X-Rcpt-Args:' "$(grep -l '^Subject: three domains' "$RUN"/sink/*)")" = 2

# --- reputation and top (written in the background) ---------------------------
rep() { "$CTL" -c "$RUN/relayguard.conf" --json reputation login:alice@sign.test; }
wait_for "reputation of alice: 2 accepted, 6 tempfailed today" \
	sh -c '"$0" -c "$1" --json reputation login:alice@sign.test | jq -e ".day.accepted == 2 and .day.tempfailed == 6 and .networks == 1"' "$CTL" "$RUN/relayguard.conf"
rig_check "reputation of carol: 3 client networks" \
	sh -c '"$0" -c "$1" --json reputation login:carol@sign.test | jq -e ".networks == 3 and .day.tempfailed == 1"' "$CTL" "$RUN/relayguard.conf"
rig_check "top --refused: alice's 6 among the refused" \
	sh -c '"$0" -c "$1" --json top --refused -n 5 | jq -e "map(select(.subject == \"login:alice@sign.test\" and .refused == 6)) | length == 1"' "$CTL" "$RUN/relayguard.conf"

# --- metrics and the report ---------------------------------------------------
metrics=$(curl -s "http://127.0.0.1:$mport/metrics")
rig_check "metrics: two fan-out holds, one spike reject, one stolen tempfail" \
	bash -c 'grep -qx "relayguard_abuse_signals_total{signal=\"fanout\",action=\"hold\"} 2" <<< "$0" && grep -qx "relayguard_abuse_signals_total{signal=\"spike\",action=\"reject\"} 1" <<< "$0" && grep -qx "relayguard_abuse_signals_total{signal=\"stolen_credentials\",action=\"tempfail\"} 1" <<< "$0"' "$metrics"
"$CTL" -c "$RUN/relayguard.conf" report -o "$RUN/report.html" 2> /dev/null
rig_check "report: alice among the blocked subjects (penalty box, unblocked by relayguardctl)" \
	grep -qE '<td class="subject">login:alice@sign\.test</td>.*penalty box, unblocked by the administrator' "$RUN/report.html"
rig_check "report: carol's stolen-credentials and spiky's spike as login events" \
	bash -c 'grep -q "stolen_credentials" "$0" && grep -q "login:carol@sign.test" "$0" && grep -q "login:spiky@sign.test" "$0"' "$RUN/report.html"
rg_finish
