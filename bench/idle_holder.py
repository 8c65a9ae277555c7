#!/usr/bin/env python3
"""Open N TCP connections to HOST:PORT and hold them, for the idle-memory figure.

Protocol with the driver (bench/lib/workloads.sh), through a status file and signals:
  1. connect N sockets (blocking connects, one at a time, bounded by a deadline), then write
     "connected OK FAILED" to STATUS and wait;
  2. on SIGUSR1: send one keep-alive HTTP GET on every socket, read every response (proves each
     connection reaches the gateway through the proxy), write "requested OK BAD" and wait;
  3. on SIGTERM (or SIGINT, or after --hold seconds): close everything and exit 0.
Every step is bounded in time; the process exits by itself after --hold seconds.
"""
import argparse
import os
import resource
import selectors
import signal
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def write_status(path, line):
    with open(path + ".tmp", "w") as f:
        f.write(line + "\n")
    os.replace(path + ".tmp", path)


def connect_all(host, port, n, deadline, sources=()):
    """Blocking connects, one at a time; with SOURCES, round-robin over those client addresses
    (each has its own ephemeral ports: one address runs short past ~28 000 connections)."""
    socks, failed = [], 0
    for i in range(n):
        if time.monotonic() > deadline:
            failed += n - len(socks) - failed
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            if sources:
                # the port is picked at connect(), per destination, not reserved at bind()
                s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((sources[i % len(sources)], 0))
            s.connect((host, port))
            s.setblocking(False)
            socks.append(s)
        except OSError:
            s.close()
            failed += 1
    return socks, failed


def request_all(socks, deadline):
    """One GET on each socket; a complete response with status 200 (headers + body) counts ok."""
    sel = selectors.DefaultSelector()
    pending = {}
    for s in socks:
        try:
            s.send(REQUEST)  # tiny: fits in the send buffer
        except OSError:
            continue
        sel.register(s, selectors.EVENT_READ)
        pending[s] = b""
    ok = 0
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                chunk = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(s)
                del pending[s]
                continue
            buf = pending[s] + chunk
            head, sep, body = buf.partition(b"\r\n\r\n")
            if sep:
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if len(body) >= length:
                    if head.startswith(b"HTTP/1.1 200"):
                        ok += 1
                    sel.unregister(s)
                    del pending[s]
                    continue
            pending[s] = buf
    sel.close()
    return ok, len(socks) - ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("status", help="status file the driver polls")
    ap.add_argument("--hold", type=float, default=120, help="exit after this many seconds")
    ap.add_argument("--connect-timeout", type=float, default=60)
    ap.add_argument("--sources", default="", help="comma-separated client addresses to bind")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.count + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        if min(need, hard) < need:
            print(f"fd limit {hard} < {need}", file=sys.stderr)

    go = {"request": False, "stop": False}
    signal.signal(signal.SIGUSR1, lambda *_: go.__setitem__("request", True))
    signal.signal(signal.SIGTERM, lambda *_: go.__setitem__("stop", True))
    signal.signal(signal.SIGINT, lambda *_: go.__setitem__("stop", True))

    start = time.monotonic()
    end = start + args.hold
    sources = [a for a in args.sources.split(",") if a]
    socks, failed = connect_all(args.host, args.port, args.count, start + args.connect_timeout,
                                sources)
    write_status(args.status, f"connected {len(socks)} {failed}")

    while not go["stop"] and time.monotonic() < end:
        if go["request"]:
            go["request"] = False
            ok, bad = request_all(socks, min(end, time.monotonic() + 60))
            write_status(args.status, f"requested {ok} {bad}")
        time.sleep(0.05)

    for s in socks:
        s.close()
    write_status(args.status, "closed")


if __name__ == "__main__":
    main()
