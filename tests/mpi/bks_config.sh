# Sourced by the MPI shell tests: the common head of their `vitrum run` configurations.
#   bks_config_head N_ATOMS SEED SOURCE_DIR
# prints [structure.generate] (a random SiO2 cell of N_ATOMS at 2.2 g/cm³), [potential] (the
# shipped BKS teacher) and [md] (1 fs, skin 1 Å, SEED); the caller appends the rest.
bks_config_head() {
  cat <<TOML
[structure.generate]
builder = "amorphous"
composition = { Si = 1, O = 2 }
n_atoms = $1
density = 2.2
min_distances = { Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }

[potential]
path = "$3/configs/potentials/SiO2-BKS.toml"

[md]
timestep_fs = 1.0
seed = $2
skin = 1.0

TOML
}
