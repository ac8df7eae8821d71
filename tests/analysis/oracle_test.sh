#!/usr/bin/env bash
# Runs one Python oracle test of the analyses in the build tree's oracle venv (created on first
# use by scripts/setup_oracles.sh): oracle_test.sh SOURCE_DIR BUILD_DIR SCRIPT ARGS...
set -euo pipefail
src=$1 build=$2 script=$3
shift 3
py=$("$src/scripts/setup_oracles.sh" "$build")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" "$src/tests/analysis/$script" "$@" "$work"
