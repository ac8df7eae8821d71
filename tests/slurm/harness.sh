#!/usr/bin/env bash
# The project's Slurm job scripts (scripts/slurm/) run under a private one-node Slurm cluster
# (tests/slurm/cluster.sh: munged, slurmctld and slurmd from Debian's packages, configured in a
# temporary directory, stopped at the end even on failure) on small SiO2 melt–quench campaigns
# made from configs/sio2_quench.toml (tests/slurm/configs.sh). Scenarios:
#
#   timelimit  a job whose 1-minute limit expires mid-campaign: Slurm's warning signal makes
#              `vitrum run` checkpoint and exit 75, the script requeues the job, and the campaign
#              ends bit for bit equal to an uninterrupted run;
#   chain      the same campaign as a chain of jobs (vitrum-chain.sh, --dependency=afterany): the
#              job that completes it cancels the rest;
#   array      a job array of a cooling-rate campaign (one config per task, each stopped by
#              --max-steps and requeued on its own), and the gather step as a dependent job;
#   mpi        4 MPI tasks (srun inside the job) writing the H5MD trajectory collectively, stopped,
#              and continued by a job of 2 tasks;
#   failures   a bad config fails its job at once with the error in the job's output and no
#              requeue; a job killed by SIGKILL leaves its last checkpoint usable and the next
#              submission continues from it, bit for bit.
#
# Every scenario is asserted from what the jobs leave: job states, restart counts and exit codes
# (scontrol and the job-completion log: `sacct` needs slurmdbd and a MySQL server, which a
# private cluster does not have; jobcomp/filetxt records the same per-run exit codes), the job
# outputs, checkpoint steps, and the outputs compared with uninterrupted runs (compare_runs.py).
#
#   tests/slurm/harness.sh VITRUM_BINARY SOURCE_DIR [SCENARIO...]    (default: all of them)
#
# The job scripts come from SOURCE_DIR/scripts/slurm, or from VITRUM_SLURM_SCRIPTS (a directory
# with the same files: tests/slurm/broken_script.sh runs damaged copies). The copy that runs has
# its `#SBATCH --signal` lead shortened to 20 s to fit the 1-minute limit. Exit status 0: every
# scenario passed; 1: a scenario failed (FAIL lines say which and why); 77: Slurm or munge is not
# installed (scripts/setup.sh installs them). VITRUM_SLURM_KEEP=1 keeps the working directory;
# VITRUM_SLURM_TIMEOUT (default 1100 s) bounds the whole run.
set -uo pipefail
if [ $# -lt 2 ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
fi
VITRUM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
shift 2
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(timelimit chain array mpi failures)
here=$(cd "$(dirname "$0")" && pwd)
scripts_in=${VITRUM_SLURM_SCRIPTS:-$src/scripts/slurm}
for tool in munged slurmctld slurmd sbatch scontrol squeue scancel; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (Debian: munge, slurmctld, slurmd, slurm-client;" \
      "scripts/setup.sh installs them)"
    exit 77
  fi
done
# shellcheck source=tests/slurm/cluster.sh
source "$here/cluster.sh"
# shellcheck source=tests/slurm/configs.sh
source "$here/configs.sh"
# shellcheck source=tests/slurm/scenarios.sh
source "$here/scenarios.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/vitrum-slurm.XXXXXX")
declare -A REF_PID=()
cleanup() {
  trap '' INT TERM # the daemons must be stopped whatever comes
  [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
  cluster_stop
  local p
  for p in "${REF_PID[@]}"; do kill "$p" 2>/dev/null; done
  if [ "${VITRUM_SLURM_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A deadline of its own, below ctest's TIMEOUT, so that the cleanup runs even then.
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  sleep "${VITRUM_SLURM_TIMEOUT:-1100}" &
  nap=$!
  wait "$nap" && echo "FAIL: the harness ran out of its ${VITRUM_SLURM_TIMEOUT:-1100} s" >&2 &&
    kill -TERM $$
) &
watchdog=$!

export VITRUM OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Ranks of an oversubscribed node give their core away while they wait.
export OMPI_MCA_mpi_yield_when_idle=1
unset VITRUM_ARGS VITRUM_MAX_REQUEUES VITRUM_CHAIN_FILE
PY=/usr/bin/python3
compare() { "$PY" "$here/compare_runs.py" "$@"; }

# The job scripts under test, with the warning-signal lead scaled to the 1-minute limits here.
jobs=$work/scripts
mkdir -p "$jobs"
cp "$scripts_in"/* "$jobs"/
sed -i 's/^\(#SBATCH --signal=[^@]*@\)[0-9]*/\120/' "$jobs"/*.sbatch

failures=0
scenario=setup
fail() {
  echo "FAIL [$scenario]: $*" >&2
  failures=$((failures + 1))
  return 1
}
pass() { echo "ok   [$scenario]: $*"; }

# reference NAME CONFIG [NP]: the uninterrupted run of CONFIG in $work/ref/NAME, in the
# background (NP > 1: under mpiexec).
reference() {
  local name=$1 config=$2 np=${3:-1} dir=$work/ref/$1
  mkdir -p "$dir"
  if [ "$np" -gt 1 ]; then
    "${MPIEXEC:-mpiexec}" -n "$np" --oversubscribe "$VITRUM" run "$config" -o "$dir" -q >"$dir.log" 2>&1 &
  else
    "$VITRUM" run "$config" -o "$dir" -q >"$dir.log" 2>&1 &
  fi
  REF_PID[$name]=$!
}
declare -A REF_STATUS=()
reference_wait() {
  local name=$1
  if [ -z "${REF_STATUS[$name]:-}" ]; then
    wait "${REF_PID[$name]}"
    REF_STATUS[$name]=$?
    unset "REF_PID[$name]"
  fi
  if [ "${REF_STATUS[$name]}" -ne 0 ]; then
    fail "the uninterrupted reference run $name failed:" "$(tail -n 5 "$work/ref/$name.log")"
    return 1
  fi
}

# job_out ID: the job's output file (StdOut of scontrol).
job_out() { job_field "$1" StdOut; }

t_start=$(date +%s)
cluster_start "$work/cluster" || { echo "FAIL: the Slurm cluster did not start" >&2; exit 1; }
for s in "${scenarios[@]}"; do
  scenario=$s
  "submit_$s" || fail "could not submit"
done
for s in "${scenarios[@]}"; do
  scenario=$s
  "check_$s"
done
scenario=all
elapsed=$(($(date +%s) - t_start))
echo "harness: ${#scenarios[@]} scenario(s) in $elapsed s, $failures failure(s)"
[ "$failures" -eq 0 ]
