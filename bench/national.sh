#!/bin/bash
# The national preset end to end (bench/RESULTS.md, README), with the machine's speed beside it.
# usage: bench/national.sh [CLEARPLAN ...]   (default build-release/engine/clearplan)
# Environment: DATA (default /work/nat: the scenario is made there when missing), OUT (default
# /tmp/cp-national), J (threads, default 2).
# Each binary given runs once, in turn, writing OUT-<k> (removed first). Before and after each
# run a probe gives the machine's speed: the first binary's `run` of the demo scenario at -j 1
# (made in DATA/demo when missing), the same work each time. On a VM whose speed swings from
# one half hour to the next, compare builds within one call (back to back), and runs across
# calls only with their probes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-/work/nat}
OUT=${OUT:-/tmp/cp-national}
J=${J:-2}
[ $# -gt 0 ] || set -- "$ROOT/build-release/engine/clearplan"
bins=()
for b in "$@"; do
    [ -x "$b" ] || { echo "no clearplan binary at $b" >&2; exit 1; }
    bins+=("$(realpath "$b")") # the runs start in DATA
done
set -- "${bins[@]}"
mkdir -p "$DATA"
[ -f "$DATA/scenario/scenario.yaml" ] || "$1" synth --preset national --seed 1 -o "$DATA/scenario" -q
[ -f "$DATA/demo/scenario.yaml" ] || "$1" synth --preset demo --seed 1 -o "$DATA/demo" -q
probe() {
    rm -rf "$OUT-probe"
    /usr/bin/time -f "%e" "$1" run "$DATA/demo/scenario.yaml" -o "$OUT-probe" -q --no-sync -j 1 2>&1 >/dev/null | tail -1
    rm -rf "$OUT-probe"
}
k=0
for b in "$@"; do
    k=$((k + 1))
    out="$OUT-$k"
    rm -rf "$out"
    sync
    sleep 2
    before=$(probe "$1")
    t=$(mktemp)
    (cd "$DATA" && /usr/bin/time -o "$t" -f "%e %U %S %M" "$b" run scenario/scenario.yaml -o "$out" -q -j "$J" >/dev/null)
    after=$(probe "$1")
    read -r wall user sys peak < "$t"
    rm -f "$t"
    /usr/bin/python3 - "$b" "$out/run.json" "$wall" "$user" "$sys" "$peak" "$before" "$after" <<'PY'
import json, sys
b, rj, wall, user, sys_, peak, before, after = sys.argv[1:]
d = json.load(open(rj))
st = ", ".join(f"{k} {v:.1f}" for k, v in d["timings_s"].items() if k != "total")
print(f"{b}: wall {float(wall):.1f} s (user {user} s, system {sys_} s), peak {int(peak) // 1024} MB;"
      f" stages: {st}; probe {before} / {after} s (the demo at -j 1, before / after)")
PY
done
