#!/usr/bin/env bash
# Runs clearplan under Valgrind memcheck: every command on the tiny scenario (synth, validate,
# run, plan, the raster tools) and the fuzz replay drivers on their corpus. Fails on any
# memcheck error or definite/indirect leak in clearplan's code; the libraries' own one-time
# allocations are suppressed (tests/faults/valgrind.supp).
#   scripts/valgrind.sh [BUILD_DIR]      default build-valgrind (RelWithDebInfo, no sanitizers);
#                                        CI passes `build`, the folder scripts/test.sh built
# About 2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${1:-build-valgrind}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cp-valgrind-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! CP_BUILD_TYPE=RelWithDebInfo scripts/build.sh "$dir" -DCP_BUILD_TESTS=ON -DCP_SANITIZE=OFF \
    >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  exit 1
fi
bin=$root/$dir/engine/clearplan
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive GDAL_NUM_THREADS=1
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-origins=no
    --suppressions="$root/tests/faults/valgrind.supp" --num-callers=30)
fails=0
check() { # check EXPECTED_EXIT NAME COMMAND...
  local want=$1 name=$2 rc=0
  shift 2
  echo "== valgrind: $name" >&2
  "${vg[@]}" --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  if [[ $rc -eq 99 || -s $tmp/$name.vg ]]; then
    echo "valgrind: $name: memcheck reports:" >&2
    cat "$tmp/$name.vg" >&2
    fails=$((fails + 1))
  elif [[ $rc -ne $want ]]; then
    echo "valgrind: $name: exit $rc, expected $want" >&2
    cat "$tmp/$name.err" >&2
    fails=$((fails + 1))
  fi
}
"$bin" synth --preset tiny -o "$tmp/tiny" -q
check 0 synth "$bin" synth --preset tiny -o "$tmp/tiny2" -q
check 0 validate "$bin" validate "$tmp/tiny/scenario.yaml"
check 0 run "$bin" run "$tmp/tiny/scenario.yaml" -o "$tmp/out" -q
check 0 plan "$bin" plan "$tmp/out/plan.gpkg" -o "$tmp/plan" --teams 3,5 --start 2026-01-01 --deadline 2030-01-01 -q
check 0 plan-evidence "$bin" plan "$tmp/out/plan.csv" --scenario "$tmp/tiny/scenario.yaml" -o "$tmp/plan-ev" --samples 20 --region Norte -q
check 0 calibrate "$bin" calibrate "$tmp/tiny/records.gpkg" --scenario "$tmp/tiny/scenario.yaml" -o "$tmp/cal" -q
check 0 proximity "$bin" proximity "$tmp/out/priority_class.tif" "$tmp/prox.tif" --values 5 -q
check 0 zonal "$bin" zonal "$tmp/out/priority.tif" "$tmp/tiny/hazards.gpkg" "$tmp/zonal.csv" -q
check 1 run-missing "$bin" run "$tmp/nowhere.yaml"
check 2 run-usage "$bin" run --bogus
for t in scenario coverage cli intake; do
  check 0 "replay-$t" "$root/$dir/tests/fuzz/replay_$t" "$root/tests/fuzz/corpus/$t" "$root/tests/fuzz/regressions/$t"
done
if ((fails)); then
  echo "valgrind: $fails check(s) failed" >&2
  exit 1
fi
echo "valgrind: no reports" >&2
