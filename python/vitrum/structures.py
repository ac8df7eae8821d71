"""Structures to and from ASE: vitrum's readers (n2p2 input.data, extended XYZ, LAMMPS data) and
its random amorphous-cell builder."""

import os

from . import _vitrum


def _atoms(d):
    from ase import Atoms  # noqa: PLC0415 (optional dependency)
    from ase.calculators.singlepoint import SinglePointCalculator  # noqa: PLC0415

    atoms = Atoms(numbers=d["numbers"], positions=d["positions"],
                  cell=d["cell"] if d["periodic"] else None, pbc=d["periodic"])
    if "energy" in d or "forces" in d:
        atoms.calc = SinglePointCalculator(atoms, energy=d.get("energy"), forces=d.get("forces"))
    return atoms


def read(path):
    """Every structure of a file as ase.Atoms (reference energy and forces, where the file has
    them, on a SinglePointCalculator)."""
    return [_atoms(d) for d in _vitrum.read_structures(os.fspath(path))]


def amorphous_cell(composition, n_atoms, density, min_distances, default_min_distance=0.0,
                   seed=1):
    """A random periodic cell (ase.Atoms) of the composition (e.g. {"Si": 1, "O": 2}) at the
    density (g/cm^3) with the minimum distances (e.g. {"Si-O": 1.55, "O-O": 2.3}, Å), as the
    `builder = "amorphous"` of `vitrum run`."""
    d = _vitrum.amorphous_cell(list(composition.items()), int(n_atoms), float(density),
                               {k: float(v) for k, v in min_distances.items()},
                               float(default_min_distance), int(seed))
    return _atoms(d)
