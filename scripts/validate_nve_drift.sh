#!/usr/bin/env bash
# Energy conservation over 10 ps of NVE at 1 fs (issue #3 target: |drift| < 1e-5 eV/atom/ps):
#   water  configs/validation/nve_drift_water.toml  1080-atom water box, shipped RPBE-D3 HDNNP
#   bks    configs/validation/nve_drift_bks.toml    3000-atom SiO2 glass (300 K), BKS teacher
# Each case runs `vitrum run` on its config, then fits E_tot/N against time over the NVE stage
# (least squares) and prints the drift, the largest |E_tot - E_tot(0)|/N and the verdict.
# Too long for the test suite (about 20 min for water and 15 min for BKS on one core).
#
# Usage: scripts/validate_nve_drift.sh [water] [bks]     (default: both)
# Environment: VITRUM (binary, default build/vitrum), THREADS (default 1), OUT (default
# out/validate_nve_drift), NICE (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
VITRUM=${VITRUM:-build/vitrum}
THREADS=${THREADS:-1}
OUT=${OUT:-out/validate_nve_drift}
NICE=${NICE:-10}
mkdir -p "$OUT"
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(water bks)
[ -x "$VITRUM" ] || { echo "error: $VITRUM not found; build first (scripts/build.sh)" >&2; exit 2; }

status=0
for c in "${cases[@]}"; do
  case "$c" in
    water | bks) config=configs/validation/nve_drift_$c.toml ;;
    *) echo "error: unknown case '$c' (expected water or bks)" >&2; exit 2 ;;
  esac
  dir=$OUT/$c
  echo "== $c: $VITRUM run $config -o $dir --threads $THREADS"
  start=$(date +%s)
  # CPU seconds of the run (user + system) through GNU time when it is there.
  timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%U %S" -o "$dir.cpu")
  nice -n "$NICE" "${timer[@]}" "$VITRUM" run "$config" -o "$dir" --overwrite --threads "$THREADS" -q \
    > "$dir.log" 2>&1 || {
    echo "error: vitrum run failed, see $dir.log" >&2; tail -5 "$dir.log" >&2; status=1; continue; }
  wall=$(( $(date +%s) - start ))
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$dir.cpu" 2>/dev/null || echo "?")
  /usr/bin/python3 - "$dir/thermo.csv" "$dir/final.xyz" "$c" "$wall" "$cpu" <<'EOF' || status=1
import csv, sys
path, final, name, wall, cpu = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
with open(path) as f:
    rows = [r for r in csv.DictReader(f) if r["stage"] == "nve"]
if len(rows) < 3:
    sys.exit(f"{path}: fewer than 3 thermo rows in the nve stage")
first_step = int(rows[0]["step"])
with open(final) as f:
    n = int(f.readline())                                # atoms (extxyz header)
t = [float(r["time_fs"]) * 1e-3 for r in rows]          # ps
e = [float(r["etotal_eV"]) / n for r in rows]           # eV/atom
m = len(t)
st, se = sum(t), sum(e)
stt = sum(x * x for x in t)
ste = sum(x * y for x, y in zip(t, e))
slope = (m * ste - st * se) / (m * stt - st * st)
dev = max(abs(x - e[0]) for x in e)
temp = sum(float(r["temperature_K"]) for r in rows) / m
ok = abs(slope) < 1e-5
print(f"{name}: {n} atoms, NVE {t[-1] - t[0]:.2f} ps from step {first_step}, <T> = {temp:.0f} K: "
      f"drift {slope:+.3e} eV/atom/ps (target |drift| < 1e-5: {'PASS' if ok else 'FAIL'}), "
      f"max |E - E0| {dev:.3e} eV/atom; run took {wall} s wall, {cpu} s CPU")
sys.exit(0 if ok else 1)
EOF
done
exit $status
