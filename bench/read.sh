#!/usr/bin/env bash
# Times `paircap read` (text, json, columns) against `tcpdump -n -r` and `tshark -n -r`
# (and tshark -T fields) on the same file, in one run of ../shared/perf/anchors.sh, and
# prints the ratios the foundation issue asks for.
#
#   bench/read.sh [FILE] [RUNS]      default FILE: work/w1m.pcap (generated if missing), RUNS 3
#
# Needs: tcpdump, tshark, python3, GNU time (hyperfine optional). Writes work/read-<ts>.tsv.
. "$(dirname "$0")/workload.sh"
{
    printf 'paircap\tread-text\t%s read "$F" > /dev/null\n' "$P"
    printf 'paircap\tread-json\t%s read --format json "$F" > /dev/null\n' "$P"
    printf 'paircap\tread-columns\t%s read --format columns "$F" > /dev/null\n' "$P"
} > "$EXTRA"
mkdir -p "${WORK:-${TMPDIR:-/tmp}/paircap-perf}"
OUT=work/read-$(date -u +%Y%m%dT%H%M%SZ).tsv
CASES=${CASES:-'raw:cat|tcpdump:read|tshark:read|tshark:fields|paircap:'} EXTRA=$EXTRA \
    bash "$SHARED/perf/anchors.sh" "$F" "$RUNS" | tee "$OUT"
python3 - "$OUT" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith('#') or line.startswith('tool'):
        continue
    c = line.rstrip('\n').split('\t')
    rows[(c[0], c[1])] = (float(c[3]), float(c[7]))
def t(k): return rows.get(k, (float('nan'), 0))[0]
tcpdump, tshark, fields = t(('tcpdump', 'read')), t(('tshark', 'read')), t(('tshark', 'fields'))
text, js = t(('paircap', 'read-text')), t(('paircap', 'read-json'))
print(f"\npaircap read (text)  {text:.3f} s: {tcpdump/text:.1f}x faster than tcpdump -n -r ({tcpdump:.3f} s), "
      f"{tshark/text:.1f}x faster than tshark -n -r ({tshark:.3f} s)   [targets 5x, 10x]")
print(f"paircap read --format json {js:.3f} s: {fields/js:.1f}x faster than tshark -T fields ({fields:.3f} s)   [target 10x]")
print("peak RSS MiB: " + ", ".join(f"{k[1]} {v[1]:.1f}" for k, v in rows.items() if k[0] == 'paircap') + "   [target < 64]")
PY
