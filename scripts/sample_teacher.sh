#!/usr/bin/env bash
# Reference data for training from the SiO2 teacher (BKS): runs every campaign of a directory of
# `vitrum run` configs (default configs/sample_sio2/: 144-216-atom cells, melts at 4500-6000 K,
# quenches, glasses at 300-2500 K, densities 2.0-2.6 g/cm³ and one NPT run), each writing n2p2
# input.data frames with energies (eV) and forces (eV/Å) through [output] dataset_every, and
# concatenates them into one input.data. The train/test flag of every frame (`begin set=train` or
# `begin set=test`) is decided by the campaign's seed and the step, so reruns give the same split;
# `vitrum train` honours it ([data] split = "auto" or "file").
#
#   scripts/sample_teacher.sh [CONFIG_DIR] [OUTPUT_FILE]
#     CONFIG_DIR    default configs/sample_sio2
#     OUTPUT_FILE   default out/sample_sio2/input.data
#   environment: VITRUM (binary, default build/vitrum), JOBS (campaigns at once, default: cores),
#                OUT_ROOT (campaign output directories, default out/sample_sio2),
#                KEEP_DONE=1 (skip campaigns whose output is complete and newer than their config)
#
# Each campaign runs single-threaded (--threads 1) in OUT_ROOT/<config name>/ with its log there;
# a failing campaign stops the script with its log's tail.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG_DIR=${1:-configs/sample_sio2}
OUTPUT=${2:-out/sample_sio2/input.data}
VITRUM=${VITRUM:-build/vitrum}
JOBS=${JOBS:-$(nproc)}
OUT_ROOT=${OUT_ROOT:-out/sample_sio2}

[ -x "$VITRUM" ] || { echo "error: $VITRUM not found; build first (scripts/build.sh) or set VITRUM" >&2; exit 1; }
shopt -s nullglob
configs=("$CONFIG_DIR"/*.toml)
[ ${#configs[@]} -gt 0 ] || { echo "error: no *.toml campaigns in $CONFIG_DIR" >&2; exit 1; }
mkdir -p "$OUT_ROOT" "$(dirname "$OUTPUT")"

run_one() {
  local cfg=$1 name dir
  name=$(basename "$cfg" .toml)
  dir="$OUT_ROOT/$name"
  mkdir -p "$dir"
  if [ "${KEEP_DONE:-0}" = 1 ] && [ -s "$dir/final.xyz" ] && [ "$dir/final.xyz" -nt "$cfg" ]; then
    echo "  kept: $name ($(grep -c '^begin' "$dir/dataset.data") frames)"
    return 0
  fi
  if "$VITRUM" run "$cfg" --overwrite --output-dir "$dir" --threads 1 --quiet >"$dir/run.log" 2>&1; then
    echo "  done: $name ($(grep -c '^begin' "$dir/dataset.data") frames)"
  else
    echo "error: campaign $cfg failed; the end of $dir/run.log:" >&2
    tail -n 20 "$dir/run.log" >&2
    return 1
  fi
}

echo "sampling ${#configs[@]} teacher campaigns from $CONFIG_DIR, $JOBS at a time"
t0=$(date +%s)
pids=()
status=0
for cfg in "${configs[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || status=1; done
  run_one "$cfg" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status -eq 0 ] || { echo "error: at least one campaign failed" >&2; exit 1; }

# Concatenate in config order (deterministic), atomically.
tmp="$OUTPUT.tmp.$$"
: >"$tmp"
for cfg in "${configs[@]}"; do
  cat "$OUT_ROOT/$(basename "$cfg" .toml)/dataset.data" >>"$tmp"
done
mv "$tmp" "$OUTPUT"
n=$(grep -c '^begin' "$OUTPUT")
ntest=$(grep -c '^begin set=test' "$OUTPUT" || true)
natoms=$(grep -c '^atom' "$OUTPUT")
echo "wrote $OUTPUT: $n structures ($((n - ntest)) train, $ntest test), $natoms atoms, in $(($(date +%s) - t0)) s"
