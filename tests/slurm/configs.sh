# shellcheck shell=bash
# Sourced by the Slurm harness: small campaigns made from the shipped configs/sio2_quench.toml
# (melt–quench of amorphous SiO2 with the BKS teacher), scaled down so that a job runs seconds.
#
#   quench_config SOURCE_DIR N_ATOMS FRACTION [NETWORK_RATE]
#     prints the shipped campaign with N_ATOMS atoms, every stage length times FRACTION (steps
#     and time_ps multiplied, ramp rates divided), the network stage at NETWORK_RATE K/ps when
#     given, the potential path made absolute and the output directory left to --output-dir.
quench_config() {
  local src=$1 n_atoms=$2 fraction=$3 network_rate=${4:-}
  awk -v n="$n_atoms" -v f="$fraction" -v nr="$network_rate" -v src="$src" '
    /^n_atoms = / { print "n_atoms = " n; next }
    /^directory = / { next }
    /^path = "potentials\// { sub(/"potentials\//, "\"" src "/configs/potentials/"); print; next }
    /^\[\[stage\]\]/ { stage = "" }
    /^name = / { stage = $3 }
    /^steps = / { printf "steps = %d\n", $3 * f + 0.5; next }
    /^time_ps = / { printf "time_ps = %.6g\n", $3 * f; next }
    /rate = [0-9.]+ }/ {
      match($0, /rate = [0-9.]+/)
      rate = substr($0, RSTART + 7, RLENGTH - 7)
      new = (stage == "\"network\"" && nr != "") ? nr : rate / f
      printf "%s%.10g%s\n", substr($0, 1, RSTART + 6), new, substr($0, RSTART + RLENGTH)
      next
    }
    { print }' "$src/configs/sio2_quench.toml"
}

# Steps of a campaign, from `vitrum run --check`'s plan.
campaign_steps() {
  "$VITRUM" run "$1" --check | sed -n 's/.*: valid; .* \([0-9][0-9]*\) steps, .*/\1/p' | head -1
}
