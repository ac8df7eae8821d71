#!/usr/bin/env bash
# CUDA compiler launcher (set by CMakeLists.txt when the CUDA backend is built; any launcher given
# with -DCMAKE_CUDA_COMPILER_LAUNCHER, e.g. ccache, follows it). Runs the compile command given as
# its arguments; the objects are compiled with --resource-usage, and this keeps ptxas's report
# (the "ptxas info" lines and their stack-frame lines) in OBJECT.ptxas next to the object instead
# of printing it, so scripts/kernel_resources.py reads the report of the build itself rather than
# compiling every kernel a second time. Everything else the compiler prints passes through.
set -uo pipefail
out=
prev=
for a in "$@"; do
  [ "$prev" = -o ] && out=$a
  prev=$a
done
[ -n "$out" ] || exec "$@"
err=$(mktemp "${TMPDIR:-/tmp}/ptxas_report.XXXXXX") || exec "$@"
"$@" 2>"$err"
status=$?
if [ $status -eq 0 ]; then
  grep -E '^ptxas info|^ +[0-9]+ bytes stack frame' "$err" >"$out.ptxas.tmp" && true
  mv -f "$out.ptxas.tmp" "$out.ptxas"
fi
grep -v -E '^ptxas info|^ +[0-9]+ bytes stack frame' "$err" >&2
rm -f "$err"
exit $status
