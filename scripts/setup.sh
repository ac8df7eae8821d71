#!/usr/bin/env bash
# Installs what vitrum needs from Debian's packages (idempotent; skips what is present).
set -euo pipefail
pkgs=(build-essential cmake pkg-config ninja-build libopenmpi-dev openmpi-bin libhdf5-openmpi-dev
      libgtest-dev libgmock-dev libbenchmark-dev libtomlplusplus-dev libcli11-dev libfmt-dev
      libopenblas-dev zlib1g-dev libxrl-dev python3 python3-numpy python3-h5py python3-matplotlib python3-lmfit
      python3-mdanalysis python3-periodictable python3-venv python3-pytest ccache clang-format lammps munge slurm-client
      python3-xarray python3-netcdf4 python3-h5netcdf  # netCDF-4 spectra tests (xarray writes)
      slurmctld slurmd
      clang libclang-rt-14-dev libomp-dev)  # clang + compiler-rt: libFuzzer, ASan, UBSan (fuzz/)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
