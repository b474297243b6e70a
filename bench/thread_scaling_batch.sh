#!/bin/bash
# One batch of the thread-scaling measurements of bench/RESULTS.md: `clearplan run` on the demo
# and each raster tool at -j 1 and -j 2, in turn, with bench/thread_scaling.sh (medians).
# usage: bench/thread_scaling_batch.sh [CLEARPLAN] [DATA]
#   CLEARPLAN  a Release binary (default build-release/engine/clearplan)
#   DATA       folder of the generated inputs (default /tmp/cp-scaling), made when missing:
#     demo/        `clearplan synth --preset demo` (3,000 x 3,000, the quick start's scenario)
#     r.tif p.gpkg 10,000 x 10,000 Float32 and 10,000 polygons (bench/peers_zonal.py's data)
#     src10k.tif   10,000 x 10,000 Byte, 0.05 % sources (bench/peers_raster.sh's generator)
#     rep30k.gpkg  30,000 weighted points over src10k.tif's extent (seeded)
# Every command runs with --no-sync (the outputs' fsync measures the disk, not the threads;
# zonal's CSV too since stop 33: its fsync took 0.02 s of a 0.27 s run at -j 2). The runs
# write to /tmp; run it on a quiet machine (nothing else busy). The machine's speed
# (disk and a demo probe) is printed before and after.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$(realpath "${1:-$ROOT/build-release/engine/clearplan}")
D=${2:-/tmp/cp-scaling}
TS=$ROOT/bench/thread_scaling.sh
PY=/usr/bin/python3
[ -x "$B" ] || { echo "no clearplan binary at $B (build Release first)" >&2; exit 1; }
mkdir -p "$D"

[ -f "$D/demo/scenario.yaml" ] || "$B" synth --preset demo --seed 1 -o "$D/demo" -q
[ -f "$D/r.tif" ] && [ -f "$D/p.gpkg" ] || "$PY" - "$ROOT" "$D" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1] + "/bench")
import peers_zonal
peers_zonal.make_data(sys.argv[2], 10000, 10000)
EOF
[ -f "$D/src10k.tif" ] && [ -f "$D/rep30k.gpkg" ] || "$PY" - "$ROOT/bench" "$D" <<'EOF'
import sys, numpy as np
from osgeo import gdal
sys.path.insert(0, sys.argv[1])
from bench_data import utm18n, write_raster, write_reports
d = sys.argv[2]
srs = utm18n()
rng = np.random.default_rng(20260101)  # src10k.tif as bench/peers_raster.sh makes it
src = (rng.random((10000, 10000), dtype=np.float32) < 0.0005).astype(np.uint8)
write_raster(f'{d}/src10k.tif', src, gdal.GDT_Byte, srs)
write_reports(f'{d}/rep30k.gpkg', srs, rng, 30000, 300000)
EOF

cd "$D"
# The VM's speed beside the ratios (it swings from one half hour to the next): the disk's
# O_DIRECT write speed (proximity's and density's outputs at -j 2 wait on it) and the demo
# run at -j 1 (bench/national.sh's probe), before and after the batch.
machine() {
    rm -f /tmp/cps-dd.bin
    fallocate -l 400M /tmp/cps-dd.bin
    local dd_s
    dd_s=$(dd if=/dev/zero of=/tmp/cps-dd.bin bs=20M count=20 oflag=direct conv=notrunc 2>&1 |
        awk '/copied/ {print $(NF-3)}')
    rm -rf /tmp/cps-dd.bin /tmp/cps-probe
    local probe
    probe=$( { /usr/bin/time -f "%e" "$B" run demo/scenario.yaml -o /tmp/cps-probe -q --no-sync \
        -j 1 >/dev/null; } 2>&1 | tail -1)
    rm -rf /tmp/cps-probe
    echo "== machine ($1): 400 MB O_DIRECT in $dd_s s; demo at -j 1 in $probe s"
}
machine before
echo "== run demo"
"$TS" 5 /tmp/cps-run -- "$B" run demo/scenario.yaml -o /tmp/cps-run -q --no-sync -j {j}
echo "== focal-sum r = 300 m"
"$TS" 7 /tmp/cps-fs.tif -- "$B" focal-sum r.tif /tmp/cps-fs.tif --radius-m 300 -j {j} -q --no-sync
echo "== zonal"
"$TS" 7 /tmp/cps-z.csv -- "$B" zonal r.tif p.gpkg /tmp/cps-z.csv --stats sum,mean -j {j} -q --no-sync
echo "== proximity"
"$TS" 7 /tmp/cps-px.tif -- "$B" proximity src10k.tif /tmp/cps-px.tif -j {j} -q --no-sync
echo "== density"
"$TS" 7 /tmp/cps-d.tif -- "$B" density rep30k.gpkg /tmp/cps-d.tif --like src10k.tif \
    --bandwidth-m 2000 --weight confidence -j {j} -q --no-sync
rm -rf /tmp/cps-run /tmp/cps-fs.tif /tmp/cps-z.csv /tmp/cps-px.tif /tmp/cps-d.tif
machine after
