#!/usr/bin/python3
"""max_connections.py - driver for max_connections.sh (max_connections = 2).

A and B connect and stay open.  C is the third: the filter must not ask
for NR_CONN in its negotiation (it has to answer CONNECT) and must answer
CONNECT with tempfail ('t').  Then A and B still work; after A closes, a
new connection D is accepted and its message signed.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miltclient as mc  # noqa: E402

SOCK, LOG = os.environ["SOCK"], os.environ["LOG"]
T = mc.Checks()

A, ra = mc.open_session(SOCK, "127.0.0.1", "a.example")
B, rb = mc.open_session(SOCK, "127.0.0.1", "b.example")
T.check(ra is None and rb is None,
        "connections 1 and 2: CONNECT needs no reply (NR_CONN)")

C = mc.Session(SOCK)
C.negotiate()
T.check(not C.nr("NR_CONN"),
        "connection 3: negotiation without NR_CONN (steps %#x)" % C.steps)
rc = C.connect("c.example", "192.0.2.33")
T.check(rc is not None and rc[0] == b"t",
        "connection 3: CONNECT answered with tempfail (%r)" % (rc,))
C.quit()
C.close()
T.check(mc.log_wait(LOG, r"NOQUEUE: tempfail: CONNECT from c\.example"
                    r"\[192\.0\.2\.33\]: more than max_connections=2 MTA "
                    r"connections; conn=[0-9]+") is not None,
        "log: tempfail, more than max_connections=2")

r = mc.simple_message(A, "MAXC0001")
T.check(r.final == b"a" and len(r.sig_values()) == 2,
        "connection 1 still signs")
r = mc.simple_message(B, "MAXC0002")
T.check(r.final == b"a" and len(r.sig_values()) == 2,
        "connection 2 still signs")

A.quit()
A.close()
# The filter learns of the hang-up in its own time (xxfi_close): a new
# connection right after it may still be refused; retry for up to 3 s.
refused = 0
deadline = time.monotonic() + 3
while True:
    D, rd = mc.open_session(SOCK, "127.0.0.1", "d.example")
    if rd is None or time.monotonic() > deadline:
        break
    refused += 1
    D.quit()
    D.close()
    time.sleep(0.1)
print("connection 4 refused %d time(s) before connection 1's slot was free"
      % refused)
T.check(rd is None, "after connection 1 closed, a new one is accepted")
if rd is None:
    r = mc.simple_message(D, "MAXC0003")
    T.check(r.final == b"a" and len(r.sig_values()) == 2,
            "the new connection's message is signed")
    D.quit()
    D.close()
B.quit()
B.close()
lines = 0
with open(LOG) as f:
    lines = sum(1 for ln in f if "more than max_connections" in ln)
T.check(lines == 1 + refused, "one log line per refused connection (%d)"
        % lines)
sys.exit(T.done())
