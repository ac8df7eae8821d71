#!/usr/bin/env bash
# The Slurm harness catches a job script whose signal or requeue handling is broken: its
# `timelimit` scenario runs on two damaged copies of scripts/slurm/ and must fail, each for its
# own reason:
#   - no `#SBATCH --signal` line: Slurm sends no warning, vitrum is stopped by the --max-walltime
#     guard instead of SIGUSR1 (and without that guard the time limit would kill it);
#   - no `scontrol requeue`: the checkpointed job ends with status 75 and the campaign is left
#     unfinished.
# The two harness runs (two private clusters) run side by side.
#
#   tests/slurm/broken_script.sh VITRUM_BINARY SOURCE_DIR
# Exit status 0: both damaged scripts were caught; 1: one passed the harness; 77: Slurm is not
# installed (as the harness).
set -uo pipefail
if [ $# -ne 2 ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  exit 2
fi
vitrum=$1
src=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vitrum-slurm-broken.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# damage NAME SED_EXPRESSION TEXT: a copy of the job scripts with the job script edited; the
# edit must have removed TEXT (so that a change of the script cannot make this test vacuous).
damage() {
  mkdir -p "$tmp/$1"
  cp "$src"/scripts/slurm/* "$tmp/$1/"
  sed -i "$2" "$tmp/$1/vitrum-job.sbatch"
  if grep -qF -- "$3" "$tmp/$1/vitrum-job.sbatch" || cmp -s "$tmp/$1/vitrum-job.sbatch" \
    "$src/scripts/slurm/vitrum-job.sbatch"; then
    echo "could not remove '$3' from the job script: update $0" >&2
    exit 1
  fi
}
# shellcheck disable=SC2016  # the job script's text, not this script's variables
damage nosignal '/^#SBATCH --signal=/d' '#SBATCH --signal='
# shellcheck disable=SC2016
damage norequeue 's/scontrol requeue "${SLURM_JOB_ID}"/true/' 'scontrol requeue "${SLURM_JOB_ID}"'

for v in nosignal norequeue; do
  VITRUM_SLURM_SCRIPTS=$tmp/$v bash "$here/harness.sh" "$vitrum" "$src" timelimit \
    >"$tmp/$v.log" 2>&1 &
  eval "pid_$v=\$!"
done
status=0
# expect VARIANT RC_EXPECTED PATTERN WHAT: the harness run on VARIANT failed with PATTERN.
expect() {
  local v=$1 pid rc=0
  pid=$(eval "echo \$pid_$v")
  wait "$pid" || rc=$?
  if [ "$rc" -eq 77 ]; then
    cat "$tmp/$v.log"
    exit 77
  fi
  if [ "$rc" -ne 1 ] || ! grep -q -- "$2" "$tmp/$v.log"; then
    echo "FAIL: the harness did not catch the job script with $3 (exit $rc):" >&2
    cat "$tmp/$v.log" >&2
    status=1
    return
  fi
  echo "ok: the harness caught the job script with $3:"
  grep '^FAIL' "$tmp/$v.log" | head -n 3 | sed 's/^/    /'
}
expect nosignal "stopped by Slurm's SIGUSR1 0 time(s)" "no --signal line"
expect norequeue "ended FAILED, expected COMPLETED" "no scontrol requeue"
exit "$status"
