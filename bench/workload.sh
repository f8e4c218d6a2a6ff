# Sourced by the 1M-packet benchmarks (read.sh, filter.sh, stats.sh) with their "$@":
# goes to the repository root, sets SHARED, F (argument 1, default work/w1m.pcap, generated
# with gen_workload.py if missing), RUNS (argument 2, default $DEFAULT_RUNS or 3), builds
# the release binary as P, and makes EXTRA, a temporary file for anchors.sh's extra cases.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SHARED=${PAIRCAP_SHARED:-$(cd .. && pwd)/shared}
RUNS=${2:-${DEFAULT_RUNS:-3}}
mkdir -p work
F=${1:-work/w1m.pcap}
if [ ! -f "$F" ]; then
    echo "generating $F (1M packets) with gen_workload.py ..." >&2
    python3 "$SHARED/perf/gen_workload.py" -n 1000000 -o "${F%.pcap}" --format pcap >&2
fi
cargo build --release -q -p capture-cli
P=$(pwd)/target/release/paircap
EXTRA=$(mktemp)
trap 'rm -f "$EXTRA"' EXIT
