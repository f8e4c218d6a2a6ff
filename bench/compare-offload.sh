#!/usr/bin/env bash
# A pair of ~1 GB captures with offloads on, compared: two network namespaces joined by a
# veth with TSO/GSO at the senders and GRO at the receivers, SIZE_MB megabytes sent each way
# over TCP (python sockets), `paircap capture` at both ends. Prints the files' sizes and
# packet counts, the compare's wall time and peak memory, and what it found (it must find
# nothing lost: the path is lossless). Needs root, iproute2, ethtool, python3, GNU time.
#
#   bench/compare-offload.sh [SIZE_MB]      default 500 (about 1 GB per capture, both ways)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-500}
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
D=$(pwd)/work/offload; rm -rf "$D"; mkdir -p "$D"
A=pcbench-a; B=pcbench-b
cleanup() { ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $A; ip netns add $B
ip link add va netns $A type veth peer name vb netns $B
ip -n $A addr add 10.98.0.1/24 dev va; ip -n $B addr add 10.98.0.2/24 dev vb
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set va up; ip -n $B link set vb up
ip netns exec $A ethtool -K va tso on gso on gro on
ip netns exec $B ethtool -K vb tso on gso on gro on
cat > "$D/tcp.py" <<'PY'
import socket, sys, threading
mode, addr, n = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
buf = bytes(range(256)) * 4096
def pump(c):
    left = n
    while left > 0:
        left -= c.send(buf[:min(len(buf), left)])
def drain(c):
    got = 0
    while got < n:
        b = c.recv(1 << 20)
        if not b: break
        got += len(b)
if mode == 'serve':
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 5001)); s.listen(1); c, _ = s.accept()
else:
    c = socket.create_connection((addr, 5001))
t = threading.Thread(target=drain, args=(c,)); t.start(); pump(c); t.join(); c.close()
PY
ip netns exec $B python3 "$D/tcp.py" serve 10.98.0.2 "$SIZE_MB" &
SRV=$!
sleep 0.5
ip netns exec $A "$P" capture -i va -B 65536 -w "$D/source.pcapng" 2> "$D/a.err" &
CA=$!
ip netns exec $B "$P" capture -i vb -B 65536 -w "$D/target.pcapng" 2> "$D/b.err" &
CB=$!
sleep 1
ip netns exec $A python3 "$D/tcp.py" connect 10.98.0.2 "$SIZE_MB"
wait $SRV
sleep 0.5
kill -INT $CA $CB; wait $CA $CB || true
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "captures: $(du -h "$D/source.pcapng" | cut -f1) + $(du -h "$D/target.pcapng" | cut -f1); $(nproc) cores ($cpu); load $(cut -d' ' -f1-3 /proc/loadavg)"
tail -3 "$D/a.err" | head -1; tail -3 "$D/b.err" | head -1
/usr/bin/time -f "paircap compare: %e s wall, peak RSS %M KiB" "$P" compare "$D/source.pcapng" "$D/target.pcapng" > "$D/report.txt"
grep -E "^source:|^target:|^total|super-segments" "$D/report.txt"
[ -n "${KEEP:-}" ] || rm -f "$D/source.pcapng" "$D/target.pcapng"
