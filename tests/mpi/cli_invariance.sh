#!/usr/bin/env bash
# `vitrum run` and `vitrum predict` under `mpiexec -n NP` with no other change give the serial
# results: the thermo CSV (every column, 1e-8 relative: the CSV prints 10 significant digits for
# some columns), the final structure (positions to 1e-6 Å), the H5MD trajectory (written
# collectively by the NP ranks: same frames, steps, boxes, species, positions and velocities to
# 1e-6; it opens in h5py and in MDAnalysis, Debian's python3), the predicted energy (1e-10
# relative) and forces (1e-8 eV/Å). The run on the device-resident engine (`--engine
# device-emulated`, domain-decomposed over the NP ranks) gives the same thermo CSV and final
# structure. Run by ctest as mpi.cli_npNP.
#
#   tests/mpi/cli_invariance.sh VITRUM_BINARY MPIEXEC NP SOURCE_DIR
set -euo pipefail
# shellcheck source=tests/mpi/bks_config.sh
source "$(dirname "$0")/bks_config.sh"
vitrum=$1
mpiexec=$2
np=$3
src=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

{
  bks_config_head 375 7 "$src"
  cat <<EOF
[velocities]
temperature = 2000.0

[output]
thermo_every = 10
trajectory_every = 50
h5md = { every = 20, forces = true }

[[stage]]
name = "relax"
ensemble = "nvt_langevin"
timestep_fs = 0.5
temperature = 2000.0
tdamp_fs = 20.0
steps = 60

[[stage]]
name = "npt"
ensemble = "npt_mtk"
temperature = 3000.0
pressure = 1.0
tdamp_fs = 100.0
pdamp_fs = 500.0
steps = 60

[[stage]]
name = "nve"
ensemble = "nve"
steps = 60
EOF
} >"$tmp/run.toml"

"$vitrum" run "$tmp/run.toml" -o "$tmp/serial" -q
"$mpiexec" -n "$np" --oversubscribe "$vitrum" run "$tmp/run.toml" -o "$tmp/mpi" -q
# The device-resident engine on the emulated device, domain-decomposed over the same ranks.
"$mpiexec" -n "$np" --oversubscribe "$vitrum" run "$tmp/run.toml" -o "$tmp/dev" \
  --engine device-emulated >"$tmp/dev.log"
grep -q "engine: device-resident on the emulated device" "$tmp/dev.log"
grep -q "host<->device transfers" "$tmp/dev.log"

for out in mpi dev; do
echo "$out:"
# Thermo CSV: same rows, every numeric column but the rate (atom_steps_per_s) equal to 1e-8.
paste -d, "$tmp/serial/thermo.csv" "$tmp/$out/thermo.csv" | awk -F, '
  NR == 1 { n = NF / 2; next }
  {
    for (k = 1; k <= 10; ++k) {
      a = $k; b = $(k + n); d = a - b; if (d < 0) d = -d
      s = a < 0 ? -a : a; if (s < 1e-300) s = 1e-300
      if (d / s > worst) worst = d / s
    }
    rows++
  }
  END {
    printf "thermo: %d rows, largest relative difference %.2e\n", rows, worst
    if (rows < 19 || worst > 1e-8) exit 1
  }'

# Final structures (extended XYZ): positions to 1e-6 Å.
paste -d' ' "$tmp/serial/final.xyz" "$tmp/$out/final.xyz" | awk '
  NR == 1 { n = $1; next }
  NR == 2 { next }
  NR <= n + 2 {
    for (k = 2; k <= 4; ++k) {
      d = $k - $(k + NF / 2); if (d < 0) d = -d
      if (d > worst) worst = d
    }
    atoms++
  }
  END {
    printf "final structure: %d atoms, largest position difference %.2e A\n", atoms, worst
    if (atoms < 375 || worst > 1e-6) exit 1
  }'
done

# H5MD: the NP ranks wrote one file collectively; it must hold the serial run's frames.
/usr/bin/python3 - "$tmp/serial/trajectory.h5" "$tmp/mpi/trajectory.h5" <<'PY'
import sys
import warnings

import h5py
import numpy as np

warnings.filterwarnings("ignore", category=DeprecationWarning)

a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
pa, pb = a["particles/all"], b["particles/all"]
assert tuple(b["h5md"].attrs["version"]) == (1, 1), "H5MD version"
for key in ("position/step", "position/time", "box/edges/value", "species", "id"):
    x, y = np.asarray(pa[key]), np.asarray(pb[key])
    assert x.shape == y.shape and np.allclose(x, y, rtol=1e-12, atol=0), key
worst = 0.0
for key in ("position/value", "velocity/value", "force/value"):
    x, y = np.asarray(pa[key]), np.asarray(pb[key])
    assert x.shape == y.shape, (key, x.shape, y.shape)
    worst = max(worst, float(np.abs(x - y).max()))
frames = pa["position/value"].shape[0]
assert frames == 10, f"{frames} frames, expected 10 (steps 0..180 every 20)"
assert worst < 1e-6, f"largest difference {worst}"
from MDAnalysis.coordinates.H5MD import H5MDReader  # noqa: E402

r = H5MDReader(sys.argv[2], convert_units=False)
assert r.n_frames == frames and r.n_atoms == 375, (r.n_frames, r.n_atoms)
ts = r[frames - 1]
assert np.allclose(ts.positions, pa["position/value"][-1], atol=1e-4), "MDAnalysis positions"
assert abs(ts.time - pa["position/time"][-1]) < 1e-9, ts.time
print(f"h5md: {frames} frames of {r.n_atoms} atoms, largest difference {worst:.2e}; "
      "read by h5py and MDAnalysis")
PY

# predict: the water box in its own units (bohr, Hartree), n2p2 output format.
water="$src/configs/structures/water_1080.data"
pot="$src/configs/potentials/H2O_RPBE-D3"
"$vitrum" predict -p "$pot" -i "$water" -o "$tmp/serial.data" >/dev/null
"$mpiexec" -n "$np" --oversubscribe "$vitrum" predict -p "$pot" -i "$water" -o "$tmp/mpi.data" \
  >/dev/null
paste -d' ' "$tmp/serial.data" "$tmp/mpi.data" | awk '
  $1 == "atom" {
    h = NF / 2
    for (k = 8; k <= 10; ++k) {
      d = $k - $(k + h); if (d < 0) d = -d
      if (d > fworst) fworst = d
    }
    atoms++
  }
  $1 == "energy" {
    d = $2 - $(2 + NF / 2); if (d < 0) d = -d
    e = d / ($2 < 0 ? -$2 : $2)
  }
  END {
    printf "predict: %d atoms, relative energy difference %.2e, largest force difference %.2e\n",
      atoms, e, fworst
    if (atoms != 1080 || e > 1e-10 || fworst > 1e-8) exit 1
  }'
echo "vitrum run and predict on $np ranks agree with the serial run"
