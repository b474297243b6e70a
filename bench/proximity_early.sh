#!/bin/bash
# proximity without --max-dist on sparse and dense sources, for one or more builds: wall time
# at -j 1 and -j 2 (bench/thread_scaling.sh, medians of N pairs), the peak memory (GNU time)
# at --memory 1G and 64M, and whether each run succeeds. Records RESULTS.md's "Early rows".
# usage: bench/proximity_early.sh N DATA CLEARPLAN...
#   DATA  bench/thread_scaling_batch.sh's folder (src10k.tif: 10,000 x 10,000 Byte, 0.05 %
#         sources); dense10k.tif (the same size, 30 % sources, DEFLATE tiles) is made there
#         when missing
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TS=$ROOT/bench/thread_scaling.sh
n=$1 D=$2
shift 2
cd "$D"
[ -f dense10k.tif ] || /usr/bin/python3 - <<'PY'
import numpy as np
from osgeo import gdal, osr
rng = np.random.default_rng(5)
a = (rng.random((10000, 10000), dtype=np.float32) < 0.3).astype(np.uint8)
d = gdal.GetDriverByName('GTiff').Create('dense10k.tif', 10000, 10000, 1, gdal.GDT_Byte,
                                         ['COMPRESS=DEFLATE', 'TILED=YES'])
d.SetGeoTransform((500000, 30, 0, 4000000, 0, -30))
s = osr.SpatialReference()
s.ImportFromEPSG(32618)
d.SetProjection(s.ExportToWkt())
d.GetRasterBand(1).WriteArray(a)
PY
for B in "$@"; do
    B=$(realpath "$B")
    for f in src10k dense10k; do
        echo "== $B: proximity $f.tif"
        "$TS" "$n" /tmp/cpe.tif -- "$B" proximity $f.tif /tmp/cpe.tif -j {j} -q --no-sync || true
        for m in 1G 64M; do
            rm -f /tmp/cpe.tif
            if /usr/bin/time -f "%e s, peak %M KB" -o /tmp/cpe.time "$B" proximity $f.tif \
                /tmp/cpe.tif -q --no-sync --memory $m 2>/tmp/cpe.err; then
                echo "--memory $m: $(cat /tmp/cpe.time)"
            else
                echo "--memory $m: failed: $(tail -1 /tmp/cpe.err)"
            fi
        done
    done
done
rm -f /tmp/cpe.tif /tmp/cpe.time /tmp/cpe.err
