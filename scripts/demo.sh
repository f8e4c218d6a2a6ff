#!/usr/bin/env bash
# The main job: build paircap and the browser viewer, show the CLI on the embedded sample,
# then serve the viewer on http://127.0.0.1:${PORT:-8080}/ with the sample opened.
# Everything stays on this machine (the server binds 127.0.0.1 only). Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh >/dev/null
cargo build -q --release -p capture-cli
P=target/release/paircap
echo "== paircap read samples/demo.pcapng (tcpdump style, first 10 packets)"
$P read -c 10 samples/demo.pcapng
echo
echo "== paircap read --format columns (Wireshark columns, first 10 packets)"
$P read -c 10 --format columns samples/demo.pcapng
echo
echo "== building the viewer (wasm32 + wasm-bindgen)"
bash scripts/build-viewer.sh
mkdir -p dist/samples
cp samples/demo.pcapng dist/samples/
PORT=${PORT:-8080}
echo
echo "== viewer: http://127.0.0.1:$PORT/#open=samples/demo.pcapng   (or open any capture from the page)"
exec python3 -m http.server --bind 127.0.0.1 --directory dist "$PORT"
