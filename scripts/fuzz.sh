#!/usr/bin/env bash
# Fuzzes every parser with libFuzzer + ASan + UBSan (fuzz/README.md).
#   scripts/fuzz.sh MINUTES [TARGET...]    MINUTES per target (fractions allowed: 0.5 = 30 s)
# Builds build-fuzz/ with clang (-DVITRUM_FUZZ=ON), seeds build-fuzz/seeds/<target>/ from the
# shipped and ../shared files and from files the regular build's vitrum writes (VITRUM_BIN,
# default build/vitrum; scripts/fuzz_corpus.sh), first replays the regression inputs of
# fuzz/regressions/<target>/ (every crash found so far), then fuzzes each target in turn and
# prints its executions and coverage. Findings go to build-fuzz/findings/<target>/; the exit
# status is 1 when a regression input fails again, and when any target found a crash, a leak, a
# timeout or an out-of-memory input (unless FUZZ_FINDINGS_FATAL=0: then a new finding is printed
# with its saved input and the status stays 0, as the brief CI run does).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/fuzz.sh MINUTES [TARGET...]}
shift
seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60 + 0.5); print (s < 1 ? 1 : s) }')
build=${FUZZ_BUILD_DIR:-build-fuzz}
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
# -O1 with line tables: what libFuzzer recommends, and half the compile time of -O2 -g.
CC=clang CXX=clang++ cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DCMAKE_C_FLAGS="-O1 -gline-tables-only" \
  -DVITRUM_FUZZ=ON -DVITRUM_ENABLE_CUDA=OFF -DVITRUM_BUILD_TESTS=OFF \
  -DVITRUM_BUILD_BENCHMARKS=OFF -DVITRUM_NATIVE=OFF "${launcher[@]}" >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/targets/*_fuzz.cpp; do targets+=("$(basename "$f" _fuzz.cpp)"); done
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzz}" >/dev/null
# HDF5 seeds come from the regular build's vitrum (scripts/build.sh), when there is one.
scripts/fuzz_corpus.sh "${VITRUM_BIN:-build/vitrum}" "$build/seeds" >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}
export OMP_NUM_THREADS=1
# The readers' memory checks (core check_memory) refuse inputs asking for more than this, below
# libFuzzer's RSS limit, so an input that asks for too much is an error, not an out-of-memory.
export VITRUM_MEMORY_LIMIT_BYTES=${VITRUM_MEMORY_LIMIT_BYTES:-1073741824}
status=0
printf '%-16s %8s %10s %10s %8s %8s  %s\n' target seconds executions exec/s cov ft result
for t in "${targets[@]}"; do
  bin="$build/fuzz/${t}_fuzz"
  corpus="$build/corpus/$t"
  findings="$build/findings/$t"
  mkdir -p "$corpus" "$findings"
  regress=()
  [ -d "fuzz/regressions/$t" ] && regress=("fuzz/regressions/$t"/*)
  if [ ${#regress[@]} -gt 0 ] && ! "$bin" "${regress[@]}" >"$build/$t.regressions.log" 2>&1; then
    echo "$t: a regression input fails again (see $build/$t.regressions.log)"
    status=1
  fi
  seeds=()
  [ -d "$build/seeds/$t" ] && seeds=("$build/seeds/$t")
  log="$build/$t.log"
  result=ok
  if ! "$bin" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -max_len=65536 -timeout=20 \
      -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1; then
    result="FINDING: $(ls -t "$findings" | head -n 1 || true) (log $log)"
    # A crash inside HDF5 itself (its top frames in libhdf5, e.g. freeing a corrupt link table
    # while iterating a damaged group) is the library's: reported, kept in fuzz/known/, and not a
    # failure unless FUZZ_STRICT=1.
    if [ "${FUZZ_STRICT:-0}" != 1 ] &&
      grep -m 1 -A 8 'ERROR: AddressSanitizer' "$log" | grep -q 'libhdf5'; then
      result="in libhdf5 (not vitrum's): $result"
    elif [ "${FUZZ_FINDINGS_FATAL:-1}" = 1 ]; then
      status=1
    else
      result="reported, not fatal (FUZZ_FINDINGS_FATAL=0): $result"
    fi
  fi
  execs=$(awk '/stat::number_of_executed_units/ { v = $2 } END { print v }' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ { v = $2 } END { print v }' "$log")
  cov=$(awk '{ for (i = 1; i < NF; ++i) if ($i == "cov:") v = $(i + 1) } END { print v }' "$log")
  ft=$(awk '{ for (i = 1; i < NF; ++i) if ($i == "ft:") v = $(i + 1) } END { print v }' "$log")
  printf '%-16s %8s %10s %10s %8s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "$result"
done
exit $status
