#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and fuzzes each for a while.
#   scripts/fuzz.sh [SECONDS] [TARGET...]    default 60 s each; targets: scenario coverage cli
# New interesting inputs go to build-fuzz/corpus/<target> (the committed seed corpus in
# tests/fuzz/corpus/<target> is read, never written). A crash stops the script with non-zero
# status and leaves the input in build-fuzz/crashes/<target>/: minimise it, copy it to
# tests/fuzz/regressions/<target>/, fix the bug; the fuzz_replay_<target> CTest test then
# replays it in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(scenario coverage cli)
dir=${CP_FUZZ_BUILD:-build-fuzz}
CC=clang CP_BUILD_TYPE=RelWithDebInfo scripts/build.sh "$dir" -DCP_FUZZ=ON -DCP_SANITIZE=ON \
  -DCP_BUILD_TESTS=ON -DCP_WERROR=OFF
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export OMP_WAIT_POLICY=passive
for t in "${targets[@]}"; do
  rm -rf "$dir/crashes/$t" # artifacts of an earlier run are not this run's findings
  mkdir -p "$dir/corpus/$t" "$dir/crashes/$t" "$dir/tmp" "tests/fuzz/regressions/$t"
  echo "== fuzz_$t: ${secs}s" >&2
  # -close_fd_mask=3: the commands' own stdout/stderr would drown libFuzzer's report
  TMPDIR=$root/$dir/tmp "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=30 \
    -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 -close_fd_mask=3 \
    -artifact_prefix="$root/$dir/crashes/$t/" \
    "$root/$dir/corpus/$t" "$root/tests/fuzz/corpus/$t" "$root/tests/fuzz/regressions/$t" \
    2>&1 | tee "$dir/fuzz_$t.log" | grep -E "^(#[0-9]+ +(INITED|DONE)|==|stat::|SUMMARY|Done)" >&2 || true
  # slow-unit-* are reports, not failures; crash-, leak-, timeout- and oom- are (any one of
  # them: `ls` of the four patterns fails as soon as one matches nothing)
  if [[ -n $(find "$dir/crashes/$t" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
      -o -name 'oom-*' \) -print -quit) ]]; then
    echo "fuzz_$t: crash(es) in $dir/crashes/$t (log: $dir/fuzz_$t.log)" >&2
    exit 1
  fi
done
