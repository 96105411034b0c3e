#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""limit_module_diff - the proof that RELAYGUARD.LIMIT (redis/) is the
limit script: two redis-servers get the same long random sequence of
decisions, one as EVALSHA of the script, the other as RELAYGUARD.LIMIT,
and after every step the replies and the keys the step named (type,
value or every field, the expiry time within a few ms: the
servers run a step a little apart) must be equal; every
--full steps and at the end, every key of both servers.

    limit_module_diff.py --script PORT --module PORT --lua FILE
        --admin FILE [--steps N] [--seed S] [--full N]
    limit_module_diff.py --fuzz PORT [--steps N] [--seed S]
    limit_module_diff.py --checks PORT

The sequence: ops C R U M X S on few subjects (so transactions collide),
plans of messages, recipients, bytes and parallel limits, dry-run ones
and an amount of 0, overrides set and cleared with the admin script,
queue ids present and absent, recipients repeated, deadlines passed,
"now" given and jumping forward (buckets drain, leases run out and are
swept), and now and then a subject's key of the wrong type (always the
call's first subject: the script fails there before it writes).

--fuzz sends random and mutated argument lists to RELAYGUARD.LIMIT: the
server must answer every one, an error must leave the data set as it
was (DEBUG DIGEST), and it must still answer PING at the end.

--checks proves the module's view of Redis on the real server, one line
per check: each key type (the API's constants: string and hash used,
list, set, sorted set, stream and a hash where a string belongs refused
with WRONGTYPE and nothing changed), the tombstone read (stale), the lease
swept (a field deleted), the expiry set (PEXPIRETIME), now 0 as the
server's clock, another protocol refused, the keys named to Cluster and
ACL (COMMAND GETKEYS, a user limited to some keys), deny-oom.

A tiny RESP client over a socket, no packages.  Exit 0 when equal; on a
difference the step, the seed and both sides are printed, exit 1.
"""

import argparse
import random
import socket
import struct
import sys


class Redis:
    """One connection; commands pipelined with send() then read()."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.out = []

    def send(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, int):
                a = str(a).encode()
            elif isinstance(a, str):
                a = a.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.out.append(b"".join(parts))

    def flush(self):
        if self.out:
            self.s.sendall(b"".join(self.out))
            self.out = []

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            more = self.s.recv(1 << 16)
            if not more:
                raise EOFError("connection closed")
            self.buf += more

    def _exact(self, n):
        while len(self.buf) < n + 2:
            more = self.s.recv(1 << 16)
            if not more:
                raise EOFError("connection closed")
            self.buf += more
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        self.flush()
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Err(rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError("bad reply line %r" % line)

    def call(self, *args):
        self.send(*args)
        return self.read()


class Err(str):
    """An error reply."""


# Limits: name, counter (0 messages, 1 recipients, 2 bytes, 3 parallel),
# amount, period ms, quantum ms, dry-run
LIMITS = [
    ("min", 0, 5, 60000, 12000, False),
    ("hour", 0, 20, 3600000, 180000, False),
    ("rcpt", 1, 12, 600000, 60000, False),
    ("bytes", 2, 200000, 3600000, 360000, False),
    ("par", 3, 2, 0, 0, False),
    ("dry", 0, 2, 60000, 60000, True),
    ("drybytes", 2, 50000, 60000, 6000, True),
    ("zero", 1, 0, 60000, 60000, False),
    ("tiny", 1, 1, 1000, 1000, False),
]
SUBJECTS = ["login:ann@example.com", "ip:192.0.2.7", "net:192.0.2.0/24",
            "login:bo@example.org"]
LEASE = 600000   # ms: the real TTLs outlive a run (no expiry in the middle)
TTL = 1800000


def key(s, suffix=""):
    return "rg:{%s}%s" % (s, suffix)


class Gen:
    """The random decisions."""

    def __init__(self, rnd):
        self.r = rnd
        self.now = 1800000000000 + rnd.randrange(1000000)
        self.txns = ["tx0"]      # open ones, the last first
        self.old = ["tx0"]       # finished ones (stale when used again)
        self.ntx = 0
        self.rcpts = ["%08x" % rnd.getrandbits(32) for _ in range(6)]
        self.wrong = None    # a subject whose key is of the wrong type
        self.marks = []      # the deadlines of leases taken
        self.plans = {}
        for s in SUBJECTS:
            self.plans[s] = rnd.sample(LIMITS, rnd.randint(1, 4))

    def advance(self):
        r = self.r.random()
        later = [m for m in self.marks if m >= self.now]
        if r < 0.05 and later:
            # exactly on a lease's deadline (or one ms either side)
            self.now = self.r.choice(later) + self.r.choice([-1, 0, 0, 1])
            return
        if r < 0.6:
            self.now += self.r.randrange(0, 2000)
        elif r < 0.85:
            self.now += self.r.randrange(2000, 60000)
        elif r < 0.97:
            self.now += self.r.randrange(LEASE // 8, LEASE * 2)
        else:
            self.now += self.r.randrange(3600000, 7200000)

    def call(self):
        """KEYS and ARGV of one decision."""
        r = self.r
        self.advance()
        subs = r.sample(SUBJECTS, r.choice([1, 1, 2, 2, 3]))
        if self.wrong is not None and r.random() < 0.5:
            if self.wrong in subs:
                subs.remove(self.wrong)
            subs.insert(0, self.wrong)
        elif self.wrong is not None and self.wrong in subs[1:]:
            subs.remove(self.wrong)
        op = r.choice("CRRRRUUMMMXSS")
        x = r.random()
        if x < 0.25 or not self.txns:
            self.ntx += 1
            self.txns.append("tx%d" % self.ntx)
            self.txns = self.txns[-6:]
        txn = r.choice(self.old) if x > 0.97 else \
            self.txns[-1 - min(int(r.expovariate(1.5)), len(self.txns) - 1)]
        if op in "MXS" and r.random() < 0.7 and txn in self.txns:
            self.txns.remove(txn)
            self.old = (self.old + [txn])[-10:]
        qid = ""
        if r.random() < 0.5:
            qid = "Q" + (txn if r.random() < 0.5 else
                         str(r.randrange(max(self.ntx // 50, 8))))
        rh = r.choice(self.rcpts) if r.random() < 0.9 else ""
        dl = 0
        x = r.random()
        if x < 0.05:
            dl = self.now - r.randrange(1, 5000)
        elif x < 0.3:
            dl = self.now + r.randrange(0, 5000)
        now = self.now
        if r.random() < 0.02:
            dl = 0
        units = (1, r.randint(1, 3), r.randrange(100, 80000))
        if op == "R":
            self.marks = (self.marks + [now + LEASE])[-40:]
        nums = struct.pack("<7Q", now, dl, LEASE, TTL, *units)
        names = []
        for s in subs:
            plan = self.plans[s]
            if r.random() < 0.1:
                plan = r.sample(LIMITS, r.randint(1, 3))
            nums += struct.pack("<B", len(plan))
            for (name, c, am, pe, un, dry) in plan:
                nums += struct.pack("<BQQQ", c + (4 if dry else 0),
                                    am, pe, un)
                names.append(name)
        s1 = subs[0]
        keys = [key(s1, ":t:" + txn),
                key(s1, (":q:" + qid) if qid else (":t:" + txn))]
        keys += [key(s) for s in subs]
        argv = [op, "l:" + txn, rh, nums] + names
        return keys, argv

    def admin(self):
        """An override set or cleared, or the buckets reset: the admin
        script's KEYS and ARGV."""
        r = self.r
        s = r.choice(SUBJECTS)
        if s == self.wrong:
            return None
        lim = r.choice(LIMITS)
        x = r.random()
        if x < 0.6:
            until = 0 if r.random() < 0.3 else \
                self.now + r.randrange(1000, 3600000)
            val = "%d %d %d %d" % (r.randint(0, 30), lim[3] or 60000,
                                   lim[4] or 60000, until)
            ttl = 0 if until == 0 else 600000
            return [key(s)], ["O", lim[0], val, str(ttl)]
        op = "C" if x < 0.85 else "Z"
        return [key(s)], [op, "700000"] + [n for n in
                                            (lim[0], r.choice(LIMITS)[0])]


def dump_keys(c, keys):
    """type, value and PTTL of each key, pipelined"""
    for k in keys:
        c.send("TYPE", k)
        c.send("HGETALL", k)
        c.send("GET", k)
        c.send("PEXPIRETIME", k)
    out = {}
    for k in keys:
        t = c.read()
        h = c.read()
        g = c.read()
        p = c.read()
        if t == "none":
            out[k] = None
        elif t == "hash":
            out[k] = ("hash", dict(zip(h[::2], h[1::2])), p)
        elif t == "string":
            out[k] = ("string", g, p)
        else:
            out[k] = (t, None, p)
    return out


def all_keys(c):
    c.send("KEYS", "*")
    return sorted(x.decode() for x in c.read())


def same_state(a, b, tol):
    """differences between two dumps (expiry within tol ms)"""
    diffs = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        if x is None or y is None:
            if x != y:
                diffs.append((k, x, y))
            continue
        if x[0] != y[0] or x[1] != y[1]:
            diffs.append((k, x, y))
        elif (x[2] < 0 or y[2] < 0) and x[2] != y[2]:
            diffs.append((k, x, y))
        elif abs(x[2] - y[2]) > tol:
            diffs.append((k, x, y))
    return diffs


def fail(args, step, what, *more):
    print("limit_module_diff: seed %d step %d: %s" % (args.seed, step, what))
    for m in more[:12]:
        print("  %r" % (m,))
    if len(more) > 12:
        print("  ... %d more" % (len(more) - 12))
    sys.exit(1)


def same_reply(x, y):
    if isinstance(x, Err) or isinstance(y, Err):
        return isinstance(x, Err) and isinstance(y, Err) and \
            x.split(" ", 1)[0] == y.split(" ", 1)[0]
    return x == y


def diff(args):
    rnd = random.Random(args.seed)
    sc = Redis(args.script)
    mc = Redis(args.module)
    lua = open(args.lua, "rb").read()
    admin = open(args.admin, "rb").read()
    sha = sc.call("SCRIPT", "LOAD", lua)
    asha = [c.call("SCRIPT", "LOAD", admin) for c in (sc, mc)][0]
    if isinstance(sha, Err) or isinstance(asha, Err):
        fail(args, 0, "SCRIPT LOAD", sha, asha)
    g = Gen(rnd)
    counts = {}
    for step in range(1, args.steps + 1):
        x = rnd.random()
        if x < 0.03:
            a = g.admin()
            if a is not None:
                ks, av = a
                rs = [c.call("EVALSHA", asha, len(ks), *ks, *av)
                      for c in (sc, mc)]
                if not same_reply(rs[0], rs[1]):
                    fail(args, step, "admin replies differ", *rs)
            continue
        if x < 0.033 and g.wrong is None:
            g.wrong = rnd.choice(SUBJECTS)
            for c in (sc, mc):
                c.call("DEL", key(g.wrong))
                c.call("RPUSH", key(g.wrong), "not a hash")
            continue
        if x < 0.045 and g.wrong is not None:
            for c in (sc, mc):
                c.call("DEL", key(g.wrong))
            g.wrong = None
            continue
        keys, argv = g.call()
        sc.send("EVALSHA", sha, len(keys), *keys, *argv)
        mc.send("RELAYGUARD.LIMIT", "4", len(keys), *keys, *argv)
        sc.flush()
        ra, rb = sc.read(), mc.read()
        if not same_reply(ra, rb):
            fail(args, step, "replies differ (script, module)", keys,
                 argv[:3], ra, rb)
        tag = (argv[0], ra[0] if isinstance(ra, list) else "err")
        counts[tag] = counts.get(tag, 0) + 1
        da = dump_keys(sc, keys)
        db = dump_keys(mc, keys)
        d = same_state(da, db, args.tol)
        if d:
            fail(args, step, "stored state differs (key, script, module)",
                 argv[:3], ra, *d)
        if step % args.full == 0 or step == args.steps:
            ka, kb = all_keys(sc), all_keys(mc)
            if ka != kb:
                fail(args, step, "key sets differ",
                     sorted(set(ka) ^ set(kb)))
            d = same_state(dump_keys(sc, ka), dump_keys(mc, kb), args.tol)
            if d:
                fail(args, step, "stored state differs", *d)
    print("limit_module_diff: %d steps equal (seed %d); keys %d; %s" % (
        args.steps, args.seed, len(all_keys(sc)),
        " ".join("%s/%s=%d" % (k[0], k[1], v)
                 for k, v in sorted(counts.items(), key=str))))


def fuzz(args):
    """random argument lists: answered, nothing changed on an error"""
    rnd = random.Random(args.seed)
    c = Redis(args.fuzz)
    g = Gen(rnd)
    errors = 0
    for step in range(1, args.steps + 1):
        keys, argv = g.call()
        av = ["RELAYGUARD.LIMIT", "4", str(len(keys))] + keys + argv
        av = [a.encode() if isinstance(a, str) else a for a in av]
        for _ in range(rnd.randint(1, 3)):
            m = rnd.random()
            if len(av) < 3:
                break
            i = rnd.randrange(1, len(av))
            if m < 0.15:
                av[i] = bytes(rnd.getrandbits(8)
                              for _ in range(rnd.randrange(0, 40)))
            elif m < 0.3:
                del av[i]
            elif m < 0.4:
                av.insert(i, av[rnd.randrange(1, len(av))])
            elif m < 0.5:
                av[2] = str(rnd.choice([0, 1, 2, 3, 4, 5, 9, 99, 9999,
                                        -1, 18, 19])).encode()
            elif m < 0.65:
                n = av[6 + len(keys)] if len(av) > 6 + len(keys) \
                    else b""
                if isinstance(n, bytes) and n:
                    j = rnd.randrange(len(n))
                    n = n[:j] + bytes([rnd.getrandbits(8)]) + n[j + 1:]
                    if rnd.random() < 0.3:
                        n = n[:rnd.randrange(len(n))]
                    elif rnd.random() < 0.3:
                        n += b"\0" * rnd.randrange(1, 30)
                    av[6 + len(keys)] = n
            elif m < 0.75:
                av[1] = rnd.choice([b"3", b"5", b"", b"44", b"4\0"])
            elif m < 0.85:
                av = av[:rnd.randrange(1, len(av))]
            else:
                av.append(b"extra")
        c.send("DEBUG", "DIGEST")
        c.send(*av)
        c.send("DEBUG", "DIGEST")
        before, rep, after = c.read(), c.read(), c.read()
        if isinstance(rep, Err):
            errors += 1
            if before != after:
                fail(args, step, "an error reply changed the data", rep,
                     av[:8])
    if c.call("PING") != "PONG":
        fail(args, args.steps, "no PONG after the fuzz")
    print("limit_module_diff: fuzz %d calls answered, %d errors, "
          "nothing changed by an error (seed %d)" % (args.steps, errors,
                                                     args.seed))


def checks(args):
    """the module against the real server, one line each"""
    c = Redis(args.checks)
    bad = []

    def check(what, ok, *info):
        print("%s: %s%s" % ("ok" if ok else "FAIL", what,
                            "" if ok else " %r" % (info,)))
        if not ok:
            bad.append(what)

    def nums(now, op_units=(1, 1, 100), lt=60000, plan=((0, 5, 60000,
                                                          12000),)):
        n = struct.pack("<7Q", now, 0, lt, 300000, *op_units)
        n += struct.pack("<B", len(plan))
        for (cn, am, pe, un) in plan:
            n += struct.pack("<BQQQ", cn, am, pe, un)
        return n

    def limit(op, now, subj="rg:{c}", txn="t1", tomb=None, proto="4"):
        t = tomb or subj + ":t:" + txn
        return c.call("RELAYGUARD.LIMIT", proto, 3, t, t, subj, op,
                      "l:" + txn, "ab12cd34", nums(now), "min")

    def digest():
        return c.call("DEBUG", "DIGEST")

    c.call("FLUSHALL")
    t0 = 1800000000000
    r = limit("R", t0)
    check("an empty key: reserved (code 0, server time given back)",
          isinstance(r, list) and r[:2] == [0, t0], r)
    h = c.call("HGETALL", "rg:{c}")
    check("a hash written: lease and R", sorted(h[::2]) ==
          [b"R", b"l:t1"], h)
    et = c.call("PEXPIRETIME", "rg:{c}")
    now = c.call("TIME")
    ms = int(now[0]) * 1000 + int(now[1]) // 1000
    r_val = h[h.index(b"R") + 1].split()
    want = ms + int(r_val[5]) - t0
    check("expiry set from the server's clock (PEXPIRETIME %d ~ %d)" %
          (et, want), abs(et - want) < 1000, et, want)
    r = limit("R", t0 + 60001, txn="t2")
    h = c.call("HGETALL", "rg:{c}")
    check("a lease run out is swept (field deleted)",
          b"l:t1" not in h[::2] and b"l:t2" in h[::2], h)
    for kind, make in (("string", ("SET", "rg:{c}", "x")),
                       ("list", ("RPUSH", "rg:{c}", "x")),
                       ("set", ("SADD", "rg:{c}", "x")),
                       ("sorted set", ("ZADD", "rg:{c}", "1", "x")),
                       ("stream", ("XADD", "rg:{c}", "*", "f", "v"))):
        c.call("DEL", "rg:{c}")
        c.call(*make)
        d0 = digest()
        r = limit("R", t0, txn="t9")
        check("subject key of type %s: WRONGTYPE, nothing changed" % kind,
              isinstance(r, Err) and r.startswith("WRONGTYPE") and
              digest() == d0, r)
    c.call("DEL", "rg:{c}")
    c.call("HSET", "rg:{c}:t:t8", "f", "v")
    d0 = digest()
    r = limit("R", t0, txn="t8")
    check("tombstone key of type hash: WRONGTYPE, nothing changed",
          isinstance(r, Err) and r.startswith("WRONGTYPE") and
          digest() == d0, r)
    c.call("SET", "rg:{c}:t:t7", "c")
    r = limit("R", t0, txn="t7")
    check("a tombstone string is read: stale (code 3)",
          isinstance(r, list) and r[0] == 3, r)
    before = c.call("TIME")
    r = c.call("RELAYGUARD.LIMIT", "4", 3, "rg:{c}:t:t6", "rg:{c}:t:t6",
               "rg:{c}", "C", "l:t6", "", nums(0), "min")
    after = c.call("TIME")
    lo = int(before[0]) * 1000 + int(before[1]) // 1000
    hi = int(after[0]) * 1000 + int(after[1]) // 1000
    check("now 0: the server's clock (%s in [%d, %d])" % (
        r[1] if isinstance(r, list) else r, lo, hi),
        isinstance(r, list) and lo <= r[1] <= hi, r)
    d0 = digest()
    r = limit("R", t0, txn="t5", proto="5")
    check("another protocol: RGPROTO, nothing changed",
          isinstance(r, Err) and r.startswith("RGPROTO") and
          digest() == d0, r)
    k = c.call("COMMAND", "GETKEYS", "RELAYGUARD.LIMIT", "4", "3", "a",
               "b", "c", "R", "l:x", "", nums(t0), "min")
    check("COMMAND GETKEYS names the three keys", k == [b"a", b"b", b"c"],
          k)
    c.call("ACL", "SETUSER", "lim", "on", "nopass", "~rg:{ok}*",
           "+relayguard.limit")
    u = Redis(args.checks)
    u.call("AUTH", "lim", "x")
    r1 = u.call("RELAYGUARD.LIMIT", "4", 3, "rg:{ok}:t:a", "rg:{ok}:t:a",
                "rg:{ok}", "C", "l:a", "", nums(t0), "min")
    r2 = u.call("RELAYGUARD.LIMIT", "4", 3, "rg:{no}:t:a", "rg:{no}:t:a",
                "rg:{no}", "C", "l:a", "", nums(t0), "min")
    check("ACL: a user limited to rg:{ok}* may decide there, not "
          "elsewhere", isinstance(r1, list) and isinstance(r2, Err) and
          r2.startswith("NOPERM"), r1, r2)
    c.call("CONFIG", "SET", "maxmemory", "1")
    d0 = digest()
    r = limit("R", t0, txn="t4")
    c.call("CONFIG", "SET", "maxmemory", "0")
    check("deny-oom: refused over maxmemory, nothing changed",
          isinstance(r, Err) and r.startswith("OOM") and digest() == d0, r)
    c.call("FLUSHALL")
    if bad:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--script", type=int)
    p.add_argument("--module", type=int)
    p.add_argument("--fuzz", type=int)
    p.add_argument("--checks", type=int)
    p.add_argument("--lua")
    p.add_argument("--admin")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--full", type=int, default=2000)
    p.add_argument("--tol", type=int, default=30)
    args = p.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if args.checks:
        checks(args)
    elif args.fuzz:
        fuzz(args)
    else:
        diff(args)


if __name__ == "__main__":
    main()
