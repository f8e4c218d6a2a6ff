#!/usr/bin/env bash
# Display filters on the 1M-packet workload, in one run of ../shared/perf/anchors.sh:
# `paircap read F -Y …` (Wireshark syntax and tcpdump syntax) and `paircap read F EXPR`
# (libpcap BPF) against `tshark -r F -Y …` and `tcpdump -r F EXPR`, printing the same
# packets; also the filter alone (no printing: `-w /dev/null`, `tcpdump -w /dev/null`).
#
#   bench/filter.sh [FILE] [RUNS]     default work/w1m.pcap (generated if missing), 3 runs
. "$(dirname "$0")/workload.sh"
{
    printf 'paircap\tdfilter-tcp443\t%s read "$F" -Y "tcp.port == 443" > /dev/null\n' "$P"
    printf 'paircap\tbpf-tcp443\t%s read "$F" tcp port 443 > /dev/null\n' "$P"
    printf 'paircap\tdfilter-tcp443-nowrite\t%s read "$F" -Y "tcp.port == 443" -w /dev/null\n' "$P"
    printf 'paircap\tdfilter-host\t%s read "$F" -Y "ip.addr == 10.1.1.19" > /dev/null\n' "$P"
    printf 'paircap\tdfilter-tcpdump-syntax\t%s read "$F" -Y "host 10.1.1.19 and port 443" > /dev/null\n' "$P"
    printf 'paircap\tdfilter-dns\t%s read "$F" -Y "dns.qry.name contains \\"example\\"" > /dev/null\n' "$P"
    printf 'paircap\tdfilter-retrans\t%s read "$F" -Y "tcp.analysis.retransmission" > /dev/null\n' "$P"
    printf 'tcpdump\tfilter-host\ttcpdump -n -r "$F" host 10.1.1.19 > /dev/null 2>&1\n'
    printf 'tcpdump\tfilter-tcp443-nowrite\ttcpdump -n -r "$F" -w /dev/null tcp port 443 > /dev/null 2>&1\n'
    printf 'tshark\tdfilter-host\ttshark -n -r "$F" -Y "ip.addr == 10.1.1.19" > /dev/null 2>&1\n'
    printf 'tshark\tdfilter-dns\ttshark -n -r "$F" -Y "dns.qry.name contains \\"example\\"" > /dev/null 2>&1\n'
    printf 'tshark\tdfilter-retrans\ttshark -n -r "$F" -Y "tcp.analysis.retransmission" > /dev/null 2>&1\n'
} > "$EXTRA"
OUT=work/filter-$(date -u +%Y%m%dT%H%M%SZ).tsv
CASES=${CASES:-'tcpdump:read|tcpdump:filter|tshark:dfilter|paircap:'} EXTRA=$EXTRA \
    bash "$SHARED/perf/anchors.sh" "$F" "$RUNS" | tee "$OUT"
python3 - "$OUT" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith('#') or line.startswith('tool'):
        continue
    c = line.rstrip('\n').split('\t')
    rows[(c[0], c[1])] = float(c[3])
def t(a, b): return rows.get((a, b), float('nan'))
print()
for case, ts, td in [('dfilter-tcp443', 'dfilter-tcp443', 'filter-tcp443'), ('dfilter-host', 'dfilter-host', 'filter-host'),
                     ('dfilter-dns', 'dfilter-dns', None), ('dfilter-retrans', 'dfilter-retrans', None)]:
    p = t('paircap', case)
    line = f"paircap -Y {case:<18} {p:6.3f} s: {t('tshark', ts)/p:5.1f}x faster than tshark -Y ({t('tshark', ts):.3f} s)"
    if td:
        line += f", {t('tcpdump', td)/p:4.1f}x tcpdump BPF ({t('tcpdump', td):.3f} s)"
    print(line)
print(f"filter alone (no output): paircap {t('paircap','dfilter-tcp443-nowrite'):.3f} s vs tcpdump -w /dev/null {t('tcpdump','filter-tcp443-nowrite'):.3f} s")
PY
