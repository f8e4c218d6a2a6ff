#!/usr/bin/env bash
# Builds the viewer into dist/: the page (app) and the worker compiled to wasm32 and bound
# with wasm-bindgen, plus index.html and the static files. Serve dist/ over http (module
# workers do not load from file://), e.g. `python3 -m http.server -b 127.0.0.1 -d dist`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -q --profile wasm --target wasm32-unknown-unknown -p viewer-web --bins
out=dist
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
for bin in app worker; do
    wasm-bindgen --target web --no-typescript --out-dir "$out.tmp/$bin" "target/wasm32-unknown-unknown/wasm/$bin.wasm"
done
cp index.html viewer-web/static/* "$out.tmp/"
rm -rf "$out"
mv "$out.tmp" "$out"
du -sh "$out"/app/*.wasm "$out"/worker/*.wasm | sed 's/^/viewer: /'
