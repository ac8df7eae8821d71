#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build with CUDA, run the GPU tests with the device required
# (they fail instead of skipping), then the GPU benchmarks. Prints everything a note needs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/cuda/bin:$PATH
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
BUILD_DIR=${BUILD_DIR:-build-gpu} scripts/build.sh -DVITRUM_ENABLE_CUDA=ON \
  -DVITRUM_CUDA_ARCHITECTURES="${VITRUM_CUDA_ARCHITECTURES:-90}"
cd "${BUILD_DIR:-build-gpu}"
export VITRUM_REQUIRE_GPU=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
ctest --output-on-failure -R 'gpu\.' 
for b in ./*_bench; do
  echo "== $b"
  "$b" --benchmark_min_time=0.5 || true
done
