#!/usr/bin/env bash
# Times `paircap compare` on a source/target pair of 1M packets each (file reading + decode +
# compare), as the compare issue asks: target < 3 s natively, memory linear in packets.
#
#   bench/compare.sh [PREFIX] [RUNS]     default PREFIX: work/pair1m (generated if missing), RUNS 5
#
# The pair comes from ../shared/perf/gen_workload.py pair (NAT, 2% loss, duplication, ISN
# randomisation, two-way delays); PREFIX.src.pcap / PREFIX.tgt.pcap / PREFIX.truth.tsv.
# Needs: python3, hyperfine (else a plain loop), GNU time. Prints wall times, the split between
# reading+decoding and comparing, peak RSS, and the lost/extra precision/recall on the truth.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${PAIRCAP_SHARED:-$(cd .. && pwd)/shared}
PREFIX=${1:-work/pair1m}
RUNS=${2:-5}
mkdir -p "$(dirname "$PREFIX")"
if [ ! -f "$PREFIX.src.pcap" ] || [ ! -f "$PREFIX.tgt.pcap" ]; then
    echo "generating $PREFIX (1M packets per side, ~30 s) ..." >&2
    python3 "$SHARED/perf/gen_workload.py" pair -n 1000000 -o "$PREFIX" --format pcap \
        --delay-model path --isn-shift --dup-rate 0.001 --seed 7 >&2
fi
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
S=$PREFIX.src.pcap
T=$PREFIX.tgt.pcap
echo "files: $(du -h "$S" | cut -f1) + $(du -h "$T" | cut -f1); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$S" "$T" > /dev/null   # page cache
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 1 --runs "$RUNS" -N "$P compare $S $T" \
        --export-json "${TMPDIR:-/tmp}/paircap-compare-bench.json" | sed 's/^/  /'
    python3 - "${TMPDIR:-/tmp}/paircap-compare-bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"paircap compare: median {r['median']:.3f} s, min {r['min']:.3f} s, max {r['max']:.3f} s over {len(r['times'])} runs   [target < 3 s]")
PY
else
    for _ in $(seq "$RUNS"); do /usr/bin/time -f "%e s" "$P" compare "$S" "$T" > /dev/null; done
fi
for _ in 1 2 3; do PAIRCAP_TIMING=1 "$P" compare "$S" "$T" 2>&1 > /dev/null | grep read+decode; done
/usr/bin/time -v "$P" compare "$S" "$T" 2>&1 > /dev/null |
    awk '/Maximum resident/ {printf "peak RSS %.0f MiB for %s packets\n", $6/1024, "2M"}'
if [ -f "$PREFIX.truth.tsv" ]; then
    "$P" compare "$S" "$T" --format json --packets > "${TMPDIR:-/tmp}/paircap-compare-bench-out.json"
    python3 - "${TMPDIR:-/tmp}/paircap-compare-bench-out.json" "$PREFIX.truth.tsv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
hdr = None; lost = set(); tgt = {}; acc = set()
for line in open(sys.argv[2]):
    if line.startswith('#'): continue
    c = line.rstrip('\n').split('\t')
    if hdr is None: hdr = c; continue
    row = dict(zip(hdr, c))
    k = int(row['src_frame'])
    if row['status'] == 'lost': lost.add(k)
    if row['tgt_frame'] != '-': tgt[k] = int(row['tgt_frame']); acc.add(int(row['tgt_frame']))
    for d in row.get('dup_frames', '').split(','):
        if d: acc.add(int(d))
ours_lost = {p['source'] for p in r['packets'] if p['status'] == 'lost'}
ours_extra = {p['target'] for p in r['packets'] if p['status'] == 'extra'}
n_tgt = r['target']['packets']
true_extra = {t for t in range(1, n_tgt + 1) if t not in acc}
def pr(o, w):
    tp = len(o & w)
    return (tp / len(o) if o else 1.0, tp / len(w) if w else 1.0)
wrong = sum(1 for p in r['packets'] if p['source'] in tgt and p['status'] != 'duplicated' and p['target'] != tgt[p['source']])
lp, lr = pr(ours_lost, lost); ep, er = pr(ours_extra, true_extra)
print(f"truth: lost {len(ours_lost)}/{len(lost)} precision {lp:.5f} recall {lr:.5f}; extra {len(ours_extra)}/{len(true_extra)} "
      f"precision {ep:.4f} recall {er:.4f}; wrong twins {wrong}; clock {r['clock']['offset_ms']:.3f} ms ({r['clock']['method']})")
PY
fi
