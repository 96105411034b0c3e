#!/usr/bin/python3
"""negotiate_steps.py PHASE - driver for negotiate_steps.sh: the filter asks
the MTA (here miltclient.py, which offers everything, as Postfix does) for
only the protocol steps, actions and macros its configuration needs, and
every check still works with what it gets.

  sign     signing only (SPF, limits, abuse control, audit off), unix
           socket: no HELO, RCPT or DATA; headers, EOH and body come; the
           message is signed; a login sending as another domain is
           refused.  Session A stays open; the config is replaced by
           "full" (limits, abuse control, SPF, audit) and SIGHUP'd: a new
           session gets HELO and RCPT, quarantine, no reply to EOH (a
           header From the login does not own is refused at the end of
           the message), and the quota refuses the third message at RCPT;
           session A keeps what it negotiated and still signs.
  limits   limits only (no key_table, no header checks), TCP socket:
           no header, EOH, body or DATA; the quota still refuses at RCPT,
           the messages end at EOM (counted there).
"""
import os
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miltclient as mc  # noqa: E402

SOCK, PID, LOG, RUN, PUB, CONF = (os.environ[k] for k in (
    "SOCK", "RG_PID", "LOG", "RUN", "PUB", "CONF"))
PHASE = sys.argv[1]
T = mc.Checks()
# SMFIF_* actions and SMFIM_* stages (libmilter's mfapi.h)
ADDHDRS, CHGHDRS, QUARANTINE, SETSYMLIST = 0x1, 0x10, 0x20, 0x100
CONNECT, HELO, ENVFROM, ENVRCPT, DATA, EOM, EOH = range(7)


def has(s, *names):
    return all(s.steps & mc.P[n] for n in names)


def lacks(s, *names):
    return not any(s.steps & mc.P[n] for n in names)


def session():
    s, rep = mc.open_session(SOCK)
    T.check(rep is None, "connected (no reply: NR_CONN)")
    return s


def message(s, qid, login=None, frm="user@example.com"):
    return mc.simple_message(s, qid, "User <%s>" % frm, "<%s>" % frm,
                             login=login)


def verified(r):
    res = mc.verify(r.message, PUB) if r.message else []
    return res is not None and len(res) > 0 and all(ok for _, ok in res)


if PHASE == "sign":
    A = session()
    T.check(has(A, "NOHELO", "NORCPT", "NODATA", "NOUNKNOWN", "NR_CONN",
                "NR_HDR", "NR_BODY", "HDR_LEADSPC"),
            "signing only: no HELO, RCPT, DATA (%s)" % mc.step_names(A.steps))
    T.check(lacks(A, "NOHDRS", "NOEOH", "NOBODY", "NOMAIL"),
            "signing only: MAIL, header, EOH and body come")
    T.check(A.actions & (ADDHDRS | CHGHDRS) == ADDHDRS | CHGHDRS and
            not A.actions & QUARANTINE,
            "actions: add and change header, no quarantine (0x%x)"
            % A.actions)
    T.check(A.symlists.get(CONNECT) == "" and
            A.symlists.get(ENVFROM) == "i {auth_authen}" and
            A.symlists.get(EOH) == "i" and A.symlists.get(EOM) == "i" and
            ENVRCPT not in A.symlists and DATA not in A.symlists and
            HELO not in A.symlists,
            "macros: none at connect, i and {auth_authen} at MAIL, i at "
            "EOH and EOM, no list for the steps left out (%r)"
            % A.symlists)
    r = message(A, "NEGS0001")
    T.check(r.final == b"a" and len(r.sig_values()) == 2 and verified(r),
            "signed twice, both verify")
    r = message(A, "NEGS0002", login="user@example.com",
                frm="other@example.org")
    T.check(r.replies.get("mail") == "y" or r.replies.get("eoh") == "y",
            "a login sending as another domain is refused (%r)"
            % r.replies)
    # the full configuration, reloaded
    shutil.copy(RUN + "/full.conf", CONF)
    start = mc.log_size(LOG)
    os.kill(int(PID), signal.SIGHUP)
    T.check(mc.log_wait(LOG, r"reloaded configuration", 5, start)
            is not None, "SIGHUP: reloaded")
    B = session()
    T.check(lacks(B, "NOHELO", "NORCPT", "NOHDRS", "NOBODY") and
            has(B, "NODATA"),
            "after the reload: HELO and RCPT come (%s)"
            % mc.step_names(B.steps))
    T.check(B.actions & QUARANTINE, "after the reload: quarantine")
    T.check(B.symlists.get(ENVRCPT) == "i", "after the reload: i at RCPT")
    T.check(has(B, "NR_EOH"),
            "after the reload (abuse control: every message goes to EOM): "
            "no reply to EOH")
    B.helo("client.example")
    # a header From the login does not own: refused, answered at EOM
    r = mc.simple_message(B, "NEGH0001", "Other <other@example.org>",
                          "<user@example.com>", login="user@example.com")
    T.check(r.replies.get("eoh") == "noreply" and r.final == b"y" and
            r.final_data.startswith(b"553 5.7.1") and not r.sig_values(),
            "header From not owned: no EOH reply, 553 5.7.1 at the end "
            "(%r %r)" % (r.replies, r.final_data[:40]))
    T.check(mc.log_wait(LOG, r"NEGH0001: reject: END-OF-HEADER: 553 5\.7\.1",
                        5) is not None, "log: the refusal of the header")
    finals = []
    for i in range(3):
        r = message(B, "NEGF000%d" % i)
        finals.append((r.replies.get("rcpt"), r.final, len(r.sig_values())))
    T.check(finals[0] == ("c", b"a", 2) and finals[1] == ("c", b"a", 2),
            "quota of two: two messages signed (%r)" % finals[:2])
    T.check(finals[2][0] in ("t", "y"),
            "third message: tempfail at RCPT (%r)" % (finals[2],))
    T.check(mc.log_wait(LOG, r"NEGF0002: tempfail: RCPT: 451 4\.7\.1 ", 5)
            is not None, "log: the refusal at RCPT")
    T.check(lacks(A, "NOHDRS") and has(A, "NORCPT", "NOHELO"),
            "session A keeps its steps")
    r = message(A, "NEGS0003")
    T.check(r.final == b"a" and len(r.sig_values()) == 2 and verified(r),
            "session A, after the reload: signed twice, both verify")
    for s in (A, B):
        s.quit()
        s.close()
elif PHASE == "limits":
    s = session()
    T.check(has(s, "NOHELO", "NOHDRS", "NOEOH", "NOBODY", "NODATA") and
            lacks(s, "NORCPT"),
            "limits only, TCP: RCPT, no HELO, DATA, header, EOH, body "
            "(%s)" % mc.step_names(s.steps))
    T.check(not s.actions & (ADDHDRS | CHGHDRS | QUARANTINE),
            "limits only: no header changes asked for (0x%x)" % s.actions)
    rcpt = []
    for i in range(3):
        r = message(s, "NEGL000%d" % i)
        rcpt.append((r.replies.get("rcpt"), r.replies.get("eom"),
                     r.final))
    T.check(rcpt[0] == ("c", "a", b"a") and rcpt[1] == ("c", "a", b"a"),
            "two messages accepted at EOM (%r)" % rcpt[:2])
    T.check(rcpt[2][0] in ("t", "y"), "third: tempfail at RCPT (%r)" % (rcpt[2],))
    s.quit()
    s.close()
sys.exit(T.done())
