#!/usr/bin/python3
"""Plots of `vitrum analyze` results (Debian python3 + numpy + matplotlib, Agg backend).

  plot_analysis.py DIR [-o OUTDIR]

Reads the CSV files that `vitrum analyze ... --output-dir DIR` wrote and writes PNGs to OUTDIR
(default: DIR); files that are absent are skipped:

  rdf.csv          -> rdf.png           g(r): one panel for the total, one per partial (with the
                                        running coordination number N_A-B(r) on a second axis)
  msd.csv          -> msd.png           MSD per species, log-log, with the fitted 6 D t + b over
  (+ diffusion.csv)                     its window and t^1 / t^2 guide lines
  angles.csv       -> angles.png        bond-angle distributions P(theta)
  coordination.csv -> coordination.png  coordination-number distributions (bars)
  density.csv      -> density.png       mass density per frame (only with two frames or more)
  rings.csv, qn.csv, sq.csv, real_space.csv, vdos.csv -> PNGs of the glass analyses (see
                                        plot_glass.py); --reference-sq FILE overlays a measured
                                        neutron F(q) (q, F columns, e.g. Gudrun .mint01)

Exits with status 1 and a message when matplotlib is missing or DIR holds none of the files.
"""
import argparse
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError as e:  # the CLI test relies on a clear failure here
    sys.exit(f"plot_analysis.py: needs numpy and matplotlib ({e}); on Debian: apt-get install "
             "python3-matplotlib, and run with /usr/bin/python3")


def read_csv(path):
    """Returns (comments, header, columns dict of numpy arrays or string lists)."""
    comments, header, rows = [], None, []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif header is None:
                header = [h.strip() for h in line.split(",")]
            else:
                rows.append([v.strip() for v in line.split(",")])
    if header is None:
        sys.exit(f"{path}: no header line")
    cols = {}
    for i, name in enumerate(header):
        vals = [r[i] if i < len(r) else "nan" for r in rows]
        try:
            cols[name] = np.array([float(v) for v in vals])
        except ValueError:
            cols[name] = vals
    return comments, header, cols


def plot_rdf(path, out):
    _, header, c = read_csv(path)
    r = c["r_A"]
    g_names = [h for h in header if h.startswith("g_")]
    n = len(g_names)
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig, axs = plt.subplots(rows, cols, figsize=(5.6 * cols, 3.4 * rows), squeeze=False)
    for k, name in enumerate(g_names):
        ax = axs[k // cols][k % cols]
        ax.plot(r, c[name], "-", lw=1.3, color=f"C{k % 10}")
        ax.axhline(1.0, color="0.6", lw=0.7, ls=":")
        pair = name[2:]
        ax.set_title("total g(r)" if pair == "total" else f"g(r) {pair}", fontsize=10)
        ax.set_xlabel("r (Å)")
        ax.set_ylabel("g(r)")
        ax.set_xlim(0, r[-1] + (r[1] - r[0]) / 2 if len(r) > 1 else None)
        running = f"N_{pair}"
        if pair != "total" and running in c:
            a, b = pair.split("-")
            ax2 = ax.twinx()
            ax2.plot(r + (r[1] - r[0]) / 2 if len(r) > 1 else r, c[running], "--", lw=0.9,
                     color="0.35")
            ax2.set_ylabel(f"N {b} around {a}", color="0.35", fontsize=8)
            ax2.tick_params(labelsize=7, colors="0.35")
    for k in range(n, rows * cols):
        axs[k // cols][k % cols].axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_msd(path, fit_path, out):
    _, header, c = read_csv(path)
    t = c["time_fs"]
    species = [h[4:] for h in header if h.startswith("msd_") and h != "msd_all"]
    fits = {}
    if fit_path and os.path.exists(fit_path):
        _, _, f = read_csv(fit_path)
        for i, s in enumerate(f["species"]):
            fits[s] = {k: f[k][i] for k in f if k != "species"}
    fig, ax = plt.subplots(figsize=(6.6, 4.8))
    pos = t > 0
    lo, hi = np.inf, 0.0
    for k, s in enumerate(species):
        m = c[f"msd_{s}"]
        ok = pos & (m > 0)
        if not ok.any():
            continue
        lo, hi = min(lo, m[ok].min()), max(hi, m[ok].max())
        ax.loglog(t[ok], m[ok], "-", lw=1.5, color=f"C{k % 10}", label=s)
        if s not in fits:
            continue
        f = fits[s]
        win = ok & (t >= f["t_start_fs"]) & (t <= f["t_end_fs"])
        if win.sum() < 2:
            continue
        d = f["D_A2_per_fs"]
        line = 6 * d * t[win] + f["intercept_A2"]
        okl = line > 0
        err = f["D_err_A2_per_fs"]
        err_text = "" if np.isnan(err) else f" ± {err:.2g}"
        ax.loglog(t[win][okl], line[okl], "--", lw=1.3, color="k",
                  label=f"{s}: 6Dt + b, D = {d:.3g}{err_text} Å²/fs = {d * 0.1:.3g} cm²/s "
                  f"(α = {f['alpha']:.2f})")
    if hi > 0 and pos.any():
        # Slope guides: t² (ballistic) over the first decade, t (diffusive) over the whole range,
        # drawn below the data so they do not hide it.
        tp = t[pos]
        t0 = tp[0]
        y0 = lo * 0.6
        early = tp[tp <= 10 * t0]
        if len(early) >= 2:
            ax.loglog(early, y0 * (early / t0) ** 2, ":", color="0.45", lw=1.0, label="∝ t²")
        ax.loglog(tp, y0 * (tp / t0), "-.", color="0.6", lw=0.9, label="∝ t")
        ax.set_ylim(lo * 0.3, hi * 2.0)
    ax.set_xlabel("t (fs)")
    ax.set_ylabel("MSD (Å²)")
    ax.set_title("mean-squared displacement (fit window dashed)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_angles(path, out):
    _, header, c = read_csv(path)
    theta = c["angle_deg"]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for k, name in enumerate(h for h in header if h.startswith("P_")):
        ax.plot(theta, c[name], "-", lw=1.3, color=f"C{k % 10}", label=name[2:])
    ax.axvline(109.47, color="0.6", lw=0.7, ls=":", label="tetrahedral 109.47°")
    ax.set_xlim(0, 180)
    ax.set_xlabel("θ (degrees)")
    ax.set_ylabel("P(θ) (1/degree)")
    ax.set_title("bond-angle distributions", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_coordination(path, out):
    _, _, c = read_csv(path)
    bonds = []
    for b in c["bond"]:
        if b not in bonds:
            bonds.append(b)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    width = 0.8 / max(1, len(bonds))
    for k, b in enumerate(bonds):
        sel = [i for i, x in enumerate(c["bond"]) if x == b]
        n = c["coordination"][sel]
        f = c["fraction"][sel]
        ax.bar(n + (k - (len(bonds) - 1) / 2) * width, f, width=width, color=f"C{k % 10}",
               label=f"{b} (r < {c['cutoff_A'][sel[0]]:g} Å), mean {np.sum(n * f):.3f}")
    ax.set_xlabel("coordination number")
    ax.set_ylabel("fraction of center atoms")
    ax.set_title("coordination", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_density(path, out):
    _, _, c = read_csv(path)
    if len(c["frame"]) < 2:
        return None
    x = c["time_fs"] if not np.isnan(c["time_fs"]).any() else c["frame"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(x, c["mass_density_g_per_cm3"], "-", lw=1.2)
    ax.set_xlabel("t (fs)" if x is c["time_fs"] else "frame")
    ax.set_ylabel("density (g/cm³)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="directory with the CSV files of vitrum analyze")
    p.add_argument("-o", "--outdir", default=None, help="where the PNGs go (default: DIR)")
    p.add_argument("--reference-sq", default=None,
                   help="measured neutron F(q) to overlay on sq.png (q, F(q) in barn columns)")
    a = p.parse_args()
    outdir = a.outdir or a.dir
    os.makedirs(outdir, exist_ok=True)

    def src(name):
        path = os.path.join(a.dir, name)
        return path if os.path.exists(path) else None

    written = []
    if src("rdf.csv"):
        written.append(plot_rdf(src("rdf.csv"), os.path.join(outdir, "rdf.png")))
    if src("msd.csv"):
        written.append(plot_msd(src("msd.csv"), src("diffusion.csv"),
                                os.path.join(outdir, "msd.png")))
    if src("angles.csv"):
        written.append(plot_angles(src("angles.csv"), os.path.join(outdir, "angles.png")))
    if src("coordination.csv"):
        written.append(plot_coordination(src("coordination.csv"),
                                         os.path.join(outdir, "coordination.png")))
    if src("density.csv"):
        written.append(plot_density(src("density.csv"), os.path.join(outdir, "density.png")))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import plot_glass

    written += plot_glass.plot_all(read_csv, plt, src, lambda n: os.path.join(outdir, n),
                                   a.reference_sq)
    written = [w for w in written if w]
    if not written:
        sys.exit(f"plot_analysis.py: {a.dir} holds none of rdf.csv, msd.csv, angles.csv, "
                 "coordination.csv, density.csv")
    for w in written:
        print(f"wrote {w}")


if __name__ == "__main__":
    main()
