#!/usr/bin/env bash
# Raster tools against their peers, on the same files, in one run.
#
#   bench/peers_raster.sh [BUILD_DIR [DATA_DIR]]     (BUILD_DIR: a Release build, default build-a-rel)
#
# Generates (once) in DATA_DIR:
#   src10k.tif   10,000 x 10,000 Byte, 30 m UTM 18N, 0.05 % sources (value 1)   -> proximity
#   pop2k.tif    2,000 x 2,000 Float32 "population" (GRASS finishes this one)   -> focal-sum
#   grid4k.tif   4,000 x 4,000 template grid (120 km)                            -> density
#   reports.gpkg 8,000 weighted points over the 4k grid                          -> density
# then times each clearplan command (-j 1 and -j 2) and its peers and prints a table of times
# and ratios, plus cells/s against a memcpy bandwidth floor. Peers:
#   proximity  gdal_proximity.py (-distunits GEO), GRASS r.grow.distance, SciPy distance_transform_edt
#   focal-sum  GRASS r.neighbors -c method=sum, SciPy fftconvolve with a disk
#   density    GRASS v.kernel kernel=quartic
# clearplan and gdal_proximity.py are timed as whole commands, file to file, writing the same
# format (GDAL's default, an uncompressed GeoTIFF, is clearplan's default too). GRASS is timed
# twice: the module alone (data already in its database: the strictest comparison for
# clearplan) and the whole workflow on the same files (r.in.gdal / v.in.ogr, module, r.out.gdal
# to a GeoTIFF). SciPy: the function only. Each timing keeps the median of its repetitions
# (and the minimum, and the load average before it). Environment: REPS (clearplan
# repetitions, default 3), PEER_REPS (default 3), SKIP_SLOW=1 skips SciPy EDT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-a-rel}
DATA=${2:-/tmp/clearplan-peers}
CP=$BUILD/engine/clearplan
PY=/usr/bin/python3
REPS=${REPS:-3}
PEER_REPS=${PEER_REPS:-3}
RADIUS=300   # focal-sum radius, metres (10 cells: GRASS size=21 -c)
BW=2000      # density bandwidth, metres
mkdir -p "$DATA"
RES=$DATA/results.txt
: > "$RES"
[ -x "$CP" ] || { echo "no clearplan binary at $CP (build Release first)" >&2; exit 1; }

# --- data -------------------------------------------------------------------------------
if [ ! -f "$DATA/src10k.tif" ] || [ ! -f "$DATA/pop2k.tif" ] || [ ! -f "$DATA/grid4k.tif" ]; then
  echo "generating data in $DATA ..." >&2
  "$PY" - "$ROOT/bench" "$DATA" <<'EOF'
import sys, numpy as np
from osgeo import gdal
sys.path.insert(0, sys.argv[1])
from bench_data import utm18n, write_raster, write_reports
d = sys.argv[2]
srs = utm18n()
rng = np.random.default_rng(20260101)
src = (rng.random((10000, 10000), dtype=np.float32) < 0.0005).astype(np.uint8)
write_raster(f'{d}/src10k.tif', src, gdal.GDT_Byte, srs)
pop = (rng.gamma(0.3, 20.0, (2000, 2000))).astype(np.float32)
write_raster(f'{d}/pop2k.tif', pop, gdal.GDT_Float32, srs)
write_raster(f'{d}/grid4k.tif', np.zeros((4000, 4000), np.uint8), gdal.GDT_Byte, srs)
write_reports(f'{d}/reports.gpkg', srs, rng, 8000, 120000)
EOF
fi

# --- timing helpers ---------------------------------------------------------------------
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
# t NAME REPS CMD... : runs CMD REPS times; records the median wall time as NAME, the fastest
# as NAME_min and the 1-minute load average before the first run as NAME_load.
t() {
  local name=$1 reps=$2; shift 2
  local ts=() s e l sorted med
  l=$(load)
  for ((r = 0; r < reps; r++)); do
    s=$(now); "$@" >/dev/null 2>&1; e=$(now)
    ts+=("$(echo "$e - $s" | bc -l)")
  done
  sorted=$(printf '%s\n' "${ts[@]}" | sort -g)
  med=$(echo "$sorted" | sed -n "$(( (reps + 1) / 2 ))p")
  printf '%s %.3f\n%s_min %.3f\n%s_load %s\n' "$name" "$med" "$name" "$(echo "$sorted" | head -1)" \
    "$name" "$l" | tee -a "$RES" >&2
}

# --- memory bandwidth floor -------------------------------------------------------------
"$BUILD/bench/bench_density" 10000 0 3 2>/dev/null | grep memcpy |
  "$PY" -c 'import sys,json; r=json.loads(sys.stdin.readline()); print("memcpy_10k_cells_per_s", r["cells_per_s"])' >> "$RES"

# --- clearplan --------------------------------------------------------------------------
O=$DATA/out; mkdir -p "$O"
for j in 1 2; do
  t "cp_proximity_j$j" "$REPS" "$CP" proximity "$DATA/src10k.tif" "$O/cp_prox.tif" -distunits GEO -q --overwrite -j $j
  t "cp_proximity_deflate_j$j" "$REPS" "$CP" proximity "$DATA/src10k.tif" "$O/cp_prox_z.tif" -distunits GEO -co TILED=YES -co COMPRESS=DEFLATE -q --overwrite -j $j
  t "cp_focal_sum_j$j" "$REPS" "$CP" focal-sum "$DATA/pop2k.tif" "$O/cp_fs.tif" --radius-m $RADIUS -q --overwrite -j $j
  t "cp_density_j$j" "$REPS" "$CP" density "$DATA/reports.gpkg" "$O/cp_dens.tif" --like "$DATA/grid4k.tif" --bandwidth-m $BW --weight confidence -q --overwrite -j $j
done
t "cp_proximity_max3000_j2" "$REPS" "$CP" proximity "$DATA/src10k.tif" "$O/cp_prox_m.tif" -distunits GEO -maxdist 3000 -q --overwrite -j 2 --memory 256

# --- GDAL -------------------------------------------------------------------------------
t gdal_proximity "$PEER_REPS" gdal_proximity.py "$DATA/src10k.tif" "$O/gdal_prox.tif" -distunits GEO -q

# --- SciPy (function time only) and exactness --------------------------------------------
"$PY" - "$DATA" "$RADIUS" "${SKIP_SLOW:-0}" >> "$RES" <<'PYEOF'
import sys, time, numpy as np
from osgeo import gdal
from scipy import ndimage, signal
d, radius, skip = sys.argv[1], float(sys.argv[2]), sys.argv[3] == '1'
pop = gdal.Open(f'{d}/pop2k.tif').ReadAsArray().astype(np.float64)
r = int(radius // 30)
yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
disk = ((xx * 30.0) ** 2 + (yy * 30.0) ** 2 <= radius * radius).astype(np.float64)
t0 = time.perf_counter(); signal.fftconvolve(pop, disk, mode='same'); t1 = time.perf_counter()
print(f'scipy_fftconvolve_disk {t1 - t0:.3f}')
if not skip:
    src = gdal.Open(f'{d}/src10k.tif').ReadAsArray()
    t0 = time.perf_counter(); ref = ndimage.distance_transform_edt(src == 0, sampling=(30.0, 30.0))
    t1 = time.perf_counter()
    print(f'scipy_distance_transform_edt {t1 - t0:.3f}')
    # exactness on the benchmark grid: largest difference from SciPy's exact EDT, in metres
    cp = gdal.Open(f'{d}/out/cp_prox.tif').ReadAsArray().astype(np.float64)
    gp = gdal.Open(f'{d}/out/gdal_prox.tif').ReadAsArray().astype(np.float64)
    print(f'maxdiff_cp_vs_scipy_m {np.abs(cp - ref).max():.6g}')
    print(f'maxdiff_gdal_vs_scipy_m {np.abs(gp - ref).max():.6g}')
PYEOF
tail -4 "$RES" >&2

# --- GRASS: module alone, and the whole workflow on the same files ----------------------------
if command -v grass >/dev/null; then
  cat > "$DATA/grass_job.sh" <<JOBEOF
set -e
now() { date +%s.%N; }
# tm NAME CMD...: $PEER_REPS runs, prints "NAME <median seconds>"
tm() {
  local name=\$1; shift; local ts=""
  for ((r = 0; r < $PEER_REPS; r++)); do
    s=\$(now); "\$@" >/dev/null 2>&1; e=\$(now); ts="\$ts \$(echo "\$e - \$s" | bc -l)"
  done
  echo "\$name \$(printf '%s\n' \$ts | sort -g | sed -n "\$(( ($PEER_REPS + 1) / 2 ))p")"
}
r.in.gdal -o input="$DATA/src10k.tif" output=src --quiet --overwrite
r.in.gdal -o input="$DATA/pop2k.tif" output=pop --quiet --overwrite
v.in.ogr -o input="$DATA/reports.gpkg" layer=reports output=reports --quiet --overwrite
r.in.gdal -o input="$DATA/grid4k.tif" output=grid4k --quiet --overwrite
g.region raster=src
r.null map=src setnull=0 --quiet
tm grass_r_grow_distance r.grow.distance input=src distance=dist metric=euclidean --quiet --overwrite
tm grass_wf_r_grow_distance sh -c 'r.in.gdal -o input="$DATA/src10k.tif" output=src_w --quiet --overwrite && g.region raster=src_w && r.null map=src_w setnull=0 --quiet && r.grow.distance input=src_w distance=dist_w metric=euclidean --quiet --overwrite && r.out.gdal -c -f input=dist_w output="$O/grass_dist.tif" format=GTiff type=Float32 --quiet --overwrite'
g.region raster=pop
tm grass_r_neighbors_sum r.neighbors -c input=pop output=popsum method=sum size=21 --quiet --overwrite
tm grass_wf_r_neighbors_sum sh -c 'r.in.gdal -o input="$DATA/pop2k.tif" output=pop_w --quiet --overwrite && g.region raster=pop_w && r.neighbors -c input=pop_w output=popsum_w method=sum size=21 --quiet --overwrite && r.out.gdal -c -f input=popsum_w output="$O/grass_fs.tif" format=GTiff type=Float32 --quiet --overwrite'
g.region raster=grid4k
tm grass_v_kernel v.kernel input=reports output=dens radius=$BW kernel=quartic --quiet --overwrite
tm grass_wf_v_kernel sh -c 'v.in.ogr -o input="$DATA/reports.gpkg" layer=reports output=reports_w --quiet --overwrite && r.in.gdal -o input="$DATA/grid4k.tif" output=grid4k_w --quiet --overwrite && g.region raster=grid4k_w && v.kernel input=reports_w output=dens_w radius=$BW kernel=quartic --quiet --overwrite && r.out.gdal -c -f input=dens_w output="$O/grass_dens.tif" format=GTiff type=Float32 --quiet --overwrite'
JOBEOF
  echo "grass_load $(load)" >> "$RES"
  grass --tmp-location EPSG:32618 --exec bash "$DATA/grass_job.sh" 2>/dev/null | grep '^grass_' >> "$RES" || true
fi
echo "end_load $(load)" >> "$RES"

# --- table ------------------------------------------------------------------------------
"$PY" - "$RES" <<'PYEOF'
import sys
r = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    r[k] = float(v)
bw = r.get('memcpy_10k_cells_per_s')
rows = [
    ('proximity 10k x 10k', 'cp_proximity', [('gdal_proximity.py', 'gdal_proximity'),
                                               ('GRASS r.grow.distance (module)', 'grass_r_grow_distance'),
                                               ('GRASS import+r.grow.distance+export', 'grass_wf_r_grow_distance'),
                                               ('SciPy distance_transform_edt', 'scipy_distance_transform_edt')], 1e8),
    ('proximity, TILED DEFLATE out', 'cp_proximity_deflate', [('gdal_proximity.py', 'gdal_proximity')], 1e8),
    ('focal-sum 2k x 2k r=300 m', 'cp_focal_sum', [('GRASS r.neighbors -c sum (module)', 'grass_r_neighbors_sum'),
                                                    ('GRASS import+r.neighbors+export', 'grass_wf_r_neighbors_sum'),
                                                    ('SciPy fftconvolve disk', 'scipy_fftconvolve_disk')], 4e6),
    ('density 4k x 4k h=2 km', 'cp_density', [('GRASS v.kernel quartic (module)', 'grass_v_kernel'),
                                               ('GRASS import+v.kernel+export', 'grass_wf_v_kernel')], 1.6e7),
]
print('medians of the repetitions, seconds; ratio = peer / the faster of clearplan -j1, -j2')
print(f"{'case':30} {'clearplan -j1':>13} {'-j2':>8} {'speed-up':>8}  {'peer':38} {'peer s':>8} {'ratio':>7}")
for name, key, peers, cells in rows:
    a, b = r.get(key + '_j1'), r.get(key + '_j2')
    sp = a / b if a and b else float('nan')
    best = min(x for x in (a, b) if x) if (a or b) else None
    first = True
    for pname, pkey in peers:
        p = r.get(pkey)
        ratio = p / best if p and best else float('nan')
        lead = f"{name:30} {a or float('nan'):13.3f} {b or float('nan'):8.3f} {sp:8.2f}" if first else ' ' * 62
        print(f"{lead}  {pname:38} {p if p else float('nan'):8.3f} {ratio:6.1f}x")
        first = False
    if bw and b:
        print(' ' * 32 + f"cells/s at -j2: {cells / b:.3g} (memcpy floor {bw:.3g} cells/s, {cells / b / bw * 100:.1f} %)")
if 'cp_proximity_max3000_j2' in r:
    print(f"proximity --max-dist 3000 (strips, --memory 256): {r['cp_proximity_max3000_j2']:.3f} s at -j2")
for k in ('maxdiff_cp_vs_scipy_m', 'maxdiff_gdal_vs_scipy_m'):
    if k in r:
        print(f"{k}: {r[k]:.6g}")
print('load averages: ' + ', '.join(f"{k[:-5]} {v:.2f}" for k, v in r.items() if k.endswith('_load')))
PYEOF
