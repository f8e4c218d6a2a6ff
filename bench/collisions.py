#!/usr/bin/env python3
"""Writes a pcap of N TCP SYNs over IPv6, each its own flow, crafted so that every flow key
has the same FxHash (the unkeyed hasher paircap's flow tables used before they were seeded):
an attacker who can send packets to a capture point can do the same.

FxHash: h = (rotl(h, 5) ^ w) * K per 64-bit word. FlowKey hashes its words in this order:
a.addr low, a.addr high, a.port, b.addr low, b.addr high, b.port, proto. Every key gets its
own source address (a); the destination's high word (b.addr high, its /64 prefix) is solved
so that the state after it is one fixed value, hence the same hash for every key.

    bench/collisions.py OUT.pcap [N]        default N = 200000
"""
import struct
import sys

K = 0x517CC1B727220A95
M = (1 << 64) - 1
KINV = pow(K, -1, 1 << 64)
TARGET = 0x0123456789ABCDEF


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def add(h, w):
    return ((rotl(h, 5) ^ w) * K) & M


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    sport, dport, b_low = 40000, 443, 1
    recs = []
    made = 0
    i = 0
    while made < n:
        i += 1
        a = (0x2001_0DB8 << 96) | i  # a.addr: 2001:db8::i
        h = add(0, a & M)
        h = add(h, a >> 64)
        h = add(h, sport)
        h = add(h, b_low)
        b_high = rotl(h, 5) ^ ((TARGET * KINV) & M)
        b = (b_high << 64) | b_low
        if b <= a:  # the key is canonical (lower endpoint first): keep a < b
            continue
        made += 1
        src, dst = a.to_bytes(16, "big"), b.to_bytes(16, "big")
        tcp = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 5 << 4, 0x02, 64240, 0, 0)
        pseudo = src + dst + struct.pack("!I3xB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip6 = struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + src + dst
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x86\xdd"
        frame = eth + ip6 + tcp
        t = 1_700_000_000 * 1_000_000 + made
        recs.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)) + frame)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        f.write(b"".join(recs))


if __name__ == "__main__":
    main()
