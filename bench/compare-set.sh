#!/usr/bin/env bash
# Times `paircap compare` on rotated sets: each side of the 1M-packet pair of bench/compare.sh
# cut into 10 files (editcap -c), compared directory against directory — next to the same
# pair as two single files in the same run — and with --transactions. Checks that the set
# gives the same counts as the single files. The sets issue's bar: under 2 s natively.
#
#   bench/compare-set.sh [PREFIX] [RUNS]     default PREFIX: work/pair1mb, RUNS 5
#
# Needs editcap (wireshark-common), hyperfine, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:-work/pair1mb}
RUNS=${2:-5}
[ -f "$PREFIX.src.pcap" ] || bash bench/compare.sh "$PREFIX" 1 > /dev/null
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
S=$PREFIX.src.pcap
T=$PREFIX.tgt.pcap
SD=$PREFIX.set/source
TD=$PREFIX.set/target
if [ ! -d "$SD" ] || [ "$(ls "$SD" | wc -l)" -ne 10 ]; then
    rm -rf "$PREFIX.set"
    mkdir -p "$SD" "$TD"
    editcap -c 100000 "$S" "$SD/src.pcap"
    editcap -c 100000 "$T" "$TD/tgt.pcap"
fi
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "sets: $(ls "$SD" | wc -l) + $(ls "$TD" | wc -l) files ($(du -sh "$SD" | cut -f1) + $(du -sh "$TD" | cut -f1)); $(nproc) cores ($cpu); load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$SD"/* "$TD"/* "$S" "$T" > /dev/null
hyperfine --warmup 1 --runs "$RUNS" -N \
    -n "single files" "$P compare $S $T" \
    -n "10-file sets" "$P compare $SD $TD" \
    -n "10-file sets --transactions" "$P compare $SD $TD --transactions" \
    --export-json "${TMPDIR:-/tmp}/paircap-set-bench.json" | sed 's/^/  /'
python3 - "${TMPDIR:-/tmp}/paircap-set-bench.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']:<30} median {r['median']:.3f} s, min {r['min']:.3f} s   [target < 2 s for the sets]")
PY
/usr/bin/time -v "$P" compare "$SD" "$TD" 2>&1 > /dev/null |
    awk '/Maximum resident/ {printf "peak RSS %.0f MiB for 2 x 10 files\n", $6/1024}'
a=$("$P" compare "$S" "$T" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"])')
b=$("$P" compare "$SD" "$TD" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"])')
if [ "$a" = "$b" ]; then echo "same counts as the single files"; else echo "COUNTS DIFFER:"; echo "$a"; echo "$b"; exit 1; fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
