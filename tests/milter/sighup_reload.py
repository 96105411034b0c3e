#!/usr/bin/python3
"""sighup_reload.py - driver for sighup_reload.sh (environment from lib.sh).

Session A is opened before any reload and kept open throughout.
 1. other.example has no key: not signed (new session).
 2. KeyTable/SigningTable get a key for other.example, SIGHUP: "reloaded
    configuration (generation 2)"; a new session signs other.example
    (d=other.example, verifies); session A still has the old tables:
    other.example is not signed there, example.com still is.
 3. a broken relayguard.conf, SIGHUP: "reload failed, keeping the running
    configuration"; new sessions still sign example.com and other.example.
 4. a KeyTable naming a missing key file, SIGHUP: refused the same way.
 5. five SIGHUPs in a row with the good file back: the filter survives and
    signs.
"""
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miltclient as mc  # noqa: E402

SOCK, PID, LOG, RUN, PUB, CONF = (os.environ[k] for k in (
    "SOCK", "RG_PID", "LOG", "RUN", "PUB", "CONF"))
T = mc.Checks()


def signed_by(r):
    return sorted((mc.sig_tags(v).get("d"), mc.sig_tags(v).get("s"))
                  for v in r.sig_values())


def verified(r):
    res = mc.verify(r.message, PUB) if r.message else []
    return res is not None and len(res) > 0 and all(ok for _, ok in res)


def new_session_message(qid, frm):
    s, _ = mc.open_session(SOCK)
    r = mc.simple_message(s, qid, frm, "<%s>" % frm)
    s.quit()
    s.close()
    return r


def hup_and_wait(regex, what):
    start = mc.log_size(LOG)
    os.kill(int(PID), signal.SIGHUP)
    line = mc.log_wait(LOG, regex, 5, start)
    T.check(line is not None, "%s (log: %s)" % (what, line))


# session A, before the reload
A, rep = mc.open_session(SOCK)
T.check(rep is None, "session A connected (no reply: NR_CONN)")
r = mc.simple_message(A, "HUPA0001", "user@example.com")
T.check(r.final == b"a" and len(r.sig_values()) == 2,
        "session A, example.com before reload: signed twice")

r = new_session_message("HUPN0001", "user@other.example")
T.check(r.replies.get("eoh") == "a" and not r.sig_values(),
        "other.example before reload: EOH accept, not signed")
T.check(mc.log_wait(LOG, r"HUPN0001: not signed: no key for domain "
                    r"other\.example;") is not None,
        "log: HUPN0001 not signed: no key for domain other.example")

# 2. add a key for other.example
with open(os.path.join(RUN, "KeyTable"), "a") as f:
    f.write("rsa._domainkey.other.example other.example:rsa:%s\n"
            % os.path.join(RUN, "keys", "rsa.private"))
with open(os.path.join(RUN, "SigningTable"), "a") as f:
    f.write("*@other.example rsa._domainkey.other.example\n")
hup_and_wait(r"reloaded configuration \(generation 2\): .*: 3 keys, "
             r"3 signing table entries", "SIGHUP: generation 2 with 3 keys")

r = new_session_message("HUPN0002", "user@other.example")
T.check(r.final == b"a" and signed_by(r) == [("other.example", "rsa")],
        "new session after reload: other.example signed d=other.example "
        "s=rsa (%s)" % signed_by(r))
T.check(verified(r), "... and the signature verifies")
T.check(mc.log_wait(LOG, r"HUPN0002: signed: d=other\.example s=rsa "
                    r"a=rsa-sha256; ") is not None, "log: HUPN0002 signed")

r = mc.simple_message(A, "HUPA0002", "user@other.example")
T.check(r.replies.get("eoh") == "a" and not r.sig_values(),
        "session A (opened before the reload): other.example still not "
        "signed - old tables kept for the connection")
T.check(mc.log_wait(LOG, r"HUPA0002: not signed: no key for domain "
                    r"other\.example;") is not None,
        "log: HUPA0002 not signed: no key for domain other.example")
r = mc.simple_message(A, "HUPA0003", "user@example.com")
T.check(r.final == b"a" and len(r.sig_values()) == 2 and verified(r),
        "session A: example.com still signed twice, verifies")

# 3. broken config
shutil.copy(CONF, CONF + ".good")
with open(CONF, "a") as f:
    f.write("this line has no equals sign\n")
hup_and_wait(r"error: reload failed, keeping the running configuration: "
             r".*relayguard\.conf:[0-9]+: missing '='",
             "SIGHUP with a broken relayguard.conf: reload failed, kept")
r = new_session_message("HUPN0003", "user@other.example")
T.check(r.final == b"a" and signed_by(r) == [("other.example", "rsa")]
        and verified(r),
        "after the failed reload: other.example still signed (gen. 2)")
r = new_session_message("HUPN0004", "user@example.com")
T.check(r.final == b"a" and len(r.sig_values()) == 2 and verified(r),
        "after the failed reload: example.com still signed twice")

# 4. good config, KeyTable naming a missing key file
shutil.copy(CONF + ".good", CONF)
kt = os.path.join(RUN, "KeyTable")
shutil.copy(kt, kt + ".good")
with open(kt, "a") as f:
    f.write("gone._domainkey.example.com example.com:gone:%s\n"
            % os.path.join(RUN, "keys", "missing.private"))
hup_and_wait(r"error: reload failed, keeping the running configuration: "
             r".*missing\.private", "SIGHUP with a missing key file: refused")
shutil.copy(kt + ".good", kt)

# 5. a burst of reloads
start = mc.log_size(LOG)
for _ in range(5):
    os.kill(int(PID), signal.SIGHUP)
T.check(mc.log_wait(LOG, r"reloaded configuration \(generation [0-9]+\)",
                    5, start) is not None, "burst of 5 SIGHUPs: reloaded")
r = new_session_message("HUPN0005", "user@other.example")
T.check(r.final == b"a" and signed_by(r) == [("other.example", "rsa")],
        "after the burst: other.example signed")
r = mc.simple_message(A, "HUPA0004", "user@example.com")
T.check(r.final == b"a" and len(r.sig_values()) == 2,
        "session A still served after all reloads")
A.quit()
A.close()
sys.exit(T.done())
