#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: build with CUDA (or unpack a bundle from scripts/gpu-bundle.sh),
# run the GPU tests with the device required (they fail instead of skipping), then the benchmarks
# and a timed `vitrum predict` per backend. Prints everything a note needs.
#
#   scripts/gpu-check.sh                        # build here (needs the Debian dependencies)
#   scripts/gpu-check.sh --bundle FILE.tar.xz   # bare GPU machine: prebuilt binaries + libraries
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH=/usr/local/cuda/bin:$PATH
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
if [ "${1:-}" = "--bundle" ]; then
  bin=/tmp/vitrum-bundle
  rm -rf "$bin" && mkdir -p "$bin" && tar -C "$bin" -xJf "$2"
  # The executables look for the sources at the path they were built in and for ../shared.
  src=$(cat "$bin/srcdir")
  mkdir -p "$(dirname "$src")"
  [ -e "$src" ] || ln -s "$root" "$src"
  [ -e "$(dirname "$src")/shared" ] || ln -s "$bin/shared" "$(dirname "$src")/shared"
  cublas=$(dirname "$(find / -name 'libcublas.so.13*' -not -path '/proc/*' 2>/dev/null | head -1)")
  export LD_LIBRARY_PATH=$bin/lib:$cublas:${LD_LIBRARY_PATH:-}
  bin=$bin/bin
else
  BUILD_DIR=${BUILD_DIR:-build-gpu} scripts/build.sh -DVITRUM_ENABLE_CUDA=ON \
    -DVITRUM_CUDA_ARCHITECTURES="${VITRUM_CUDA_ARCHITECTURES:-90}"
  bin=$root/${BUILD_DIR:-build-gpu}
fi
export VITRUM_REQUIRE_GPU=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
status=0
"$bin/test_gpu" || status=1
cd "$root"
for backend in cpu cuda; do
  for prec in double mixed; do
    echo "== vitrum predict water 1080, $backend $prec"
    /usr/bin/time -f "%e s wall" "$bin/vitrum" predict -p configs/potentials/H2O_RPBE-D3 \
      -i configs/structures/water_1080.data -o /tmp/pred_$backend.data --backend $backend \
      --precision $prec --overwrite || status=1
  done
done
for cfg in configs/bench/water_1m_cuda.toml configs/bench/sio2_1m_cuda.toml; do
  echo "== vitrum run $cfg (about a million atoms on one GPU)"
  /usr/bin/time -f "%e s wall, %M KB max RSS" "$bin/vitrum" run "$cfg" -q --overwrite \
    -o "/tmp/$(basename "$cfg" .toml)" || status=1
  tail -n 3 "/tmp/$(basename "$cfg" .toml)/thermo.csv" || true
done
for b in "$bin"/*_bench; do
  echo "== $b"
  "$b" --benchmark_min_time=0.5 ${VITRUM_BENCH_FILTER:+--benchmark_filter=$VITRUM_BENCH_FILTER} ||
    status=1
done
exit $status
