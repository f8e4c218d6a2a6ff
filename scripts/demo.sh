#!/usr/bin/env bash
# The main job: build paircap and its browser viewer, compare the sample pair on the command
# line (a real source/target capture with loss in both directions, samples/pair/README.md),
# then serve the viewer with `paircap view` on 127.0.0.1 (a random token in the URL), landing
# on the side-by-side compare of the same pair. Nothing leaves this machine. Ctrl+C stops it.
#   PORT=8080 to choose the port (default: any free port); NO_OPEN=1 to only print the URL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh >/dev/null
S=samples/pair/source.pcapng
T=samples/pair/target.pcapng
echo "== building the viewer (wasm32 + wasm-bindgen), then paircap with the viewer built in"
bash scripts/build-viewer.sh
cargo build -q --release -p capture-cli
P=target/release/paircap
echo
echo "== paircap compare $S $T"
$P compare "$S" "$T"
echo
echo "== paircap read -c 5 $S (tcpdump style)"
$P read -c 5 "$S"
echo
echo "== paircap view: the compare in the browser (Ctrl+C stops the server)"
args=(--port "${PORT:-0}")
[ -n "${NO_OPEN:-}" ] && args+=(--no-open)
exec "$P" view "${args[@]}" "$S" "$T"
