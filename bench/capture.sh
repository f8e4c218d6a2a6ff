#!/usr/bin/env bash
# Capture benchmark: a bounded burst of small UDP packets through a veth pair, captured at the
# same time by `paircap capture -w` and `tcpdump -w` on the receiving end (both with libpcap's
# default kernel buffer). Prints packets captured / dropped by the kernel and write MB/s for
# each, per run. Runs only inside network namespaces it creates (needs root).
#
#   bench/capture.sh [PACKETS=500000] [PAYLOAD=18] [RUNS=3]
#   BUF=KiB bench/capture.sh ...   same kernel buffer (-B) for both, e.g. 512 to provoke drops
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-500000}
SIZE=${2:-18}
RUNS=${3:-3}
mkdir -p work
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
cc -O2 -o work/udpflood bench/udpflood.c
A=pcbench-a-$$ B=pcbench-b-$$
cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add veth-a netns "$A" type veth peer name veth-b netns "$B"
ip -n "$A" addr add 10.88.0.1/24 dev veth-a; ip -n "$B" addr add 10.88.0.2/24 dev veth-b
ip -n "$A" link set veth-a up; ip -n "$B" link set veth-b up
ip -n "$A" link set lo up; ip -n "$B" link set lo up
ip netns exec "$B" sysctl -q -w net.ipv4.icmp_ratelimit=1000
B_OPT=(); [ -n "${BUF:-}" ] && B_OPT=(-B "$BUF")
printf 'run\ttool\tsent\tsend_s\tcaptured\treceived\tdropped\tfile_MB\twrite_MB_s\n'
for run in $(seq 1 "$RUNS"); do
    rm -f work/bench-cap.pcapng work/bench-cap.pcap
    ip netns exec "$B" "$P" capture -i veth-b "${B_OPT[@]}" -w work/bench-cap.pcapng udp 2> work/bench-paircap.err &
    PP=$!
    ip netns exec "$B" tcpdump -i veth-b "${B_OPT[@]}" -w work/bench-cap.pcap udp 2> work/bench-tcpdump.err &
    TP=$!
    sleep 1.5
    read -r SENT SECS < <(ip netns exec "$A" work/udpflood 10.88.0.2 9 "$N" "$SIZE")
    sleep 1
    kill -INT "$PP" "$TP"; wait "$PP" "$TP" || true
    for tool in paircap tcpdump; do
        f=work/bench-cap.pcapng; [ "$tool" = tcpdump ] && f=work/bench-cap.pcap
        err=work/bench-$tool.err
        cap=$(sed -n 's/^\([0-9]*\) packets\? captured.*/\1/p' "$err")
        rec=$(sed -n 's/^\([0-9]*\) packets\? received by filter.*/\1/p' "$err")
        drop=$(sed -n 's/^\([0-9]*\) packets\? dropped by kernel.*/\1/p' "$err")
        mb=$(python3 -c "print(f'{$(stat -c %s "$f")/1e6:.1f}')")
        rate=$(python3 -c "print(f'{$(stat -c %s "$f")/1e6/max($SECS,1e-9):.1f}')")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$tool" "$SENT" "$SECS" "$cap" "$rec" "$drop" "$mb" "$rate"
    done
done
