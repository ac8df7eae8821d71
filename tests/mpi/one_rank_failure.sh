#!/usr/bin/env bash
# Outputs pointed at /dev/full (the extended-XYZ trajectory; in a second run the training-set
# file) under `mpiexec -n 2 vitrum run`. This test used to make rank 0 alone fail mid-run with "No
# space left on device"; since output safety (docs/output-safety.md) a character device is refused
# as an output before the run starts, on every rank. The job must end at once (status != 0, not
# 124 = hung) naming the path and the rank. The mid-run one-rank failure it covered needs another
# trigger (open: e.g. a file-size limit on rank 0 alone). Run by ctest as mpi.one_rank_failure.
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

# $1 = name, $2 = extra [output] lines
write_config() {
  {
    bks_config_head 192 5 "$src"
    cat <<EOF
[velocities]
temperature = 2000.0

[output]
thermo_every = 10
progress = false
h5md = { every = 10, forces = true }
$2

[checkpoint]
every_minutes = 0

[[stage]]
name = "nvt"
ensemble = "nvt_langevin"
temperature = 2000.0
tdamp_fs = 50.0
steps = 60
EOF
  } >"$tmp/$1.toml"
}

# $1 = name, $2 = the failing file's description in the message
run_failing() {
  local name=$1 what=$2 rc=0 t0 t1
  t0=$(date +%s)
  timeout "${ONE_RANK_FAILURE_TIMEOUT:-300}" "$mpiexec" -n 2 --oversubscribe "$vitrum" run "$tmp/$name.toml" -o "$tmp/$name" -q \
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
  # Output safety (docs/output-safety.md) refuses a character device as an output before the
  # run starts, on every rank: "vitrum: error (rank 0 of 2): /dev/full is a character device".
  # (A write failure on rank 0 alone in the middle of a run needs another trigger now.)
  if ! grep -q "vitrum: error (rank 0 of 2): /dev/full is a character device" "$tmp/$name.err"; then
    echo "FAIL: $name: stderr does not name the refused output ($what) and the rank"
    exit 1
  fi
}

# The extended-XYZ trajectory (rank 0 only), first snapshot at step 20.
write_config xyz 'trajectory_every = 20
trajectory = "/dev/full"'
run_failing xyz "the extended-XYZ trajectory"

# The training-set file (rank 0 only; gathered on rank 0 at every frame), first frame at step 20.
write_config dataset 'dataset_every = 20
dataset = "/dev/full"'
run_failing dataset "the training-set file"

echo "a refused output ends the 2-rank job at once with the error message and status != 0"
