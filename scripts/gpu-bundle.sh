#!/usr/bin/env bash
# Packs a CUDA build of vitrum for a bare GPU machine that has the CUDA driver, cuBLAS and a newer
# glibc but none of vitrum's other dependencies (MPI, HDF5, OpenBLAS, fmt, toml++, gtest): builds
# for Hopper (sm_90) with a portable host ISA (x86-64-v3), then copies the test and benchmark
# executables, the `vitrum` binary, every shared library they need except glibc, the CUDA driver
# and cuBLAS, and the n2p2 reference data the GPU tests read, into one archive:
#
#   scripts/gpu-bundle.sh            # -> .gpu/bundle.tar.xz (ignored by git)
#
# On the GPU machine, from the repository root: scripts/gpu-check.sh --bundle .gpu/bundle.tar.xz
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bundle}
export PATH=/usr/local/cuda/bin:$PATH
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVITRUM_ENABLE_CUDA=ON \
  -DVITRUM_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3 \
  -DVITRUM_CUDA_ARCHITECTURES="${VITRUM_CUDA_ARCHITECTURES:-90}" >/dev/null
benches=$(cd benchmarks && ls *_bench.cpp | sed 's/\.cpp$//')
cmake --build "$BUILD_DIR" -j "$(nproc)" --target vitrum_cli test_gpu $benches
stage=.gpu/stage
rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/lib" "$stage/shared/reference"
exclude=$(git rev-parse --git-common-dir)/info/exclude
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"
bins=("$BUILD_DIR/vitrum" "$BUILD_DIR/test_gpu" "$BUILD_DIR"/*_bench)
cp "${bins[@]}" "$stage/bin/"
ldd "${bins[@]}" | awk '/=> \//{print $3}' | sort -u |
  grep -v -E '/(libc|libm|libdl|libpthread|librt|libresolv|libmvec|libcublas|libcublasLt|libcuda)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
cp -r ../shared/reference/n2p2 "$stage/shared/reference/"
pwd >"$stage/srcdir"  # the executables carry this path (sources, ../shared)
tar -C "$stage" -cf - . | xz -T0 -3 >.gpu/bundle.tar.xz
du -h .gpu/bundle.tar.xz
