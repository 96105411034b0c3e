#!/usr/bin/env bash
# t_ctl_report.sh - relayguardctl report: an audit file written by the
# audit module (400 records of every kind, hostile text included, plus a
# line cut short and a garbage line) becomes one HTML page that loads
# nothing from anywhere; headless Chromium (Debian's) renders it, and the
# DOM it builds is checked: every section, the numbers (summary, chart
# bars per kind, top sender, blocked subjects, login events), and that the
# hostile text stayed text (no script or img element appeared).  A
# screenshot is taken too.  --since narrows the period; an empty period
# exits 1.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rg.sh"
. "$(dirname "$0")/audit.sh"

rig_init ctl_report
command -v chromium > /dev/null || { rig_fail "chromium not installed (tests/packages.txt)"; exit 1; }
audit=$RUN/audit.jsonl
printf 'audit_file = %s\n' "$audit" > "$RUN/rg.conf"
au_drive_start "$RUN/rg.conf"
au_drive "time 1796000000 37"		# 2026-11-30 00:53:20 UTC, every 37 s
au_drive "send 400 mixed"
au_drive "flush 30"
au_drive quit
head -c 150 "$audit" >> "$audit"	# a record cut short (crash, full disk)
echo >> "$audit"
echo 'not json at all' >> "$audit"

res=$("$AU_CTL" -c "$RUN/rg.conf" report -o "$RUN/report.html" 2>&1) && rc=0 || rc=$?
rig_check "report: exit 0" test "$rc" = 0
rig_check "report: skipped lines counted on stderr" \
	test "$res" = "relayguardctl: report: 2 lines skipped: not audit records"
rig_check "page: no script, link, img, iframe or object tag" \
	sh -c '! grep -qiE "<(script|link|img|iframe|object|embed)" "$0"' "$RUN/report.html"
rig_check "page: the only URL is the SVG namespace" \
	test "$(grep -oE 'https?://[^" ]*' "$RUN/report.html" | sort -u)" = "http://www.w3.org/2000/svg"
rig_check "page: a Content-Security-Policy that forbids every fetch" \
	grep -q "content=\"default-src 'none'; style-src 'unsafe-inline'\"" "$RUN/report.html"

# chromium PAGE ARGS... - headless Debian chromium, no network, own profile
chromium_run() {
	local page=$1
	shift
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$RUN/chromium" "$@" "file://$page" \
		2> "$RUN/chromium.log"
}
chromium_run "$RUN/report.html" --dump-dom > "$RUN/dom.html" ||
	{ rig_fail "chromium --dump-dom failed"; tail -5 "$RUN/chromium.log"; }
chromium_run "$RUN/report.html" --window-size=1000,2200 \
	--screenshot="$RUN/report.png" > /dev/null ||
	{ rig_fail "chromium --screenshot failed"; tail -5 "$RUN/chromium.log"; }

rig_check "Chromium's DOM: sections, numbers, hostile text as text" \
	"$RG_PY" - "$RUN/dom.html" <<'EOF'
import sys
from html.parser import HTMLParser

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.kids, self.text = [], ""

class Tree(HTMLParser):
    VOID = {"meta", "br", "img", "input", "link", "hr"}
    def __init__(self):
        super().__init__()
        self.root = self.cur = Node("#root", [], None)
        self.all = []
    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        self.all.append(n)
        if tag not in self.VOID:
            self.cur = n
    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        self.all.append(n)
    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent
    def handle_data(self, data):
        self.cur.text += data

def text(n):
    return n.text + "".join(text(k) for k in n.kids)

def rows(table):
    out = []
    def walk(n):
        for k in n.kids:
            if k.tag == "tr":
                out.append([text(c).strip() for c in k.kids if c.tag in ("td", "th")])
            else:
                walk(k)
    walk(table)
    return out[1:]              # without the head row

t = Tree()
t.feed(open(sys.argv[1], encoding="utf-8").read())
byid = {n.attrs["id"]: n for n in t.all if "id" in n.attrs}
fails = []
def check(ok, what):
    if not ok:
        fails.append(what)

for i in ["period", "skipped", "summary-table", "refusal-chart", "refusal-data",
          "top-senders", "blocked-subjects", "login-events", "refusal-reasons"]:
    check(i in byid, "no #" + i)
title = [n for n in t.all if n.tag == "title"]
check(title and text(title[0]).startswith("relayguard report 2026-11-30 00:53 to 2026-11-30 04:59"),
      "title: %r" % (title and text(title[0])))
check("400 records" in text(byid["period"]), "period: " + text(byid["period"]))
check(text(byid["skipped"]).strip() == "2 lines skipped: not audit records.", "skipped")
summary = dict((r[0], int(r[1])) for r in rows(byid["summary-table"]))
check(summary == {"accept": 100, "tempfail": 150, "reject": 100, "hold": 50}, "summary %r" % summary)
bars = {}
for n in t.all:
    if n.tag == "rect" and "data-count" in n.attrs:
        kind = n.attrs["class"].split()[1]
        bars[kind] = bars.get(kind, 0) + int(n.attrs["data-count"])
        check(float(n.attrs["height"]) > 0, "bar without height")
check(bars == {"tempfail": 150, "reject": 100, "hold": 50}, "bars %r" % bars)
data = rows(byid["refusal-data"])
check(sum(int(r[1]) + int(r[2]) + int(r[3]) for r in data) == 300, "refusal-data sum")
senders = rows(byid["top-senders"])
check(senders[0][:2] == ["login ann", "100"], "top sender %r" % senders[0])
check(len(senders) == 7, "7 senders, got %d" % len(senders))
check(["login <script>alert(1)</script>", "50", "99", "50", "0", "100"] in senders,
      "hostile login not shown as text")
blocked = {r[0]: r for r in rows(byid["blocked-subjects"])}
check(blocked.get("login:bob", [0, 0, 0, 0, 0])[1] == "50" and blocked["login:bob"][4] == "limit hour", "bob")
check(blocked.get("login:eve", [0, 0, 0, 0, 0])[4] == "penalty box", "eve")
events = rows(byid["login-events"])
check(len(events) == 100, "login events: %d" % len(events))
check(events[0][0] == "2026-11-30 04:59" and events[0][1] == "login:<img src=x onerror=alert(2)>",
      "newest event first, subject as text: %r" % events[0])
check(sum(1 for e in events if e[3] == "tempfail (dry run)") == 25, "dry-run events")
reasons = dict((r[0], int(r[1])) for r in rows(byid["refusal-reasons"]))
check(reasons.get("quota") == 50 and reasons.get("<i>reason</i>") == 50, "reasons %r" % reasons)
check(not [n for n in t.all if n.tag in ("script", "img", "i", "b", "iframe")],
      "an element came from record text")
check(not [n for n in t.all if set(n.attrs) & {"src", "href", "srcset", "data"}],
      "an element refers to another resource")
style = "".join(text(n) for n in t.all if n.tag == "style")
check("url(" not in style and "@import" not in style, "the style loads something")
if fails:
    print("\n".join(fails))
    sys.exit(1)
EOF
rig_check "screenshot: a 1000 px wide PNG of some size" "$RG_PY" -c '
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert w == 1000 and h == 2200 and len(b) > 20000, (w, h, len(b))' "$RUN/report.png"

res=$("$AU_CTL" -c "$RUN/rg.conf" report --since 2026-11-30T04:00:00 2>/dev/null) && rc=0 || rc=$?
rig_check "--since DATE: only the later records" \
	sh -c 'test "$0" = 0 && echo "$1" | grep -q "From 2026-11-30 04:00 to 2026-11-30 04:59 UTC: 97 records"' "$rc" "$res"
res=$("$AU_CTL" -c "$RUN/rg.conf" report --since 2030-01-01 2>&1) && rc=0 || rc=$?
rig_check "--since after the last record: exit 1, said so" \
	sh -c 'test "$0" = 1 && echo "$1" | grep -q "no audit records in that period"' "$rc" "$res"
res=$("$AU_CTL" -c "$RUN/rg.conf" report --since yesterday 2>&1) && rc=0 || rc=$?
rig_check "--since nonsense: exit 2" test "$rc" = 2
res=$("$AU_CTL" -c "$RUN/rg.conf" report -f "$RUN/nosuchfile" 2>&1) && rc=0 || rc=$?
rig_check "unreadable file: exit 5, named" \
	sh -c 'test "$0" = 5 && echo "$1" | grep -q "nosuchfile: No such file or directory"' "$rc" "$res"
printf 'socket = inet:1@127.0.0.1\n' > "$RUN/none.conf"
res=$("$AU_CTL" -c "$RUN/none.conf" report 2>&1) && rc=0 || rc=$?
rig_check "no audit_file and no -f: exit 78" test "$rc" = 78
rg_finish
