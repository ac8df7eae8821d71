#!/usr/bin/env bash
# ctest spectra.shapes_vs_oracles: oracle_test.sh SOURCE_DIR BUILD_DIR SHAPE_EVAL_BINARY
set -euo pipefail
src=$1 build=$2 tool=$3
py=$("$src/scripts/setup_spectra_oracles.sh" "$build")
"$py" "$src/tests/spectra/oracle/shapes_oracle.py" "$tool"
