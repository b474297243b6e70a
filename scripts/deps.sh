#!/usr/bin/env bash
# Installs what clearplan needs to build and test, and only what is missing.
#   scripts/deps.sh           build + test dependencies
#   scripts/deps.sh --bench   also the peers of the benchmarks (GRASS, SciPy, hyperfine)
# Debian/Ubuntu: apt-get (as root, or through sudo). Elsewhere: prints what to install.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libgdal-dev gdal-bin python3-gdal python3-numpy
      libproj-dev libgeos-dev libcmocka-dev libyaml-dev libssl-dev libdeflate-dev clang clang-format
      libclang-rt-14-dev valgrind chromium fonts-liberation)
# tests/describe: QGIS 3.22's Python API, headless (Qt's offscreen platform is in libqt5gui5;
# its labels need a font, DejaVu), and jsonschema for the STAC Item
pkgs+=(python3-qgis qgis-providers fonts-dejavu-core python3-jsonschema)
# the MPI build (-DCP_MPI=ON, `mpirun -np N clearplan run`): Open MPI, as CI builds and tests it
pkgs+=(libopenmpi-dev openmpi-bin)
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(grass-core python3-scipy hyperfine bc)
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "clearplan: not a Debian/Ubuntu system; install the equivalents of:" >&2
  printf '  %s\n' "${pkgs[@]}" >&2
  echo "(GDAL >= 3.6, PROJ >= 9, GEOS >= 3.10, libyaml, cmocka, CMake >= 3.25, a C11 compiler with OpenMP)" >&2
  exit 0
fi

# one dpkg-query for all (a call per package made this check cost more than the rest)
declare -A installed=()
while read -r p status; do
  if [[ $status == "install ok installed" ]]; then installed[$p]=1; fi
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
missing=()
for p in "${pkgs[@]}"; do
  [[ -n ${installed[$p]:-} ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "clearplan: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
