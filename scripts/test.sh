#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite through CTest.
#   scripts/test.sh              every test but those labelled `slow`
#   scripts/test.sh --all        every test
#   scripts/test.sh --sanitize   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh --mpi        the MPI build (build-mpi, -DCP_MPI=ON) and its tests (label mpi:
#                                mpirun -np 1, 2 and 3)
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
all=0 sanitize=0 mpi=0
for a in "$@"; do
  case "$a" in
    --all) all=1 ;;
    --sanitize) sanitize=1 ;;
    --mpi) mpi=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "scripts/test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
scripts/deps.sh
if ((mpi)); then
  # only what the MPI tests run (the command line and their executables): the rest of the
  # suite is the plain build's, and the MPI build changes nothing for one process
  dir=build-mpi
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCP_MPI=ON -DCP_BUILD_TESTS=ON >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target cp_mpi_tests
  ctest --test-dir "$dir" --output-on-failure -L mpi
  exit 0
fi
if ((sanitize)); then
  dir=build-asan
  CP_BUILD_TYPE=Debug scripts/build.sh "$dir" -DCP_SANITIZE=ON -DCP_WERROR=ON -DCP_BUILD_TESTS=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # GDAL's own drivers keep caches alive until exit; LeakSanitizer reports only ours.
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
else
  dir=build
  CP_BUILD_TYPE=RelWithDebInfo scripts/build.sh "$dir" -DCP_WERROR=OFF -DCP_BUILD_TESTS=ON
fi
args=(--test-dir "$dir" --output-on-failure -j "$(nproc)")
if ((!all)); then args+=(-LE slow); fi
ctest "${args[@]}"
