#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""redis_mangle.py - a TCP proxy in front of a real redis-server that
spoils its replies on demand, for t_policy_redis_mangle.sh (standard
library only; loopback only).

    redis_mangle.py LISTEN_PORT REDIS_PORT MODE_FILE

Commands go to Redis unchanged.  Each chunk of replies is treated as the
first line of MODE_FILE says when the chunk arrives:

    pass      forwarded as it came
    drip      forwarded one byte per write, 1 ms apart
    extra     forwarded, then "+OK\\r\\n" that nobody asked for  (once)
    garbage   replaced by "?garbage\\r\\n"                      (once)
    cut       the first half forwarded, then both sides closed  (once)

A mode marked "once" writes "pass" back to MODE_FILE when used, so the
next chunk (a retry on a new connection) passes.  Prints "listening"
when ready.
"""
import socket
import sys
import threading
import time

LOCK = threading.Lock()


def take_mode(path):
    with LOCK:
        try:
            with open(path) as f:
                mode = f.readline().strip() or "pass"
        except OSError:
            mode = "pass"
        if mode in ("extra", "garbage", "cut"):
            with open(path, "w") as f:
                f.write("pass\n")
        return mode


def close_both(a, b):
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def upstream(client, server):
    """client -> Redis, unchanged."""
    try:
        while True:
            d = client.recv(65536)
            if not d:
                break
            server.sendall(d)
    except OSError:
        pass
    close_both(client, server)


def downstream(client, server, path):
    """Redis -> client, spoiled as the mode says."""
    try:
        while True:
            d = server.recv(65536)
            if not d:
                break
            mode = take_mode(path)
            if mode == "drip":
                for i in range(len(d)):
                    client.sendall(d[i:i + 1])
                    time.sleep(0.001)
            elif mode == "extra":
                client.sendall(d + b"+OK\r\n")
            elif mode == "garbage":
                client.sendall(b"?garbage\r\n")
            elif mode == "cut":
                client.sendall(d[:max(1, len(d) // 2)])
                break
            else:
                client.sendall(d)
    except OSError:
        pass
    close_both(client, server)


def main():
    listen_port, redis_port, path = int(sys.argv[1]), int(sys.argv[2]), \
        sys.argv[3]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    print("listening", flush=True)
    while True:
        client, _ = ls.accept()
        server = socket.create_connection(("127.0.0.1", redis_port))
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=upstream, args=(client, server),
                         daemon=True).start()
        threading.Thread(target=downstream, args=(client, server, path),
                         daemon=True).start()


if __name__ == "__main__":
    main()
