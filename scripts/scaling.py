#!/usr/bin/python3
"""Weak- and strong-scaling benchmark of `vitrum run` under MPI domain decomposition.

  scaling.py [--mode weak|strong|both] [--ranks 1,2,4] [--atoms-per-rank N] [--total N]
             [--steps N] [--potential bks|water] [--binary PATH] [--out DIR] [--threads T]

For every rank count k it writes a campaign file (DIR/<mode>_<k>ranks/config.toml), runs
`mpiexec -n k --oversubscribe BINARY run config.toml --threads T` and parses what the run prints
at its end: the atom count, the domain grid, and the timer block

  timings (wall time of the step loop by part):
    neighbor / potential / integrate / output / comm   seconds  percent
    total   seconds  steps, atom-steps/s

(rank 0's timers; the energy/virial reduction every step keeps the ranks in step, so rank 0's
loop time is the run's). It prints a table (ranks, atoms, atom-steps/s, parallel efficiency, time
fractions), writes DIR/scaling.csv and DIR/scaling.png.

  weak    atoms per rank fixed: BKS: one random amorphous SiO2 cell of --atoms-per-rank atoms at
          2.2 g/cm3, replicated by the rank grid (k = a*b*c, e.g. 4 -> 2x2x1), so every subdomain
          holds the same atoms; water: the shipped 1080-atom box replicated to about
          --atoms-per-rank per rank, times the rank grid.
  strong  total fixed: one cell of about --total atoms for every k.

Parallel efficiency is E(k) = R(k) / (k R(1)), R = atom-steps/s (for weak and strong scaling
alike: per-rank throughput relative to one rank). The time split columns are fractions of the
step loop: potential (force evaluation), integrate (integrator, kinetic sums, health checks),
neighbor (rebuild checks, wrapping, ghost shell and list builds), comm (domain decomposition:
forward halo exchange of ghost positions, reverse exchange of ghost forces, migration and plan
rebuilds, the energy/virial reduction, and the waiting for slower ranks in them) and I/O (thermo
lines, snapshots, the final structure). The stage is Langevin NVT at 3000 K (BKS; the random
cell relaxes under it) or NVE at 300 K (water), with thermo lines only at the ends.

Needs Debian's python3 with numpy and matplotlib (the plot is skipped with a note without
matplotlib) and Open MPI's mpiexec; as root, OMPI_ALLOW_RUN_AS_ROOT is set for the child.
"""
import argparse
import csv
import math
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BKS = os.path.join(ROOT, "configs", "potentials", "SiO2-BKS.toml")
WATER_POT = os.path.join(ROOT, "configs", "potentials", "H2O_RPBE-D3")
WATER_DATA = os.path.join(ROOT, "configs", "structures", "water_1080.data")
PARTS = ["potential", "integrate", "neighbor", "comm", "output"]


def grid_factors(k):
    """k = a*b*c with the factors as equal as possible (largest first)."""
    f = [1, 1, 1]
    primes = []
    m, p = k, 2
    while m > 1:
        while m % p == 0:
            primes.append(p)
            m //= p
        p += 1
    for q in sorted(primes, reverse=True):
        i = f.index(min(f))
        f[i] *= q
    return sorted(f, reverse=True)


def block(n_boxes):
    """A replication a x b x c with a*b*c close to n_boxes (at least 1), as cubic as possible."""
    n_boxes = max(1, int(round(n_boxes)))
    best = None
    for a in range(1, n_boxes + 1):
        for b in range(1, a + 1):
            c = max(1, int(round(n_boxes / (a * b))))
            if c > b:
                continue
            err = abs(a * b * c - n_boxes) / n_boxes + 0.01 * (a - c)
            if best is None or err < best[0]:
                best = (err, [a, b, c])
    return best[1]


def config_text(potential, mode, k, args, outdir):
    """The campaign file for k ranks; returns (text, expected atom count)."""
    lines = []
    if potential == "bks":
        if mode == "weak":
            n_cell = 3 * max(1, round(args.atoms_per_rank / 3))
            rep = grid_factors(k)
        else:
            # one random cell up to 12000 atoms; larger totals replicate a smaller random cell
            r = 1
            while args.total / r**3 > 12000:
                r += 1
            n_cell = 3 * max(1, round(args.total / r**3 / 3))
            rep = [r, r, r]
        lines += [
            "[structure]",
            f"replicate = [{rep[0]}, {rep[1]}, {rep[2]}]",
            "[structure.generate]",
            'builder = "amorphous"',
            "composition = { Si = 1, O = 2 }",
            f"n_atoms = {n_cell}",
            "density = 2.2",
            "min_distances = { Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }",
            "[potential]",
            f'path = "{BKS}"',
            "[md]",
            "timestep_fs = 0.5",
        ]
        n_atoms = n_cell * rep[0] * rep[1] * rep[2]
        stage = [
            "[velocities]",
            "temperature = 3000.0",
            "[[stage]]",
            'name = "bench"',
            'ensemble = "nvt_langevin"',
            "temperature = 3000.0",
            "tdamp_fs = 10.0",
            f"steps = {args.steps}",
        ]
    else:
        if mode == "weak":
            b = block(args.atoms_per_rank / 1080.0)
            g = grid_factors(k)
            rep = [b[i] * g[i] for i in range(3)]
        else:
            rep = block(args.total / 1080.0)
        lines += [
            "[structure]",
            f'file = "{WATER_DATA}"',
            'length_unit = "bohr"',
            f"replicate = [{rep[0]}, {rep[1]}, {rep[2]}]",
            "[potential]",
            f'path = "{WATER_POT}"',
            'length_unit = "bohr"',
            'energy_unit = "Hartree"',
            "[md]",
            "timestep_fs = 0.5",
        ]
        n_atoms = 1080 * rep[0] * rep[1] * rep[2]
        stage = [
            "[velocities]",
            "temperature = 300.0",
            "[[stage]]",
            'name = "bench"',
            'ensemble = "nve"',
            f"steps = {args.steps}",
        ]
    lines += [
        f"seed = {args.seed}",
        "skin = 1.0",
        f"threads = {args.threads}",
    ]
    lines += stage[:2]
    lines += [
        "[output]",
        f'directory = "{outdir}"',
        "thermo_every = 0",
        "trajectory_every = 0",
        "progress = false",
        "[checkpoint]",
        "at_end = false",
        "every_minutes = 0",
    ]
    lines += stage[2:]
    return "\n".join(lines) + "\n", n_atoms


def parse_run(text):
    """The end-of-run summary of `vitrum run` (rank 0)."""
    r = {}
    m = re.search(r"structure: (\d+) atoms", text)
    if m:
        r["atoms"] = int(m.group(1))
    m = re.search(r"domain decomposition: (\d+) x (\d+) x (\d+) ranks", text)
    r["grid"] = "x".join(m.groups()) if m else "1x1x1"
    for part in PARTS:
        m = re.search(rf"^\s+{part}\s+([0-9.eE+-]+) s", text, re.M)
        r[part] = float(m.group(1)) if m else 0.0
    m = re.search(r"^\s+total\s+([0-9.eE+-]+) s\s+(\d+) steps, ([0-9.eE+-]+) atom-steps/s", text, re.M)
    if not m:
        return None
    r["total"] = float(m.group(1))
    r["steps"] = int(m.group(2))
    r["rate"] = float(m.group(3))
    m = re.search(r"neighbor list: (\d+) builds", text)
    r["builds"] = int(m.group(1)) if m else 0
    m = re.search(r"wall time ([0-9.]+) s", text)
    r["wall"] = float(m.group(1)) if m else float("nan")
    return r


def run_one(args, mode, k):
    name = f"{mode}_{k}ranks"
    rdir = os.path.join(args.out, name)
    os.makedirs(rdir, exist_ok=True)
    text, n_expected = config_text(args.potential, mode, k, args, rdir)
    cfg = os.path.join(rdir, "config.toml")
    with open(cfg, "w") as f:
        f.write(text)
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(args.threads)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    cmd = [args.mpiexec, "-n", str(k)] + args.mpiexec_args.split() + [
        args.binary, "run", cfg, "--overwrite", "--threads", str(args.threads)]
    print(f"[{name}] {n_expected} atoms: {' '.join(cmd)}", file=sys.stderr, flush=True)
    t0 = time.time()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(rdir, "run.log"), "w") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        sys.exit(f"scaling.py: {name} failed with status {p.returncode}; last lines of "
                 f"{os.path.join(rdir, 'run.log')}:\n" + "\n".join(p.stdout.splitlines()[-15:]))
    r = parse_run(p.stdout)
    if r is None:
        sys.exit(f"scaling.py: {name}: no timer summary in the output ({rdir}/run.log)")
    r.update(mode=mode, ranks=k, elapsed=time.time() - t0)
    return r


def table(rows):
    head = (f"{'mode':<6} {'ranks':>5} {'grid':>6} {'atoms':>8} {'atoms/rank':>10} "
            f"{'atom-steps/s':>12} {'eff':>6} " + " ".join(f"{p[:5]:>6}" for p in
                                                            ["pot", "integ", "neigh", "comm", "I/O"])
            + f" {'builds':>6} {'loop_s':>7}")
    out = [head, "-" * len(head)]
    for r in rows:
        tot = r["total"] if r["total"] > 0 else 1.0
        fr = " ".join(f"{100 * r[p] / tot:5.1f}%" for p in PARTS)
        out.append(f"{r['mode']:<6} {r['ranks']:>5} {r['grid']:>6} {r['atoms']:>8} "
                   f"{r['atoms'] / r['ranks']:>10.0f} {r['rate']:>12.4g} {r['eff']:>6.3f} {fr} "
                   f"{r['builds']:>6} {r['total']:>7.2f}")
    return "\n".join(out)


def read_csv(path):
    """Rows of a scaling.csv written by an earlier run."""
    if not os.path.exists(path):
        sys.exit(f"scaling.py: {path} not found (run the benchmark first)")
    rows = []
    with open(path, newline="") as f:
        for d in csv.DictReader(f):
            r = dict(mode=d["mode"], ranks=int(d["ranks"]), grid=d["grid"], atoms=int(d["atoms"]),
                     steps=int(d["steps"]), rate=float(d["atom_steps_per_s"]),
                     eff=float(d["efficiency"]), total=float(d["loop_s"]),
                     builds=int(d["neighbor_builds"]), wall=float(d["wall_s"]))
            for p in PARTS:
                r[p] = float(d[f"{p}_s"])
            rows.append(r)
    return rows


def plot(rows, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        print(f"scaling.py: no plot ({e}); Debian: apt-get install python3-matplotlib",
              file=sys.stderr)
        return False
    modes = [m for m in ("weak", "strong") if any(r["mode"] == m for r in rows)]
    fig, axes = plt.subplots(len(modes), 2, figsize=(13, 4.2 * len(modes)), squeeze=False)
    colors = {"potential": "C0", "integrate": "C2", "neighbor": "C1", "comm": "C3", "output": "C7"}
    labels = {"potential": "potential (compute)", "integrate": "integrate",
              "neighbor": "neighbor lists", "comm": "comm (halo, migration, reductions)",
              "output": "I/O"}
    for row, mode in enumerate(modes):
        rs = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["ranks"])
        k = np.array([r["ranks"] for r in rs], dtype=float)
        rate = np.array([r["rate"] for r in rs])
        eff = np.array([r["eff"] for r in rs])
        ax = axes[row][0]
        ax.plot(k, rate, "o-", color="C0", label="measured")
        ax.plot(k, rate[0] * k / k[0], "--", color="0.5", label="ideal")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(k, [str(int(x)) for x in k])
        ax.set_xlabel("MPI ranks")
        ax.set_ylabel("atom-steps / s")
        ax.set_title(f"{mode} scaling ({'%d atoms/rank' % round(rs[0]['atoms'] / rs[0]['ranks']) if mode == 'weak' else '%d atoms' % rs[0]['atoms']})")
        ax2 = ax.twinx()
        ax2.plot(k, eff, "s:", color="C3", label="efficiency")
        ax2.set_ylim(0, 1.1)
        ax2.set_ylabel("parallel efficiency", color="C3")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower right", fontsize=8)
        ax = axes[row][1]
        bottom = np.zeros(len(rs))
        x = np.arange(len(rs))
        for p in PARTS:
            f = np.array([r[p] / r["total"] if r["total"] > 0 else 0 for r in rs])
            ax.bar(x, f, bottom=bottom, color=colors[p], label=labels[p])
            bottom += f
        ax.set_xticks(x, [f"{r['ranks']} ({r['grid']})" for r in rs])
        ax.set_xlabel("MPI ranks (grid)")
        ax.set_ylabel("fraction of the step loop")
        ax.set_ylim(0, 1)
        ax.set_title(f"{mode}: time split (rank 0)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["weak", "strong", "both"], default="weak")
    ap.add_argument("--ranks", default="1,2,4", help="comma-separated rank counts (default 1,2,4)")
    ap.add_argument("--atoms-per-rank", type=int, default=1500, help="weak scaling (default 1500)")
    ap.add_argument("--total", type=int, default=6000, help="strong scaling (default 6000)")
    ap.add_argument("--steps", type=int, default=200, help="MD steps per run (default 200)")
    ap.add_argument("--potential", choices=["bks", "water"], default="bks")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "vitrum"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "scaling"))
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads per rank (default 1)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--replot", action="store_true",
                    help="no runs: print the table and redraw the plot from DIR/scaling.csv")
    ap.add_argument("--mpiexec", default="mpiexec")
    ap.add_argument("--mpiexec-args", default="--oversubscribe",
                    help="extra mpiexec arguments (default --oversubscribe)")
    args = ap.parse_args()
    try:
        ranks = sorted({int(x) for x in args.ranks.split(",") if x.strip()})
    except ValueError:
        ap.error(f"--ranks: expected comma-separated integers, got {args.ranks!r}")
    if not ranks or ranks[0] < 1:
        ap.error("--ranks: rank counts must be >= 1")
    if args.steps < 1:
        ap.error("--steps must be >= 1")
    args.out = os.path.abspath(args.out)
    if args.replot:
        rows = read_csv(os.path.join(args.out, "scaling.csv"))
        print(table(rows))
        png = os.path.join(args.out, "scaling.png")
        if plot(rows, png):
            print(f"wrote {png}")
        return
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"scaling.py: {args.binary} is not an executable (build it, or pass --binary)")
    if shutil.which(args.mpiexec) is None:
        sys.exit(f"scaling.py: {args.mpiexec} not found (Debian: apt-get install openmpi-bin)")
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    ncpu = os.cpu_count() or 1
    modes = ["weak", "strong"] if args.mode == "both" else [args.mode]
    rows = []
    for mode in modes:
        base = None
        for k in ranks:
            r = run_one(args, mode, k)
            if base is None:
                base = r
            r["eff"] = r["rate"] / (k / base["ranks"] * base["rate"]) if base["rate"] > 0 else 0.0
            rows.append(r)
    over = [k for k in ranks if k * args.threads > ncpu]
    print(f"vitrum scaling: {args.potential}, {args.steps} steps, {args.threads} thread(s)/rank, "
          f"{ncpu} cores" + (f"; oversubscribed at {', '.join(map(str, over))} ranks" if over else ""))
    print(table(rows))
    print("eff = R(k) / (k R(k0)) against the smallest rank count k0; time split: fractions of "
          "rank 0's step loop (pot: force evaluation, comm: halo + migration + reductions).")
    with open(os.path.join(args.out, "scaling.csv"), "w", newline="") as f:
        w = csv.writer(f)
        keys = ["mode", "ranks", "grid", "atoms", "steps", "rate", "eff"] + PARTS + [
            "total", "builds", "wall"]
        w.writerow(["mode", "ranks", "grid", "atoms", "steps", "atom_steps_per_s", "efficiency"]
                   + [f"{p}_s" for p in PARTS] + ["loop_s", "neighbor_builds", "wall_s"])
        for r in rows:
            w.writerow([r[x] for x in keys])
    png = os.path.join(args.out, "scaling.png")
    if plot(rows, png):
        print(f"wrote {os.path.join(args.out, 'scaling.csv')}, {png}")
    else:
        print(f"wrote {os.path.join(args.out, 'scaling.csv')}")


if __name__ == "__main__":
    main()
