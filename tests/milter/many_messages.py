#!/usr/bin/python3
"""many_messages.py [WARMUP COUNT NSIGS] - driver for many_messages.sh.

On ONE connection (a new connection means a new libmilter thread, whose
first use of malloc and OpenSSL costs ~150 kB once - that is not what is
measured): WARMUP messages, then the filter's VmRSS, then COUNT messages,
then VmRSS again.  Prints "rss BEFORE AFTER PER_MESSAGE"; checks that
every message got NSIGS signatures (default 2).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miltclient as mc  # noqa: E402

SOCK, PID = os.environ["SOCK"], os.environ["RG_PID"]
warmup, count, nsigs = (int(a) for a in (sys.argv[1:4] or
                                          ("500", "2000", "2")))
T = mc.Checks()


def rss_kb():
    with open("/proc/%s/status" % PID) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


s, _ = mc.open_session(SOCK)
bad = 0
for i in range(warmup):
    r = mc.simple_message(s, "WARM%d" % i, subject="warm-up")
    bad += not (r.final == b"a" and len(r.sig_values()) == nsigs)
before = rss_kb()
for i in range(count):
    r = mc.simple_message(s, "MANY%d" % i, subject="one of many")
    bad += not (r.final == b"a" and len(r.sig_values()) == nsigs)
after = rss_kb()
s.quit()
s.close()
T.check(bad == 0, "%d of %d messages got %d signature(s)" % (
    warmup + count - bad, warmup + count, nsigs))
print("rss %d %d %d" % (before, after, (after - before) * 1024 // count))
sys.exit(T.done())
