#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
#   scripts/sanitize.sh [CTEST ARGS...]      e.g. scripts/sanitize.sh -R 'Teacher|OutputSafety'
# Builds build-asan/ (-DVITRUM_SANITIZE=ON, CPU backend, no benchmarks) and runs ctest there.
# Any sanitizer report fails the test it happens in. Leak detection is off for the suite (Open MPI
# and HDF5 keep allocations until exit; the fuzz targets check leaks of the parsers). The whole
# suite takes well over an hour on 2 cores, so CI runs it only when asked (VITRUM_CI_SANITIZE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
BUILD_DIR=build-asan scripts/build.sh -DVITRUM_SANITIZE=ON -DVITRUM_ENABLE_CUDA=OFF \
  -DVITRUM_BUILD_BENCHMARKS=OFF -DVITRUM_NATIVE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "${launcher[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
cd build-asan && ctest --output-on-failure --timeout 3000 -j "$(nproc)" "$@"
