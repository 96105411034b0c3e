#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""pclient.py - a plain-socket Postfix policy client for the tests of
relayguard-policyd (standard library only).

    pclient.py SOCKET SCENARIO [ARGS...]

SOCKET is inet:PORT@HOST, inet6:PORT@HOST (relayguard's syntax),
HOST:PORT or unix:PATH.
Each scenario prints "ok: ..." or "FAIL: ..." lines and exits 1 when
something failed (0 otherwise).  Scenarios:

    ask NAME=VALUE...     send one request, print the reply line(s)
    protocol              every malformed input of doc/failures.md P1-P9
    slowloris             one byte every 0.3 s: closed without a reply,
                          while another connection is served meanwhile
    idle                  an idle connection is closed by the server
    many N [PID]          N idle connections, others served meanwhile,
                          then every one of the N answers a request;
                          with PID, print "rss KB" of it while all are open
    overload N            N connections over the limit are closed at once
    flood N ATTRS         N connections each sending ATTRS attributes
    expect RCPT ACTION    one request to RCPT: the reply must be ACTION
    await RCPT            one request to RCPT: print "sent", then the reply
    slow RCPT HELD GO     a held request (RCPT, see script_engine.c) and
                          20 fast ones meanwhile on another connection:
                          the fast ones are answered, then GO is created
    chaos N ROUNDS        N clients pipelining mixed requests in random
                          pieces (needs script_engine.c): replies in order
    fdlimit N FIRST       N connections against a daemon with fewer file
                          descriptors: FIRST served, then the others
    noread N RCPT LOG     pipeline N requests to RCPT without reading the
                          replies until LOG shows the daemon's writes
                          block: others served; then all N arrive
    partial               send part of a request, print "sent", then
                          wait until the server closes (no reply)
    rss PID               print the VmRSS (kB) of PID

Nothing here depends on speed: every wait has a generous upper bound and
a check passes on what arrives, never on how fast.
"""
import os
import random
import resource
import socket
import sys
import time

WAIT = 20.0          # upper bound for any expected event, in seconds
FAILS = 0


def ok(msg):
    print("ok: " + msg, flush=True)


def fail(msg):
    global FAILS
    FAILS += 1
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


def parse_socket(spec):
    """(family, address) of a socket setting."""
    if spec.startswith("unix:"):
        return socket.AF_UNIX, spec[5:]
    if spec.startswith("inet:") and "@" in spec:
        port, host = spec[5:].split("@", 1)
        return socket.AF_INET, (host, int(port))
    if spec.startswith("inet6:") and "@" in spec:
        port, host = spec[6:].split("@", 1)
        return socket.AF_INET6, (host.strip("[]"), int(port))
    host, port = spec.rsplit(":", 1)
    return socket.AF_INET, (host, int(port))


def connect(spec):
    fam, addr = parse_socket(spec)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(WAIT)
    s.connect(addr)
    if fam != socket.AF_UNIX:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request(**attrs):
    """A request with the attributes Postfix 3.7 sends at RCPT."""
    base = {
        "request": "smtpd_access_policy",
        "protocol_state": "RCPT",
        "protocol_name": "ESMTP",
        "client_address": "192.0.2.7",
        "client_name": "mx.example.net",
        "helo_name": "mx.example.net",
        "sender": "ann@example.com",
        "recipient": "bo@example.org",
        "recipient_count": "0",
        "queue_id": "",
        "instance": "%x.%x.0" % (os.getpid(), random.getrandbits(32)),
        "size": "0",
        "sasl_username": "",
    }
    base.update(attrs)
    return "".join("%s=%s\n" % kv for kv in base.items()).encode() + b"\n"


def read_replies(s, n):
    """n replies (each "action=...\\n\\n") or fewer if the server closed."""
    buf = b""
    deadline = time.monotonic() + WAIT
    while buf.count(b"\n\n") < n and time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not d:
            break
        buf += d
    return buf


def closed_without_reply(s):
    """True when the server closes the connection and sends nothing."""
    deadline = time.monotonic() + WAIT
    got = b""
    while time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return got == b""
        if not d:
            return got == b""
        got += d
    return False


def send_all(s, data):
    """Send, tolerating a server that closes early (it may, on purpose)."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def scenario_ask(spec, args):
    attrs = dict(a.split("=", 1) for a in args)
    s = connect(spec)
    s.sendall(request(**attrs))
    sys.stdout.write(read_replies(s, 1).decode(errors="replace"))
    s.close()


def expect_dunno(spec, what, s=None):
    own = s is None
    if own:
        s = connect(spec)
    s.sendall(request())
    r = read_replies(s, 1)
    check(r == b"action=DUNNO\n\n", "%s: %r" % (what, r))
    if own:
        s.close()


def bad_input(spec, what, data):
    """data is a protocol error: closed, no reply byte at all."""
    s = connect(spec)
    send_all(s, data)
    check(closed_without_reply(s), what + ": closed without a reply")
    s.close()


def scenario_protocol(spec, args):
    # a connection opened first and kept: bad clients must not touch it
    keeper = connect(spec)
    expect_dunno(spec, "first request on a long-lived connection", keeper)

    s = connect(spec)
    s.sendall(request())
    r = read_replies(s, 1)
    check(r == b"action=DUNNO\n\n", "P8: the reply is exactly "
          "'action=DUNNO' and an empty line (%r)" % r)
    s.sendall(request(recipient="second@example.org"))
    check(read_replies(s, 1) == b"action=DUNNO\n\n",
          "a second request on the same connection")
    s.close()

    s = connect(spec)
    s.sendall(request() + request() + request())
    r = read_replies(s, 3)
    check(r == b"action=DUNNO\n\n" * 3,
          "P6: three pipelined requests in one write, three replies (%r)" % r)
    s.close()

    s = connect(spec)
    for b in request():
        s.sendall(bytes([b]))
    check(read_replies(s, 1) == b"action=DUNNO\n\n",
          "P6: a request split into one-byte writes")
    s.close()

    s = connect(spec)
    data = request() * 2
    cut = len(data) // 2 + 3
    s.sendall(data[:cut])
    time.sleep(0.2)
    s.sendall(data[cut:])
    check(read_replies(s, 2) == b"action=DUNNO\n\n" * 2,
          "P6: two requests cut in the middle of the second")
    s.close()

    s = connect(spec)
    s.sendall(b"request=smtpd_access_policy\ntls_sni=x.test\nfuture=1\n"
              b"sender=a@x\nsender=b@x\n\n")
    check(read_replies(s, 1) == b"action=DUNNO\n\n",
          "P7: unknown and duplicated attributes are fine")
    s.close()

    s = connect(spec)
    s.sendall(b"request=smtpd_access_policy\r\nsender=a@x\r\n\r\n")
    check(read_replies(s, 1) == b"action=DUNNO\n\n",
          "CRLF line ends (a hand-typed test) are accepted")
    s.close()

    s = connect(spec)
    s.sendall(request())
    read_replies(s, 1)
    s.close()
    expect_dunno(spec, "P9: the client closed between requests; "
                 "a new connection is served")

    s = connect(spec)
    s.sendall(request()[:-1])
    s.shutdown(socket.SHUT_WR)
    check(closed_without_reply(s),
          "P1: no empty line, then EOF: closed without a reply")
    s.close()
    s = connect(spec)
    s.sendall(b"request=smtpd_access_policy\nsender=a@x\n")
    s.close()
    expect_dunno(spec, "P1: after a client vanished mid-request, "
                 "others are served")

    bad_input(spec, "P2: a 5,000-byte line",
              b"request=smtpd_access_policy\nsender=" + b"a" * 5000 + b"\n\n")
    bad_input(spec, "P2: a 100 kB line without a newline", b"x" * 100000)
    random.seed(5)
    garbage = bytes(random.getrandbits(8) for _ in range(3000))
    bad_input(spec, "P3: binary garbage", garbage + b"\n\n")
    bad_input(spec, "P3: a NUL byte in a value",
              b"request=smtpd_access_policy\nsender=a\0b@x\n\n")
    bad_input(spec, "P3: a line without '='",
              b"request=smtpd_access_policy\nsender\n\n")
    bad_input(spec, "P3: an empty name",
              b"request=smtpd_access_policy\n=x\n\n")
    bad_input(spec, "P4: 100,000 attributes",
              b"request=smtpd_access_policy\n" + b"a=1\n" * 100000 + b"\n")
    bad_input(spec, "P7: no request= attribute", b"sender=a@x\n\n")
    bad_input(spec, "P7: request= is not smtpd_access_policy",
              b"request=junk_policy\nsender=a@x\n\n")
    bad_input(spec, "P7: an empty request", b"\n")
    bad_input(spec, "HTTP on the policy port", b"GET / HTTP/1.0\r\n\r\n")

    s = connect(spec)
    send_all(s, request() + b"broken line\n\n")
    r = read_replies(s, 2)
    check(r == b"action=DUNNO\n\n",
          "a good request then a bad one: one reply, then closed (%r)" % r)
    s.close()

    expect_dunno(spec, "the connection opened first is still served",
                 keeper)
    keeper.close()


def scenario_slowloris(spec, args):
    slow = connect(spec)
    data = request()
    fast = connect(spec)
    served = 0
    closed = False
    deadline = time.monotonic() + WAIT
    for b in data[:-1]:
        if time.monotonic() > deadline:
            break
        if not send_all(slow, bytes([b])):
            closed = True
            break
        # meanwhile, another client is answered as usual
        fast.sendall(request())
        if read_replies(fast, 1) == b"action=DUNNO\n\n":
            served += 1
        time.sleep(0.3)
    check(served >= 2, "P5: another connection was served %d times while "
          "the slow one dribbled" % served)
    if not closed:
        slow.settimeout(WAIT)
        closed = closed_without_reply(slow)
    else:
        try:
            closed = slow.recv(100) == b""
        except OSError:
            closed = True
    check(closed, "P5: one byte at a time: closed without a reply "
          "before the request was complete")
    expect_dunno(spec, "P5: the fast connection still works", fast)
    fast.close()


def scenario_idle(spec, args):
    s = connect(spec)
    expect_dunno(spec, "a request before going idle", s)
    check(closed_without_reply(s), "an idle connection is closed by the "
          "server (policy_idle_timeout)")
    s.close()


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))


def scenario_many(spec, args):
    n = int(args[0])
    raise_fd_limit(n + 20)
    idle = [connect(spec) for _ in range(n)]
    ok("%d idle connections open" % n)
    others = [connect(spec) for _ in range(10)]
    for s in others:
        s.sendall(request())
    good = sum(read_replies(s, 1) == b"action=DUNNO\n\n" for s in others)
    check(good == 10, "P10: 10 more connections served while %d are idle "
          "(%d/10)" % (n, good))
    for s in idle:
        s.sendall(request())
    good = sum(read_replies(s, 1) == b"action=DUNNO\n\n" for s in idle)
    check(good == n, "P10: every one of the %d long-lived connections "
          "then answered (%d/%d)" % (n, good, n))
    if len(args) > 1:           # the server's pid: its memory now
        print("rss %s" % vmrss(args[1]), flush=True)
    for s in idle + others:
        s.close()


def scenario_overload(spec, args):
    n = int(args[0])
    limit = int(args[1])
    raise_fd_limit(limit + n + 20)
    held = [connect(spec) for _ in range(limit)]
    # the server accepts and closes each extra connection at once
    for s in held:
        s.sendall(request())
    good = sum(read_replies(s, 1) == b"action=DUNNO\n\n" for s in held)
    check(good == limit, "%d connections up to the limit served" % limit)
    refused = 0
    for _ in range(n):
        s = connect(spec)
        send_all(s, request())
        got = closed_without_reply(s)
        s.close()
        if not got:
            break           # one is enough: do not wait n times
        refused += 1
    check(refused == n, "%d connections over the limit closed without a "
          "reply (%d/%d)" % (n, refused, n))
    held[0].close()
    time.sleep(0.5)
    expect_dunno(spec, "after one closed, a new connection is served")
    for s in held[1:]:
        s.close()


def scenario_flood(spec, args):
    n = int(args[0])
    attrs = int(args[1])
    closed = 0
    for _ in range(n):
        s = connect(spec)
        send_all(s, b"request=smtpd_access_policy\n" + b"a=1\n" * attrs)
        if closed_without_reply(s):
            closed += 1
        s.close()
    check(closed == n, "%d connections with %d attributes each closed "
          "without a reply (%d/%d)" % (n, attrs, closed, n))


def vmrss(pid):
    """VmRSS of a process in kB."""
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def scenario_fdlimit(spec, args):
    """N connections, more than the server's descriptors: the first
    FIRST are served at once; once they close, the rest are served too"""
    n, first = int(args[0]), int(args[1])
    raise_fd_limit(n + 20)
    conns = [connect(spec) for _ in range(n)]
    for s in conns:
        s.sendall(request())
    good = sum(read_replies(s, 1) == b"action=DUNNO\n\n"
               for s in conns[:first])
    check(good == first, "the first %d connections served (%d)" %
          (first, good))
    for s in conns[:first]:
        s.close()
    good = sum(read_replies(s, 1) == b"action=DUNNO\n\n"
               for s in conns[first:])
    check(good == n - first, "once they closed, the %d that waited in "
          "the backlog are served (%d)" % (n - first, good))
    for s in conns[first:]:
        s.close()


def scenario_noread(spec, args):
    """a client pipelines N requests to RCPT (args: N RCPT LOGFILE) and
    reads nothing until the daemon's log (debug) says its writes block:
    others are served meanwhile; then every reply arrives, complete.
    Nothing here assumes a speed: the sender blocks as long as it must,
    and the reader waits for data with a generous bound."""
    import select
    import threading
    n, rcpt = int(args[0]), args[1]
    s = connect(spec)
    s.settimeout(None)
    # Large segments: 271-byte ones with TCP_NODELAY pile up in the
    # daemon's receive queue while it waits to write, and the kernel then
    # drops some (RcvQDrop) and retransmits with backoff, which stalls the
    # stream for up to a minute: a kernel matter, not what is tested here.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    one = request(recipient=rcpt)
    sent = [0]

    def sender():
        try:
            while sent[0] < n:
                k = min(200, n - sent[0])
                s.sendall(one * k)
                sent[0] += k
        except OSError as e:
            print("    sender stopped after %d: %r" % (sent[0], e), flush=True)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    # read nothing until the daemon says its writes block (its log)
    deadline = time.monotonic() + 6 * WAIT
    seen = False
    marker = b"the reply waits for the client to read"
    with open(args[2], "rb") as log:
        tail = b""
        while not seen and time.monotonic() < deadline:
            chunk = log.read()      # only what is new since last time
            if not chunk:
                time.sleep(0.1)
                continue
            seen = marker in tail + chunk
            tail = chunk[-len(marker):]
    check(seen, "the daemon's writes to the client block (its log says)")
    expect_dunno(spec, "another client is served while one reads nothing")
    got = 0
    buf = b""
    while got < n:
        ready, _, _ = select.select([s], [], [], 3 * WAIT)
        if not ready:
            break       # nothing for a minute: the daemon is stuck
        d = s.recv(65536)
        if not d:
            break
        buf += d
        k = buf.count(b"\n\n")
        got += k
        if k:
            buf = buf[buf.rfind(b"\n\n") + 2:]
    check(got == n and sent[0] == n, "then all %d replies arrive (%d, "
          "%d sent)" % (n, got, sent[0]))
    s.close()
    t.join(WAIT)


def scenario_partial(spec, args):
    s = connect(spec)
    s.sendall(request()[:100])
    print("sent", flush=True)
    check(closed_without_reply(s), "closed without a reply")


def scenario_expect(spec, args):
    """one request to recipient args[0]; the reply must be args[1]"""
    s = connect(spec)
    s.sendall(request(recipient=args[0]))
    r = read_replies(s, 1)
    want = ("action=%s\n\n" % args[1]).encode()
    check(r == want, "recipient %s: %r" % (args[0], r))
    s.close()


def scenario_await(spec, args):
    """one request to recipient args[0]; print "sent", then the reply"""
    s = connect(spec)
    s.sendall(request(recipient=args[0]))
    print("sent", flush=True)
    r = read_replies(s, 1)
    print("reply " + r.decode(errors="replace").strip(), flush=True)
    s.close()


def scenario_slow(spec, args):
    """a held decision (recipient holdNAME-...) never stalls the others:
    args: RCPT HELD-FILE GO-FILE"""
    rcpt, held, go = args
    slow = connect(spec)
    slow.sendall(request(recipient=rcpt))
    deadline = time.monotonic() + WAIT
    while not os.path.exists(held) and time.monotonic() < deadline:
        time.sleep(0.01)
    check(os.path.exists(held), "the slow decision is at a worker")
    fast = connect(spec)
    good = 0
    for i in range(20):
        fast.sendall(request(recipient="fast%d@example.org" % i))
        if read_replies(fast, 1) == b"action=DUNNO\n\n":
            good += 1
    slow.setblocking(False)
    try:
        early = slow.recv(100)
    except BlockingIOError:
        early = b""
    slow.setblocking(True)
    check(good == 20 and early == b"",
          "20 requests on another connection answered while the slow "
          "decision is pending (%d/20, slow reply so far %r)" % (good, early))
    open(go, "w").close()
    r = read_replies(slow, 1)
    check(r == b"action=DUNNO\n\n", "then the slow one is answered: %r" % r)
    slow.close()
    fast.close()


def scenario_chaos(spec, args):
    """N threads x ROUNDS: pipelined bursts of 1-5 requests with mixed
    verdicts (script_engine.c recipients), cut into random pieces, now and
    then a client that vanishes mid-request: every burst must get its
    replies, complete and in order"""
    import threading
    n, rounds = int(args[0]), int(args[1])
    kinds = [("ok%d@example.org", b"action=DUNNO\n\n"),
             ("tempfail%d@example.org",
              b"action=451 4.7.1 hourly quota reached\n\n"),
             ("reject%d@example.org",
              b"action=553 5.7.1 sender address not owned by the login\n\n")]
    errors = []
    done = [0]
    lock = threading.Lock()

    def worker(seed):
        rnd = random.Random(seed)
        s = connect(spec)
        for rnd_i in range(rounds):
            if rnd.random() < 0.05:     # vanish in the middle of a request
                s.sendall(request()[:rnd.randrange(1, 200)])
                s.close()
                s = connect(spec)
                continue
            k = rnd.randrange(1, 6)
            picks = [rnd.choice(kinds) for _ in range(k)]
            data = b"".join(request(recipient=p[0] % rnd_i) for p in picks)
            want = b"".join(p[1] for p in picks)
            off = 0
            while off < len(data):
                cut = rnd.randrange(1, 400)
                s.sendall(data[off:off + cut])
                off += cut
                if rnd.random() < 0.1:
                    time.sleep(0.001)
            got = read_replies(s, k)
            if got != want:
                with lock:
                    errors.append("seed %d round %d: got %r want %r" %
                                  (seed, rnd_i, got[:200], want[:200]))
                s.close()
                return
            with lock:
                done[0] += k
        s.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors[:5]:
        print("    " + e)
    check(not errors, "%d connections, %d pipelined requests in random "
          "pieces with clients vanishing: every reply complete and in "
          "order (%d errors)" % (n, done[0], len(errors)))


def scenario_rss(spec, args):
    print(vmrss(args[0]))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    spec, name, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    fn = globals().get("scenario_" + name)
    if fn is None:
        print("unknown scenario " + name)
        sys.exit(2)
    fn(spec, args)
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
