#!/usr/bin/python3
"""Teacher vs trained HDNNP: the same SiO2 melt-quench run with both potentials (issue #6).

Writes two variants of a protocol config (``[potential] path`` = the BKS teacher toml, and the
n2p2 directory of the trained HDNNP, which is in eV/Å and needs no unit keys), runs both with
``vitrum run`` in parallel, analyses them with ``vitrum analyze`` and prints the comparison
table with the issue's tolerances:

  density of the glass                         within 2 %
  first peaks of g_SiO, g_OO, g_SiSi           within 0.02 Å
  Si coordination (Si-O bonds < cutoff)        within 2 %
  O self-diffusion coefficient of the melt     within 20 %

(the coordination rows: the mean within 2 % and the share of fourfold Si within 2 percentage
points, for each --bond cutoff)
and writes one PNG with both sets of g(r) and MSD curves.

The protocol must have a stage (``--melt-stage``, default "melt") that writes unwrapped
extended-XYZ frames (``trajectory_every`` for that stage; ``trajectory_unwrapped`` is the default)
and a final stage (``--glass-stage``, default the last stage) whose frames give the glass
structure; without glass frames the final structure is used. See
configs/sio2_quench_compare.toml.

Run with Debian's python (numpy, matplotlib):
  /usr/bin/python3 scripts/compare_quench.py [configs/sio2_quench_compare.toml] [--threads 1]
  /usr/bin/python3 scripts/compare_quench.py --skip-run     # re-analyse existing outputs
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import time
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VARIANTS = [
    # (label, potential path relative to the protocol's directory)
    ("teacher", "potentials/SiO2-BKS.toml"),
    ("hdnnp", "potentials/SiO2-BKS"),
]


def log(msg):
    print(msg, flush=True)


def write_variant(protocol_path, pot_rel, out_path):
    """Copy the protocol with [potential] replaced by path = <absolute pot_rel>."""
    with open(protocol_path, encoding="utf-8") as f:
        text = f.read()
    tomllib.loads(text)  # fail early on a broken protocol
    base = os.path.dirname(os.path.abspath(protocol_path))
    pot_abs = os.path.normpath(os.path.join(base, pot_rel))
    if not os.path.exists(pot_abs):
        sys.exit(f"compare_quench: potential {pot_abs} not found")
    # Replace the whole [potential] table (up to the next table header) by a path-only one.
    m = re.search(r"(?m)^\[potential\][^\n]*\n(.*?)(?=^\s*\[)", text, re.S)
    if not m:
        sys.exit(f"compare_quench: {protocol_path}: no [potential] table followed by another table")
    new = f'[potential]\npath = "{pot_abs}"\n\n'
    text = text[: m.start()] + new + text[m.end():]
    # Relative structure file paths would now resolve against the variant's directory.
    if re.search(r"(?m)^\[structure\]", text) and re.search(r'(?m)^\s*file\s*=\s*"[^/]', text):
        sys.exit("compare_quench: relative [structure] file paths are not supported; use an absolute path")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(f"# written by scripts/compare_quench.py from {os.path.relpath(protocol_path, ROOT)}\n")
        f.write(text)
    return pot_abs


def run_campaigns(args, variants):
    procs = []
    for label, cfg, outdir in variants:
        os.makedirs(outdir, exist_ok=True)
        cmd = ["nice", "-n", str(args.nice), args.binary, "run", cfg, "--overwrite", "-o", outdir,
               "--threads", str(args.threads)]
        log(f"[{label}] {' '.join(cmd)}  (log: {outdir}/run.log)")
        logf = open(os.path.join(outdir, "run.log"), "w")
        procs.append((label, subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT), logf,
                      time.time()))
    failed = False
    for label, p, logf, t0 in procs:
        rc = p.wait()
        logf.close()
        log(f"[{label}] finished with status {rc} after {time.time() - t0:.0f} s")
        failed |= rc != 0
    if failed:
        sys.exit("compare_quench: a campaign failed; see the run.log files")


# ----------------------------------------------------------------------------------------------
# analysis

STAGE_RE = re.compile(r'(?:^|\s)stage=("[^"]*"|\S+)')


def stage_names(protocol):
    with open(protocol, "rb") as f:
        cfg = tomllib.load(f)
    return [st.get("name", f"stage {k + 1}") for k, st in enumerate(cfg.get("stage", []))]


def split_trajectory(traj, wanted):
    """Write the frames of each stage in `wanted` to <dir>/<stage>.xyz; return frame counts."""
    outdir = os.path.dirname(traj)
    outs = {name: open(os.path.join(outdir, f"frames_{name}.xyz"), "w") for name in wanted}
    counts = {name: 0 for name in wanted}
    with open(traj) as f:
        while True:
            line = f.readline()
            if not line:
                break
            if not line.strip():
                continue
            n = int(line)
            header = f.readline()
            body = [f.readline() for _ in range(n)]
            m = STAGE_RE.search(header)
            name = m.group(1).strip('"') if m else None
            if name in outs:
                outs[name].write(line)
                outs[name].write(header)
                outs[name].writelines(body)
                counts[name] += 1
    for fh in outs.values():
        fh.close()
    return counts


def analyze(args, traj, outdir, extra):
    cmd = [args.binary, "analyze", traj, "--overwrite", "-o", outdir] + extra
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(outdir + ".log"), "w") as f:
        f.write(" ".join(cmd) + "\n" + res.stdout)
    if res.returncode != 0:
        sys.exit(f"compare_quench: {' '.join(cmd)} failed:\n{res.stdout}")


def read_csv(path):
    with open(path) as f:
        rows = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(rows))


def read_columns(path):
    rows = read_csv(path)
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def summary_value(rows, quantity, subject):
    for r in rows:
        if r["quantity"] == quantity and r["subject"] == subject:
            return float(r["value"])
    return float("nan")


def analyse_variant(args, label, rundir, melt, glass, bonds):
    traj = os.path.join(rundir, "trajectory.xyz")
    if not os.path.exists(traj):
        sys.exit(f"compare_quench: {traj} missing (run without --skip-run first)")
    counts = split_trajectory(traj, [melt, glass])
    res = {"label": label, "counts": counts}
    # Glass: frames of the last stage, else the final structure.
    glass_traj = os.path.join(rundir, f"frames_{glass}.xyz")
    if counts[glass] == 0:
        final = [f for f in ("glass.xyz", "final.xyz") if os.path.exists(os.path.join(rundir, f))]
        if not final:
            sys.exit(f"compare_quench: {rundir}: no frames of stage {glass!r} and no final structure")
        glass_traj = os.path.join(rundir, final[0])
        res["counts"][glass] = 1
    adir = os.path.join(rundir, "analysis_glass")
    analyze(args, glass_traj, adir,
            ["--rdf", "--rmax", str(args.rmax), "--bins", str(args.bins), "-c", ",".join(bonds)])
    summ = read_csv(os.path.join(adir, "summary.csv"))
    res["density"] = summary_value(summ, "density", "all")
    res["peaks"] = {pair: summary_value(summ, "g(r) first peak", pair) for pair in ("O-Si", "O-O", "Si-Si")}
    res["rdf"] = read_columns(os.path.join(adir, "rdf.csv"))
    coord = read_csv(os.path.join(adir, "coordination.csv"))
    res["coord"] = {}
    for bond in bonds:
        pair, cut = bond.split(":")
        sel = [r for r in coord if r["bond"] == pair and abs(float(r["cutoff_A"]) - float(cut)) < 1e-9]
        mean = sum(float(r["coordination"]) * float(r["fraction"]) for r in sel)
        four = sum(float(r["fraction"]) for r in sel if int(float(r["coordination"])) == 4)
        res["coord"][bond] = (mean, 100.0 * four)
    # Melt: MSD and diffusion of the melt stage's unwrapped frames.
    if counts[melt] >= 3:
        mdir = os.path.join(rundir, "analysis_melt")
        extra = ["--msd", "--remove-drift"]
        if args.fit_start is not None:
            extra += ["--fit-start", str(args.fit_start)]
        if args.fit_end is not None:
            extra += ["--fit-end", str(args.fit_end)]
        analyze(args, os.path.join(rundir, f"frames_{melt}.xyz"), mdir, extra)
        res["msd"] = read_columns(os.path.join(mdir, "msd.csv"))
        diff = {r["species"]: r for r in read_csv(os.path.join(mdir, "diffusion.csv"))}
        o = diff.get("O")
        res["D_O"] = float(o["D_cm2_per_s"]) if o else float("nan")
        res["D_O_err"] = float(o["D_err_cm2_per_s"]) if o else float("nan")
        res["D_fit"] = (float(o["t_start_fs"]), float(o["t_end_fs"]), float(o["alpha"])) if o else None
        res["melt_T"] = melt_temperature(os.path.join(rundir, "thermo.csv"), melt)
    else:
        log(f"[{label}] only {counts[melt]} frame(s) of stage {melt!r}: no MSD "
            f"(the protocol needs trajectory_every in that stage; see configs/sio2_quench_compare.toml)")
        res["msd"] = None
        res["D_O"] = res["D_O_err"] = float("nan")
        res["D_fit"] = None
        res["melt_T"] = float("nan")
    return res


def melt_temperature(thermo, stage):
    try:
        rows = read_csv(thermo)
    except (OSError, IndexError):
        return float("nan")
    tcol = next((k for k in rows[0] if k.lower().startswith("t_k") or k.lower() == "temperature_k"), None)
    scol = next((k for k in rows[0] if k.lower() == "stage"), None)
    if not tcol or not scol:
        return float("nan")
    vals = [float(r[tcol]) for r in rows if r[scol] == stage]
    return sum(vals) / len(vals) if vals else float("nan")


def fmt(v, digits=4):
    if v != v:
        return "n/a"
    return f"{v:.{digits}g}"


def analyse(args, protocol, variants, outroot):
    names = stage_names(protocol)
    if not names:
        sys.exit(f"compare_quench: {protocol}: no [[stage]]")
    glass = args.glass_stage or names[-1]
    melt = args.melt_stage
    if melt not in names:
        log(f"warning: no stage named {melt!r} in {protocol} (stages: {', '.join(names)})")
    bonds = [b.strip() for b in ",".join(args.bond).split(",") if b.strip()]
    res = {}
    for label, _cfg, rundir in variants:
        res[label] = analyse_variant(args, label, rundir, melt, glass, bonds)
    t, h = res["teacher"], res["hdnnp"]

    rows = []  # (quantity, teacher, hdnnp, difference text, tolerance text, pass)

    def rel_row(name, a, b, tol_pct, unit="", digits=4):
        d = 100.0 * (b - a) / a if a == a and b == b and a != 0 else float("nan")
        ok = d == d and abs(d) <= tol_pct
        rows.append((name + (f" ({unit})" if unit else ""), fmt(a, digits), fmt(b, digits),
                     f"{d:+.2f} %" if d == d else "n/a", f"≤ {tol_pct:g} %", ok))

    def abs_row(name, a, b, tol, unit, digits=4, diff_unit=None):
        d = b - a
        ok = d == d and abs(d) <= tol + 1e-12
        du = diff_unit or unit
        rows.append((f"{name} ({unit})", fmt(a, digits), fmt(b, digits),
                     f"{d:+.3f} {du}" if d == d else "n/a", f"≤ {tol:g} {du}", ok))

    rel_row("glass density", t["density"], h["density"], 2.0, "g/cm³")
    for pair, label in (("O-Si", "g_SiO"), ("O-O", "g_OO"), ("Si-Si", "g_SiSi")):
        abs_row(f"{label} first peak", t["peaks"][pair], h["peaks"][pair], 0.02, "Å")
    for bond in bonds:
        (mt, ft), (mh, fh) = t["coord"][bond], h["coord"][bond]
        rel_row(f"Si coordination, mean, {bond.replace(':', ' < ')} Å", mt, mh, 2.0)
        abs_row(f"fourfold Si, {bond.replace(':', ' < ')} Å", ft, fh, 2.0, "%", diff_unit="pp")
    rel_row(f"D_O of the melt (stage {melt!r})", t["D_O"], h["D_O"], 20.0, "cm²/s")

    w0 = max(len(r[0]) for r in rows)
    head = f"{'quantity':<{w0}}  {'teacher':>10}  {'HDNNP':>10}  {'difference':>12}  {'tolerance':>10}  result"
    log("")
    log(f"Teacher (BKS) vs trained HDNNP, protocol {os.path.relpath(protocol, ROOT)}")
    for lab, r in (("teacher", t), ("HDNNP", h)):
        fit = r["D_fit"]
        fit_txt = (f"; D_O fit {fit[0]:g}-{fit[1]:g} fs, log-log slope {fit[2]:.2f}, "
                   f"±{fmt(r['D_O_err'], 2)} cm²/s") if fit else ""
        log(f"  {lab}: glass from {r['counts'][glass]} frame(s) of stage {glass!r}; "
            f"melt {r['counts'][melt]} frame(s), mean T {fmt(r['melt_T'])} K{fit_txt}")
    log(head)
    log("-" * len(head))
    for q, a, b, d, tol, ok in rows:
        log(f"{q:<{w0}}  {a:>10}  {b:>10}  {d:>12}  {tol:>10}  {'PASS' if ok else 'FAIL'}")
    n_pass = sum(r[5] for r in rows)
    log(f"{n_pass}/{len(rows)} rows within the issue's tolerances")
    with open(os.path.join(outroot, "comparison.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["quantity", "teacher", "hdnnp", "difference", "tolerance", "result"])
        for q, a, b, d, tol, ok in rows:
            wr.writerow([q, a, b, d, tol, "PASS" if ok else "FAIL"])
    plot(args, res, melt, outroot)


def plot(args, res, melt, outroot):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    png = args.png or os.path.join(outroot, "compare_quench.png")
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    styles = {"teacher": dict(color="k", lw=1.6, label="teacher (BKS)"),
              "hdnnp": dict(color="tab:red", lw=1.2, ls="--", label="HDNNP")}
    for ax, (col, title) in zip(axes[:3], (("g_O-Si", "Si–O"), ("g_O-O", "O–O"), ("g_Si-Si", "Si–Si"))):
        for lab in ("teacher", "hdnnp"):
            rdf = res[lab]["rdf"]
            ax.plot(rdf["r_A"], rdf[col], **styles[lab])
        ax.set_xlabel("r (Å)")
        ax.set_ylabel(f"g(r) {title}")
        ax.set_title(f"glass g(r), {title}")
        ax.legend()
    ax = axes[3]
    for lab in ("teacher", "hdnnp"):
        m = res[lab]["msd"]
        if m is None:
            continue
        for sp, alpha in (("O", 1.0), ("Si", 0.5)):
            key = f"msd_{sp}"
            if key in m:
                st = dict(styles[lab])
                st["label"] = f"{st['label']}, {sp}"
                st["alpha"] = alpha
                ax.plot(m["time_fs"], m[key], **st)
    ax.set_xlabel("t (fs)")
    ax.set_ylabel("MSD (Å²)")
    ax.set_title(f"MSD in the melt (stage '{melt}')")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    log(f"wrote {png} and {os.path.join(outroot, 'comparison.csv')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("protocol", nargs="?", default=os.path.join(ROOT, "configs/sio2_quench.toml"),
                    help="protocol config (default configs/sio2_quench.toml; "
                         "configs/sio2_quench_compare.toml has the melt MSD stage)")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/vitrum"))
    ap.add_argument("-o", "--output-dir", default=None,
                    help="where the variants and runs go (default out/compare_quench/<protocol name>)")
    ap.add_argument("--threads", type=int, default=1, help="threads per campaign (both run in parallel)")
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--skip-run", action="store_true", help="only analyse existing outputs")
    ap.add_argument("--run-only", action="store_true", help="run, do not analyse")
    ap.add_argument("--melt-stage", default="melt", help="stage whose frames give the MSD")
    ap.add_argument("--glass-stage", default=None, help="stage whose frames give the glass (default: last)")
    ap.add_argument("--bond", action="append", default=None,
                    help="Si-O coordination bond(s) A-B:CUTOFF (Å), repeatable "
                         "(default Si-O:2.0 and Si-O:2.35)")
    ap.add_argument("--rmax", type=float, default=8.0, help="g(r) range (Å)")
    ap.add_argument("--bins", type=int, default=400, help="g(r) bins (400 over 8 Å: 0.02 Å)")
    ap.add_argument("--fit-start", type=float, default=None, help="MSD fit window start (fs)")
    ap.add_argument("--fit-end", type=float, default=None, help="MSD fit window end (fs)")
    ap.add_argument("--png", default=None, help="figure (default <output-dir>/compare_quench.png)")
    args = ap.parse_args()

    args.binary = os.path.abspath(args.binary)
    if not args.bond:
        args.bond = ["Si-O:2.0", "Si-O:2.35"]
    protocol = os.path.abspath(args.protocol)
    name = os.path.splitext(os.path.basename(protocol))[0]
    outroot = os.path.abspath(args.output_dir or os.path.join(ROOT, "out/compare_quench", name))
    os.makedirs(outroot, exist_ok=True)
    variants = []
    for label, pot in VARIANTS:
        cfg = os.path.join(outroot, f"{label}.toml")
        if not args.skip_run:
            write_variant(protocol, pot, cfg)
        variants.append((label, cfg, os.path.join(outroot, label)))
    if not args.skip_run:
        if not os.access(args.binary, os.X_OK):
            sys.exit(f"compare_quench: no vitrum binary at {args.binary} (--binary)")
        t0 = time.time()
        run_campaigns(args, variants)
        log(f"both campaigns done in {time.time() - t0:.0f} s")
    if args.run_only:
        return
    analyse(args, protocol, variants, outroot)


if __name__ == "__main__":
    main()
