#!/usr/bin/python3
"""Cooling-rate campaigns of melt-quench glasses with `vitrum run`.

  cooling_campaign.py layout OUT --rates 100 1000 10000 --seeds 1 2 --sizes 648 \\
      --potential configs/potentials/SiO2-BKS [--melt-T 4000 --final-T 300 ...]
  cooling_campaign.py run OUT [--threads 1]        run every pending job here, one after another
  cooling_campaign.py gather OUT [--vitrum build/vitrum]

layout writes OUT/runs/r<rate>_s<seed>_n<size>/run.toml (a restartable `vitrum run` campaign:
random SiO2 cell at the given density, relax, melt, linear quench at the rate in K/ps, hold at
the final temperature; checkpoints every 20 minutes and at the end), OUT/jobs.txt (one run
directory per line) and OUT/slurm_array.sh (a Slurm job array over jobs.txt: each task continues
from its checkpoint when one exists, stops in time before the wall-time limit with status 75
and requeues itself).

gather runs `vitrum analyze` on every finished glass (rings, Qn, bond angles, density), reads the
potential energy of the hold stage from thermo.csv, and writes OUT/cooling_table.csv (one row per
run), OUT/cooling_summary.csv and OUT/cooling_summary.md (mean and standard error of the mean over
seeds, per rate and size) and OUT/cooling_rate.png (each quantity against log10 rate).
"""
import argparse
import csv
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_name(rate, seed, size):
    return f"r{rate:g}_s{seed}_n{size}"


CONFIG = """# Melt-quench run of a cooling-rate campaign (scripts/cooling_campaign.py layout).
# rate {rate:g} K/ps, seed {seed}, {size} atoms
[structure.generate]
builder = "amorphous"
composition = {{ Si = 1, O = 2 }}
n_atoms = {size}
density = {density}
min_distances = {{ Si-O = 1.55, O-O = 2.3, Si-Si = 2.9 }}

[potential]
path = "{potential}"

[md]
timestep_fs = {dt}
seed = {seed}
skin = 1.0

[velocities]
temperature = {melt_t}

[output]
directory = "{directory}"
thermo_every = {thermo_every}
trajectory_every = 0
final_structure = "glass.xyz"
progress = false

[checkpoint]
every_minutes = 20
at_end = true

[[stage]]
name = "relax"
ensemble = "nvt_langevin"
timestep_fs = 0.5
temperature = {melt_t}
tdamp_fs = 10.0
steps = 200

[[stage]]
name = "melt"
ensemble = "nvt_nose_hoover"
temperature = {melt_t}
tdamp_fs = 100.0
time_ps = {melt_ps}

[[stage]]
name = "quench"
ensemble = "nvt_nose_hoover"
temperature = {{ from = {melt_t}, to = {final_t}, rate = {rate} }}
tdamp_fs = 100.0

[[stage]]
name = "glass"
ensemble = "nvt_nose_hoover"
temperature = {final_t}
tdamp_fs = 100.0
time_ps = {hold_ps}
"""

SLURM = """#!/bin/bash
# Slurm job array over the runs of {out} (written by cooling_campaign.py layout).
#SBATCH --job-name=vitrum-cooling
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={threads}
#SBATCH --time={walltime}
#SBATCH --requeue
#SBATCH --signal=B:USR1@120
set -uo pipefail
VITRUM=${{VITRUM:-{vitrum}}}
dir=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "{out}/jobs.txt")
cd "$dir" || exit 1
[ -f glass.xyz ] && exit 0                      # finished earlier
args=(run run.toml --threads "$SLURM_CPUS_PER_TASK" --max-walltime "{budget}")
[ -f checkpoint.h5 ] && args+=(--restart checkpoint.h5)
"$VITRUM" "${{args[@]}}" >> run.log 2>&1
status=$?
if [ $status -eq 75 ]; then                     # checkpointed before the limit: continue later
  scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}"
fi
exit $status
"""


def layout(a):
    out = os.path.abspath(a.out)
    runs = []
    for size in a.sizes:
        for rate in a.rates:
            for seed in a.seeds:
                d = os.path.join(out, "runs", run_name(rate, seed, size))
                os.makedirs(d, exist_ok=True)
                text = CONFIG.format(rate=rate, seed=seed, size=size, density=a.density,
                                     potential=os.path.abspath(a.potential), dt=a.timestep,
                                     melt_t=a.melt_T, final_t=a.final_T, melt_ps=a.melt_ps,
                                     hold_ps=a.hold_ps, directory=d, thermo_every=a.thermo_every)
                write_atomic(os.path.join(d, "run.toml"), text)
                runs.append(d)
    write_atomic(os.path.join(out, "jobs.txt"), "\n".join(runs) + "\n")
    budget = a.walltime  # minus a margin for the checkpoint, below
    h, m, s = (int(x) for x in a.walltime.split(":"))
    secs = max(60, h * 3600 + m * 60 + s - 300)
    budget = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    write_atomic(os.path.join(out, "slurm_array.sh"),
                 SLURM.format(out=out, last=len(runs) - 1, threads=a.threads, walltime=a.walltime,
                              budget=budget, vitrum=os.path.abspath(a.vitrum)))
    os.chmod(os.path.join(out, "slurm_array.sh"), 0o755)
    print(f"{len(runs)} runs in {out}/runs; submit with: sbatch {out}/slurm_array.sh")


def write_atomic(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def run_local(a):
    with open(os.path.join(a.out, "jobs.txt")) as fh:
        dirs = [l.strip() for l in fh if l.strip()]
    for d in dirs:
        if os.path.exists(os.path.join(d, "glass.xyz")):
            continue
        args = [a.vitrum, "run", "run.toml", "--threads", str(a.threads), "-q"]
        if os.path.exists(os.path.join(d, "checkpoint.h5")):
            args += ["--restart", "checkpoint.h5"]
        print(f"running {d}", flush=True)
        with open(os.path.join(d, "run.log"), "a") as log:
            subprocess.run(args, cwd=d, stdout=log, stderr=subprocess.STDOUT, check=True)


def read_csv(path):
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(l for l in fh if not l.startswith("#")))
    return rows[0], rows[1:]


def analyze_run(d, vitrum, max_ring):
    out = os.path.join(d, "analysis")
    if not os.path.exists(os.path.join(out, "summary.csv")):
        subprocess.run([vitrum, "analyze", os.path.join(d, "glass.xyz"), "-o", out, "-c",
                        "Si-O:2.0", "--angles", "--rings", "--qn", "--ring-max", str(max_ring)],
                       check=True, stdout=subprocess.DEVNULL)
    row = {}
    head, rows = read_csv(os.path.join(d, "thermo.csv"))
    pe, stage = head.index("pe_eV"), head.index("stage")
    hold = [float(r[pe]) for r in rows if r[stage] == "glass"]
    with open(os.path.join(d, "glass.xyz")) as fh:
        n = int(fh.readline())
    row["E_pot_eV_per_atom"] = sum(hold) / len(hold) / n
    head, rows = read_csv(os.path.join(out, "summary.csv"))
    for r in rows:
        q, s, v = r[0], r[1], float(r[2])
        if q == "density":
            row["density_g_cm3"] = v
        elif q == "bond angle" and s == "Si-O-Si":
            row["SiOSi_deg"] = v
        elif q == "bond angle" and s == "O-Si-O":
            row["OSiO_deg"] = v
        elif q == "primitive ring size":
            row["mean_ring_size"] = v
    head, rows = read_csv(os.path.join(out, "qn.csv"))
    for r in rows:
        if r[0] == "Q" and r[1] == "4":
            row["Q4_fraction"] = float(r[3])
    head, rows = read_csv(os.path.join(out, "rings.csv"))
    k = head.index("primitive_fraction")
    for r in rows:
        if 3 <= int(r[0]) <= 9:
            row[f"ring{r[0]}_fraction"] = float(r[k])
    return row


def gather(a):
    with open(os.path.join(a.out, "jobs.txt")) as fh:
        dirs = [l.strip() for l in fh if l.strip()]
    table = []
    for d in dirs:
        if not os.path.exists(os.path.join(d, "glass.xyz")):
            print(f"skipping {d}: not finished")
            continue
        name = os.path.basename(d)
        rate, seed, size = name[1:].split("_s")[0], name.split("_s")[1].split("_n")[0], \
            name.split("_n")[1]
        row = {"rate_K_per_ps": float(rate), "seed": int(seed), "atoms": int(size)}
        row.update(analyze_run(d, a.vitrum, a.ring_max))
        table.append(row)
    if not table:
        sys.exit("gather: no finished runs")
    keys = list(table[0].keys())
    lines = [",".join(keys)] + [",".join(f"{r.get(k, float('nan')):.6g}" for k in keys)
                                for r in table]
    write_atomic(os.path.join(a.out, "cooling_table.csv"), "\n".join(lines) + "\n")
    quantities = keys[3:]
    groups = {}
    for r in table:
        groups.setdefault((r["atoms"], r["rate_K_per_ps"]), []).append(r)
    summary = []
    for (size, rate), rs in sorted(groups.items()):
        s = {"atoms": size, "rate_K_per_ps": rate, "runs": len(rs)}
        for q in quantities:
            v = [r.get(q, float("nan")) for r in rs]
            mean = sum(v) / len(v)
            sem = (math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1) / len(v))
                   if len(v) > 1 else float("nan"))
            s[q], s[q + "_sem"] = mean, sem
        summary.append(s)
    skeys = list(summary[0].keys())
    write_atomic(os.path.join(a.out, "cooling_summary.csv"),
                 "\n".join([",".join(skeys)] + [",".join(f"{s[k]:.6g}" for k in skeys)
                                               for s in summary]) + "\n")
    md = ["| atoms | rate (K/ps) | runs | " + " | ".join(quantities) + " |",
          "|" + "---|" * (3 + len(quantities))]
    for s in summary:
        md.append(f"| {s['atoms']} | {s['rate_K_per_ps']:g} | {s['runs']} | " + " | ".join(
            f"{s[q]:.4g} ± {s[q + '_sem']:.2g}" for q in quantities) + " |")
    write_atomic(os.path.join(a.out, "cooling_summary.md"), "\n".join(md) + "\n")
    plot(a.out, summary, quantities)
    print("\n".join(md))


def _err(values):
    """Error bars: the standard errors, 0 where there is none (a single seed)."""
    return [v if math.isfinite(v) else 0.0 for v in values]


def plot(out, summary, quantities):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A quantity that is the same in every run (the density of an NVT campaign) gets no panel.
    panels = [q for q in quantities if not q.startswith("ring")
              and len({round(s[q], 9) for s in summary}) > 1] + ["rings"]
    cols = 3
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    sizes = sorted({s["atoms"] for s in summary})
    for ax, q in zip(axes.ravel(), panels):
        for size in sizes:
            ss = [s for s in summary if s["atoms"] == size]
            x = [math.log10(s["rate_K_per_ps"]) for s in ss]
            if q == "rings":
                for n in range(3, 10):
                    k = f"ring{n}_fraction"
                    if k in ss[0]:
                        ax.errorbar(x, [s[k] for s in ss], _err([s[k + "_sem"] for s in ss]),
                                    marker="o", capsize=3, label=f"{n}-rings")
                ax.set_ylabel("primitive ring fraction")
                ax.legend(fontsize=6, ncol=2)
            else:
                ax.errorbar(x, [s[q] for s in ss], _err([s[q + "_sem"] for s in ss]), marker="o",
                            capsize=3, label=f"{size} atoms")
                ax.set_ylabel(q)
        ax.set_xlabel("log10 cooling rate (K/ps)")
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cooling_rate.png"), dpi=110)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    lay = sub.add_parser("layout", help="write the run configs, jobs.txt and slurm_array.sh")
    lay.add_argument("out")
    lay.add_argument("--rates", type=float, nargs="+", required=True, help="K/ps")
    lay.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    lay.add_argument("--sizes", type=int, nargs="+", default=[648])
    lay.add_argument("--potential", required=True, help="n2p2 directory or teacher .toml")
    lay.add_argument("--density", type=float, default=2.2, help="g/cm3 (default 2.2)")
    lay.add_argument("--melt-T", type=float, default=4000.0, help="K (default 4000)")
    lay.add_argument("--final-T", type=float, default=300.0, help="K (default 300)")
    lay.add_argument("--melt-ps", type=float, default=0.6, help="ps (default 0.6)")
    lay.add_argument("--hold-ps", type=float, default=0.3, help="ps at final T (default 0.3)")
    lay.add_argument("--timestep", type=float, default=1.0, help="fs (default 1)")
    lay.add_argument("--thermo-every", type=int, default=100)
    lay.add_argument("--threads", type=int, default=4, help="Slurm cpus per task (default 4)")
    lay.add_argument("--walltime", default="24:00:00", help="Slurm time limit HH:MM:SS")
    lay.add_argument("--vitrum", default=os.path.join(HERE, "..", "build", "vitrum"))
    run = sub.add_parser("run", help="run the pending jobs here, one after another")
    run.add_argument("out")
    run.add_argument("--threads", type=int, default=1)
    run.add_argument("--vitrum", default=os.path.join(HERE, "..", "build", "vitrum"))
    gat = sub.add_parser("gather", help="analyze finished runs; table, summary and plot")
    gat.add_argument("out")
    gat.add_argument("--ring-max", type=int, default=10)
    gat.add_argument("--vitrum", default=os.path.join(HERE, "..", "build", "vitrum"))
    a = p.parse_args()
    if a.cmd == "layout":
        if any(r <= 0 for r in a.rates):
            sys.exit("layout: rates must be > 0 K/ps")
        layout(a)
    elif a.cmd == "run":
        run_local(a)
    else:
        gather(a)


if __name__ == "__main__":
    main()
