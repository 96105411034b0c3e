#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""policy_pipe.py - drive relayguard-policyd's decisions for
t_policy_redis_pipe.sh (standard library only).

    policy_pipe.py SOCKET burst N LOGIN
        N connections, each one RCPT request of its own message for LOGIN,
        all written before any reply is read (they reach the daemon in one
        loop iteration or a few); prints "dunno D refused R other O"
    policy_pipe.py SOCKET one LOGIN
        one request; prints the action
    policy_pipe.py SOCKET frozen LOGIN BOUND_S
        one RCPT request for LOGIN while Redis is frozen, and meanwhile, on
        other connections, 20 requests at the CONNECT stage (no engine, no
        Redis): those must be answered while the first waits; the first
        must be answered with a 4xx within BOUND_S seconds.  Prints ok/FAIL
        lines, exits 1 on a failure.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "policy"))
import pclient  # noqa: E402


def rcpt(login, n):
    return pclient.request(sasl_username=login, sender=login,
                           recipient="r%d@example.org" % n,
                           instance="%x.%x.%d" % (os.getpid(), n, n))


def burst(spec, n, login):
    socks = [pclient.connect(spec) for _ in range(n)]
    for i, s in enumerate(socks):
        s.sendall(rcpt(login, i))
    counts = {"dunno": 0, "refused": 0, "other": 0}
    for s in socks:
        r = pclient.read_replies(s, 1)
        if r == b"action=DUNNO\n\n":
            counts["dunno"] += 1
        elif r.startswith(b"action=4") or r.startswith(b"action=DEFER"):
            counts["refused"] += 1
        else:
            counts["other"] += 1
            sys.stderr.write("unexpected reply: %r\n" % r)
        s.close()
    print("dunno %(dunno)d refused %(refused)d other %(other)d" % counts)


def one(spec, login):
    s = pclient.connect(spec)
    s.sendall(rcpt(login, int(time.time() * 1000) % 100000))
    print(pclient.read_replies(s, 1).decode(errors="replace").strip())
    s.close()


def frozen(spec, login, bound):
    fails = 0
    slow = pclient.connect(spec)
    start = time.monotonic()
    slow.sendall(rcpt(login, 1))
    time.sleep(0.05)
    answered = 0
    for _ in range(20):
        s = pclient.connect(spec)
        s.sendall(pclient.request(protocol_state="CONNECT", recipient=""))
        if pclient.read_replies(s, 1) == b"action=DUNNO\n\n":
            answered += 1
        s.close()
    mid = time.monotonic() - start
    r = pclient.read_replies(slow, 1)
    took = time.monotonic() - start
    if answered == 20:
        print("ok: 20 other requests answered while a decision waited "
              "for the frozen Redis (%.2fs)" % mid)
    else:
        print("FAIL: only %d of 20 other requests answered while a "
              "decision waited for the frozen Redis" % answered)
        fails += 1
    if (r.startswith(b"action=4") or r.startswith(b"action=DEFER")) \
            and took <= bound:
        print("ok: the waiting decision is a tempfail within %.1fs: %r"
              % (bound, r.strip()))
    else:
        print("FAIL: the waiting decision: %r after %.2fs (a tempfail "
              "within %.1fs expected)" % (r, took, bound))
        fails += 1
    slow.close()
    return fails


def main():
    spec, what = sys.argv[1], sys.argv[2]
    if what == "burst":
        burst(spec, int(sys.argv[3]), sys.argv[4])
    elif what == "one":
        one(spec, sys.argv[3])
    elif what == "frozen":
        sys.exit(1 if frozen(spec, sys.argv[3], float(sys.argv[4])) else 0)
    else:
        sys.exit("policy_pipe.py: unknown command " + what)


if __name__ == "__main__":
    main()
