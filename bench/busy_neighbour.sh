#!/bin/bash
# A tool at -j 2 with another process busy on one of the cores (a shared server, a VM whose
# host takes a core away): binaries in turn, N runs each, medians. A static split of the
# rows makes the whole strip wait for the thread that shares its core; work stealing
# (kernels/src/steal.h) lets the other thread take over its rows.
# usage: bench/busy_neighbour.sh N OUTPUT BIN... -- ARGS...
#        ARGS: the command after the binary; OUTPUT (its output file or folder) is removed
#        and the dirty pages written back (`sync`) before each run, outside the timing
# e.g.   bench/busy_neighbour.sh 5 /tmp/o.tif /tmp/bin/a /tmp/bin/b -- focal-sum r.tif \
#            /tmp/o.tif --radius-m 300 -j 2 -q --no-sync
set -eu
n=$1 out=$2
shift 2
bins=()
while [ "$1" != "--" ]; do bins+=("$1"); shift; done
shift
times=$(mktemp)
sh -c 'while :; do :; done' &
busy=$!
trap 'kill $busy 2>/dev/null; rm -f "$times"' EXIT
for _ in $(seq "$n"); do
    for b in "${bins[@]}"; do
        rm -rf "$out"
        sync
        sleep 0.5
        /usr/bin/time -f "$b %e" -a -o "$times" "$b" "$@" >/dev/null 2>&1
    done
done
/usr/bin/python3 - "$times" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    b, s = line.split()
    t.setdefault(b, []).append(float(s))
for b, v in t.items():
    print(b, v, "median %.2f s" % statistics.median(v))
PY
