#!/bin/sh
# Re-planning benchmark: `clearplan plan` on N synthetic scored hazards (default 100,000).
#   bench/bench_plan.sh [CLEARPLAN [N [RUNS]]]
# Prints one JSON line per case with the median and min wall seconds and the CPU seconds,
# and the stage split (read / plan / write) that clearplan reports.
set -eu
bin=${1:-build-r/engine/clearplan}
n=${2:-100000}
runs=${3:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
/usr/bin/python3 - "$n" "$tmp/hazards.csv" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(11)
regions = ["North", "East", "South", "West"]
with open(path, "w") as f:
    f.write("hazard_id,status,region,area_m2,benefit,cost_team_days,cost_usd,priority_mean,"
            "priority_max,people_within_m,report_density\n")
    for i in range(n):
        a = random.lognormvariate(9.0, 1.1)
        st = "CHA" if random.random() < 0.3 else "SHA"
        pr = random.betavariate(2, 3)
        cost = a * (0.3 if st == "SHA" else 1.0) / 400 * random.uniform(0.6, 1.4)
        f.write(f"HZ-{i:06d},{st},{random.choice(regions)},{a:.1f},{a / 1e4 * pr:.5f},"
                f"{cost:.4f},{cost * 1500:.2f},{pr:.4f},{min(1, pr * 1.3):.4f},"
                f"{int(random.expovariate(1 / 300))},{random.random() * 0.3:.4f}\n")
PY
for case in csv-only all-outputs; do
    extra=""
    [ "$case" = csv-only ] && extra="--no-gpkg"
    : >"$tmp/times"
    i=0
    while [ $i -lt "$runs" ]; do
        rm -rf "$tmp/out"
        /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$bin" plan "$tmp/hazards.csv" -o "$tmp/out" \
            --teams 400,600,800 --start 2026-01-01 --deadline 2030-03-01 $extra >"$tmp/log"
        echo "$(cat "$tmp/t") $(sed -n 's/.*(read \([0-9.]*\) s, plan \([0-9.]*\) s, write \([0-9.]*\) s).*/\1 \2 \3/p' "$tmp/log")" >>"$tmp/times"
        i=$((i + 1))
    done
    sort -n "$tmp/times" | /usr/bin/python3 -c '
import sys, statistics as st
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
wall = [r[0] for r in rows]; cpu = [r[1] + r[2] for r in rows]
col = lambda k: st.median(r[k] for r in rows)
print("{\"case\": \"plan-%s\", \"hazards\": %s, \"runs\": %d, \"median_s\": %.3f, \"min_s\": %.3f, "
      "\"cpu_median_s\": %.3f, \"read_s\": %.3f, \"plan_s\": %.3f, \"write_s\": %.3f}" % (
      sys.argv[1], sys.argv[2], len(rows), st.median(wall), min(wall), st.median(cpu),
      col(3), col(4), col(5)))' "$case" "$n"
done
