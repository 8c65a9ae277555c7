#!/usr/bin/env python3
"""Packets per proxied connection, from a loopback capture (bench/profile.sh).

  packet_count.py PCAP PROXY_PORT SITE_PORT

Reads PCAP with tcpdump and counts the TCP segments of both legs, the client's (to and from
PROXY_PORT) and the site's (to and from SITE_PORT), by leg, sender and kind, divided by the
connections clients opened to the proxy in the capture (their SYNs). On loopback every segment
costs its sender both the transmit and the receive path, so two proxies doing the same work per
connection show the same table. Prints a markdown table.
"""
import collections
import re
import subprocess
import sys

LINE = re.compile(r"IP6? \S+?\.(\d+) > \S+?\.(\d+): Flags \[([^\]]*)\].*?length (\d+)")


def kind(flags, length):
    """SYN, SYN-ACK, ACK, data, data+FIN, FIN, RST (tcpdump: S, S., ., P., F., R)."""
    if "R" in flags:
        return "RST"
    if "S" in flags:
        return "SYN-ACK" if "." in flags else "SYN"
    if "F" in flags:
        return "data+FIN" if length else "FIN"
    return "data" if length else "ACK"


def main():
    pcap, proxy_port, site_port = sys.argv[1], sys.argv[2], sys.argv[3]
    text = subprocess.run(["tcpdump", "-nn", "-r", pcap], capture_output=True, text=True,
                          check=True).stdout
    counts = collections.Counter()
    connections = 0
    for line in text.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        sport, dport, flags, length = m.group(1), m.group(2), m.group(3), int(m.group(4))
        k = kind(flags, length)
        if proxy_port in (sport, dport):
            leg, sender = "client ↔ proxy", "client" if dport == proxy_port else "proxy"
            if k == "SYN" and sender == "client":
                connections += 1
        elif site_port in (sport, dport):
            leg, sender = "proxy ↔ site", "proxy" if dport == site_port else "site"
        else:
            continue
        counts[(leg, sender, k)] += 1
    if not connections:
        print("no connection in the capture")
        return 1
    order = ["SYN", "SYN-ACK", "ACK", "data", "data+FIN", "FIN", "RST"]
    print("| leg | sent by | kind | per connection |")
    print("|---|---|---|---:|")
    for leg in ("client ↔ proxy", "proxy ↔ site"):
        for sender in ("client", "proxy", "site"):
            for k in order:
                n = counts.get((leg, sender, k))
                if n:
                    print(f"| {leg} | {sender} | {k} | {n / connections:.2f} |")
    total = sum(counts.values())
    by_proxy = sum(n for (_, s, _), n in counts.items() if s == "proxy")
    print(f"| all | | | **{total / connections:.2f}** |")
    print(f"| sent by the proxy | | | **{by_proxy / connections:.2f}** |")
    print()
    print(f"({connections} connections; the proxy's health checks, a few a second, are counted in)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
