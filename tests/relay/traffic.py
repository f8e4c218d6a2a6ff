#!/usr/bin/env python3
"""Traffic for the compare tests: an HTTP server and client (standard library only).

    traffic.py serve ADDR PORT [MS]     GET /N answers N pseudo-random bytes; POST reads the
                                        body and answers its length; each request first
                                        sleeps MS milliseconds (default 0)
    traffic.py serve-think ADDR PORT MS an HTTP/1.1 server on plain sockets that answers GET /N
                                        with N bytes MS milliseconds after the request's last
                                        byte arrived (keep-alive; nothing else between)
    traffic.py serve-dns ADDR PORT MS   a DNS server over UDP: every query gets an A record
                                        after MS milliseconds
    traffic.py serve-tls ADDR PORT MS CERT KEY
                                        a TLS server that sleeps MS milliseconds between the
                                        ClientHello and its ServerHello (in the SNI callback),
                                        then reads until the client closes
    traffic.py tx ADDR HTTP DNS TLS N   N rounds of: one DNS query, one TLS handshake, one
                                        HTTP/1.1 connection with two GET requests; exits 1 on
                                        any failure
    traffic.py fetch URL_BASE [get:N | put:N] ...   runs the transfers in order, checks
                                        every length, exits 1 on any failure (retries a
                                        transfer that a lossy path broke, up to 5 times)
    traffic.py udp ADDR PORT COUNT      sends COUNT small datagrams
"""
import http.client
import http.server
import socket
import ssl
import struct
import sys
import threading
import time


def blob(n):
    # Incompressible, deterministic, cheap: a repeated 64 KiB block of an LCG.
    block = bytearray(65536)
    x = 12345
    for i in range(65536):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        block[i] = (x >> 16) & 0xff
    block = bytes(block)
    return (block * (n // 65536 + 1))[:n]


BLOB = None
SLEEP = 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        n = int(self.path.strip('/') or '0')
        time.sleep(SLEEP)
        body = BLOB[:n] if n <= len(BLOB) else blob(n)
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers['Content-Length'])
        got = 0
        while got < n:
            b = self.rfile.read(min(65536, n - got))
            if not b:
                break
            got += len(b)
        time.sleep(SLEEP)
        body = str(got).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(addr, port, ms='0'):
    global BLOB, SLEEP
    BLOB = blob(4 << 20)
    SLEEP = float(ms) / 1000
    http.server.ThreadingHTTPServer((addr, int(port)), Handler).serve_forever()


def fetch(base, jobs):
    host, port = base.split(':')
    data = blob(4 << 20)
    for job in jobs:
        kind, n = job.split(':')
        n = int(n)
        for attempt in range(5):
            try:
                c = http.client.HTTPConnection(host, int(port), timeout=20)
                if kind == 'get':
                    c.request('GET', '/%d' % n)
                    r = c.getresponse()
                    body = r.read()
                    ok = len(body) == n
                else:
                    c.request('POST', '/', body=data[:n])
                    r = c.getresponse()
                    ok = r.read() == str(n).encode()
                c.close()
                if ok:
                    break
            except OSError as e:
                print('traffic: %s %d: %s (retrying)' % (kind, n, e), file=sys.stderr)
                time.sleep(0.2)
        else:
            print('traffic: %s %d failed' % (kind, n), file=sys.stderr)
            sys.exit(1)


def udp(addr, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(int(count)):
        s.sendto(b'paircap-%06d' % i, (addr, int(port)))
        time.sleep(0.001)


def serve_think(addr, port, ms):
    ls = socket.create_server((addr, int(port)))
    ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def one(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b''
        while True:
            b = c.recv(65536)
            if not b:
                break
            buf += b
            while b'\r\n\r\n' in buf:
                head, buf = buf.split(b'\r\n\r\n', 1)
                n = int(head.split(b' ', 2)[1].strip(b'/') or b'0')
                time.sleep(float(ms) / 1000)
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % n + b'x' * n)
        c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def serve_dns(addr, port, ms):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        time.sleep(float(ms) / 1000)
        # Same ID, QR|RD|RA, the question copied, one answer (a pointer to the question's name).
        answer = b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01'
        s.sendto(q[:2] + b'\x81\x80' + q[4:6] + b'\x00\x01\x00\x00\x00\x00' + q[12:] + answer,
                 peer)


def serve_tls(addr, port, ms, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # Called while the ClientHello is processed, before the ServerHello is written.
    ctx.sni_callback = lambda sock, name, c: time.sleep(float(ms) / 1000)
    ls = socket.create_server((addr, int(port)))

    def one(c):
        try:
            t = ctx.wrap_socket(c, server_side=True)
            while t.recv(4096):
                pass
            t.close()
        except (OSError, ssl.SSLError):
            c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def dns_query(qid, name):
    q = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        q += bytes([len(label)]) + label.encode()
    return q + b'\x00\x00\x01\x00\x01'


def tx(addr, http_port, dns_port, tls_port, rounds):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    for i in range(int(rounds)):
        qid = 0x1000 + i
        u.sendto(dns_query(qid, 'host%d.paircap.test' % i), (addr, int(dns_port)))
        r, _ = u.recvfrom(4096)
        if struct.unpack('!H', r[:2])[0] != qid:
            sys.exit('traffic: DNS answer %r' % r[:4])
        with socket.create_connection((addr, int(tls_port)), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname='paircap.test') as t:
                t.do_handshake()
        c = http.client.HTTPConnection(addr, int(http_port), timeout=5)
        for n in (100, 2000):
            c.request('GET', '/%d' % n)
            if len(c.getresponse().read()) != n:
                sys.exit('traffic: GET %d' % n)
        c.close()
        time.sleep(0.02)


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'serve':
        serve(*sys.argv[2:5])
    elif cmd == 'serve-think':
        serve_think(*sys.argv[2:5])
    elif cmd == 'serve-dns':
        serve_dns(*sys.argv[2:5])
    elif cmd == 'serve-tls':
        serve_tls(*sys.argv[2:7])
    elif cmd == 'tx':
        tx(*sys.argv[2:7])
    elif cmd == 'fetch':
        fetch(sys.argv[2], sys.argv[3:])
    elif cmd == 'udp':
        udp(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
