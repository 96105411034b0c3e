#!/usr/bin/python3
"""smtp_load.py - parallel SASL-authenticated SMTP clients for the limit
tests: THREADS clients share MESSAGES single-recipient messages, each
message in a session of its own (EHLO, AUTH PLAIN, MAIL, RCPT, DATA or
QUIT after a refused recipient; a broken session is retried twice), each
client on one of the given servers by its number.  A message refused at
RCPT or at the end of DATA counts as tempfailed (4xx) or rejected (5xx).  Prints one line "accepted=N tempfailed=N
rejected=N other=N" and, with -v, every unexpected reply.  Exits 0 when
every message got an answer (accepted, or refused at RCPT)."""
import argparse
import smtplib
import sys
import threading


def one(idx, n, args, host, port):
    """one message in its own session: accepted, tempfailed, rejected"""
    s = smtplib.SMTP(host, int(port), timeout=60)
    try:
        s.ehlo("load%d.test" % idx)
        s.login(args.login, args.password)
        code, msg = s.mail(args.sender)
        if code != 250:
            raise smtplib.SMTPResponseException(code, msg)
        code, msg = s.rcpt("r%d-%d@example.net" % (idx, n))
        if code == 250:
            body = ("From: %s\r\nTo: r@example.net\r\nSubject: load %d/%d"
                    "\r\n\r\nload\r\n" % (args.sender, idx, n))
            code, msg = s.data(body)
            # a policy service counts at the end of the message: a
            # recipient let through at RCPT may still be refused there
            kind = {2: "accepted", 4: "tempfailed",
                    5: "rejected"}.get(code // 100, "other")
        else:
            kind = {4: "tempfailed", 5: "rejected"}.get(code // 100, "other")
        if kind == "other" or (args.verbose and kind != "accepted"):
            print("client %d message %d: %d %s" % (idx, n, code,
                  msg.decode(errors="replace")), file=sys.stderr)
        return kind
    finally:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            s.close()


def client(idx, args, count, res, lock):
    host, port = args.server[idx % len(args.server)].rsplit(":", 1)
    for n in range(count):
        kind = "other"
        for attempt in range(3):	# a client retries a broken session
            try:
                kind = one(idx, n, args, host, port)
                break
            except (smtplib.SMTPException, OSError) as e:
                print("client %d message %d: %s" % (idx, n, e),
                      file=sys.stderr)
        with lock:
            res[kind] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", action="append", required=True,
                    help="HOST:PORT, may be given several times")
    ap.add_argument("--login", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    res = {"accepted": 0, "tempfailed": 0, "rejected": 0, "other": 0}
    lock = threading.Lock()
    per = [args.messages // args.threads] * args.threads
    for i in range(args.messages % args.threads):
        per[i] += 1
    ts = [threading.Thread(target=client, args=(i, args, per[i], res, lock))
          for i in range(args.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("accepted=%d tempfailed=%d rejected=%d other=%d" % (
        res["accepted"], res["tempfailed"], res["rejected"], res["other"]))
    return 0 if res["other"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
