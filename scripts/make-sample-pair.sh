#!/usr/bin/env bash
# Makes samples/pair/{source,target}.pcapng and the relay's log, and samples/transactions: a real pair captured with
# `paircap capture` in network namespaces (client - NAT router - impairment relay - server),
# with loss, duplication and reordering both ways. See tests/tests/sample_pair.rs for the
# setup; needs root. The files are committed: run this only to make them again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -q -p capture-cli
cargo test -q -p paircap-tests --test sample_pair -- --ignored make_sample_pair
cargo test -q -p paircap-tests --test compare_sets -- --ignored make_sample_transactions
ls -l samples/pair samples/transactions
