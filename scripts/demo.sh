#!/usr/bin/env bash
# Installs what is missing, builds Release, generates the built-in demo scenario and runs
# `clearplan run` on it. Outputs go to demo/out (override with CP_DEMO_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
CP_BUILD_TYPE=Release scripts/build.sh build-release -DCP_BUILD_TESTS=OFF
bin=build-release/engine/clearplan
demo=${CP_DEMO_DIR:-demo}
if [[ ! -f "$demo/scenario/scenario.yaml" ]]; then
  "$bin" synth --preset demo --seed 1 -o "$demo/scenario" --overwrite
fi
"$bin" run "$demo/scenario/scenario.yaml" -o "$demo/out" --overwrite
echo
echo "Open in QGIS: $demo/out/plan.qgs (or drag in priority.tif, plan.gpkg: they carry their styles)"
echo "Report:       $demo/out/report.html"
