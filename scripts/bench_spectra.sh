#!/usr/bin/env bash
# Spectra-fit benchmark: vitrum's EM fit per backend next to lmfit on the same synthetic spectra.
#
#   scripts/bench_spectra.sh [--size N] [--subset S] [--threads T]
#
# Runs benchmarks/spectra_fit_bench.cpp (Google Benchmark) on an N × N image (default 256) of
# 1000-channel spectra with 1–4 pseudo-Voigt peaks: the whole image on every CPU thread (and on
# CUDA when a device is present), and S strided spectra (default 512) on one thread. Then
# scripts/lmfit_baseline.py fits those S spectra with lmfit started from the true values, and a
# table prints spectra/s, the per-core ratio to lmfit and the accuracy against the truth.
# Build first: BUILD_DIR=build scripts/build.sh (BUILD_DIR selects the build used here too).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
size=256
subset=512
threads=""
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --subset) subset=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: $0 [--size N] [--subset S] [--threads T]" >&2; exit 2 ;;
  esac
done
bin="$BUILD_DIR/spectra_fit_bench"
if [ ! -x "$bin" ]; then
  echo "bench_spectra: $bin not found; build first (BUILD_DIR=$BUILD_DIR scripts/build.sh)" >&2
  exit 1
fi
[ -n "$threads" ] && export OMP_NUM_THREADS=$threads
out=$(mktemp -d "${TMPDIR:-/tmp}/vitrum_bench_spectra.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
"$bin" --size "$size" --subset "$subset" --out "$out" | tee "$out/bench.txt"
# lmfit on one core: no BLAS/OpenMP threads behind numpy.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
  /usr/bin/python3 scripts/lmfit_baseline.py "$out" --bench "$out/bench.txt"
