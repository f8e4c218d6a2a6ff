#!/usr/bin/env bash
# Output of `paircap read` before and after a change, on every corpus file, in every format:
# tcpdump text (plain, -v, -e -x), JSON, the Protocol/Info columns and the details tree.
#
#   bench/same_output.sh BASE_REV [OUT_DIR]
#
# Builds BASE_REV in a git worktree (its own target directory, kept for the next run), runs
# both binaries and compares. Every packet whose output differs is classified: "expected"
# when the new output's packet carries a protocol added since BASE_REV (its JSON
# frame.protocols names it; list in NEW_PROTOCOLS) or when the difference is one the change
# meant (JSON arrays no longer nested; tcpdump SACK blocks made relative), "UNEXPECTED"
# otherwise. Prints one line per format and the unexpected packets; exits 1 if any.
set -euo pipefail
BASE=${1:?usage: bench/same_output.sh BASE_REV [OUT_DIR]}
OUT=${2:-/tmp/paircap-same-output}
NEW_PROTOCOLS=${NEW_PROTOCOLS:-ssh ntp dhcpv6 sctp quic http2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${PAIRCAP_SHARED:-$ROOT/../shared}
WT=$ROOT/target/baseline-src
mkdir -p "$OUT"
if [ ! -d "$WT" ]; then git -C "$ROOT" worktree add --detach "$WT" "$BASE" >/dev/null; fi
git -C "$WT" checkout -q --detach "$BASE"
(cd "$WT" && CARGO_TARGET_DIR=$ROOT/target/baseline cargo build -q -p capture-cli)
(cd "$ROOT" && cargo build -q -p capture-cli)
OLD=$ROOT/target/baseline/debug/paircap
NEW=$ROOT/target/debug/paircap
echo "base $(git -C "$ROOT" rev-parse --short "$BASE"), new $(git -C "$ROOT" rev-parse --short HEAD)"
files=$(ls "$SHARED"/corpus/public/*.pcap "$SHARED"/corpus/public/*.pcapng "$SHARED"/corpus/wireshark/*.pcap "$SHARED"/corpus/wireshark/*.pcapng 2>/dev/null)
python3 - "$OLD" "$NEW" "$OUT" "$NEW_PROTOCOLS" $files <<'EOF'
import json, subprocess, sys
old, new, out, newp = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split())
files = sys.argv[5:]
formats = {
    "text": ["read", "-n"],
    "text -v": ["read", "-n", "-v"],
    "text -e -x": ["read", "-n", "-e", "-x"],
    "json": ["read", "--format", "json"],
    "columns": ["read", "--format", "fields", "-E", "_ws.col.Protocol", "-E", "_ws.col.Info"],
    "tree": ["read", "--format", "tree"],
}
def run(b, args, f):
    r = subprocess.run([b] + args + [f], capture_output=True)
    return r.stdout.decode("utf-8", "replace")
def flat(v):
    if isinstance(v, list):
        o = []
        for x in v:
            o.extend(flat(x) if isinstance(x, list) else [x])
        return o
    return v
unexpected = []
for name, args in formats.items():
    same = expected = 0
    bad = 0
    for f in files:
        a, b = run(old, args, f), run(new, args, f)
        if a == b:
            same += 1
            continue
        protos = [json.loads(l).get("frame.protocols", "") for l in run(new, ["read", "--format", "json"], f).splitlines()]
        if name == "tree":
            # The tree: a packet starts at its `Frame N:` line.
            def frames(t):
                g = []
                for l in t.splitlines():
                    if l.startswith("Frame ") or not g:
                        g.append(l)
                    else:
                        g[-1] += "\n" + l
                return g
            pa, pb = frames(a), frames(b)
        elif name == "columns":
            pa, pb = a.splitlines()[1:], b.splitlines()[1:]
        elif name == "json":
            pa, pb = a.splitlines(), b.splitlines()
        else:
            # tcpdump text: a packet is its line and the indented lines after it (-v, -x).
            def group(t):
                g = []
                for l in t.splitlines():
                    if l[:1] in (" ", "\t") and g:
                        g[-1] += "\n" + l
                    else:
                        g.append(l)
                return g
            pa, pb = group(a), group(b)
        if len(pa) != len(pb):
            bad += 1
            unexpected.append(f"{name}: {f}: {len(pa)} vs {len(pb)} packets")
            continue
        file_bad = False
        for i, (x, y) in enumerate(zip(pa, pb)):
            if x == y:
                continue
            p = set(protos[i].split(":")) if i < len(protos) else set()
            ok = bool(p & newp)
            if not ok and name == "json":
                jx, jy = json.loads(x), json.loads(y)
                ok = {k: flat(v) for k, v in jx.items()} == jy
            if not ok and name.startswith("text") and "sack" in y:
                ok = True
            if not ok:
                file_bad = True
                unexpected.append(f"{name}: {f} packet {i+1}:\n  old {x[:300]}\n  new {y[:300]}")
        if file_bad:
            bad += 1
        else:
            expected += 1
    print(f"{name:12} {len(files)} files: {same} identical, {expected} differ only where expected, {bad} unexpected")
with open(f"{out}/unexpected.txt", "w") as fh:
    fh.write("\n".join(unexpected))
if unexpected:
    print("\n".join(unexpected[:40]))
    sys.exit(1)
EOF
