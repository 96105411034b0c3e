#!/usr/bin/env bash
# t_sign_canon_postfix.sh - bodies that test the canonicalizers, signed
# through a real Postfix with RSA-SHA256 (libopendkim) and Ed25519-SHA256
# (relayguard's own canonicalizer), with canonicalization relaxed/relaxed
# (the default) and then simple/simple: lines of only blanks or only a tab
# before text, trailing blanks, empty and blank lines at the end, CRLF-only
# bodies, an empty body, a body without a final CRLF (by SMTP and by
# sendmail(1)), dot lines, and lines longer than Postfix's line_length_limit
# (2048), which smtpd stores in pieces and the milter receives in pieces,
# with blanks at the cut.  Every signature must verify with python3-dkim.
#
# smtp_line_length_limit = 0 in this test: by default Postfix's SMTP client
# folds lines over 998 bytes on delivery (RFC 5322 2.1.1), which changes
# the body after signing and breaks any signature, ours or not.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"

rig_init sign_canon
rig_dns_start
rig_keys sign.test
rig_sink_start
rg_socket_inet
rg_conf "canonicalization = relaxed/relaxed"
rg_start
rig_postfix_start "$RG_MILTER"
rig_postconf "smtp_line_length_limit = 0"
rig_postfix_reload

long1=$(printf 'x%.0s' $(seq 2040))$(printf ' \t  ')$(printf 'y%.0s' $(seq 3000))
long2=$(printf 'ab %.0s' $(seq 1700))
long3=$(printf 'z%.0s' $(seq 2047))$(printf '\t')$(printf 'w%.0s' $(seq 100))

# body NAME - the body of one named case, CRLF line ends (printf format)
body() {
	case $1 in
	blank_lines) printf 'first\r\n   \r\nafter spaces\r\n\t\r\nafter tab\r\n \t \r\nafter both\r\n' ;;
	blank_before_text) printf '  \r\nabc\r\n' ;;
	tab_before_text) printf '\t\r\nabc\r\n' ;;
	blank_empty_text) printf ' \r\n\r\ntext\r\n' ;;
	trailing_blanks) printf 'trailing space \r\ntrailing tab\t\r\nboth \t \r\n' ;;
	inner_blanks) printf 'a  \t  b\t\tc\r\n  indented\r\n\tby tab\r\n' ;;
	empty_lines_at_end) printf 'text\r\n\r\n\r\n\r\n' ;;
	blank_lines_at_end) printf 'text\r\n  \r\n\t\r\n\r\n \r\n' ;;
	only_tab) printf '\t\r\n' ;;
	tab_lines) printf '\t\r\nx\r\n\t\r\n' ;;
	only_crlfs) printf '\r\n\r\n\r\n' ;;
	empty) ;;
	no_final_crlf) printf 'line one\r\nlast line without an end' ;;
	no_final_crlf_blank) printf 'line one\r\nlast line \t' ;;
	dots) printf '.\r\n..\r\n.x\r\n . \r\n' ;;
	long_lines) printf '%s\r\n%s\r\n%s\r\n\r\n' "$long1" "$long2" "$long3" ;;
	esac
}
cases="blank_lines blank_before_text tab_before_text blank_empty_text
trailing_blanks inner_blanks empty_lines_at_end blank_lines_at_end only_tab
tab_lines only_crlfs empty no_final_crlf no_final_crlf_blank dots long_lines"

# send_all CANON - every case by SMTP, two by sendmail(1)
send_all() {
	local c f
	for c in $cases; do
		f=$RUN/msg.$c
		{
			printf 'From: User <user@sign.test>\r\nTo: rcpt@example.net\r\n'
			printf 'Subject: %s %s\r\n\r\n' "$1" "$c"
			body "$c"
		} > "$f"
		rig_send --from user@sign.test --to rcpt@example.net --data "$f"
	done
	for c in no_final_crlf blank_lines; do
		{
			printf 'From: <local@sign.test>\nTo: rcpt@example.net\n'
			printf 'Subject: %s sendmail %s\n\n' "$1" "$c"
			body "$c" | sed 's/\r$//'
		} | rig_sendmail -f local@sign.test rcpt@example.net
	done
}

# check_round CANON N - N messages so far; the new ones verify
check_round() {
	local files f
	rig_wait_delivered "$2" 60
	files=$(grep -l "^Subject: $1 " "$RUN"/sink/* | sort)
	rig_check "$1: $(echo "$files" | wc -w) messages delivered" \
		test "$(echo "$files" | wc -w)" = 18
	# shellcheck disable=SC2086 # a list of files
	rig_check "$1: every signature verifies (RSA and Ed25519)" \
		rig_verify $files
	# shellcheck disable=SC2086 # a list of files
	f=$(grep -l "^Subject: $1 long_lines" $files)
	rig_check "$1: the long lines arrived whole (over 5000 bytes)" \
		test "$(awk '{ if (length($0) > n) n = length($0) } END { print n }' "$f")" -gt 5000
	for f in $files; do
		rig_check "$(sed -n 's/^Subject: //p' "$f"): c=$1, rsa + ed25519" \
			test "$(tr -d ' \t\r\n' < "$f" | grep -o "c=$1;" | wc -l) $(grep -c 'a=rsa-sha256' "$f") $(grep -c 'a=ed25519-sha256' "$f")" = "2 1 1"
	done
}

send_all relaxed/relaxed
check_round relaxed/relaxed 18

# the same bodies with simple/simple
rg_stop
rg_conf "canonicalization = simple/simple"
rg_start
send_all simple/simple
check_round simple/simple 36
rg_finish
