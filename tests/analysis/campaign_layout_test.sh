#!/usr/bin/env bash
# scripts/cooling_campaign.py layout: every run config it writes passes `vitrum run --check` with
# the requested rate, seed and size; the Slurm array covers every run and is valid bash; bad
# rates are refused.  campaign_layout_test.sh VITRUM SOURCE_DIR
set -euo pipefail
vitrum=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$src/scripts/cooling_campaign.py" layout "$work/camp" --rates 10 1000 \
  --seeds 1 2 --sizes 192 --potential "$src/configs/potentials/SiO2-BKS.toml" --vitrum "$vitrum" \
  --walltime 01:00:00 > /dev/null
[ "$(wc -l < "$work/camp/jobs.txt")" -eq 4 ] || { echo "expected 4 jobs"; exit 1; }
grep -q -- "--array=0-3" "$work/camp/slurm_array.sh" || { echo "array range wrong"; exit 1; }
grep -q -- '--max-walltime "00:55:00"' "$work/camp/slurm_array.sh" || { echo "budget wrong"; exit 1; }
bash -n "$work/camp/slurm_array.sh"
while read -r d; do
  out=$("$vitrum" run --check "$d/run.toml")
  rate=$(basename "$d" | sed 's/^r\([0-9.]*\)_.*/\1/')
  steps=$(echo "$out" | awk '/quench/ {print $3}')
  # quench 4000 K -> 300 K at the rate (K/ps) with 1 fs steps: 3700 / rate * 1000 steps
  want=$(/usr/bin/python3 -c "print(round(3700 / $rate * 1000))")
  [ "$steps" = "$want" ] || { echo "$d: quench $steps steps, expected $want"; echo "$out"; exit 1; }
  grep -q "n_atoms = 192" "$d/run.toml"
done < "$work/camp/jobs.txt"
if /usr/bin/python3 "$src/scripts/cooling_campaign.py" layout "$work/bad" --rates 0 \
    --potential x 2> "$work/err"; then
  echo "rate 0 accepted"; exit 1
fi
grep -q "rates must be > 0" "$work/err"
echo OK
