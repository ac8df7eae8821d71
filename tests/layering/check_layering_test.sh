#!/usr/bin/env bash
# The include-graph check must fail when a forbidden include appears: copies the sources into a
# temporary tree, checks that it passes there, adds `#include "vitrum/md/engine.hpp"` to a core
# file (core may include nothing but core) and expects a failure naming that file and line.
set -euo pipefail
src=${1:?usage: check_layering_test.sh REPO}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts"
cp -r "$src/src" "$src/include" "$src/kernels" "$tmp/"
cp "$src/scripts/check_layering.py" "$src/scripts/area_dependencies.txt" "$tmp/scripts/"

python3 "$tmp/scripts/check_layering.py" "$tmp" >"$tmp/clean.log" || {
  cat "$tmp/clean.log"; echo "FAIL: the unmodified copy should pass"; exit 1; }

victim=src/core/units.cpp
lines=$(wc -l <"$tmp/$victim")
echo '#include "vitrum/md/engine.hpp"' >>"$tmp/$victim"
if python3 "$tmp/scripts/check_layering.py" "$tmp" >"$tmp/bad.log"; then
  cat "$tmp/bad.log"; echo "FAIL: a core file including md passed the check"; exit 1
fi
grep -q "^$victim:$((lines + 1)): core may not include md" "$tmp/bad.log" || {
  cat "$tmp/bad.log"; echo "FAIL: the message does not name $victim:$((lines + 1))"; exit 1; }

# A relative include across areas is caught too (from a kernels/ file into another area).
cp "$src/$victim" "$tmp/$victim"
echo '#include "../../src/md/builder_args_impl.hpp"' >>"$tmp/kernels/spectra/fit.cu"
if python3 "$tmp/scripts/check_layering.py" "$tmp" >"$tmp/rel.log"; then
  cat "$tmp/rel.log"; echo "FAIL: a relative include of md from spectra passed"; exit 1
fi
grep -q "^kernels/spectra/fit.cu:[0-9]*: spectra may not include md" "$tmp/rel.log" || {
  cat "$tmp/rel.log"; echo "FAIL: the relative include was not reported"; exit 1; }
echo "PASS: forbidden includes are reported with file and line"
