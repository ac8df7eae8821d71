#!/usr/bin/env bash
# The main job on a shipped example: installs what is missing, builds, and predicts energies and
# forces of a 1080-atom liquid water box with the shipped H2O RPBE-D3 HDNNP.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
mkdir -p out
build/vitrum predict --potential configs/potentials/H2O_RPBE-D3 \
  --input configs/structures/water_1080.data --output out/water_1080_predicted.xyz
