#!/usr/bin/env bash
# Configures and builds vitrum into build/ (CUDA included when nvcc is found).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
