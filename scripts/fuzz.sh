#!/usr/bin/env bash
# Coverage-guided fuzzing of paircap's input-facing code with cargo-fuzz (libFuzzer) on the
# nightly toolchain — the product and CI build on stable; CI only replays the corpora
# (tests/tests/fuzz_replay.rs). Resumable: each run starts from fuzz/corpus/<target>/ and
# adds what it finds there.
#
#   scripts/fuzz.sh [--seed] [--cmin] [SECONDS_PER_TARGET] [TARGET...]
#       --seed   (re)write the seed corpora from ../shared/corpus and samples/ first
#       --cmin   minimise each corpus afterwards (cargo fuzz cmin)
#       default: 600 s for each of: read decode filter bpf compare anonymize viewlink view_request
#
# Prints, per target: executions, executions per second, corpus size, and whether it
# crashed (the input is in fuzz/artifacts/<target>/; copy it into fuzz/corpus/<target>/
# once fixed, so the replay test keeps it fixed). Runs under nice, one target at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=0
CMIN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) SEED=1; shift ;;
        --cmin) CMIN=1; shift ;;
        *) break ;;
    esac
done
SECS=${1:-600}
shift || true
TARGETS=${*:-read decode filter bpf compare anonymize viewlink view_request}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz --locked
if [ "$SEED" = 1 ] || [ ! -d fuzz/corpus/read ]; then
    cargo test -q -p paircap-tests --test fuzz_replay -- --ignored seed_corpora
fi
mkdir -p fuzz/logs
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "fuzzing ${SECS}s per target on $(nproc) cores ($cpu); load $(cut -d' ' -f1-3 /proc/loadavg)"
# No AddressSanitizer: shared-decode forbids unsafe code, so ASan would only slow the
# search (about 3x); panics, overflow checks (debug assertions on) and timeouts still count.
FLAGS=(-O -s none --debug-assertions)
(cd fuzz && cargo +nightly fuzz build "${FLAGS[@]}")
printf 'target\texecs\texecs_per_s\tcorpus\tresult\n'
for t in $TARGETS; do
    log=fuzz/logs/$t.log
    # The compare's inputs hold two captures: small ones find the same bugs and keep the
    # committed corpus (and its replay in CI) small.
    maxlen=65536
    [ "$t" = compare ] && maxlen=4096
    set +e
    (cd fuzz && nice cargo +nightly fuzz run "${FLAGS[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$SECS" -max_len="$maxlen" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1) > "$log" 2>&1
    rc=$?
    set -e
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
    n=$(ls "fuzz/corpus/$t" | wc -l)
    if [ "$rc" = 0 ]; then res=ok; else res="CRASH (rc $rc, see $log and fuzz/artifacts/$t/)"; fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-?}" "${rate:-?}" "$n" "$res"
    if [ "$CMIN" = 1 ] && [ "$rc" = 0 ]; then
        (cd fuzz && cargo +nightly fuzz cmin "${FLAGS[@]}" "$t" "corpus/$t" -- -max_len="$maxlen" -rss_limit_mb=4096) > "$log.cmin" 2>&1 || true
    fi
done
