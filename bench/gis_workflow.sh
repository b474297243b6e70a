#!/usr/bin/env bash
# The demo scenario done the way a GIS user would without clearplan — gdalwarp +
# gdal_proximity.py + gdal_calc.py + a zonal-statistics step (gdal_rasterize + NumPy) — timed
# side by side with `clearplan run` on the same files.
#
#   bench/gis_workflow.sh [CLEARPLAN_BIN] [WORK_DIR]
#
# The GIS chain does less than clearplan: it has no disk focal sum and no kernel density
# (GDAL has no tool for either), it uses centre-in-cell rasterisation instead of exact
# coverage, and it does no costing, planning, COG writing or report. The ratio therefore
# understates clearplan's advantage.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build-release/engine/clearplan}
work=${2:-/tmp/clearplan-gis}
py=/usr/bin/python3
threads=$(nproc)
mkdir -p "$work"
if [[ ! -f "$work/scenario/scenario.yaml" ]]; then
  "$bin" synth --preset demo --seed 1 -o "$work/scenario" -q --overwrite
fi
sc="$work/scenario"

now() { date +%s.%N; }
t0=$(now)
"$bin" run "$sc/scenario.yaml" -o "$work/cp_out" --overwrite -q -j "$threads" > /dev/null
t1=$(now)
cp_s=$(echo "$t1 - $t0" | bc)

# The grid clearplan chose (same extent and cells for the GIS chain).
read -r x0 y0 nx ny cs crs < <($py - "$work/cp_out/run.json" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))["grid"]
print(g["x0"], g["y0"], g["nx"], g["ny"], g["cell_size_m"], g["crs"])
EOF
)
x1=$(echo "$x0 + $nx * $cs" | bc)
y1=$(echo "$y0 - $ny * $cs" | bc)
g="$work/gis"
rm -rf "$g"
mkdir -p "$g"
warp=(gdalwarp -q -overwrite -t_srs "$crs" -te "$x0" "$y1" "$x1" "$y0" -tr "$cs" "$cs"
      -ot Float32 -dstnodata -9999 -co TILED=YES -wo NUM_THREADS=ALL_CPUS)
t0=$(now)
"${warp[@]}" -r sum "$sc/population.tif" "$g/pop.tif"
"${warp[@]}" -r mode "$sc/landcover.tif" "$g/lc.tif"
"${warp[@]}" -r average "$sc/treecover.tif" "$g/tc.tif"
# settlements: distance to cells with >= 5 people, capped at 10 km
$py /usr/bin/gdal_calc.py --quiet --overwrite -A "$g/pop.tif" --outfile="$g/src.tif" \
  --calc="A>=5" --type=Byte --NoDataValue=0
$py /usr/bin/gdal_proximity.py -q "$g/src.tif" "$g/dist.tif" -values 1 -distunits GEO \
  -maxdist 10000 -ot Float32 -nodata -1
# criteria and the weighted overlay (land use table, open land, settlements decay)
$py /usr/bin/gdal_calc.py --quiet --overwrite -A "$g/dist.tif" -B "$g/lc.tif" -C "$g/tc.tif" \
  --outfile="$g/priority.tif" --type=Float32 --NoDataValue=-9999 \
  --calc="(0.10*where(A<0,0,exp(-A/2000.0)) + 0.25*(1.0*(B==40)+1.0*(B==50)+0.6*(B==30)+0.4*(B==20)+0.3*(B==10)+0.2*(B==60)+0.2*(B==90)) + 0.05*(1-clip(C,0,100)/100.0))/0.40"
# zonal: rasterise hazards (centre in cell) and take the mean priority and the area
gdal_rasterize -q -a_nodata 0 -init 0 -a fid_plus1 -te "$x0" "$y1" "$x1" "$y0" -tr "$cs" "$cs" \
  -ot Int32 -dialect SQLite -sql "SELECT geom, fid + 1 AS fid_plus1 FROM hazards" \
  "$sc/hazards.gpkg" "$g/zones.tif"
$py - "$g/zones.tif" "$g/priority.tif" "$g/zonal.csv" <<'EOF'
import sys
import numpy as np
from osgeo import gdal
z = gdal.Open(sys.argv[1]).ReadAsArray().ravel()
p = gdal.Open(sys.argv[2]).ReadAsArray().ravel().astype(np.float64)
ok = (z > 0) & (p != -9999)
n = np.bincount(z[ok], minlength=z.max() + 1)
s = np.bincount(z[ok], weights=p[ok], minlength=z.max() + 1)
with open(sys.argv[3], "w") as f:
    f.write("fid,cells,priority_mean\n")
    for i in np.nonzero(n)[0]:
        f.write(f"{i - 1},{n[i]},{s[i] / n[i]:.6f}\n")
EOF
t1=$(now)
gis_s=$(echo "$t1 - $t0" | bc)
load=$(cut -d' ' -f1-3 /proc/loadavg)
printf '| step | seconds |\n|---|---|\n'
printf '| clearplan run (all criteria, exact coverage, plan, COGs, report), %d threads | %.2f |\n' "$threads" "$cp_s"
printf '| GIS chain (gdalwarp x3, gdal_calc, gdal_proximity, gdal_calc, gdal_rasterize + NumPy) | %.2f |\n' "$gis_s"
printf '| ratio GIS / clearplan | %.1fx |\n' "$(echo "$gis_s / $cp_s" | bc -l)"
printf '\nload average at the end: %s; grid %s x %s cells\n' "$load" "$nx" "$ny"
