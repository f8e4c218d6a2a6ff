#!/usr/bin/env bash
# Times `paircap compare` on a generated source/target pair of 1M packets each (file reading,
# decoding and the compare), scores it against the generator's ground truth, and reports the
# peak memory. The compare issue's bar: under 1.5 s natively, memory linear in packets.
#
#   bench/compare.sh [PREFIX] [RUNS]     default PREFIX: work/pair1mb (generated if missing), RUNS 5
#
# The pair comes from ../shared/perf/gen_workload.py pair --directions both (client->server
# packets sent at the source, server->client at the target; NAT, 2% loss each way,
# duplication, ISN randomisation, clock offset): PREFIX.src.pcap / .tgt.pcap / .truth.tsv.
# Needs python3, hyperfine (else a plain loop), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${PAIRCAP_SHARED:-$(cd .. && pwd)/shared}
PREFIX=${1:-work/pair1mb}
RUNS=${2:-5}
mkdir -p "$(dirname "$PREFIX")"
if [ ! -f "$PREFIX.src.pcap" ] || [ ! -f "$PREFIX.tgt.pcap" ]; then
    echo "generating $PREFIX (1M packets, ~40 s) ..." >&2
    python3 "$SHARED/perf/gen_workload.py" pair -n 1000000 -o "$PREFIX" --format pcap \
        --directions both --isn-shift --dup-rate 0.001 --seed 7 >&2
fi
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
S=$PREFIX.src.pcap
T=$PREFIX.tgt.pcap
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "files: $(du -h "$S" | cut -f1) + $(du -h "$T" | cut -f1); $(nproc) cores ($cpu); load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$S" "$T" > /dev/null   # page cache
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 1 --runs "$RUNS" -N "$P compare $S $T" \
        --export-json "${TMPDIR:-/tmp}/paircap-compare-bench.json" | sed 's/^/  /'
    python3 - "${TMPDIR:-/tmp}/paircap-compare-bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"paircap compare: median {r['median']:.3f} s, min {r['min']:.3f} s, max {r['max']:.3f} s over {len(r['times'])} runs   [target < 1.5 s]")
PY
else
    for _ in $(seq "$RUNS"); do /usr/bin/time -f "%e s" "$P" compare "$S" "$T" > /dev/null; done
fi
for _ in 1 2 3; do PAIRCAP_TIMING=1 "$P" compare "$S" "$T" 2>&1 > /dev/null | grep read+decode; done
/usr/bin/time -v "$P" compare "$S" "$T" 2>&1 > /dev/null |
    awk '/Maximum resident/ {printf "peak RSS %.0f MiB for 2 x 1M packets\n", $6/1024}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -f "$PREFIX.truth.tsv" ]; then
    "$P" compare "$S" "$T" --format json --packets > "${TMPDIR:-/tmp}/paircap-compare-bench-out.json"
    python3 bench/score_pair.py "$PREFIX.truth.tsv" "${TMPDIR:-/tmp}/paircap-compare-bench-out.json" || true
fi
