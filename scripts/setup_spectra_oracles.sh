#!/usr/bin/env bash
# Creates (once) the Python venv of the spectra oracles inside a build tree, in the pattern of
# scripts/setup_oracles.sh:   scripts/setup_spectra_oracles.sh BUILD_DIR  ->  prints the python
# Debian's python3 with --system-site-packages (numpy, scipy, lmfit from apt: python3-lmfit in
# scripts/setup.sh) plus lmfitxps from PyPI (pure Python; its dependencies are the system ones).
set -euo pipefail
build=${1:?usage: setup_spectra_oracles.sh BUILD_DIR}
venv="$build/spectra-oracle-venv"
check='import lmfit, scipy, lmfitxps.backgrounds'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
mkdir -p "$build"
exec 9>"$build/.spectra-oracle-venv.lock"
flock 9
if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; }; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "lmfitxps==4.2.0" >&2
  "$venv/bin/python" -c "$check"
fi
echo "$venv/bin/python"
