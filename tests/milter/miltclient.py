#!/usr/bin/python3
"""miltclient.py - the MTA side of milter protocol version 6, stdlib only.

Used by the relayguard milter tests for what miltertest cannot do: header
values and body chunks of any size, many headers, raw or cut-off sessions,
several sessions open at once.  It behaves like Postfix does: it offers every
protocol step and action, then honours what the filter asked for (steps the
filter does not want are not sent; no reply is awaited for SMFIP_NR_* steps).

As a program it sends one message (or a raw session) and prints one line per
event, for the test scripts to grep:

    negotiated version=6 actions=0x101 steps=0x1812c2 ...
    connect: noreply | mail: c | eoh: a | eom: a | insert 0 DKIM-Signature: ...
    verify 0: d=example.com s=rsa a=rsa-sha256: ok
    summary final=a signatures=2 verified=2

The module can also be imported (see Session and send_message) for scripts
that interleave several sessions.  Signature verification (--verify) uses
python3-dkim when it is installed; everything else is stdlib.
"""
import argparse
import codecs
import os
import select
import socket
import struct
import sys
import time

# protocol steps (SMFIP_*) and actions (SMFIF_*) from libmilter's mfapi.h
P = {
    "NOCONNECT": 0x1, "NOHELO": 0x2, "NOMAIL": 0x4, "NORCPT": 0x8,
    "NOBODY": 0x10, "NOHDRS": 0x20, "NOEOH": 0x40, "NR_HDR": 0x80,
    "NOUNKNOWN": 0x100, "NODATA": 0x200, "SKIP": 0x400, "RCPT_REJ": 0x800,
    "NR_CONN": 0x1000, "NR_HELO": 0x2000, "NR_MAIL": 0x4000,
    "NR_RCPT": 0x8000, "NR_DATA": 0x10000, "NR_UNKN": 0x20000,
    "NR_EOH": 0x40000, "NR_BODY": 0x80000, "HDR_LEADSPC": 0x100000,
}
ALL_STEPS = 0x1FFFFF
ALL_ACTIONS = 0x1FF		# ADDHDRS .. SETSYMLIST

# replies after which the MTA sends nothing more for this message
FINAL = set(b"artdy4f")
# modification requests, only legal at end of message
MODS = set(b"hi+-mbeq2l")


def step_names(bits):
    return ",".join(n for n, v in P.items() if bits & v) or "-"


class ProtocolError(Exception):
    pass


class Session:
    """One MTA-to-filter connection."""

    def __init__(self, spec, timeout=30.0):
        self.spec = spec
        if spec.startswith("unix:") or spec.startswith("local:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(spec.split(":", 1)[1])
        elif spec.startswith("inet:"):
            port, _, host = spec[5:].partition("@")
            self.sock = socket.create_connection((host or "127.0.0.1",
                                                  int(port)), timeout)
        else:
            raise SystemExit("socket must be unix:PATH or inet:PORT@HOST")
        self.sock.settimeout(timeout)
        self.steps = 0
        self.actions = 0
        self.version = 0
        self.symlists = {}
        self.stray = []		# replies that came for a no-reply step

    # -- framing ---------------------------------------------------------
    def send(self, cmd, data=b""):
        self.sock.sendall(struct.pack("!I", len(data) + 1) + cmd + data)

    def _exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("filter closed the connection")
            buf += chunk
        return bytes(buf)

    def recv(self):
        (n,) = struct.unpack("!I", self._exact(4))
        if n == 0 or n > 64 * 1024 * 1024:
            raise ProtocolError("bad packet length %d" % n)
        pkt = self._exact(n)
        return pkt[:1], pkt[1:]

    def pending(self, wait=0.0):
        """True when the filter sent something nobody asked for."""
        r, _, _ = select.select([self.sock], [], [], wait)
        return bool(r)

    def _check_stray(self):
        # A filter that negotiated NR_* must not answer those steps: any
        # byte waiting now would desynchronise a real MTA.
        if self.pending():
            try:
                self.stray.append(self.recv())
            except (OSError, ConnectionError, ProtocolError) as e:
                self.stray.append((b"!", str(e).encode()))

    def reply(self):
        """Read until a non-progress reply."""
        while True:
            code, data = self.recv()
            if code != b"p":
                return code, data

    def nr(self, flag):
        return bool(self.steps & P[flag])

    # -- commands ----------------------------------------------------------
    def negotiate(self, version=6, actions=ALL_ACTIONS, steps=ALL_STEPS):
        self.send(b"O", struct.pack("!III", version, actions, steps))
        code, data = self.recv()
        if code != b"O" or len(data) < 12:
            raise ProtocolError("negotiation reply %r" % code)
        self.version, self.actions, self.steps = struct.unpack(
            "!III", data[:12])
        rest = data[12:]
        while len(rest) >= 5:
            (where,) = struct.unpack("!I", rest[:4])
            names, _, rest = rest[4:].partition(b"\0")
            self.symlists[where] = names.decode("ascii", "replace")
        return self.version, self.actions, self.steps

    def macro(self, cmd, pairs):
        data = cmd
        for name, value in pairs:
            data += name.encode() + b"\0" + value.encode() + b"\0"
        self.send(b"D", data)

    def _step(self, cmd, data, skip_flag, nr_flag):
        """Send a step; None if skipped or no reply is due, else (c, d)."""
        if skip_flag and self.nr(skip_flag):
            return None
        self._check_stray()
        self.send(cmd, data)
        if nr_flag and self.nr(nr_flag):
            return None
        return self.reply()

    def connect(self, name, addr, family="4", port=25000):
        data = name.encode() + b"\0" + family.encode()
        if family != "U":
            data += struct.pack("!H", port) + addr.encode() + b"\0"
        return self._step(b"C", data, "NOCONNECT", "NR_CONN")

    def helo(self, name):
        return self._step(b"H", name.encode() + b"\0", "NOHELO", "NR_HELO")

    def mail(self, sender, *args):
        data = b"".join(a.encode() + b"\0" for a in (sender,) + args)
        return self._step(b"M", data, "NOMAIL", "NR_MAIL")

    def rcpt(self, rcpt):
        return self._step(b"R", rcpt.encode() + b"\0", "NORCPT", "NR_RCPT")

    def data(self):
        return self._step(b"T", b"", "NODATA", "NR_DATA")

    def header(self, name, value):
        """value as bytes, exactly what follows the colon in the message"""
        if not self.nr("HDR_LEADSPC") and value[:1] in (b" ", b"\t"):
            value = value[1:]	# what Postfix does without LEADSPC
        return self._step(b"L", name + b"\0" + value + b"\0",
                          "NOHDRS", "NR_HDR")

    def eoh(self):
        return self._step(b"N", b"", "NOEOH", "NR_EOH")

    def body(self, chunk):
        return self._step(b"B", chunk, "NOBODY", "NR_BODY")

    def eom(self):
        """End of message: returns (final_code, final_data, mods)."""
        self._check_stray()
        self.send(b"E")
        mods = []
        while True:
            code, data = self.recv()
            if code == b"p":
                continue
            if code[0] in MODS:
                mods.append((code, data))
                continue
            return code, data, mods

    def abort(self):
        self.send(b"A")

    def quit(self):
        try:
            self.send(b"Q")
        except OSError:
            pass

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def split_header(text):
    """'Name: value' -> (b'Name', b' value'): value keeps what follows ':'"""
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    name, sep, value = text.partition(b":")
    if not sep:
        raise SystemExit("header %r has no colon" % text)
    return name, value


class Result:
    def __init__(self):
        self.replies = {}	# step -> code (str) or "noreply"/"skipped"
        self.final = None	# the code that ended the message
        self.final_data = b""
        self.inserted = []	# (index, name, value)
        self.added = []		# (name, value)
        self.other_mods = []
        self.message = None	# the message as the MTA would pass it on
        self.dropped = None	# error text when the filter hung up
        self.stray = []

    def sig_values(self):
        return [v for (_, n, v) in self.inserted
                if n.lower() == b"dkim-signature"] + \
               [v for (n, v) in self.added if n.lower() == b"dkim-signature"]


def _code(r):
    return "noreply" if r is None else r[0].decode("latin-1")


def send_message(s, headers, body_chunks, sender="<user@example.com>",
                 mail_macros=None, eoh_macros=None, eom_macros=None,
                 abort_after_body=None):
    """One message on an open, negotiated, connected session.

    headers: list of (name bytes, value bytes); body_chunks: iterable of
    bytes.  abort_after_body=N sends SMFIC_ABORT after N body chunks.
    Returns a Result; the session stays usable unless the filter hung up.
    """
    r = Result()
    try:
        if mail_macros:
            s.macro(b"M", mail_macros)
        rep = s.mail(sender)
        r.replies["mail"] = _code(rep)
        if rep is not None and rep[0][0] in FINAL:
            r.final, r.final_data = rep
            return r
        rep = s.rcpt("<rcpt@example.net>")
        r.replies["rcpt"] = _code(rep) if not s.nr("NORCPT") else "skipped"
        rep = s.data()
        r.replies["data"] = _code(rep) if not s.nr("NODATA") else "skipped"
        for name, value in headers:
            rep = s.header(name, value)
            if rep is not None and rep[0] != b"c":
                r.replies["header"] = _code(rep)
                if rep[0][0] in FINAL:
                    r.final, r.final_data = rep
                    return r
        if eoh_macros:
            s.macro(b"N", eoh_macros)
        rep = s.eoh()
        r.replies["eoh"] = _code(rep)
        if rep is not None and rep[0][0] in FINAL:
            r.final, r.final_data = rep
            return r
        n = 0
        for chunk in body_chunks:
            if abort_after_body is not None and n == abort_after_body:
                break
            rep = s.body(chunk)
            n += 1
            if rep is not None and rep[0] not in (b"c",):
                r.replies["body"] = _code(rep)
                if rep[0][0] in FINAL:
                    r.final, r.final_data = rep
                    return r
        if abort_after_body is not None:
            s.abort()
            r.replies["abort"] = "sent"
            return r
        if eom_macros:
            s.macro(b"E", eom_macros)
        code, data, mods = s.eom()
        r.replies["eom"] = code.decode("latin-1")
        r.final, r.final_data = code, data
        hdrs = list(headers)
        for mc, md in mods:
            if mc == b"i":
                (idx,) = struct.unpack("!I", md[:4])
                name, _, rest = md[4:].partition(b"\0")
                value = rest.rstrip(b"\0")
                r.inserted.append((idx, name, value))
                hdrs.insert(min(idx, len(hdrs)), (name, value))
            elif mc == b"h":
                name, _, rest = md.partition(b"\0")
                value = rest.rstrip(b"\0")
                r.added.append((name, value))
                hdrs.append((name, value))
            else:
                r.other_mods.append((mc, md))
        r.message = build_message(hdrs, None, s.nr("HDR_LEADSPC"))
    except (ConnectionError, socket.timeout, OSError, ProtocolError) as e:
        r.dropped = str(e) or e.__class__.__name__
    finally:
        r.stray = list(s.stray)
    return r


def build_message(hdrs, body, leadspc):
    """Header block (CRLF line ends, folded values fixed) and body."""
    out = bytearray()
    for name, value in hdrs:
        if not leadspc and value[:1] not in (b" ", b"\t"):
            value = b" " + value
        value = value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        out += name + b":" + value + b"\r\n"
    out += b"\r\n"
    if body is not None:
        out += body
    return bytes(out)


def load_keys(path):
    """'NAME TXT...' lines, as tests/milter/lib.sh writes them"""
    keys = {}
    with open(path) as f:
        for line in f:
            name, _, txt = line.strip().partition(" ")
            if name:
                keys[name.lower()] = txt.encode()
    return keys


def verify(message, keyfile):
    """Verify every DKIM-Signature; list of (tags, ok) or None w/o dkimpy."""
    try:
        import dkim
    except ImportError:
        return None
    keys = load_keys(keyfile)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return keys.get(name.rstrip(".").lower())

    d = dkim.DKIM(message)
    sigs = [v for (n, v) in d.headers if n.lower() == b"dkim-signature"]
    out = []
    for i, v in enumerate(sigs):
        tags = {}
        for part in v.replace(b"\r\n", b"").split(b";"):
            k, _, val = part.strip().partition(b"=")
            tags[k.strip().decode("ascii", "replace")] = \
                b"".join(val.split()).decode("ascii", "replace")
        try:
            ok = dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc)
        except Exception as e:	# dkimpy raises on malformed input
            ok = False
            tags["error"] = str(e)
        out.append((tags, ok))
    return out


# -- body and header generators for the command line ----------------------

# -- helpers for scenario scripts (tests/milter/*.py) -----------------------

class Checks:
    """ok/FAIL lines in the format lib.sh counts"""

    def __init__(self):
        self.failed = 0

    def check(self, cond, what):
        if cond:
            print("ok: %s" % what)
        else:
            print("FAIL: %s" % what)
            self.failed += 1
        sys.stdout.flush()
        return bool(cond)

    def done(self):
        if self.failed:
            print("%d check(s) failed" % self.failed)
            return 1
        print("DONE")
        return 0


def log_wait(path, regex, timeout=5.0, start=0):
    """the first line of the log (from byte offset start) matching regex"""
    import re
    rx = re.compile(regex)
    end = time.monotonic() + timeout
    while True:
        with open(path, "rb") as f:
            f.seek(start)
            for line in f.read().decode("utf-8", "replace").splitlines():
                if rx.search(line):
                    return line
        if time.monotonic() >= end:
            return None
        time.sleep(0.05)


def log_size(path):
    return os.path.getsize(path)


def open_session(spec, ip="127.0.0.1", name="localhost", timeout=30.0):
    """connected, negotiated session; returns (session, connect reply)"""
    s = Session(spec, timeout)
    s.negotiate()
    rep = s.connect(name, ip, "6" if ":" in ip else "4")
    return s, rep


def simple_message(s, qid, from_hdr="User <user@example.com>",
                   sender="<user@example.com>", subject="test", login=None,
                   body=b"hello world\r\n"):
    macros = [("i", qid)]
    if login:
        macros.append(("{auth_authen}", login))
    headers = [(b"From", b" " + from_hdr.encode()),
               (b"To", b" rcpt@example.net"),
               (b"Subject", b" " + subject.encode())]
    r = send_message(s, headers, [body] if body else [], sender,
                     mail_macros=macros)
    if r.message is not None:
        r.message += body
    return r


def sig_tags(value):
    tags = {}
    for part in value.split(b";"):
        k, _, v = part.strip().partition(b"=")
        tags[k.strip().decode()] = b"".join(v.split()).decode()
    return tags


def body_chunks(body, chunk):
    for off in range(0, len(body), chunk):
        yield body[off:off + chunk]


def big_body(total, chunk):
    """total bytes of 76-character CRLF lines, generated chunk by chunk"""
    line = (b"0123456789" * 8)[:76] + b"\r\n"
    block = line * (chunk // len(line) + 2)
    sent = 0
    phase = 0
    while sent < total:
        n = min(chunk, total - sent)
        # keep line boundaries continuous across chunks
        piece = (block[phase:] + block)[:n]
        phase = (phase + n) % len(line)
        sent += n
        yield piece


def print_result(r, keyfile=None, body=None, leadspc=True):
    for step in ("mail", "rcpt", "data", "header", "eoh", "body", "abort",
                 "eom"):
        if step in r.replies:
            print("%s: %s" % (step, r.replies[step]))
    if r.final_data and r.final is not None and r.final[:1] == b"y":
        print("replytext: %s" % r.final_data.rstrip(b"\0").decode(
            "ascii", "replace"))
    for idx, name, value in r.inserted:
        print("insert %d %s:%s" % (idx, name.decode(), value.decode(
            "ascii", "replace").replace("\n", "\\n").replace("\t", "\\t")))
    for name, value in r.added:
        print("add %s:%s" % (name.decode(), value.decode("ascii", "replace")))
    for mc, md in r.other_mods:
        print("mod %r %r" % (mc, md[:80]))
    for code, data in r.stray:
        print("STRAY reply %r %r (filter answered a no-reply step)"
              % (code, data[:80]))
    if r.dropped:
        print("DROPPED: %s" % r.dropped)
    verified = 0
    if keyfile and r.message is not None and r.sig_values():
        res = verify(r.message + body, keyfile)
        if res is None:
            print("verify: SKIPPED (python3-dkim is not installed)")
            verified = -1
        for i, (tags, ok) in enumerate(res or []):
            print("verify %d: d=%s s=%s a=%s bh=%s: %s%s" % (
                i, tags.get("d"), tags.get("s"), tags.get("a"),
                tags.get("bh"), "ok" if ok else "FAILED",
                (" (" + tags["error"] + ")") if "error" in tags else ""))
            verified += 1 if ok else 0
    final = r.final.decode("latin-1") if r.final else "none"
    if r.dropped:
        final = "dropped"
    print("summary final=%s signatures=%d verified=%d" % (
        final, len(r.sig_values()), verified))


def body_hash_relaxed(body):
    """RFC 6376 3.4.4 relaxed body canonicalization, SHA-256, base64"""
    import base64
    import hashlib
    import re
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ") for ln in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    canon = b"".join(ln + b"\r\n" for ln in lines)
    return base64.b64encode(hashlib.sha256(canon).digest()).decode()


def fix_crlf(body):
    """bare CR and bare LF become CRLF"""
    import re
    return re.sub(rb"\r(?!\n)|(?<!\r)\n", b"\r\n", body)


def esc(s):
    """command-line text with \\r \\n \\0 \\xNN escapes to bytes"""
    return codecs.escape_decode(s.encode("utf-8", "surrogateescape"))[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("socket", nargs="?", help="unix:PATH or inet:PORT@HOST")
    ap.add_argument("--mode", default="message",
                    choices=["message", "close", "negotiate-close",
                             "connect-close", "header-close", "garbage",
                             "hold"],
                    help="message (default); close: connect the socket and "
                    "close; negotiate-close; connect-close: negotiate, "
                    "CONNECT, close; header-close: cut off after a header; "
                    "garbage: an oversized packet length; hold: negotiate, "
                    "CONNECT, print the reply, stay open until stdin closes")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--client-ip", default="127.0.0.1")
    ap.add_argument("--client-name", default="localhost")
    ap.add_argument("--login", help="{auth_authen} macro at MAIL")
    ap.add_argument("--qid", default="", help="'i' macro (none if empty)")
    ap.add_argument("--sender", default="<user@example.com>")
    ap.add_argument("-H", "--header", action="append", default=[],
                    help="'Name: value' (escapes allowed); repeatable")
    ap.add_argument("--big-header", action="append", default=[],
                    help="NAME:BYTES - a header whose value is BYTES long")
    ap.add_argument("--many-headers", type=int, default=0,
                    help="add N small X-Filler-N headers")
    ap.add_argument("--body", default="hello world\\r\\n",
                    help="body text, escapes allowed (\\r \\n \\0 \\xNN)")
    ap.add_argument("--body-bytes", type=int, default=0,
                    help="instead: a generated body of this size")
    ap.add_argument("--chunk", type=int, default=65535)
    ap.add_argument("--verify", metavar="KEYFILE",
                    help="verify the signatures with python3-dkim")
    ap.add_argument("--messages", type=int, default=1,
                    help="send the message this many times on the session")
    ap.add_argument("--verify-fixcrlf", action="store_true",
                    help="verify against the body with bare CR and LF made "
                    "CRLF (as an MTA transmits it; libopendkim's FIXCRLF)")
    ap.add_argument("--verify-file", metavar="MSG",
                    help="no session: verify the message in MSG (--verify)")
    ap.add_argument("--bh", metavar="BODY",
                    help="no session: print the relaxed body hash of BODY")
    a = ap.parse_args()

    if a.bh is not None:
        print(body_hash_relaxed(esc(a.bh)))
        return 0
    if a.verify_file:
        with open(a.verify_file, "rb") as f:
            res = verify(f.read(), a.verify)
        if res is None:
            print("verify: SKIPPED (python3-dkim is not installed)")
            return 0
        good = 0
        for i, (tags, ok) in enumerate(res):
            print("verify %d: d=%s s=%s a=%s: %s%s" % (
                i, tags.get("d"), tags.get("s"), tags.get("a"),
                "ok" if ok else "FAILED",
                (" (" + tags["error"] + ")") if "error" in tags else ""))
            good += ok
        print("summary signatures=%d verified=%d" % (len(res), good))
        return 0 if res and good == len(res) else 1
    if a.socket is None:
        ap.error("a socket is needed")

    try:
        s = Session(a.socket, a.timeout)
    except OSError as e:
        print("CONNECTFAILED: %s" % e)
        return 2
    try:
        if a.mode == "close":
            s.close()
            print("closed")
            return 0
        if a.mode == "garbage":
            s.send(b"O", struct.pack("!III", 6, ALL_ACTIONS, ALL_STEPS))
            s.recv()
            s.sock.sendall(struct.pack("!I", 0x7FFFFFF0) + b"L" + b"x" * 64)
            try:
                got = s.sock.recv(1)
                print("garbage: filter %s" % ("closed" if not got
                                              else "answered %r" % got))
            except OSError as e:
                print("garbage: filter dropped the session (%s)" % e)
            s.close()
            return 0
        ver, act, steps = s.negotiate()
        print("negotiated version=%d actions=%#x steps=%#x (%s)" % (
            ver, act, steps, step_names(steps)))
        for where, names in sorted(s.symlists.items()):
            print("symlist %d: %s" % (where, names))
        if a.mode == "negotiate-close":
            s.close()
            print("closed")
            return 0
        rep = s.connect(a.client_name, a.client_ip,
                        "6" if ":" in a.client_ip else "4")
        print("connect: %s" % _code(rep))
        if a.mode == "hold":
            sys.stdout.flush()
            sys.stdin.read()
            s.quit()
            s.close()
            return 0
        if a.mode == "connect-close":
            s.close()
            print("closed")
            return 0
        if rep is not None and rep[0][0] in FINAL:
            s.quit()
            print("summary final=%s signatures=0 verified=0"
                  % _code(rep))
            return 0
        s.helo("client.example.net")
        if a.mode == "header-close":
            s.macro(b"M", [("i", a.qid or "CUT")])
            s.mail(a.sender)
            s.header(b"From", b" User <user@example.com>")
            s.close()
            print("closed")
            return 0

        headers = [split_header(esc(h)) for h in a.header]
        for spec in a.big_header:
            name, _, n = spec.rpartition(":")
            headers.append((name.encode(), b" " + b"v" * (int(n) - 1)))
        for i in range(a.many_headers):
            headers.append((b"X-Filler-%d" % i, b" filler header %d" % i))
        if a.body_bytes:
            body = None
        else:
            body = esc(a.body)
        rc = 0
        for n in range(a.messages):
            macros = []
            if a.qid:
                macros.append(("i", a.qid if a.messages == 1
                               else "%s%d" % (a.qid, n)))
            if a.login:
                macros.append(("{auth_authen}", a.login))
            if body is None:
                chunks = big_body(a.body_bytes, a.chunk)
            else:
                chunks = body_chunks(body, a.chunk)
            t0 = time.monotonic()
            r = send_message(s, headers, chunks, a.sender,
                             mail_macros=macros or None)
            print("elapsed %.3f s" % (time.monotonic() - t0))
            vbody = body
            if a.verify and body is None and r.message is not None:
                vbody = b"".join(big_body(a.body_bytes, a.chunk))
            if a.verify_fixcrlf and vbody:
                vbody = fix_crlf(vbody)
            print_result(r, a.verify, vbody if vbody is not None else b"")
            if r.dropped:
                rc = 1
                break
        s.quit()
        s.close()
        return rc
    except (ConnectionError, socket.timeout, OSError, ProtocolError) as e:
        print("DROPPED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
