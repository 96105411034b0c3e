#!/usr/bin/python3
"""sign_error.py MODE - driver for sign_error.sh; MODE is the configured
on_sign_error (tempfail, accept or reject).

A run-time signing failure caused from outside: a signed header field
whose name contains ';' (sign_headers lists "x;semi" in this test's
config).  RFC 5322 allows such a name (ftext is any printable but ':') and
Postfix passes it to milters, but it cannot be written in h= (a tag value
has no ';', RFC 6376 3.2), so the signature cannot be made (libopendkim
refuses it too).  Fields that are not signed never reach the signer, so
they cannot cause this.  The
filter must apply on_sign_error at EOH and log "signing failed"; the same
connection must then sign a normal message.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import miltclient as mc  # noqa: E402

SOCK, LOG = os.environ["SOCK"], os.environ["LOG"]
MODE = sys.argv[1]
T = mc.Checks()
Q = {"tempfail": "SERR0001", "accept": "SERR0002", "reject": "SERR0003"}[MODE]

s, _ = mc.open_session(SOCK)
headers = [(b"From", b" User <user@example.com>"), (b"To", b" rcpt@example.net"),
           (b"Subject", b" semicolon field"), (b"X;Semi", b" 1")]
r = mc.send_message(s, headers, [b"hello\r\n"], "<user@example.com>",
                    mail_macros=[("i", Q)])
text = r.final_data.rstrip(b"\0").decode("ascii", "replace")
want = {
    "tempfail": ("y", "451 4.7.1 DKIM signing failed, try again later"),
    "accept": ("a", ""),
    "reject": ("y", "550 5.7.0 message could not be DKIM-signed"),
}[MODE]
T.check(r.replies.get("eoh") == want[0] and text == want[1],
        "on_sign_error=%s: EOH reply %r %r (want %r %r)" % (
            MODE, r.replies.get("eoh"), text, want[0], want[1]))
T.check(not r.sig_values(), "no signature")
line = mc.log_wait(LOG, r"warning: %s: signing failed: header field "
                   r"\"X;Semi\" cannot be signed: ';' in its name "
                   r"\(on_sign_error=%s\); conn=[0-9]+ client=localhost"
                   r"\[127\.0\.0\.1\] from=<user@example\.com> "
                   r"header_from=<user@example\.com>$" % (Q, MODE))
T.check(line is not None, "log: %s signing failed (on_sign_error=%s)"
        % (Q, MODE))

# the same connection goes on with a normal message
r = mc.simple_message(s, Q + "OK")
T.check(r.final == b"a" and len(r.sig_values()) == 2,
        "next message on the same connection: signed twice")
res = mc.verify(r.message, os.environ["PUB"])
T.check(res is not None and len(res) == 2 and all(ok for _, ok in res),
        "... and both signatures verify")
s.quit()
s.close()
sys.exit(T.done())
