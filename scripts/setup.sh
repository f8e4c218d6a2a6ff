#!/usr/bin/env bash
# Installs what paircap's build and tests need on a Debian 12 machine, skipping whatever is
# already there (safe to run again). Root, or sudo, is needed for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have tshark || need+=(tshark)
have tcpdump || need+=(tcpdump)
have chromium || need+=(chromium)
have chromedriver || need+=(chromium-driver)
have ip || need+=(iproute2)
have nft || need+=(nftables)
have ethtool || need+=(ethtool)
have editcap || need+=(wireshark-common)
have taskset || need+=(util-linux)
have openssl || need+=(openssl)
have ping || need+=(iputils-ping)
have pkg-config || need+=(pkg-config)
have cc || need+=(gcc)
have python3 || need+=(python3)
have node || need+=(nodejs)
have npm || need+=(npm)
have hyperfine || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
[ -f /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: apt-get install ${need[*]}" >&2
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! have cargo; then
    echo "setup: no Rust toolchain (install rustup from https://rustup.rs)" >&2
    exit 1
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

# wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WB=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB" ]; then
    echo "setup: cargo install wasm-bindgen-cli $WB (a few minutes)" >&2
    cargo install -q wasm-bindgen-cli --version "$WB" --locked || cargo install -q wasm-bindgen-cli --version "$WB"
fi

# playwright-core for the browser tests (Debian's chromium is the browser; nothing is downloaded
# but the npm package).
for d in tests/browser; do
    if [ ! -d "$d/node_modules/playwright-core" ]; then
        (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
    fi
done
