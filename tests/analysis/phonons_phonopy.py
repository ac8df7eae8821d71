"""Harmonic phonons of vitrum vs phonopy on the same force constants (β-cristobalite, BKS).

  phonons_phonopy.py VITRUM_BINARY SOURCE_DIR WORKDIR

vitrum computes the force constants of a 2x2x2 supercell of the conventional cell (192 atoms) by
finite displacements with the BKS teacher potential and diagonalizes the dynamical matrix at its
Γ point. phonopy gets the same force constants (reordered to its own supercell), Fourier
interpolates them onto the commensurate 2x2x2 q mesh of the conventional cell and diagonalizes
there: the 576 frequencies must agree, as must the broadened DOS.

phonopy uses only the force-constant rows of the atoms of one unit cell (translated copies for
the others, then a Hermitian dynamical matrix), while vitrum uses every row; finite differences
make equivalent rows differ slightly. Weyl's inequality bounds the difference of the squared
frequencies by the norm of the difference of the two mass-weighted matrices, which the test
computes from the force constants and uses as the tolerance.
"""
import subprocess
import sys

import ase
import ase.io
import numpy as np
from phonopy import Phonopy
from phonopy.structure.atoms import PhonopyAtoms

vitrum, src, work = sys.argv[1:4]
a = 7.16
fcc = [(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)]
frac, sym = [], []
for b in fcc:
    frac += [b, tuple(np.add(b, 0.25))]
    sym += ["Si", "Si"]
for b in fcc:
    for d in [(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)]:
        frac.append(tuple(np.add(b, 0.125 * np.array(d))))
        sym.append("O")
unit = ase.Atoms(sym, scaled_positions=np.mod(frac, 1.0), cell=np.eye(3) * a, pbc=True)
# A small random distortion breaks the ideal symmetry (BKS has no minimum there; the test is the
# linear algebra, not stability) so that no degeneracy hides an ordering error.
rng = np.random.default_rng(3)
unit.positions += rng.normal(0.0, 0.02, unit.positions.shape)
sc = unit.repeat((2, 2, 2))
ase.io.write(f"{work}/cristobalite.xyz", sc, format="extxyz")
subprocess.run([vitrum, "analyze", f"{work}/cristobalite.xyz", "-o", f"{work}/ph", "--phonons",
                "--potential", f"{src}/configs/potentials/SiO2-BKS.toml", "--phonon-sigma", "0.3"],
               check=True, stdout=subprocess.DEVNULL)
ours = np.loadtxt(f"{work}/ph/modes.csv", delimiter=",", comments="#", skiprows=2, usecols=1)

n = len(sc)
raw = open(f"{work}/ph/FORCE_CONSTANTS").read().split("\n")
fc_ours = np.zeros((n, n, 3, 3))
line = 1
for i in range(n):
    for j in range(n):
        line += 1
        for r in range(3):
            fc_ours[i, j, r] = [float(x) for x in raw[line].split()]
            line += 1

# The same masses as vitrum (IUPAC conventional values, as ASE has them; phonopy's own table
# differs in the fifth digit).
ph = Phonopy(PhonopyAtoms(symbols=unit.get_chemical_symbols(), cell=unit.cell[:],
                          scaled_positions=unit.get_scaled_positions(), masses=unit.get_masses()),
             supercell_matrix=np.diag([2, 2, 2]), primitive_matrix=None)
sup = ph.supercell
# Map phonopy's supercell atoms onto ours by position (modulo the supercell).
cell = sc.cell[:]
ours_frac = sc.get_scaled_positions()
theirs_frac = np.mod(sup.scaled_positions, 1.0)
order = np.empty(n, dtype=int)
for k, f in enumerate(theirs_frac):
    d = np.mod(ours_frac - f + 0.5, 1.0) - 0.5
    dist = np.linalg.norm(d @ cell, axis=1)
    order[k] = int(np.argmin(dist))
    assert dist[order[k]] < 1e-6, "atom mapping failed"
assert len(set(order)) == n
ph.force_constants = fc_ours[np.ix_(order, order)]
ph.run_mesh([2, 2, 2], is_gamma_center=True, is_mesh_symmetry=False)
# phonopy converts with older physical constants than vitrum's CODATA 2018 value.
try:
    from phonopy.physical_units import get_physical_units
    phonopy_thz = get_physical_units().DefaultToTHz
except ImportError:
    from phonopy.units import VaspToTHz as phonopy_thz
vitrum_thz = 15.633304239856193
theirs = np.sort(ph.mesh.frequencies.ravel()) * (vitrum_thz / phonopy_thz)
print(f"{len(ours)} modes; lowest {ours[:5]}; highest {ours[-1]:.4f} THz")
if len(theirs) != len(ours):
    sys.exit(f"{len(ours)} vitrum modes but {len(theirs)} from phonopy")
# phonopy's effective supercell force constants: rows of unit cell 0 translated, symmetrized.
nu_cell = len(unit)
reps = [(i, j, k) for i in range(2) for j in range(2) for k in range(2)]  # ase.repeat order
def index(t, k):
    return reps.index(tuple(np.mod(t, 2))) * nu_cell + k
copy = np.zeros_like(fc_ours)
for t1 in reps:
    for k1 in range(nu_cell):
        for t2 in reps:
            for k2 in range(nu_cell):
                copy[index(t1, k1), index(t2, k2)] = fc_ours[k1, index(np.subtract(t2, t1), k2)]
copy = 0.5 * (copy + copy.transpose(1, 0, 3, 2))
masses = sc.get_masses()
w = 1.0 / np.sqrt(np.outer(masses, masses))
delta = ((fc_ours - copy) * w[:, :, None, None]).transpose(0, 2, 1, 3).reshape(3 * n, 3 * n)
bound = np.linalg.norm(delta, 2) * vitrum_thz**2  # THz^2 (Weyl: |ν² - ν'²| <= ||ΔD||)
# plus 1e-9 of the largest: a residual of 2e-10 of it remains unexplained (seen: 4.2e-7 THz^2
# of 1980 THz^2 with phonopy 2.38.2; the Weyl term alone is 4e-9 THz^2)
bound += 1e-9 * theirs.max()**2
sq = lambda f: np.sign(f) * f**2
worst = np.max(np.abs(sq(np.sort(ours)) - sq(theirs)))
print(f"largest |nu^2 - nu'^2| vs phonopy: {worst:.3e} THz^2; Weyl bound {bound:.3e} THz^2")
if not worst <= bound:
    sys.exit("frequencies differ from phonopy by more than the force constants allow")
# Broadened DOS: phonopy's total DOS (normalized to 3 x 24 modes per mesh point) vs ours (to 1).
dos = np.loadtxt(f"{work}/ph/phonon_dos.csv", delimiter=",", comments="#", skiprows=2)
ph.run_total_dos(sigma=0.3, freq_min=dos[0, 0], freq_max=dos[-1, 0], freq_pitch=0.02)
d = {"frequency_points": ph.total_dos.frequency_points, "total_dos": ph.total_dos.dos}
theirs_dos = np.interp(dos[:, 0], d["frequency_points"], d["total_dos"]) / (3 * len(unit))
diff = np.max(np.abs(theirs_dos - dos[:, 2])) / dos[:, 2].max()
print(f"largest DOS difference vs phonopy: {diff:.2e} of the maximum")
if diff > 1e-4:  # same grid; seen 6e-6
    sys.exit("DOS differs from phonopy")
print("OK")
