#!/usr/bin/env bash
# Hash flooding: N IPv6 TCP flows crafted so that every flow key has the same FxHash (the
# unkeyed hasher the flow tables used before; bench/collisions.py says how). Times
# `paircap read --format columns`, `--format json` (flow analysis) and `paircap compare`
# (the file against itself) for growing N: with seeded tables the time grows linearly.
# OLD=/path/to/an/older/paircap times that binary too (the curve before the fix);
# VIEWER=1 also times the viewer's full index in Chromium (bench/browser/bench.mjs).
#
#   bench/collisions.sh [N...]        default: 25000 50000 100000 200000
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-25000 50000 100000 200000}
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
mkdir -p work
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "$(nproc) cores ($cpu); load $(cut -d' ' -f1-3 /proc/loadavg)"
t() { # seconds of one run of "$@" (output discarded)
    local s e
    s=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    e=$(date +%s.%N)
    echo "$e - $s" | bc
}
printf 'flows\tread_columns_s\tread_json_s\tcompare_s'
[ -n "${OLD:-}" ] && printf '\told_read_json_s'
[ -n "${VIEWER:-}" ] && printf '\tviewer_index_ms'
echo
for n in $SIZES; do
    f=work/collide-$n.pcap
    [ -f "$f" ] || python3 bench/collisions.py "$f" "$n"
    cat "$f" > /dev/null
    row="$n\t$(t "$P" read "$f" --format columns)\t$(t "$P" read "$f" --format json)\t$(t "$P" compare "$f" "$f")"
    if [ -n "${OLD:-}" ]; then
        row="$row\t$(t "$OLD" read "$f" --format json)"
    fi
    if [ -n "${VIEWER:-}" ]; then
        ms=$(node bench/browser/bench.mjs --no-wiregasm "$f" 2>/dev/null | awk -F'\t' '$1=="engine" {for (i=1;i<=NF;i++) if ($i=="index_ms") c=i} $1=="paircap" && c {print $c}')
        row="$row\t${ms:-?}"
    fi
    echo -e "$row"
done
