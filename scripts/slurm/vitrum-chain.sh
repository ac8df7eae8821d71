#!/bin/bash
# Submits a `vitrum run` campaign as a chain of N Slurm jobs: each job starts when the previous
# one has ended (--dependency=afterany) and continues from the last checkpoint in OUTPUT_DIR
# (scripts/slurm/vitrum-job.sbatch does the restart). The job that completes the campaign, or
# that fails with an error, cancels the rest of the chain; a job stopped by its time limit
# (status 75) leaves it to the next one.
#
#   scripts/slurm/vitrum-chain.sh CONFIG.toml OUTPUT_DIR N_JOBS [sbatch options...]
#   e.g. scripts/slurm/vitrum-chain.sh configs/sio2_quench.toml runs/quench 10 --time=12:00:00
#
# The chain's job ids are written to OUTPUT_DIR/chain.jobs. Environment as for the job script
# (VITRUM, VITRUM_ARGS).
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
config=$1
outdir=$2
jobs=$3
shift 3
case $jobs in
  '' | *[!0-9]*) echo "N_JOBS must be a positive integer, got '$jobs'" >&2; exit 2 ;;
esac
[ "$jobs" -ge 1 ] || { echo "N_JOBS must be >= 1" >&2; exit 2; }
[ -f "$config" ] || { echo "$config: no such campaign file" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
chain=$(cd "$outdir" && pwd)/chain.jobs
: >"$chain"
prev=""
for ((k = 1; k <= jobs; k++)); do
  dep=()
  [ -n "$prev" ] && dep=(--dependency="afterany:$prev")
  # No requeueing inside a chain: the chain's next job continues instead.
  id=$(sbatch --parsable --no-requeue "${dep[@]}" --export="ALL,VITRUM_CHAIN_FILE=$chain" "$@" \
    "$here/vitrum-job.sbatch" "$config" "$outdir")
  id=${id%%;*}  # --parsable prints "id[;cluster]"
  echo "$id" >>"$chain"
  echo "job $k/$jobs: $id${prev:+ (after $prev)}"
  prev=$id
done
echo "chain of $jobs job(s) submitted; ids in $chain"
