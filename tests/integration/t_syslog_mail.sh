#!/usr/bin/env bash
# t_syslog_mail.sh - relayguard and relayguard-policyd log where a mail
# admin looks: through syslog(3), facility mail, one tag per line, also in
# the foreground (-f, as the systemd units run them), with nothing on
# standard error unless asked.  A real rsyslogd receives the lines of the
# daemons and of the test Postfix (logging through syslog, not maillog_file)
# and writes facility mail to its own mail log: one grep on the queue id
# there shows Postfix's lines and relayguard's.
#
# The whole test runs in a mount namespace of its own whose /dev is an
# overlay of the machine's: rsyslogd's socket is /dev/log there only, and
# the machine's /dev stays as it is.
set -eu
if [ "${RG_SYSLOG_NS:-0}" != 1 ]; then
	exec unshare -m env RG_SYSLOG_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/policyd.sh"

command -v rsyslogd >/dev/null || { echo "FAIL: rsyslogd not installed (tests/packages.txt)"; exit 1; }
mount --make-rprivate /
# the private /dev: an overlay whose upper layer is a tmpfs of this
# namespace; a devpts instance of its own for script(1), which starts Postfix
mount -t tmpfs -o mode=0700 tmpfs /mnt
mkdir /mnt/up /mnt/work
mount -t overlay overlay -o lowerdir=/dev,upperdir=/mnt/up,workdir=/mnt/work /dev
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
rm -f /dev/ptmx
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs tmpfs /dev/shm
[ ! -e /dev/log ] || rm -f /dev/log

rig_init syslog_mail

# --- rsyslogd with a configuration, pid file and logs of its own -----------
mkdir -p "$RUN/rsyslog"
cat > "$RUN/rsyslog.conf" <<EOF
global(workDirectory="$RUN/rsyslog")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0"
       SysSock.Annotate="off")
template(name="fac" type="string"
	 string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")
mail.*		action(type="omfile" file="$RUN/mail.log" template="fac")
*.*;mail.none	action(type="omfile" file="$RUN/other.log" template="fac")
EOF
rsyslogd -N1 -f "$RUN/rsyslog.conf" > "$RUN/rsyslog.check" 2>&1 ||
	{ cat "$RUN/rsyslog.check"; rig_fail "rsyslog.conf does not pass rsyslogd -N1"; }
rsyslogd -n -f "$RUN/rsyslog.conf" -i "$RUN/rsyslog.pid" > "$RUN/rsyslog.out" 2>&1 &
rig_track_pid "$!" rsyslogd
for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.1; done
rig_check "rsyslogd listens on the private /dev/log" test -S /dev/log
logger -p mail.info -t rig-probe "probe $$"
for _ in $(seq 50); do grep -q "probe $$" "$RUN/mail.log" 2>/dev/null && break; sleep 0.1; done
rig_check "rsyslogd writes facility mail to its mail log" grep -q "^mail.info rig-probe: probe $$" "$RUN/mail.log"

# --- relayguard in the foreground, as the unit runs it: no -e -------------
RG_KEY_OWNER=root rig_keys sign.test 2>/dev/null || rig_keys sign.test
rig_sink_start
rg_socket_unix
rg_conf "spf_check = no"
"$RG_BIN" -f -c "$RUN/relayguard.conf" < /dev/null > "$RUN/relayguard.stderr" 2>&1 &
RG_PID=$!
rig_track_pid "$RG_PID" relayguard
rig_wait_listen "$RG_SOCKET" 10
pd_socket_unix
pd_conf "spf_check = no"
"$PD_BIN" -f -c "$RUN/policyd.conf" < /dev/null > "$RUN/policyd.stderr" 2>&1 &
PD_PID=$!
rig_track_pid "$PD_PID" relayguard-policyd
rig_wait_listen "$PD_SOCKET" 10

RG_POSTFIX_SYSLOG=1 rig_postfix_start "$RG_MILTER"
rig_send --from a@sign.test --to b@example.net --header "Subject: syslog"
rig_wait_delivered 1 60
# the last lines of the message: Postfix's qmgr "removed" and ours
for _ in $(seq 50); do
	grep -q ': removed$' "$RUN/mail.log" && grep -q ': signed: ' "$RUN/mail.log" && break
	sleep 0.1
done

qid=$(sed -n 's/^mail\.info relayguard\[[0-9]*\]: \([0-9A-F]*\): signed: .*/\1/p' "$RUN/mail.log" | head -n 1)
rig_check "relayguard's signed line is in the mail log with a queue id ($qid)" test -n "$qid"
grep -F "$qid" "$RUN/mail.log" > "$RUN/qid.log" || true
sed 's/^/    | /' "$RUN/qid.log"
rig_check "one grep on the queue id shows Postfix's smtpd line" grep -q " postfix/smtpd\[[0-9]*\]: $qid: client=" "$RUN/qid.log"
rig_check "... its cleanup line" grep -q " postfix/cleanup\[[0-9]*\]: $qid: message-id=" "$RUN/qid.log"
rig_check "... its delivery" grep -q " postfix/smtp\[[0-9]*\]: $qid: to=<b@example.net>.* status=sent" "$RUN/qid.log"
rig_check "... and relayguard's line" grep -q " relayguard\[$RG_PID\]: $qid: signed: d=sign.test" "$RUN/qid.log"
rig_check "relayguard's lines are all facility mail" \
	bash -c "! grep 'relayguard\[' '$RUN/mail.log' | grep -v '^mail\.'"
rig_check "... with one tag each (no \"relayguard[N]: relayguard[N]:\")" \
	bash -c "! grep -E '\]: [a-z-]+\[[0-9]+\]: ' '$RUN/mail.log'"
rig_check "relayguard logged its start at facility mail" \
	grep -q "^mail.info relayguard\[$RG_PID\]: starting relayguard " "$RUN/mail.log"
rig_check "relayguard-policyd logged its start at facility mail, one tag" \
	grep -q "^mail.info relayguard-policyd\[$PD_PID\]: starting relayguard-policyd [0-9.]*: " "$RUN/mail.log"
rig_check "no line of ours at another facility" \
	bash -c "! grep -q 'relayguard' '$RUN/other.log' 2>/dev/null"
rig_check "nothing on relayguard's standard error (not asked, not a terminal)" \
	test ! -s "$RUN/relayguard.stderr"
rig_check "nothing on relayguard-policyd's standard error" \
	test ! -s "$RUN/policyd.stderr"

# syslog_facility moves our lines, and only ours, elsewhere
rig_stop_pid "$PD_PID"
echo "syslog_facility = local3" >> "$RUN/policyd.conf"
"$PD_BIN" -f -c "$RUN/policyd.conf" < /dev/null > "$RUN/policyd.stderr" 2>&1 &
PD_PID=$!
rig_track_pid "$PD_PID" relayguard-policyd
rig_wait_listen "$PD_SOCKET" 10
for _ in $(seq 50); do grep -q "relayguard-policyd\[$PD_PID\]: starting" "$RUN/other.log" 2>/dev/null && break; sleep 0.1; done
rig_check "syslog_facility = local3: the start line is local3" \
	grep -q "^local3.info relayguard-policyd\[$PD_PID\]: starting" "$RUN/other.log"

# -e asks for standard error: the line goes there, not to syslog
rc=0
timeout 20 "$RG_BIN" -n -c "$RUN/relayguard.conf" > /dev/null 2> "$RUN/n.stderr" || rc=$?
echo "bogus_key = 1" >> "$RUN/relayguard.conf"
rc=0
timeout 20 "$RG_BIN" -f -e -c "$RUN/relayguard.conf" > /dev/null 2> "$RUN/e.stderr" || rc=$?
rig_check "-e: a config error goes to standard error (exit $rc)" \
	grep -q "^relayguard\[[0-9]*\]: fatal: .*bogus_key: unknown key" "$RUN/e.stderr"
rig_check "-e: ... and not to syslog" bash -c "! grep -q bogus_key '$RUN/mail.log'"
rc=0
timeout 20 "$RG_BIN" -f -c "$RUN/relayguard.conf" > /dev/null 2> "$RUN/f.stderr" || rc=$?
for _ in $(seq 50); do grep -q "bogus_key" "$RUN/mail.log" && break; sleep 0.1; done
rig_check "-f without a terminal: the config error goes to syslog (exit $rc)" \
	grep -q "^mail.crit relayguard\[[0-9]*\]: fatal: .*bogus_key: unknown key" "$RUN/mail.log"
rig_check "-f without a terminal: ... not to standard error" test ! -s "$RUN/f.stderr"
rg_finish
