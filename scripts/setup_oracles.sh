#!/usr/bin/env bash
# Creates (once) the Python venv of the analysis oracles inside a build tree:
#   scripts/setup_oracles.sh BUILD_DIR   ->   BUILD_DIR/oracle-venv/bin/python
# Debian's python3 with --system-site-packages (numpy, matplotlib, h5py from apt) plus, from PyPI,
# matscipy (ring statistics, Franzblau's shortest-path rings) and phonopy (harmonic phonon DOS).
# Idempotent: a venv that already imports both is kept. Prints the interpreter's path.
set -euo pipefail
build=${1:?usage: setup_oracles.sh BUILD_DIR}
venv="$build/oracle-venv"
py=/usr/bin/python3
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import matscipy, phonopy" 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
mkdir -p "$build"
# A lock keeps parallel ctest runs from building the venv twice.
exec 9>"$build/.oracle-venv.lock"
flock 9
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import matscipy, phonopy" 2>/dev/null; }; then
  rm -rf "$venv"
  "$py" -m venv --system-site-packages "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "matscipy==1.1.1" "phonopy==2.38.2" >&2 ||
    "$venv/bin/pip" install -q --disable-pip-version-check matscipy phonopy >&2
fi
echo "$venv/bin/python"
