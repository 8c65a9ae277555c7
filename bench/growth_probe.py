#!/usr/bin/env python3
"""Timing probes for bench/growth.sh (see bench/README.md, "How cost grows").

  failover HOST PORT EVENTS STATUS   open a new connection every --interval seconds (non-blocking,
        at most --inflight at once), send one GET (Connection: close) on each and record which
        site answered; one line per connection in EVENTS: "START END RESULT" (wall-clock seconds;
        RESULT = site-a, site-b, or the error). STATUS gets "probing" once site-a has answered, so
        the driver knows the probe runs before it kills site-a. Stops --after seconds after the
        first site-b answer, or after --max-secs, or after --max-conns connections. With --watch
        HOST:PORT it also connects straight to that address (site-a's gateway, no proxy) every
        --watch-interval seconds and closes at once: "START END direct-open" or "direct-refused",
        so the report can tell when the gateway's port stopped accepting.
  failover-report EVENTS KILL_TS     from EVENTS and the wall-clock time of the kill: the figures.
        A SIGKILLed gateway holding many connections keeps its listening socket until the kernel
        has torn the others down (the process's files are released in the reverse order they were
        numbered), so its port still completes handshakes for that long: port_closed_ms says when
        the direct connects were first refused, and after_port_closed_ms is the proxy's own part.
  reload PID SIGNAL (--log FILE --pattern TEXT | --workers-of PID)   send SIGNAL to PID (a process
        the driver started and has just checked is its child) and wait, polling every ms, until
        the reload is applied: the log FILE has one more line containing TEXT (sitelb), or every
        child process PID had before the signal is gone and a new one runs (HAProxy master-worker:
        the old worker leaves once the new one is up). Prints "SECONDS NEWPIDS". Bounded by
        --timeout.
"""
import argparse
import errno
import os
import selectors
import signal
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


# --- failover -----------------------------------------------------------------------------------
class Probe:
    def __init__(self, sock, start, direct=False):
        self.sock, self.start, self.buf, self.sent = sock, start, b"", False
        self.direct = direct


def classify(buf):
    if b"site-b ok" in buf:
        return "site-b"
    if b"site-a ok" in buf:
        return "site-a"
    return "empty" if not buf else "other"


def open_probe(host, port, sel, now, direct=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex((host, port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        if direct:
            return None, "direct-" + ("refused" if err == errno.ECONNREFUSED
                                      else errno.errorcode.get(err, str(err)))
        return None, errno.errorcode.get(err, str(err))
    p = Probe(s, now, direct)
    sel.register(s, selectors.EVENT_WRITE, p)
    return p, None


def step(p, sel):
    """Advance one probe; returns its result when it is over, else None."""
    s = p.sock
    if p.direct:
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == errno.ECONNREFUSED:
            return "direct-refused"
        return "direct-" + (errno.errorcode.get(err, str(err)).lower() if err else "open")
    if not p.sent:
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            return errno.errorcode.get(err, str(err)).lower()
        try:
            s.send(REQUEST)
        except OSError as e:
            return errno.errorcode.get(e.errno, "send").lower()
        p.sent = True
        sel.modify(s, selectors.EVENT_READ, p)
        return None
    try:
        chunk = s.recv(4096)
    except BlockingIOError:
        return None
    except OSError as e:
        return errno.errorcode.get(e.errno, "recv").lower() if not p.buf else classify(p.buf)
    if not chunk:
        return classify(p.buf)
    p.buf += chunk
    return None


def label(p, result):
    return ("direct-" if p.direct else "") + result


def failover(args):
    sel = selectors.DefaultSelector()
    out = open(args.events, "w")
    t0 = time.monotonic()
    wall0 = time.time() - t0  # wall = wall0 + monotonic: one clock for every line
    next_open, opened, first_b, announced = t0, 0, None, False
    watch = None
    if args.watch:
        whost, wport = args.watch.rsplit(":", 1)
        watch, next_watch = (whost, int(wport)), t0
    live = {}      # the probes through the proxy (at most --inflight)
    watching = {}  # the direct connects to site-a, on their own
    while True:
        now = time.monotonic()
        if now - t0 > args.max_secs or (first_b is not None and now - first_b > args.after):
            break
        if opened < args.max_conns and now >= next_open and len(live) < args.inflight:
            p, err = open_probe(args.host, args.port, sel, now)
            opened += 1
            next_open = max(next_open + args.interval, now - args.interval)
            if p is None:
                out.write(f"{wall0 + now:.6f} {wall0 + now:.6f} {err.lower()}\n")
            else:
                live[p.sock] = p
        elif opened >= args.max_conns and not live:
            break
        if watch and now >= next_watch and first_b is None:
            p, err = open_probe(*watch, sel, now, direct=True)
            next_watch = max(next_watch + args.watch_interval, now - args.watch_interval)
            if p is None:
                out.write(f"{wall0 + now:.6f} {wall0 + now:.6f} {err.lower()}\n")
            else:
                watching[p.sock] = p
        wake = min(next_open, next_watch) if watch and first_b is None else next_open
        timeout = max(0.0, min(wake - time.monotonic(), 0.05))
        for key, _ in sel.select(timeout=timeout):
            p = key.data
            result = step(p, sel)
            if result is None:
                continue
            end = time.monotonic()
            sel.unregister(p.sock)
            p.sock.close()
            del (watching if p.direct else live)[p.sock]
            out.write(f"{wall0 + p.start:.6f} {wall0 + end:.6f} {result}\n")
            if result == "site-a" and not announced:
                with open(args.status, "w") as f:
                    f.write("probing\n")
                announced = True
            if result == "site-b" and first_b is None:
                first_b = end
        # a probe that takes longer than --conn-timeout counts as a timeout
        now = time.monotonic()
        for table in (live, watching):
            for p in [p for p in table.values() if now - p.start > args.conn_timeout]:
                sel.unregister(p.sock)
                p.sock.close()
                del table[p.sock]
                out.write(f"{wall0 + p.start:.6f} {wall0 + now:.6f} {label(p, 'timeout')}\n")
    now = time.monotonic()
    for p in [*live.values(), *watching.values()]:
        p.sock.close()
        out.write(f"{wall0 + p.start:.6f} {wall0 + now:.6f} {label(p, 'unfinished')}\n")
    out.close()
    return 0


def failover_report(args):
    """Figures, as "key=value" pairs: failover_ms = first site-b answer (its end) - kill;
    first_b_open_ms = when that connection was opened - kill; failed = connections opened after
    the kill (or cut by it) that ended in an error; probes = connections opened in all."""
    kill = float(args.kill_ts)
    rows = []
    for line in open(args.events):
        start, end, result = line.split()
        rows.append((float(start), float(end), result))
    rows.sort()
    direct = [r for r in rows if r[2].startswith("direct-")]
    rows = [r for r in rows if not r[2].startswith("direct-")]
    b = [r for r in rows if r[2] == "site-b"]
    first_b = min(b, key=lambda r: r[1]) if b else None
    after = [r for r in rows if r[1] > kill and (first_b is None or r[0] <= first_b[0])]
    # The port is closed from the first direct connect refused after the kill, taken at its start
    # (it was sent after the port had closed). One started before the last direct connect that
    # got through had ended does not count: its SYN may have been dropped by a full accept queue
    # and refused only when retried, after the port closed.
    last_open = max((r[1] for r in direct if r[2] == "direct-open"), default=kill)
    refused = [r for r in direct
               if r[0] > kill and r[0] >= last_open and r[2] == "direct-refused"]
    closed = min(r[0] for r in refused) if refused else None
    failed = sum(1 for r in after if r[2] not in ("site-a", "site-b"))
    fig = {
        "failover_ms": f"{(first_b[1] - kill) * 1000:.0f}" if first_b else "nan",
        "first_b_open_ms": f"{(first_b[0] - kill) * 1000:.0f}" if first_b else "nan",
        "failed": failed,
        "probes": len(rows),
        "site_a_after_kill": sum(1 for r in rows if r[0] > kill and r[2] == "site-a"),
    }
    if direct:
        fig["port_closed_ms"] = f"{(closed - kill) * 1000:.0f}" if closed is not None else "nan"
        fig["after_port_closed_ms"] = (f"{(first_b[1] - closed) * 1000:.0f}"
                                       if closed is not None and first_b else "nan")
    print(" ".join(f"{k}={v}" for k, v in fig.items()))
    return 0


# --- reload -------------------------------------------------------------------------------------
def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return set(int(x) for x in f.read().split())
    except OSError:
        return set()


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def count_lines(path, pattern):
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if pattern in line)
    except OSError:
        return 0


def reload(args):
    sig = getattr(signal, "SIG" + args.signal.upper().removeprefix("SIG"))
    before_lines = count_lines(args.log, args.pattern) if args.log else 0
    before_kids = children(args.workers_of) if args.workers_of else set()
    start = time.monotonic()
    os.kill(args.pid, sig)
    deadline = start + args.timeout
    while time.monotonic() < deadline:
        if args.log:
            if count_lines(args.log, args.pattern) > before_lines:
                print(f"{time.monotonic() - start:.4f} -")
                return 0
        else:
            kids = children(args.workers_of)
            new = kids - before_kids
            if new and not any(alive(k) and k in kids for k in before_kids):
                print(f"{time.monotonic() - start:.4f} {','.join(map(str, sorted(new)))}")
                return 0
        time.sleep(0.001)
    print("nan -")
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("failover")
    f.add_argument("host")
    f.add_argument("port", type=int)
    f.add_argument("events")
    f.add_argument("status")
    f.add_argument("--interval", type=float, default=0.005)
    f.add_argument("--inflight", type=int, default=200)
    f.add_argument("--conn-timeout", type=float, default=8)
    f.add_argument("--after", type=float, default=0.5)
    f.add_argument("--max-secs", type=float, default=20)
    f.add_argument("--max-conns", type=int, default=5000)
    f.add_argument("--watch", help="HOST:PORT to connect to directly (site-a's gateway)")
    f.add_argument("--watch-interval", type=float, default=0.002)
    r = sub.add_parser("failover-report")
    r.add_argument("events")
    r.add_argument("kill_ts")
    g = sub.add_parser("reload")
    g.add_argument("pid", type=int)
    g.add_argument("signal")
    g.add_argument("--log")
    g.add_argument("--pattern")
    g.add_argument("--workers-of", type=int)
    g.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    if args.cmd == "reload" and not (args.log and args.pattern) and not args.workers_of:
        ap.error("reload needs --log and --pattern, or --workers-of")
    return {"failover": failover, "failover-report": failover_report, "reload": reload}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
