#!/usr/bin/python3
"""Plots of a `vitrum train` run (Debian python3 + numpy + matplotlib, Agg backend).

  plot_training.py DIR [-o OUTDIR]

Reads the CSV files that `vitrum train` wrote to DIR and writes PNGs to OUTDIR (default: DIR):

  learning_curve.csv -> learning_curve.png  energy RMSE per atom and force-component RMSE per
                                            epoch, train and test (log scale), and the loss
  energy_parity.csv  -> parity.png          predicted vs reference energy per atom and, with
  force_parity.csv                          force_parity.csv, force components (train and test)

Exits with status 1 and a message when matplotlib is missing or DIR has no learning_curve.csv.
"""
import argparse
import csv
import math
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator
except ImportError as e:
    sys.exit(f"plot_training.py: needs numpy and matplotlib ({e}); on Debian: apt-get install "
             "python3-matplotlib, and run with /usr/bin/python3")


def read_csv(path):
    """Returns (comment lines, list of row dicts)."""
    comments, lines = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif line.strip():
                lines.append(line)
    return comments, list(csv.DictReader(lines))


def col(rows, key):
    return np.array([float(r[key]) for r in rows])


def units_from(comments):
    """Energy and force unit labels from the learning-curve header."""
    e_unit, f_unit = "energy/atom", "energy/length"
    for c in comments:
        if "[" in c:
            parts = c.split("[")
            if len(parts) >= 3:
                e_unit = parts[1].split("]")[0]
                f_unit = parts[2].split("]")[0]
    return e_unit, f_unit


def plot_curve(directory, out):
    comments, rows = read_csv(os.path.join(directory, "learning_curve.csv"))
    if not rows:
        sys.exit(f"plot_training.py: {directory}/learning_curve.csv has no epochs")
    e_unit, f_unit = units_from(comments)
    ep = col(rows, "epoch")
    has_force = not np.all(np.isnan(col(rows, "rmse_force_train")))
    ncol = 3 if has_force else 2
    fig, axes = plt.subplots(1, ncol, figsize=(4.6 * ncol, 3.8), constrained_layout=True)
    panels = [("rmse_energy", f"energy RMSE [{e_unit}]")]
    if has_force:
        panels.append(("rmse_force", f"force RMSE [{f_unit}]"))
    panels.append(("loss", "loss (normalized)"))
    for ax, (key, label) in zip(axes, panels):
        for part, style in (("train", "-"), ("test", "--")):
            y = col(rows, f"{key}_{part}")
            if np.all(np.isnan(y)):
                continue
            ax.plot(ep, y, style, label=part)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("vitrum train: learning curve")
    fig.savefig(os.path.join(out, "learning_curve.png"), dpi=120)
    plt.close(fig)


def parity_panel(ax, ref, pred, sets, label):
    lo = min(np.min(ref), np.min(pred))
    hi = max(np.max(ref), np.max(pred))
    for name, marker in (("train", "o"), ("test", "s")):
        m = sets == name
        if not np.any(m):
            continue
        rmse = math.sqrt(np.mean((pred[m] - ref[m]) ** 2))
        ax.plot(ref[m], pred[m], marker, ms=2.5, alpha=0.5, label=f"{name} (RMSE {rmse:.3g})")
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    ax.set_xlabel(f"reference {label}")
    ax.set_ylabel(f"predicted {label}")
    ax.legend(markerscale=3)
    ax.grid(True, alpha=0.3)


def plot_parity(directory, out, e_unit, f_unit):
    ep = os.path.join(directory, "energy_parity.csv")
    fp = os.path.join(directory, "force_parity.csv")
    if not os.path.exists(ep):
        return
    _, erows = read_csv(ep)
    frows = read_csv(fp)[1] if os.path.exists(fp) else []
    ncol = 2 if frows else 1
    fig, axes = plt.subplots(1, ncol, figsize=(4.8 * ncol, 4.4), constrained_layout=True)
    axes = np.atleast_1d(axes)
    parity_panel(axes[0], col(erows, "reference_per_atom"), col(erows, "predicted_per_atom"),
                 np.array([r["set"] for r in erows]), f"energy [{e_unit}]")
    if frows:
        parity_panel(axes[1], col(frows, "reference"), col(frows, "predicted"),
                     np.array([r["set"] for r in frows]), f"force [{f_unit}]")
    fig.suptitle("vitrum train: parity of the best model")
    fig.savefig(os.path.join(out, "parity.png"), dpi=120)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("directory", help="output directory of vitrum train")
    ap.add_argument("-o", "--output", help="directory for the PNGs (default: DIR)")
    a = ap.parse_args()
    out = a.output or a.directory
    os.makedirs(out, exist_ok=True)
    if not os.path.exists(os.path.join(a.directory, "learning_curve.csv")):
        sys.exit(f"plot_training.py: {a.directory} has no learning_curve.csv")
    comments, _ = read_csv(os.path.join(a.directory, "learning_curve.csv"))
    e_unit, f_unit = units_from(comments)
    plot_curve(a.directory, out)
    plot_parity(a.directory, out, e_unit, f_unit)


if __name__ == "__main__":
    main()
