#!/usr/bin/env bash
# Statistics on the 1M-packet workload, in one run of ../shared/perf/anchors.sh:
# `paircap read F -z STAT` against `tshark -n -q -r F -z STAT` for conversations (TCP, IP),
# endpoints (IP), protocol hierarchy, expert information, IO statistics per second and
# follow of TCP stream 0. The outputs are the same bytes (IO statistics: the same numbers
# in a box of tshark's style; tests/tests/stats_tshark.rs checks both on the corpus).
#
#   bench/stats.sh [FILE] [RUNS]     default work/w1m.pcap (generated if missing), 1 run
DEFAULT_RUNS=1
. "$(dirname "$0")/workload.sh"
STATS="conv,tcp conv,ip endpoints,ip io,phs expert io,stat,1 follow,tcp,raw,0"
for z in $STATS; do
    printf 'paircap\t%s\t%s read "$F" -z %s > /dev/null\n' "$z" "$P" "$z"
    printf 'tshark\t%s\ttshark -n -q -r "$F" -z %s > /dev/null 2>&1\n' "$z" "$z"
done > "$EXTRA"
OUT=work/stats-$(date -u +%Y%m%dT%H%M%SZ).tsv
CASES=${CASES:-'tshark:conv|tshark:endpoints|tshark:io|tshark:expert|tshark:follow|paircap:'} EXTRA=$EXTRA \
    bash "$SHARED/perf/anchors.sh" "$F" "$RUNS" | tee "$OUT"
python3 - "$OUT" "$STATS" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith('#') or line.startswith('tool'):
        continue
    c = line.rstrip('\n').split('\t')
    rows[(c[0], c[1])] = float(c[3])
print()
for z in sys.argv[2].split():
    p, t = rows.get(('paircap', z), float('nan')), rows.get(('tshark', z), float('nan'))
    print(f"-z {z:<18} paircap {p:7.3f} s   tshark {t:7.3f} s   {t/p:5.1f}x")
PY
