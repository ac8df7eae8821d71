"""vitrum.Calculator: an ASE calculator on vitrum's HDNNP or SiO2 teacher (energy, forces,
stress), so that ASE's optimisers, MD and phonon tools run on vitrum."""

import numpy as np
from ase.calculators.calculator import Calculator as _AseCalculator
from ase.calculators.calculator import all_changes

from ._vitrum import Error, Model


class Calculator(_AseCalculator):
    """potential: an n2p2 HDNNP directory or a teacher parameter file (*.toml).
    backend: "cpu" or "cuda" (the CUDA backend needs a build with CUDA and a GPU);
    precision: "double" or "mixed" (HDNNP; the teacher is always double).
    length_unit / energy_unit: one potential unit in Å / eV, as a number or a name ("bohr",
    "Hartree", ...); ASE works in Å and eV, so the water potential shipped in bohr and Hartree
    takes length_unit="bohr", energy_unit="Hartree". A potential that states its units (input.nn
    of `vitrum train`) must be given those units: a mismatch is a vitrum.Error."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, potential, backend="cpu", precision="double", length_unit=1.0,
                 energy_unit=1.0, threads=0, **kwargs):
        super().__init__(**kwargs)
        for name, value, allowed in (("backend", backend, "'cpu' or 'cuda'"),
                                     ("precision", precision, "'double' or 'mixed'")):
            if not isinstance(value, str):
                raise Error(f"vitrum.Calculator: {name} must be {allowed}, got {value!r}")
        self.model = Model(str(potential), backend, precision, length_unit, energy_unit, threads)
        self.model_units = (length_unit, energy_unit)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        pbc = self.atoms.pbc
        if pbc.any() and not pbc.all():
            raise Error(f"vitrum supports full 3D periodicity or none; atoms.pbc is {pbc.tolist()}")
        periodic = bool(pbc.all())
        r = self.model.compute(np.ascontiguousarray(self.atoms.positions, dtype=np.float64),
                               np.ascontiguousarray(self.atoms.numbers, dtype=np.int32),
                               np.ascontiguousarray(self.atoms.cell.array, dtype=np.float64),
                               periodic, "atoms")
        self.results["energy"] = self.results["free_energy"] = r["energy"]
        self.results["forces"] = r["forces"]
        if periodic:
            # stress = (1/V) dE/de = -W/V with the virial W_ab = sum_i r_ia F_ib (symmetrized).
            w = r["virial"]
            s = -0.5 * (w + w.T) / self.atoms.get_volume()
            self.results["stress"] = np.array(
                [s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
        elif "stress" in properties:
            raise Error("stress needs a periodic cell (atoms.pbc all True)")
