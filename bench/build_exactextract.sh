#!/usr/bin/env bash
# Builds exactextract's command line (the zonal-statistics peer of bench/peers_zonal.py) from a
# source tree of isciences/exactextract. Benchmarks only: clearplan never depends on it.
#
#   bench/build_exactextract.sh SRC_DIR [BUILD_DIR]     -> BUILD_DIR/exactextract
#
# It wants Debian's libcli11-dev (installed here); exactextract includes <CLI11/CLI11.hpp>, which
# Debian ships as <CLI/CLI.hpp>, so a one-line header bridges the two.
set -euo pipefail
src=${1:?usage: bench/build_exactextract.sh SRC_DIR [BUILD_DIR]}
build=${2:-$src/build}
if ! dpkg-query -W -f='${Status}' libcli11-dev 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends libcli11-dev g++ >/dev/null
fi
mkdir -p "$build/CLI11"
echo '#include <CLI/CLI.hpp>' > "$build/CLI11/CLI11.hpp"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_PYTHON=OFF -DBUILD_TEST=OFF \
      -DBUILD_DOC=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target exactextract_bin
ls -l "$build/exactextract"
