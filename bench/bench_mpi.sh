#!/usr/bin/env bash
# Ranks x threads of `clearplan run` on one machine (issue #16, DESIGN §16): each
# configuration's wall time, its stages from run.json, the bytes rank 0 received and sent, and
# whether plan.csv, montecarlo.csv and the priority map's file are byte-identical to one
# process with one thread.
#
#   bench/bench_mpi.sh [--preset demo|national] [--samples N] [--configs "1x1 1x2 2x1 ..."]
#
# Builds the Release MPI build (build-mpi-release) when it is missing. Prints a
# Markdown table; work files under $CP_BENCH_TMP (default /tmp/clearplan-bench-mpi).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=demo samples="" configs="1x1 1x2 2x1 2x2 3x1"
while (($#)); do
  case "$1" in
    --preset) preset=$2; shift ;;
    --samples) samples=$2; shift ;;
    --configs) configs=$2; shift ;;
    *) echo "usage: $0 [--preset demo|national] [--samples N] [--configs \"RxT ...\"]" >&2; exit 2 ;;
  esac
  shift
done
bin=build-mpi-release/engine/clearplan
if [[ ! -x $bin ]]; then
  cmake -S . -B build-mpi-release -DCMAKE_BUILD_TYPE=Release -DCP_MPI=ON -DCP_BUILD_TESTS=OFF >/dev/null
  cmake --build build-mpi-release -j "$(nproc)" --target clearplan >/dev/null
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
tmp=${CP_BENCH_TMP:-/tmp/clearplan-bench-mpi}
mkdir -p "$tmp"
sc=$tmp/$preset
[[ -f $sc/scenario.yaml ]] || "$bin" synth --preset "$preset" -o "$sc" -q
extra=(--no-sync -q)
[[ -n $samples ]] && extra+=(--samples "$samples")

field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

echo "clearplan $($bin version 2>/dev/null | head -1), $(nproc) cores, preset $preset${samples:+, $samples samples}"
echo
echo "| ranks x threads | wall s | rasters s | maps s | plan s | to rank 0 | from rank 0 | peak RSS rank 0 MB | identical |"
echo "|---|---|---|---|---|---|---|---|---|"
ref=""
for c in $configs; do
  np=${c%x*} j=${c#*x}
  out=$tmp/out-$preset-$c
  rm -rf "$out"
  launcher=()
  ((np > 1)) && launcher=(mpirun --oversubscribe -np "$np")
  t0=$(date +%s.%N)
  "${launcher[@]}" "$bin" run "$sc/scenario.yaml" -o "$out" -j "$j" "${extra[@]}" >/dev/null
  t1=$(date +%s.%N)
  wall=$(/usr/bin/python3 -c "print(f'{$t1 - $t0:.2f}')")
  same=reference
  if [[ -z $ref ]]; then
    ref=$out
  else
    same=yes
    for f in plan.csv montecarlo.csv; do
      [[ -f $ref/$f ]] && ! cmp -s "$ref/$f" "$out/$f" && same="no ($f)"
    done
    /usr/bin/python3 - "$ref/priority.tif" "$out/priority.tif" <<'EOF' || same="no (priority.tif cells)"
import sys
from osgeo import gdal
a, b = (gdal.Open(p).ReadAsArray() for p in sys.argv[1:3])
sys.exit(0 if a.tobytes() == b.tobytes() else 1)
EOF
  fi
  j=$out/run.json
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$c" "$wall" \
    "$(field "$j" "d['timings_s']['rasters']")" "$(field "$j" "d['timings_s']['maps']")" \
    "$(field "$j" "d['timings_s']['plan']")" "$(field "$j" "d['ranks_bytes']['to_rank0']")" \
    "$(field "$j" "d['ranks_bytes']['from_rank0']")" \
    "$(field "$j" "round(d['peak_rss_bytes'] / 2**20)")" "$same"
done
