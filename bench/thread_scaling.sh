#!/bin/bash
# Wall time of one command at -j 1 and -j 2, N times in turn, on a quiet machine (to the
# millisecond: bash's EPOCHREALTIME around the command; a failed run stops the script).
# usage: bench/thread_scaling.sh N OUTPUT -- COMMAND ... -j {j} ...
# {j} is replaced by the thread count. OUTPUT (the command's output file or folder) is
# removed and the page cache's dirty pages written back (`sync`) before each run, outside
# the timing: a run then pays for writing its own output, not for deleting or flushing the
# previous one's (with --overwrite, removing a 400 MB output and the writeback of the last
# run's pages land inside the next timing and swing it by 0.3-0.9 s on this VM).
set -eu
n=$1 out=$2
shift 3
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in $(seq "$n"); do
    for j in 1 2; do
        rm -rf "$out"
        sync
        sleep 0.5
        cmd=("${@//\{j\}/$j}")
        t0=$EPOCHREALTIME
        "${cmd[@]}" >/dev/null 2>&1 || { echo "failed: ${cmd[*]}" >&2; exit 1; }
        t1=$EPOCHREALTIME
        echo "$j $t0 $t1" >>"$times"
    done
done
/usr/bin/python3 - "$times" <<'PY'
import statistics, sys
t = {"1": [], "2": []}
for line in open(sys.argv[1]):
    j, t0, t1 = line.split()
    t[j].append(round(float(t1) - float(t0), 3))
m1, m2 = statistics.median(t["1"]), statistics.median(t["2"])
print("-j 1:", t["1"], "median %.3f s" % m1)
print("-j 2:", t["2"], "median %.3f s" % m2)
print("speed-up %.2fx" % (m1 / m2))
PY
