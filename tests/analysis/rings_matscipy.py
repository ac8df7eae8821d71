"""Primitive rings of vitrum vs matscipy's shortest-path rings (Franzblau 1991) on a glass.

  rings_matscipy.py VITRUM_BINARY STRUCTURE WORKDIR

Runs `vitrum analyze --rings --ring-count all` (ring size in atoms, no alternation filter, as
matscipy counts) with a 2.0 Å bond cutoff for every pair and compares the number of rings of each
size below matscipy's maxlength exactly; then checks that the Si-counted sizes are the halves.
"""
import csv
import subprocess
import sys

import ase.io
from matscipy.rings import ring_statistics

vitrum, structure, work = sys.argv[1:4]
max_atoms = 20


def vitrum_rings(count, max_size, out):
    subprocess.run([vitrum, "analyze", structure, "-o", out, "-c", "Si-O:2.0,Si-Si:2.0,O-O:2.0",
                    "--rings", "--ring-count", count, "--ring-max", str(max_size)],
                   check=True, stdout=subprocess.DEVNULL)
    with open(f"{out}/rings.csv") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#"))]
    head = rows[0]
    return {int(r[0]): float(r[head.index("primitive_count")]) for r in rows[1:]}


ours = vitrum_rings("all", max_atoms, f"{work}/all")
atoms = ase.io.read(structure)
theirs = ring_statistics(atoms, 2.0, maxlength=max_atoms)
print("size  vitrum  matscipy")
bad = 0
for n in range(3, len(theirs)):
    print(f"{n:4d}  {ours.get(n, 0):6.0f}  {theirs[n]:8d}")
    bad += ours.get(n, 0) != theirs[n]
total = sum(theirs[3:])
if total < 100:
    sys.exit(f"only {total} rings: the glass is too small to test anything")
if bad:
    sys.exit(f"{bad} ring sizes differ between vitrum and matscipy")
si = vitrum_rings("Si", max_atoms // 2, f"{work}/si")
for n in range(2, max_atoms // 2):
    if si.get(n, 0) != ours.get(2 * n, 0):
        sys.exit(f"{n} Si rings: {si.get(n)} but {ours.get(2 * n)} rings of {2 * n} atoms")
print(f"OK: {total} rings agree size by size")
