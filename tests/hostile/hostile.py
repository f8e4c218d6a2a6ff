#!/usr/bin/env python3
"""Packets whose text fields carry terminal commands, for the escaping tests.

    hostile.py pcap FILE        writes them as a pcap (Ethernet)
    hostile.py send IFACE       sends them on an interface (AF_PACKET; run in a namespace)

ESC ] 0 ; … BEL sets a terminal's title, ESC [ 2 J clears it, U+009B (C2 9B) and a raw 0x9B
byte are CSI, DEL, a right-to-left override (U+202E): in an HTTP request line, Host and
User-Agent, an HTTP status line, a TLS SNI, a DNS TXT record and name, a DHCP host name.
Standard library only.
"""
import socket
import struct
import sys

EVIL = b'\x1b]0;pwned\x07\x1b[2J\x9b31m\xc2\x9b\x7f\xe2\x80\xae'


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4(proto, src, dst, l4):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + l4


def l4sum(proto, src, dst, seg):
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, proto, len(seg))
    return csum(ph + seg)


def tcp(src, dst, sport, dport, payload, seq=1000):
    seg = struct.pack('!HHIIBBHHH', sport, dport, seq, 1, 5 << 4, 0x18, 65535, 0, 0) + payload
    c = l4sum(6, src, dst, seg)
    return ipv4(6, src, dst, seg[:16] + struct.pack('!H', c) + seg[18:])


def udp(src, dst, sport, dport, payload):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = l4sum(17, src, dst, seg) or 0xffff
    return ipv4(17, src, dst, seg[:6] + struct.pack('!H', c) + seg[8:])


def eth(ip):
    return b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + ip


def http_request():
    p = (b'GET /' + EVIL + b' HTTP/1.1\r\nHost: ev' + EVIL + b'.example\r\nUser-Agent: ' + EVIL
         + b'\r\n\r\n')
    return tcp('10.9.0.1', '10.9.0.2', 40000, 80, p)


def http_response():
    p = b'HTTP/1.1 200 O' + EVIL + b'K\r\nServer: ' + EVIL + b'\r\nContent-Length: 0\r\n\r\n'
    return tcp('10.9.0.2', '10.9.0.1', 80, 40000, p, seq=5000)


def tls_client_hello():
    name = b'a' + EVIL + b'.example'
    sni = struct.pack('!HBH', len(name) + 3, 0, len(name)) + name
    ext = struct.pack('!HH', 0, len(sni)) + sni
    body = (b'\x03\x03' + b'\x11' * 32 + b'\x00' + struct.pack('!H', 2) + b'\x13\x01'
            + b'\x01\x00' + struct.pack('!H', len(ext)) + ext)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    rec = b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs
    return tcp('10.9.0.1', '10.9.0.2', 40001, 443, rec)


def dns_name(labels):
    return b''.join(bytes([len(l)]) + l for l in labels) + b'\x00'


def dns_response():
    q = dns_name([b'x' + EVIL, b'example'])
    txt = EVIL + b' text'
    ans = (b'\xc0\x0c' + struct.pack('!HHIH', 16, 1, 60, len(txt) + 1) + bytes([len(txt)]) + txt)
    msg = struct.pack('!HHHHHH', 0x1234, 0x8180, 1, 1, 0, 0) + q + b'\x00\x10\x00\x01' + ans
    return udp('10.9.0.2', '10.9.0.1', 53, 40002, msg)


def dhcp_discover():
    host = b'h' + EVIL + b'x'
    opts = b'\x63\x82\x53\x63' + b'\x35\x01\x01' + b'\x0c' + bytes([len(host)]) + host + b'\xff'
    bootp = (struct.pack('!BBBBIHH', 1, 1, 6, 0, 0xabcdef01, 0, 0x8000) + b'\0' * 16
             + b'\x02\x00\x00\x00\x00\x01' + b'\0' * 10 + b'\0' * 192 + opts)
    return udp('0.0.0.0', '255.255.255.255', 68, 67, bootp)


FRAMES = [eth(p) for p in (http_request(), http_response(), tls_client_hello(), dns_response(),
                           dhcp_discover())]


def write_pcap(path):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(FRAMES):
            f.write(struct.pack('<IIII', 1700000000 + i, 0, len(fr), len(fr)) + fr)


def send(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for fr in FRAMES:
        s.send(fr)


if __name__ == '__main__':
    if sys.argv[1] == 'pcap':
        write_pcap(sys.argv[2])
    elif sys.argv[1] == 'send':
        send(sys.argv[2])
    else:
        sys.exit(__doc__)
