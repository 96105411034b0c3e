#!/usr/bin/python3
"""dkimcanon_py.py - relayguard's DKIM body hashes against python3-dkim's.

The same bodies go through relayguard's canonicalizer (core/dkimcanon.c,
via the dkimcanon_hash tool) and through dkimpy's (dkim.canonicalization,
Debian python3-dkim), for simple and relaxed, and the SHA-256 body hashes
(bh=) must be equal.  Bodies:
  - a hand-written list (blank lines, trailing blanks, empty lines at the
    end, tab-only lines, CRLF-only bodies, empty body, no final CRLF, ...);
  - seeded random bodies built from the tokens that matter (SP, HTAB, CR,
    LF, CRLF, text, NUL, 8-bit);
  - the bodies of the committed fuzz corpus tests/fuzz/corpus/dkimcanon
    (each file: 1 + 2n bytes of cut points, then the body).
relayguard hashes each body whole, in 1-byte pieces and in 7-byte pieces.

dkimpy reads a message as text lines: a bare LF is a line end but a bare CR
is line content, and its relaxed form keeps the blanks at the end of an
unterminated last line ("a " -> "a \r\n").  RFC 5322 allows CR and LF only
as CRLF, SMTP carries CRLF lines, and RFC 6376 3.4.3/3.4.4 complete the last
line with CRLF; relayguard (like libopendkim with FIXCRLF) takes a bare CR
or LF as a line end.  So dkimpy gets each body as it would arrive by SMTP:
every CR, LF or CRLF written as CRLF, and a final CRLF when it is missing.
Nothing else is changed.

    dkimcanon_py.py TOOL [CORPUS-DIR]

Run with Debian's /usr/bin/python3.  Exit 0 when every hash agrees, 1 when
one differs (each difference printed), 2 on usage errors.
"""
import base64
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile

from dkim.canonicalization import Relaxed, Simple

HAND = [
    b"",
    b"\r\n",
    b"\r\n\r\n\r\n",
    b"  \r\nabc\r\n",
    b"\t\r\nabc\r\n",
    b"a\r\n \r\n\t \r\n\r\nb\r\n",
    b"a\r\n \r\n\t\r\n",
    b"a\r\n \r\n\r\n\t \r\n\r\n",
    b"a \t\r\nb\t\r\n",
    b"a \t b\t\tc\r\n",
    b" \ta\r\n",
    b" \r\n\t\r\n",
    b"a\r\n\r\n\r\nb\r\n",
    b"a\r\n\r\n\r\n",
    b"a\r\nb",
    b"a\r\nb \t",
    b"a\r\n  ",
    b"a\nb\n",
    b"a\rb\r\n",
    b"x\n\r\nend",
    b"x\r\n\r\nend",
    b"x\r",
    b"nul\0byte \xc3\xa4 \r\n",
    b"\t\r\n",
    b"\t",
    b" ",
    b"line one\r\n\t\r\n  indented\r\n\r\n \r\n",
    b"x" * 5000 + b" \r\n" + b"y " * 3000 + b"\r\n",
]

TOKENS = [b"a", b"bc", b"xyz", b" ", b"\t", b"  ", b" \t", b"\r\n", b"\r\n",
          b"\n", b"\r", b"\0", b"\xc3\xa4", b"\xff", b".", b"\r\n\r\n"]


def random_bodies(n, seed):
    """n bodies of up to 60 tokens, the same for the same seed."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        k = rnd.randrange(0, 60)
        out.append(b"".join(rnd.choice(TOKENS) for _ in range(k)))
    return out


def corpus_bodies(d):
    """The bodies of the dkimcanon fuzz corpus files in d."""
    out = []
    if not d or not os.path.isdir(d):
        return out
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        if not data:
            continue
        skip = 1 + 2 * (data[0] & 15)
        if len(data) >= skip:
            out.append(data[skip:])
    return out


def as_smtp(body):
    """The body as SMTP carries it: CRLF line ends, a final CRLF."""
    text = re.sub(b"\r\n|\r|\n", b"\r\n", body)
    if text and not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text


def bh(canonical):
    """base64 SHA-256, as in bh=."""
    return base64.b64encode(hashlib.sha256(canonical).digest()).decode()


def ours(tool, paths, chunk):
    """{path: (simple, relaxed)} from the dkimcanon_hash tool."""
    args = [tool] + (["-c", str(chunk)] if chunk else []) + paths
    res = subprocess.run(args, stdout=subprocess.PIPE, check=True)
    got = {}
    for line in res.stdout.decode().splitlines():
        path, s, r = line.rsplit(" ", 2)
        got[path] = (s, r)
    return got


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.split("\n\n")[-2].strip(), file=sys.stderr)
        return 2
    tool = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) == 3 else None
    bodies = HAND + random_bodies(3000, 6376) + corpus_bodies(corpus)
    bad = 0
    with tempfile.TemporaryDirectory(prefix="dkimcanon_py.") as tmp:
        paths = []
        for i, body in enumerate(bodies):
            p = os.path.join(tmp, "%05d" % i)
            with open(p, "wb") as f:
                f.write(body)
            paths.append(p)
        runs = [ours(tool, paths, c) for c in (None, 1, 7)]
        for p, body in zip(paths, bodies):
            text = as_smtp(body)
            want = (bh(Simple.canonicalize_body(text)),
                    bh(Relaxed.canonicalize_body(text)))
            for chunk, got in zip(("whole", "1", "7"), runs):
                for k, name in enumerate(("simple", "relaxed")):
                    if got[p][k] != want[k]:
                        bad += 1
                        print("DIFF %s, chunks %s: body %r: relayguard %s "
                              "dkimpy %s" % (name, chunk, body[:200],
                                             got[p][k], want[k]))
    print("%d bodies, %d hashes compared, %d differ"
          % (len(bodies), len(bodies) * 6, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
