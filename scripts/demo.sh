#!/usr/bin/env bash
# The main job on a shipped example: installs what is missing, builds, runs a melt–quench of a
# 648-atom amorphous SiO2 cell with the shipped SiO2-BKS HDNNP and analyses the glass (g(r),
# Si–O coordination), then predicts energies and forces of a 1080-atom liquid water box with the
# shipped H2O RPBE-D3 HDNNP.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
mkdir -p out
build/vitrum run configs/sio2_quench_hdnnp.toml --overwrite
build/vitrum analyze --overwrite out/sio2_quench_hdnnp/glass.xyz --rdf -c Si-O:2.0 -o out/sio2_quench_hdnnp/analysis
build/vitrum predict --overwrite --potential configs/potentials/H2O_RPBE-D3 \
  --input configs/structures/water_1080.data --output out/water_1080_predicted.xyz
