#!/usr/bin/env bash
# The cost of durable outputs (docs/outputs.md): every file is flushed to disk before the
# output is published, unless --no-sync. Times the same command both ways, alternating, and
# prints the medians and the difference.
#
#   bench/bench_sync.sh [BUILD_DIR [DATA_DIR]]    (BUILD_DIR: a Release build, default build-release)
#
# Cases: `clearplan run` on the demo scenario (COGs, GeoPackage, CSVs, report: ~70 MB of
# outputs) and `clearplan proximity` on a 10,000 x 10,000 grid (one 400 MB GeoTIFF, the
# src10k.tif of bench/peers_raster.sh, generated here if missing). REPS (default 5) runs each.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-release}
DATA=${2:-/tmp/clearplan-sync}
CP=$BUILD/engine/clearplan
REPS=${REPS:-5}
[ -x "$CP" ] || { echo "no clearplan binary at $CP (build Release first)" >&2; exit 1; }
mkdir -p "$DATA"
[ -f "$DATA/demo/scenario.yaml" ] || "$CP" synth --preset demo -o "$DATA/demo" -q
if [ ! -f "$DATA/src10k.tif" ]; then
  /usr/bin/python3 - "$DATA/src10k.tif" <<'EOF'
import sys, numpy as np
from osgeo import gdal, osr
srs = osr.SpatialReference(); srs.ImportFromEPSG(32618)
src = (np.random.default_rng(20260101).random((10000, 10000), dtype=np.float32) < 0.0005)
ds = gdal.GetDriverByName('GTiff').Create(sys.argv[1], 10000, 10000, 1, gdal.GDT_Byte,
                                          ['TILED=YES', 'COMPRESS=DEFLATE'])
ds.SetGeoTransform((500000, 30, 0, 4500000, 0, -30)); ds.SetProjection(srs.ExportToWkt())
ds.GetRasterBand(1).WriteArray(src.astype(np.uint8)); ds = None
EOF
fi

# times CMD... into the file $1, REPS times
declare -A times
run_case() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null
  t1=$(date +%s.%N)
  times[$name]+="$(echo "$t1 - $t0" | bc -l) "
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, reps $REPS"
for ((i = 0; i < REPS; ++i)); do
  run_case run_sync "$CP" run "$DATA/demo/scenario.yaml" -o "$DATA/out" -q --overwrite
  run_case run_nosync "$CP" run "$DATA/demo/scenario.yaml" -o "$DATA/out" -q --overwrite --no-sync
  run_case prox_sync "$CP" proximity "$DATA/src10k.tif" "$DATA/prox.tif" -distunits GEO -q --overwrite
  run_case prox_nosync "$CP" proximity "$DATA/src10k.tif" "$DATA/prox.tif" -distunits GEO -q --overwrite --no-sync
done
printf '%-28s %10s %10s %10s\n' case synced no-sync cost
for c in run prox; do
  s=$(echo "${times[${c}_sync]}" | median)
  n=$(echo "${times[${c}_nosync]}" | median)
  printf '%-28s %9.2fs %9.2fs %9.2fs (%+.0f%%)\n' "$c" "$s" "$n" "$(echo "$s - $n" | bc -l)" \
    "$(echo "100 * ($s - $n) / $n" | bc -l)"
done
echo "outputs: run $(du -sm "$DATA/out" | cut -f1) MB, proximity $(du -m "$DATA/prox.tif" | cut -f1) MB"
