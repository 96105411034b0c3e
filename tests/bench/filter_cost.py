#!/usr/bin/python3
"""filter_cost.py SOCK COUNT SESSIONS PER_CONN SIZE [NSIGS] - the MTA side
of tests/bench/filter_cost.sh.

COUNT messages over SESSIONS parallel workers, PER_CONN messages per milter
connection (1: a new connection per message, as Postfix's smtpd opens one
per SMTP session), each with the header fields a mail client writes and a
body of SIZE bytes of 76-character lines in one chunk (Postfix sends up to
64 kB per chunk).  The client plays Postfix: HELO, MAIL with the macros i
and {auth_authen}, one RCPT, DATA, header, EOH, body, EOM, honouring the
steps the filter negotiated (tests/milter/miltclient.py).

Prints "done N bad B steps 0x..." (bad: messages that were not accepted
with NSIGS signatures, default 2) and "steps NAMES".  No timing: the
harness reads the filter's CPU time from /proc.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "milter"))
import miltclient as mc  # noqa: E402

sock = sys.argv[1]
count, sessions, per_conn, size = (int(a) for a in sys.argv[2:6])
nsigs = int(sys.argv[6]) if len(sys.argv) > 6 else 2
login = os.environ.get("FC_LOGIN", "")
line = b"The quick brown fox jumps over the lazy dog, again and again. 0123\r\n"
body = (line * (size // len(line) + 1))[:size - 2] + b"\r\n"
lock = threading.Lock()
state = {"next": 0, "bad": 0, "steps": 0, "why": None}


def take(n):
    with lock:
        first = state["next"]
        k = min(n, count - first)
        state["next"] += max(k, 0)
        return first, k


def headers(i):
    return [(b"Received", b" from client.test (client.test [127.0.0.1])\r\n"
             b"\tby mx.bench.test (Postfix) with ESMTP id Q%d\r\n"
             b"\tfor <rcpt@example.net>; Sun, 7 Dec 2025 12:00:00 +0000" % i),
            (b"From", b" Sender <sender@example.com>"),
            (b"To", b" rcpt@example.net"),
            (b"Subject", b" benchmark message %d" % i),
            (b"Date", b" Sun, 7 Dec 2025 12:00:00 +0000"),
            (b"Message-ID", b" <%d.bench@example.com>" % i),
            (b"MIME-Version", b" 1.0"),
            (b"Content-Type", b" text/plain; charset=us-ascii")]


def worker():
    while True:
        first, k = take(per_conn)
        if k <= 0:
            return
        try:
            s, _ = mc.open_session(sock, ip="127.0.0.1", name="client.test")
        except (OSError, mc.ProtocolError) as e:
            with lock:
                state["bad"] += k
                state["why"] = str(e)
            continue
        state["steps"] = s.steps
        s.helo("client.test")
        for i in range(first, first + k):
            macros = [("i", "Q%d" % i)]
            if login:
                macros.append(("{auth_authen}", login))
            r = mc.send_message(s, headers(i), [body],
                                "<sender@example.com>", mail_macros=macros,
                                eom_macros=[("i", "Q%d" % i)])
            if r.final != b"a" or len(r.sig_values()) != nsigs:
                with lock:
                    state["bad"] += 1
                    state["why"] = "final %r, %d signature(s), %r" % (
                        r.final, len(r.sig_values()), r.final_data)
            if r.dropped:
                break
        s.quit()
        s.close()


threads = [threading.Thread(target=worker) for _ in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("done %d bad %d steps 0x%x" % (count, state["bad"], state["steps"]))
print("steps %s" % mc.step_names(state["steps"]))
if state["why"]:
    print("last problem: %s" % state["why"])
sys.exit(1 if state["bad"] else 0)
