#!/usr/bin/env bash
# Installs what clearplan needs to build and test, and only what is missing.
#   scripts/deps.sh           build + test dependencies
#   scripts/deps.sh --bench   also the peers of the benchmarks (GRASS, SciPy, hyperfine)
# Debian/Ubuntu: apt-get (as root, or through sudo). Elsewhere: prints what to install.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libgdal-dev gdal-bin python3-gdal python3-numpy
      libproj-dev libgeos-dev libcmocka-dev libyaml-dev clang clang-format
      libclang-rt-14-dev valgrind chromium fonts-liberation)
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(grass-core python3-scipy hyperfine bc)
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "clearplan: not a Debian/Ubuntu system; install the equivalents of:" >&2
  printf '  %s\n' "${pkgs[@]}" >&2
  echo "(GDAL >= 3.6, PROJ >= 9, GEOS >= 3.10, libyaml, cmocka, CMake >= 3.25, a C11 compiler with OpenMP)" >&2
  exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
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
