#!/usr/bin/env python3
"""A user-space impairment relay for the compare tests (this kernel has no netem).

    impair.py IF_A IF_B LOG [--seed N] [--drop P] [--dup P] [--reorder P]
              [--delay-ab MS] [--delay-ba MS] [--hold N] [--max-hold MS]

Bridges Ethernet frames between two interfaces of its network namespace with AF_PACKET
sockets (run it in a namespace of its own, both interfaces up, no addresses), and in each
direction independently: drops a frame with probability --drop, sends a second copy right
after it with probability --dup, holds a frame back until --hold later frames of that
direction have been sent (at most --max-hold ms) with probability --reorder, and delays every
frame by --delay-ab (IF_A -> IF_B) or --delay-ba milliseconds.

LOG gets one line per frame received and one per frame sent, tab-separated:
    time_ns  dir(ab|ba)  action  ip_sha1  ipid  proto  iplen  seq  ack  payload_len  l4_sha1  flow
action: fwd, drop, dup, late (received: what is done with it), tx (sent, in order) or txerr
(the send that follows a tx line failed: the frame never left).
ip_sha1 hashes the IP packet (header and all: a frame's identity at the capture on this
side of a NAT); the other fields identify it across a NAT (addresses, ports and checksums
are what NAT rewrites); flow is "proto src:port>dst:port" as the relay sees it.  Frames that are not IPv4 are forwarded without impairment and
logged with action fwd and '-' fields.  SIGTERM or SIGINT: flushes held and delayed frames,
the log, and exits.  Python standard library only.
"""
import argparse
import hashlib
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def ident(frame):
    """(ip_sha1, ipid, proto, iplen, seq, ack, payload_len, l4_sha1) of an IPv4 frame."""
    if len(frame) < 34 or frame[12:14] != b'\x08\x00':
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    iplen = struct.unpack('!H', ip[2:4])[0]
    ip = ip[:iplen]
    ipid = struct.unpack('!H', ip[4:6])[0]
    proto = ip[9]
    l4 = ip[ihl:]
    seq = ack = '-'
    plen = 0
    body = l4
    if proto == 6 and len(l4) >= 20:
        seq, ack = struct.unpack('!II', l4[4:12])
        doff = (l4[12] >> 4) * 4
        body = l4[doff:]
        plen = len(body)
    elif proto == 17 and len(l4) >= 8:
        body = l4[8:]
        plen = len(body)
    elif proto == 1 and len(l4) >= 8:
        seq = struct.unpack('!H', l4[6:8])[0]
        body = l4[8:]
        plen = len(body)
    src = '.'.join(str(x) for x in ip[12:16])
    dst = '.'.join(str(x) for x in ip[16:20])
    sport = dport = 0
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack('!HH', l4[:4])
    flow = '%d %s:%d>%s:%d' % (proto, src, sport, dst, dport)
    return (hashlib.sha1(ip).hexdigest(), ipid, proto, iplen, seq, ack, plen,
            hashlib.sha1(body).hexdigest(), flow)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('a')
    ap.add_argument('b')
    ap.add_argument('log')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--drop', type=float, default=0.0)
    ap.add_argument('--dup', type=float, default=0.0)
    ap.add_argument('--reorder', type=float, default=0.0)
    ap.add_argument('--delay-ab', type=float, default=0.0)
    ap.add_argument('--delay-ba', type=float, default=0.0)
    ap.add_argument('--hold', type=int, default=2)
    ap.add_argument('--max-hold', type=float, default=20.0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    socks = {}
    for name in (a.a, a.b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setblocking(False)
        # SO_RCVBUFFORCE/SO_SNDBUFFORCE (33/32, root) pass net.core.rmem_max: a burst of
        # super-segments cut into wire frames must not overflow the socket while Python
        # is busy (such a frame would be lost before the relay and missing from its log).
        for force, plain in ((33, socket.SO_RCVBUF), (32, socket.SO_SNDBUF)):
            try:
                s.setsockopt(socket.SOL_SOCKET, force, 8 << 20)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, plain, 8 << 20)
        socks[name] = s
    out_of = {a.a: socks[a.b], a.b: socks[a.a]}
    dir_of = {a.a: 'ab', a.b: 'ba'}
    delay_ns = {'ab': int(a.delay_ab * 1e6), 'ba': int(a.delay_ba * 1e6)}
    log = open(a.log, 'w', buffering=1 << 20)
    queue = []          # (release_ns, seq, direction, frame, rx_no)
    held = {'ab': [], 'ba': []}   # [frames_left, deadline_ns, frame, due_ns, rx_no]
    rx_no = [0]
    counter = [0]
    stop = [False]

    def on_signal(*_):
        stop[0] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def schedule(d, frame, at, no):
        counter[0] += 1
        heapq.heappush(queue, (at, counter[0], d, frame, no))

    def send_due(now, flush=False):
        while queue and (flush or queue[0][0] <= now):
            _, _, d, frame, no = heapq.heappop(queue)
            idn = ident(frame)
            if idn is not None:
                log.write('%d\t%s\ttx\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\n'
                          % ((time.time_ns(), d) + idn))
            try:
                (socks[a.b] if d == 'ab' else socks[a.a]).send(frame)
            except OSError as e:
                print('relay: send: %s' % e, file=sys.stderr)
                if idn is not None:
                    log.write('%d\t%s\ttxerr\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\n'
                              % ((time.time_ns(), d) + idn))
            # Held frames of this direction count the frames received after them that
            # overtook them; released, they still go after every frame received before them.
            keep = []
            for h in held[d]:
                if no > h[4]:
                    h[0] -= 1
                if h[0] <= 0:
                    schedule(d, h[2], max(now, h[3]) if not flush else 0, h[4])
                else:
                    keep.append(h)
            held[d] = keep

    fds = {s.fileno(): name for name, s in socks.items()}
    while not stop[0]:
        now = time.monotonic_ns()
        # Held frames past their deadline go out anyway.
        for d in ('ab', 'ba'):
            keep = []
            for h in held[d]:
                if h[1] <= now:
                    schedule(d, h[2], max(now, h[3]), h[4])
                else:
                    keep.append(h)
            held[d] = keep
        send_due(now)
        timeout = 0.05
        if queue:
            timeout = max(0.0, min(timeout, (queue[0][0] - now) / 1e9))
        try:
            ready, _, _ = select.select(list(fds), [], [], timeout)
        except InterruptedError:
            continue
        for fd in ready:
            name = fds[fd]
            s = socks[name]
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue        # our own transmissions on this interface
                d = dir_of[name]
                rx_no[0] += 1
                no = rx_no[0]
                t = time.monotonic_ns()
                wall = time.time_ns()
                idn = ident(frame)
                if idn is None:
                    log.write('%d\t%s\tfwd\t-\t-\t-\t-\t-\t-\t-\t-\t-\n' % (wall, d))
                    schedule(d, frame, t + delay_ns[d], no)
                    continue
                r = rng.random()
                if r < a.drop:
                    action = 'drop'
                elif r < a.drop + a.dup:
                    action = 'dup'
                elif r < a.drop + a.dup + a.reorder:
                    action = 'late'
                else:
                    action = 'fwd'
                log.write('%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\n'
                          % ((wall, d, action) + idn))
                if action == 'drop':
                    continue
                if action == 'late':
                    held[d].append([a.hold, t + delay_ns[d] + int(a.max_hold * 1e6), frame,
                                    t + delay_ns[d], no])
                    continue
                schedule(d, frame, t + delay_ns[d], no)
                if action == 'dup':
                    schedule(d, frame, t + delay_ns[d] + 200_000, no)
        send_due(time.monotonic_ns())
    for d in ('ab', 'ba'):
        for h in held[d]:
            schedule(d, h[2], 0, h[4])
        held[d] = []
    send_due(0, flush=True)
    log.close()


if __name__ == '__main__':
    main()
