"""vitrum.predict: energies, forces and virials of structures given as arrays."""

import numpy as np

from ._vitrum import Error, Model
from ._arrays import atomic_numbers, float_array


def predict(potential, positions, numbers, cells=None, *, backend="cpu", precision="double",
            length_unit=1.0, energy_unit=1.0, threads=0):
    """Evaluates every structure of a batch with one potential, as `vitrum predict`.

    potential: an n2p2 HDNNP directory or a teacher parameter file (*.toml), or a vitrum.Model.
    positions: (n_atoms, 3) or (n_structures, n_atoms, 3) Cartesian positions.
    numbers: atomic numbers or element symbols, (n_atoms,) shared by every structure or
             (n_structures, n_atoms).
    cells: None (isolated), (3, 3) shared, or (n_structures, 3, 3); rows are the cell vectors.
    Returns a dict: energy (n_structures,), forces (n_structures, n_atoms, 3),
    virial (n_structures, 3, 3) (W_ab = sum_i r_ia F_ib); a single structure drops the first axis.
    """
    model = potential if isinstance(potential, Model) else Model(
        str(potential), backend, precision, length_unit, energy_unit, threads)
    pos = float_array(positions, "positions")
    single = pos.ndim == 2
    if single:
        pos = pos[None]
    if pos.ndim != 3 or pos.shape[2] != 3:
        raise Error(f"positions: expected shape (n_atoms, 3) or (n_structures, n_atoms, 3), "
                    f"got {np.shape(positions)}")
    ns, n = pos.shape[:2]
    z = atomic_numbers(numbers)
    if z.ndim == 1:
        z = np.broadcast_to(z, (ns, z.shape[0]))
    if z.shape != (ns, n):
        raise Error(f"numbers: expected shape ({n},) or ({ns}, {n}) to match positions, "
                    f"got {z.shape}")
    if cells is None:
        cell = np.zeros((ns, 3, 3))
    else:
        cell = float_array(cells, "cells")
        if cell.shape == (3, 3):
            cell = np.broadcast_to(cell, (ns, 3, 3))
        if cell.shape != (ns, 3, 3):
            raise Error(f"cells: expected shape (3, 3) or ({ns}, 3, 3), got {np.shape(cells)}")
    energy = np.empty(ns)
    forces = np.empty((ns, n, 3))
    virial = np.empty((ns, 3, 3))
    for k in range(ns):
        r = model.compute(np.ascontiguousarray(pos[k]), np.ascontiguousarray(z[k], dtype=np.int32),
                          np.ascontiguousarray(cell[k]), cells is not None,
                          f"structure {k + 1}")
        energy[k], forces[k], virial[k] = r["energy"], r["forces"], r["virial"]
    if single:
        return {"energy": energy[0], "forces": forces[0], "virial": virial[0]}
    return {"energy": energy, "forces": forces, "virial": virial}
