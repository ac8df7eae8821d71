#!/usr/bin/env bash
# Installs what is missing, builds (CUDA backend included when nvcc is found) and runs the suite.
# GPU tests skip, saying so, when no device is present (VITRUM_REQUIRE_GPU=1 makes them fail).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
cd build && ctest --output-on-failure -j "$(nproc)" "$@"
