#!/usr/bin/env bash
# Failing outputs under `mpiexec -n 2 vitrum run`; every time the job must end at once (status != 0,
# not 124 = hung) with a message naming the path and the rank.
# 1. A write failure on rank 0 ALONE in the middle of a run: rank 0 (and only rank 0) runs under a
#    file-size limit (ulimit -f, SIGXFSZ ignored, so write() fails with EFBIG) that its extended-XYZ
#    trajectory outgrows after a few frames, while rank 1 is inside the step's collectives.
# 2. Outputs pointed at /dev/full (the trajectory; in a second run the training-set file): output
#    safety (docs/output-safety.md) refuses a character device before the run starts, on every rank.
# Run by ctest as mpi.one_rank_failure.
#
#   tests/mpi/one_rank_failure.sh VITRUM_BINARY MPIEXEC SOURCE_DIR
#   (ONE_RANK_FAILURE_TIMEOUT: seconds per run before it counts as hung, default 300)
set -euo pipefail
# shellcheck source=tests/mpi/bks_config.sh
source "$(dirname "$0")/bks_config.sh"
vitrum=$1
mpiexec=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[[ -w /dev/full ]] || {
  echo "no writable /dev/full here; skipped"
  exit 0
}

# $1 = name, $2 = extra [output] lines, $3 = steps (default 60)
write_config() {
  {
    bks_config_head 192 5 "$src"
    cat <<EOF
[velocities]
temperature = 2000.0

[output]
thermo_every = 10
progress = false
$2

[checkpoint]
every_minutes = 0

[[stage]]
name = "nvt"
ensemble = "nvt_langevin"
temperature = 2000.0
tdamp_fs = 50.0
steps = ${3:-60}
EOF
  } >"$tmp/$1.toml"
}

# $1 = name, $2 = the failing file's description in the message, $3 = the expected stderr text,
# $4 = a file-size limit (KiB) for rank 0 alone, or empty
run_failing() {
  local name=$1 what=$2 expect=$3 limit=${4:-} rc=0 t0 t1
  # Rank 0 only: the limit must not touch the launcher's or rank 1's shared-memory files.
  local wrapper='if [ -n "$VITRUM_TEST_FSIZE" ] && [ "${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-}}" = 0 ]; then
    trap "" XFSZ; ulimit -f "$VITRUM_TEST_FSIZE"; fi; exec "$0" "$@"'
  t0=$(date +%s)
  VITRUM_TEST_FSIZE=$limit timeout "${ONE_RANK_FAILURE_TIMEOUT:-300}" "$mpiexec" -n 2 --oversubscribe \
    -x VITRUM_TEST_FSIZE bash -c "$wrapper" "$vitrum" run "$tmp/$name.toml" -o "$tmp/$name" -q \
    >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  t1=$(date +%s)
  echo "$name: exit status $rc after $((t1 - t0)) s"
  sed 's/^/  stderr: /' "$tmp/$name.err" | head -20
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "FAIL: $name: the job hung (killed by timeout after ${ONE_RANK_FAILURE_TIMEOUT:-300} s)"
    exit 1
  fi
  if [[ $rc -eq 0 ]]; then
    echo "FAIL: $name: exit status 0 although rank 0 could not write $what"
    exit 1
  fi
  if ! grep -qF "$expect" "$tmp/$name.err"; then
    echo "FAIL: $name: stderr does not say: $expect"
    exit 1
  fi
}

# 1. Mid-run, rank 0 alone: 192 atoms are ~15 KiB a frame, a frame every 20 steps of 400, so a
#    60 KiB limit is reached at the fourth or fifth frame.
write_config midrun 'trajectory_every = 20
trajectory = "traj.xyz"' 400
run_failing midrun "the extended-XYZ trajectory" \
  "vitrum: error (rank 0 of 2): $tmp/midrun/traj.xyz: write failed: File too large" 60
frames=$(grep -c '^192$' "$tmp/midrun/traj.xyz" || true)
if [[ $frames -lt 2 ]]; then
  echo "FAIL: midrun: the run failed before it wrote two frames ($frames): not a mid-run failure"
  exit 1
fi
echo "midrun: $frames frames written before the failure"

# 2. Character devices, refused before the run starts on every rank.
refused="vitrum: error (rank 0 of 2): /dev/full is a character device"

# The extended-XYZ trajectory (rank 0 only), first snapshot at step 20.
write_config xyz 'h5md = { every = 10, forces = true }
trajectory_every = 20
trajectory = "/dev/full"'
run_failing xyz "the extended-XYZ trajectory" "$refused"

# The training-set file (rank 0 only; gathered on rank 0 at every frame), first frame at step 20.
write_config dataset 'h5md = { every = 10, forces = true }
dataset_every = 20
dataset = "/dev/full"'
run_failing dataset "the training-set file" "$refused"

echo "a write failure on rank 0 alone mid-run, and a refused output, end the 2-rank job at once with the error message and status != 0"
