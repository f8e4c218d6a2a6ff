#!/usr/bin/env bash
# The main job on the embedded sample: build paircap and decode samples/demo.pcapng
# (tcpdump-style, Wireshark columns, and the details tree of one packet).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build -q --release -p capture-cli
P=target/release/paircap
echo "== paircap read samples/demo.pcapng (tcpdump style, first 15 packets)"
$P read -c 15 samples/demo.pcapng
echo
echo "== paircap read --format columns (Wireshark columns, first 15 packets)"
$P read -c 15 --format columns samples/demo.pcapng
echo
echo "== paircap read --format tree (packet 3)"
$P read --format tree samples/demo.pcapng | awk 'BEGIN{RS=""} NR==3'
