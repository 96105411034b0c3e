#!/usr/bin/python3
"""quota_load.py - messages against one quota, each with its own id, with
retries: the exactness tests drive it.

  quota_load.py send --server H:P [--server H:P ...] --ids FIRST-LAST
      --state FILE [--threads N] [--pace SECONDS] [--abort N] --login L
      --password P --sender S

sends each id once (id i through server i % len(servers), one SMTP session
per message: EHLO, AUTH PLAIN, MAIL, RCPT, DATA; Subject "quota id N"),
THREADS at a time, each thread waiting PACE seconds between messages, and
records every answer in the state file (with --abort N every Nth id only
gets as far as RCPT, then RSET and QUIT: "refused") (JSON: id -> "accepted" or
"refused"; a broken session is "refused": Postfix had not taken the
message).  Postfix answers every message: 250 after DATA means accepted,
a 4xx or 5xx at any stage means refused (the MTA's client would retry).

  quota_load.py retry --state FILE [--rounds N] [--wait SECONDS] ...

retries the refused ids, round after round, WAIT seconds apart, until
ROUNDS rounds in a row accept nothing.  Prints "accepted=N refused=N
rounds=N" (totals over the whole state) and exits 0."""
import argparse
import json
import smtplib
import sys
import threading
import time


def abort(msg_id, args, server):
    """a transaction given up after RCPT (the client goes away): always
    "refused" """
    host, port = server.rsplit(":", 1)
    try:
        s = smtplib.SMTP(host, int(port), timeout=60)
        s.ehlo("quota%d.test" % (msg_id % 7))
        s.login(args.login, args.password)
        s.mail(args.sender)
        s.rcpt("r%d@example.net" % msg_id)
        s.rset()
        s.quit()
    except (smtplib.SMTPException, OSError) as e:
        print("id %d: abort: %s" % (msg_id, e), file=sys.stderr)
    return "refused"


def one(msg_id, args, server):
    """one message in its own session: "accepted" or "refused" """
    host, port = server.rsplit(":", 1)
    try:
        s = smtplib.SMTP(host, int(port), timeout=60)
    except OSError as e:
        print("id %d: connect: %s" % (msg_id, e), file=sys.stderr)
        return "refused"
    try:
        s.ehlo("quota%d.test" % (msg_id % 7))
        s.login(args.login, args.password)
        code, msg = s.mail(args.sender)
        if code != 250:
            return "refused"
        code, msg = s.rcpt("r%d@example.net" % msg_id)
        if code != 250:
            return "refused"
        body = ("From: %s\r\nTo: r%d@example.net\r\nSubject: quota id %d"
                "\r\n\r\nmessage %d\r\n" % (args.sender, msg_id, msg_id,
                                             msg_id))
        code, msg = s.data(body)
        if code == 250:
            return "accepted"
        return "refused"
    except (smtplib.SMTPException, OSError) as e:
        print("id %d: %s" % (msg_id, e), file=sys.stderr)
        return "refused"
    finally:
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            s.close()


def run(ids, args, state, lock):
    """send every id of ids, THREADS at a time; answers into state"""
    todo = list(ids)
    tlock = threading.Lock()

    def worker():
        while True:
            with tlock:
                if not todo:
                    return
                msg_id = todo.pop(0)
            server = args.server[msg_id % len(args.server)]
            if args.abort > 0 and msg_id % args.abort == 0 and \
                    args.mode == "send":
                got = abort(msg_id, args, server)
            else:
                got = one(msg_id, args, server)
            with lock:
                state[str(msg_id)] = got
            if args.pace > 0:
                time.sleep(args.pace)

    ts = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["send", "retry"])
    ap.add_argument("--server", action="append", required=True)
    ap.add_argument("--login", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--sender", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--ids", default="1-100")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--pace", type=float, default=0.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--wait", type=float, default=1.0)
    ap.add_argument("--abort", type=int, default=0,
                    help="send: every Nth id leaves after RCPT")
    args = ap.parse_args()
    lock = threading.Lock()
    if args.mode == "send":
        first, last = (int(x) for x in args.ids.split("-"))
        state = {}
        run(range(first, last + 1), args, state, lock)
        rounds = 0
    else:
        with open(args.state) as f:
            state = json.load(f)
        quiet = 0
        rounds = 0
        while quiet < args.rounds:
            refused = sorted(int(k) for k, v in state.items()
                             if v != "accepted")
            if not refused:
                break
            before = sum(1 for v in state.values() if v == "accepted")
            run(refused, args, state, lock)
            rounds += 1
            after = sum(1 for v in state.values() if v == "accepted")
            print("round %d: %d of %d accepted" % (rounds, after - before,
                                                    len(refused)),
                  file=sys.stderr)
            quiet = quiet + 1 if after == before else 0
            if quiet < args.rounds:
                time.sleep(args.wait)
    with open(args.state, "w") as f:
        json.dump(state, f)
    acc = sum(1 for v in state.values() if v == "accepted")
    print("accepted=%d refused=%d rounds=%d" % (acc, len(state) - acc,
                                                rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
