#!/usr/bin/env bash
# `vitrum run --restart` on another rank count than the run that wrote the checkpoint: a campaign
# (Langevin NVT, MTK NPT, NVE) stopped inside the NPT stage (--max-steps) on one rank and
# continued on 4, and stopped on 4 ranks and continued on 2, ends where the uninterrupted run on
# the writer's rank count ends: the same atoms (count and species, in id order) at positions
# within 1e-6 Å (the rank counts sum forces in other orders, so not bit for bit), and the restart
# reports the writer's rank count. Stopped on 2 ranks and continued on 2, the CLI reports the
# forces at the checkpoint reproduced bit for bit and the final structure is the uninterrupted
# run's, byte for byte. Run by ctest as mpi.restart_ranks.
#
#   tests/mpi/restart_ranks.sh VITRUM_BINARY MPIEXEC SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/mpi/bks_config.sh
source "$(dirname "$0")/bks_config.sh"
vitrum=$1
mpiexec=$2
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n_atoms=192

{
  bks_config_head $n_atoms 11 "$src"
  cat <<EOF
[velocities]
temperature = 2500.0

[output]
thermo_every = 10
progress = false

[checkpoint]
every_minutes = 0

[[stage]]
name = "nvt"
ensemble = "nvt_langevin"
temperature = 2500.0
tdamp_fs = 50.0
steps = 40

[[stage]]
name = "npt"
ensemble = "npt_mtk"
temperature = 2500.0
pressure = 5000.0
tdamp_fs = 50.0
pdamp_fs = 200.0
steps = 40

[[stage]]
name = "nve"
ensemble = "nve"
steps = 40
EOF
} >"$tmp/run.toml"

mpirun() { # mpirun NP ARGS...: vitrum on NP ranks (NP = 1: the plain binary)
  local np=$1
  shift
  if [ "$np" -eq 1 ]; then
    "$vitrum" "$@"
  else
    "$mpiexec" -n "$np" --oversubscribe "$vitrum" "$@"
  fi
}

# compare A B: final structures with the same atoms, positions within 1e-6 Å.
compare() {
  paste -d' ' "$1" "$2" | awk -v n_expected="$n_atoms" -v what="$3" '
    NR == 1 { n = $1; if ($1 != $2) bad = "atom counts " $1 " and " $2; next }
    NR == 2 { next }
    NR <= n + 2 {
      h = NF / 2
      if ($1 != $(1 + h)) bad = "species differ at atom " (NR - 3)
      for (k = 2; k <= 4; ++k) {
        d = $k - $(k + h); if (d < 0) d = -d
        if (d > worst) worst = d
      }
      atoms++
    }
    END {
      printf "%s: %d atoms, largest position difference %.2e A\n", what, atoms, worst
      if (bad != "") { print "  " bad; exit 1 }
      if (atoms != n_expected || worst > 1e-6) exit 1
    }'
}

# stop_and_continue WRITER_NP READER_NP DIR: 60 steps on WRITER_NP ranks (stops inside NPT with a
# checkpoint), the rest on READER_NP ranks from that checkpoint.
stop_and_continue() {
  local rc=0
  mkdir -p "$3"
  mpirun "$1" run "$tmp/run.toml" -o "$3" -q --max-steps 60 >"$3/stop.log" 2>&1 || rc=$?
  if [ "$rc" -ne 75 ]; then
    echo "the run on $1 rank(s) stopped by --max-steps exited with $rc, expected 75:" >&2
    cat "$3/stop.log" >&2
    exit 1
  fi
  mpirun "$2" run "$tmp/run.toml" -o "$3" --restart "$3/checkpoint.h5" >"$3/restart.log"
  if ! grep -q "restart: .* by $1 rank(s)): stage 2/3 \"npt\", step 20 of 40" "$3/restart.log"; then
    echo "the restart on $2 ranks did not report a checkpoint of $1 rank(s) inside stage npt:" >&2
    cat "$3/restart.log" >&2
    exit 1
  fi
}

mpirun 1 run "$tmp/run.toml" -o "$tmp/whole1" -q
mpirun 2 run "$tmp/run.toml" -o "$tmp/whole2" -q
mpirun 4 run "$tmp/run.toml" -o "$tmp/whole4" -q
stop_and_continue 1 4 "$tmp/r14"
stop_and_continue 4 2 "$tmp/r42"
stop_and_continue 2 2 "$tmp/r22"
compare "$tmp/whole1/final.xyz" "$tmp/r14/final.xyz" "written by 1 rank, continued on 4"
compare "$tmp/whole4/final.xyz" "$tmp/r42/final.xyz" "written by 4 ranks, continued on 2"
# The same rank count: the forces at the checkpoint (compared by atom id) and the final structure
# (printed to round-trip precision) are those of the uninterrupted run, bit for bit.
if ! grep -q "forces at the checkpoint reproduced bit for bit" "$tmp/r22/restart.log"; then
  echo "written by 2 ranks, continued on 2: the forces at the checkpoint are not bit for bit:" >&2
  cat "$tmp/r22/restart.log" >&2
  exit 1
fi
if ! cmp -s "$tmp/whole2/final.xyz" "$tmp/r22/final.xyz"; then
  echo "written by 2 ranks, continued on 2: the final structure differs from the uninterrupted run" >&2
  compare "$tmp/whole2/final.xyz" "$tmp/r22/final.xyz" "written by 2 ranks, continued on 2" || true
  exit 1
fi
echo "written by 2 ranks, continued on 2: forces at the checkpoint and final structure bit for bit"
echo "restarts on the same and on other rank counts continue the uninterrupted runs"
