#!/usr/bin/python3
"""dkimverify.py - verify every DKIM-Signature of mail files with dkimpy.

An independent check of what relayguard (or any signer) wrote: dkimpy
(Debian python3-dkim) fetches the public keys from the rig's DNS server, not
from the machine's resolver.  Run it with Debian's /usr/bin/python3 (a pyenv
or venv python does not see python3-dkim).

    dkimverify.py [--dns IP[:PORT]] FILE...
        one line per signature, "FILE: d=D s=S a=A: signature ok" or
        "FILE: d=D s=S a=A: signature FAILED (reason)"; exit 0 only if every
        FILE has at least one signature and all of them verify.
    dkimverify.py --expect-unsigned [--dns ...] FILE...
        exit 0 only if no FILE has a DKIM-Signature header.

--dns defaults to $RG_DNS_IP (the rig's unbound), port 53.  Files may have
LF or CRLF line ends (smtp-sink writes LF).  Exit status: 0 ok, 1 a check
failed, 2 usage or unreadable file.
"""
import argparse
import logging
import os
import re
import sys

import dkim
import dns.exception
import dns.rdatatype
import dns.resolver


def make_dnsfunc(server, port):
    """A dkimpy dnsfunc that asks only SERVER:PORT (no resolv.conf)."""
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server]
    res.port = port
    res.cache = None

    def dnsfunc(name, timeout=5):
        # dkimpy passes bytes with a trailing dot and wants the TXT rdata
        # (all character-strings joined) as bytes, or None
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            ans = res.resolve(name, dns.rdatatype.TXT, lifetime=timeout,
                              raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
            return None
        except dns.exception.Timeout as e:
            raise dkim.DnsTimeoutError("no answer from %s:%d: %s"
                                       % (server, port, e))
        for rrset in ans.response.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(list(rrset)[0].strings)
        return None

    return dnsfunc


class Collect(logging.Handler):
    """Keeps dkimpy's log messages: they carry the reason of a failure."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.msgs = []

    def emit(self, record):
        if record.levelno >= logging.INFO:
            self.msgs.append(record.getMessage())


def tags(value):
    """d=, s=, a= of a DKIM-Signature header value (bytes) as str."""
    t = dict(re.findall(rb"(?:^|;)\s*([a-z]+)\s*=([^;]*)", value))
    return {k.decode(): re.sub(rb"\s+", b"", v).decode("ascii", "replace")
            for k, v in t.items()}


def check_file(path, dnsfunc, expect_unsigned):
    """Print the result lines for one file; return True if it passes."""
    with open(path, "rb") as f:
        msg = f.read().replace(b"\r\n", b"\n")
    log = logging.getLogger("dkimverify.%d" % id(msg))
    log.propagate = False
    log.setLevel(logging.DEBUG)
    coll = Collect()
    log.addHandler(coll)
    d = dkim.DKIM(msg, logger=log)
    sigs = [v for (k, v) in d.headers if k.lower() == b"dkim-signature"]
    if expect_unsigned:
        if not sigs:
            print("%s: no DKIM-Signature, as expected" % path)
            return True
        for v in sigs:
            t = tags(v)
            print("%s: d=%s s=%s: unexpected DKIM-Signature FAILED"
                  % (path, t.get("d", "?"), t.get("s", "?")))
        return False
    if not sigs:
        print("%s: no DKIM-Signature FAILED" % path)
        return False
    good = True
    for i, v in enumerate(sigs):
        t = tags(v)
        label = "d=%s s=%s a=%s" % (t.get("d", "?"), t.get("s", "?"),
                                    t.get("a", "?"))
        coll.msgs.clear()
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
            why = "; ".join(coll.msgs[-2:]) or "signature does not match"
        except dkim.DKIMException as e:
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        if ok:
            print("%s: %s: signature ok" % (path, label))
        else:
            print("%s: %s: signature FAILED (%s)" % (path, label, why))
            good = False
    return good


def main():
    ap = argparse.ArgumentParser(
        description="verify every DKIM-Signature with dkimpy against the "
                    "rig DNS server")
    ap.add_argument("--dns", default=os.environ.get("RG_DNS_IP", "127.0.0.153"),
                    help="DNS server IP[:PORT] (default $RG_DNS_IP or "
                         "127.0.0.153, port 53)")
    ap.add_argument("--expect-unsigned", action="store_true",
                    help="pass only if the files have no DKIM-Signature")
    ap.add_argument("files", nargs="+", metavar="FILE")
    a = ap.parse_args()
    server, _, port = a.dns.partition(":")
    dnsfunc = make_dnsfunc(server, int(port or 53))
    rc = 0
    for path in a.files:
        try:
            if not check_file(path, dnsfunc, a.expect_unsigned):
                rc = max(rc, 1)
        except OSError as e:
            print("%s: cannot read FAILED (%s)" % (path, e.strerror))
            rc = 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
