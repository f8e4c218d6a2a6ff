#!/usr/bin/env bash
# The whole test suite, as CI runs it: style, lints, the wasm32 build of the decode crate,
# unit/property/golden tests, differential tests against tshark and tcpdump, and the
# end-to-end tests (CLI on the shared corpus, live captures in network namespaces, the viewer
# in headless Chromium). Installs missing tools first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "the viewer (and shared-decode in it) builds for wasm32-unknown-unknown"
# First: paircap embeds the built viewer (dist/) for `paircap view`.
bash scripts/build-viewer.sh
step "cargo clippy"
cargo clippy --workspace --all-targets -q -- -D warnings
cargo clippy -p viewer-web --target wasm32-unknown-unknown -q -- -D warnings
step "build"
cargo build -q --workspace
step "cargo test"
cargo test -q --workspace
step "the viewer in Chromium (tests/browser, screenshots in tests/browser/screenshots)"
(cd tests/browser && node --test --test-concurrency=1 viewer.test.mjs)
echo
echo "all tests passed"
