#!/usr/bin/env python3
"""Traffic for the compare tests: an HTTP server and client (standard library only).

    traffic.py serve ADDR PORT          GET /N answers N pseudo-random bytes; POST reads the
                                        body and answers its length
    traffic.py fetch URL_BASE [get:N | put:N] ...   runs the transfers in order, checks
                                        every length, exits 1 on any failure (retries a
                                        transfer that a lossy path broke, up to 5 times)
    traffic.py udp ADDR PORT COUNT      sends COUNT small datagrams
"""
import http.client
import http.server
import socket
import sys
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


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        n = int(self.path.strip('/') or '0')
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
        body = str(got).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(addr, port):
    global BLOB
    BLOB = blob(4 << 20)
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


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'serve':
        serve(sys.argv[2], sys.argv[3])
    elif cmd == 'fetch':
        fetch(sys.argv[2], sys.argv[3:])
    elif cmd == 'udp':
        udp(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
