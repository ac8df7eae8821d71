#!/usr/bin/env bash
# Seed corpora of the libFuzzer targets (fuzz/README.md), built into DIR/<target>/ from the
# shipped configs, the small files of ../shared (those under 64 KiB; larger ones are cut to their
# first 16 KiB, which still exercises the headers) and, for the HDF5 readers, files that the
# vitrum binary VITRUM writes (a 2-step campaign, a tiny synthetic spectrum image; skipped, saying
# so, when there is no such binary).
#   scripts/fuzz_corpus.sh VITRUM OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
vitrum=${1:?usage: fuzz_corpus.sh VITRUM OUT_DIR}
out=${2:?usage: fuzz_corpus.sh VITRUM OUT_DIR}
shared=../shared
max=65536
mkdir -p "$out"

seed() {  # target file [name]
  local t=$1 f=$2 name=${3:-$(echo "$2" | sed 's|^\.\./||' | tr '/' '_')}
  [ -f "$f" ] || return 0
  mkdir -p "$out/$t"
  if [ "$(stat -c %s "$f")" -le $max ]; then cp "$f" "$out/$t/$name"
  else head -c 16384 "$f" >"$out/$t/$name"; fi
}
each() {  # target, files...
  local t=$1; shift
  for f in "$@"; do seed "$t" "$f"; done
}
shopt -s nullglob globstar
each run_config configs/*.toml configs/sample_sio2/*.toml configs/bench/*.toml
each train_config configs/train_*.toml
each fit_config configs/spectra/*.toml
each synth_config configs/spectra/synth_fit.toml
each teacher_params configs/potentials/*.toml
each n2p2_data configs/structures/*.data "$shared"/reference/**/input.data
each extxyz "$shared"/reference/**/*.xyz
each lammps_data "$shared"/reference/**/*.lmp "$shared"/reference/**/*.lammps
each vamas "$shared"/spectra/vamas/*.vms "$shared"/spectra/vamas/*.npl
each csv_spectrum "$shared"/spectra/**/*.csv "$shared"/spectra/**/*.txt
# n2p2 potentials: input.nn, scaling.data and one weights file in one input (fuzz_util.hpp).
mkdir -p "$out/n2p2_potential"
for p in configs/potentials/*/ "$shared"/reference/n2p2/potentials/*/; do
  [ -f "$p/input.nn" ] || continue
  w=$(ls "$p"/weights.*.data | head -1)
  name=$(echo "$p" | tr '/.' '__')
  { cat "$p/input.nn"; echo '%%%%'; cat "$p/scaling.data" 2>/dev/null; echo '%%%%'; cat "$w"; } \
    >"$out/n2p2_potential/$name"
  truncate -s "<$max" "$out/n2p2_potential/$name"
done
# Minimal hand-made seeds (formats without a small shipped file).
mkdir -p "$out/lammps_data" "$out/extxyz" "$out/csv_spectrum"
printf 'fuzz seed\n\n2 atoms\n2 atom types\n\n0 5 xlo xhi\n0 5 ylo yhi\n0 5 zlo zhi\n\nMasses\n\n1 28.085 # Si\n2 15.999 # O\n\nAtoms # charge\n\n1 1 2.4 0 0 0\n2 2 -1.2 1.6 0 0\n' \
  >"$out/lammps_data/seed.lmp"
printf '2\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3 energy=-1.5 pbc="T T T"\nSi 0 0 0\nO 1.6 0 0\n' \
  >"$out/extxyz/seed.xyz"
printf '# binding energy (eV), counts\n100.0,10\n100.1,12\n100.2,30\n100.3,12\n100.4,10\n' \
  >"$out/csv_spectrum/seed.csv"
# HDF5 files written by vitrum itself.

if [ ! -x "$vitrum" ]; then
  echo "fuzz_corpus: no $vitrum: the HDF5 targets start without seeds" >&2
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cat >"$tmp/c.toml" <<TOML
[structure.generate]
builder = "amorphous"
composition = { Si = 1, O = 2 }
n_atoms = 24
density = 2.2
min_distances = { Si-O = 1.5, O-O = 2.2, Si-Si = 2.8 }
[potential]
path = "$PWD/configs/potentials/SiO2-BKS.toml"
[output]
directory = "$tmp/run"
progress = false
h5md = { every = 1 }
trajectory_every = 1
[[stage]]
ensemble = "nve"
steps = 2
TOML
  "$vitrum" run "$tmp/c.toml" -q >/dev/null
  mkdir -p "$out/checkpoint" "$out/h5md" "$out/hdf5_spectrum"
  cp "$tmp/run/checkpoint.h5" "$out/checkpoint/run.h5"
  cp "$tmp/run/trajectory.h5" "$out/h5md/run.h5"
  cp "$tmp/run/trajectory.xyz" "$out/extxyz/run.xyz"
  "$vitrum" predict --overwrite -p configs/potentials/SiO2-BKS.toml -i "$tmp/run/final.xyz" \
    -o "$out/lammps_data/run.lmp" >/dev/null
  "$vitrum" spectra synth -o "$tmp/s.h5" --nx 2 --ny 2 >/dev/null
  cp "$tmp/s.h5" "$out/hdf5_spectrum/synth.h5"
  cp "$tmp/s_truth.h5" "$out/hdf5_spectrum/truth.h5"
fi
# netCDF-4 files written by xarray (Debian's python3-xarray, both engines).
if /usr/bin/python3 -c 'import xarray, netCDF4, h5netcdf' 2>/dev/null; then
  mkdir -p "$out/netcdf_spectrum"
  /usr/bin/python3 - "$out/netcdf_spectrum" <<'PY'
import sys
import numpy as np, xarray as xr
d = sys.argv[1]
da = xr.DataArray(np.arange(24, dtype='f4').reshape(2, 3, 4), dims=('energy', 'y', 'x'), name='W4f',
                  coords={'energy': ('energy', [30.0, 30.5], {'units': 'eV', 'energy_axis': 'binding'}),
                          'x': ('x', 0.5 * np.arange(4))})
da.to_netcdf(f'{d}/nc4.nc', engine='netcdf4')
da.to_netcdf(f'{d}/h5.nc', engine='h5netcdf')
PY
else
  echo "fuzz_corpus: no xarray/netCDF4/h5netcdf in /usr/bin/python3; netcdf_spectrum unseeded"
fi
for d in "$out"/*/; do echo "$(basename "$d"): $(ls "$d" | wc -l) seed(s)"; done
