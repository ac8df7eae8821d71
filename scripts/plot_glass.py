"""Plots of the named glass analyses of `vitrum analyze` (used by plot_analysis.py).

  rings.csv      -> rings.png       ring-size distributions, King and primitive
  qn.csv         -> qn.png          Q^n speciation (bars)
  sq.csv         -> sq.png          neutron F_N(q) (with a measured reference when given),
  (+ sq_direct.csv)                 S_N and S_X, Faber-Ziman partials, Bhatia-Thornton
  real_space.csv -> real_space.png  neutron D(r) and T(r)
  vdos.csv       -> vdos.png        vibrational density of states, total and per element
"""
import numpy as np


def _save(fig, out):
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return out


def plot_rings(read_csv, plt, path, out):
    comments, _, c = read_csv(path)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    n = c["size"]
    ax.bar(n - 0.2, c["king_fraction"], width=0.4, label="King (shortest path)")
    ax.bar(n + 0.2, c["primitive_fraction"], width=0.4, label="primitive")
    unit = "Si" if "size in Si" in comments[0] else "atoms"
    ax.set_xlabel(f"ring size (number of {unit})")
    ax.set_ylabel("fraction of rings")
    ax.set_title("ring statistics", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, out)


def plot_qn(read_csv, plt, path, out):
    _, _, c = read_csv(path)
    sel = [i for i, q in enumerate(c["quantity"]) if q == "Q"]
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    ax.bar(c["n"][sel], c["fraction"][sel])
    ax.set_xlabel("n (bridging neighbors)")
    ax.set_ylabel("fraction Q$^n$")
    return _save(fig, out)


def read_reference(path):
    """Gudrun .mint01 (or any whitespace table): q, F(q) columns; lines with # skipped."""
    data = np.loadtxt(path, comments="#", usecols=(0, 1))
    return data[(data[:, 0] > 0) & (data[:, 1] != 0)]


def plot_sq(read_csv, plt, path, out, direct=None, reference=None):
    _, header, c = read_csv(path)
    q = c["q_per_A"]
    fig, axes = plt.subplots(3, 1, figsize=(7.0, 9.0))
    ax = axes[0]
    ax.plot(q, c["F_N_barn"], "-", lw=1.2, label="vitrum, g(r) transform")
    if direct:
        _, _, d = read_csv(direct)
        ok = d["n_vectors"] > 0
        ax.plot(d["q_per_A"][ok], d["F_N_barn"][ok], ".", ms=2, label="vitrum, direct sum")
    if reference:
        ref = read_reference(reference)
        ax.plot(ref[:, 0], ref[:, 1], "-", lw=0.9, color="k", alpha=0.7,
                label="measured (NIMROD, vitreous SiO2)")
    ax.axhline(0, color="0.7", lw=0.6)
    ax.set_xlim(0, min(25, q.max()))
    ax.set_ylabel("F$_N$(q) (barn/atom)")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(q, c["S_N"], label="neutron S$_N$")
    if not np.all(np.isnan(c["S_X"])):
        ax.plot(q, c["S_X"], label="X-ray S$_X$")
    ax.set_ylabel("S(q)")
    ax.set_xlim(0, min(25, q.max()))
    ax.legend(fontsize=8)
    ax = axes[2]
    for name in header:
        if name.startswith("S_") and "-" in name:
            ax.plot(q, c[name], lw=1.0, label=f"Faber-Ziman {name[2:]}")
    for name in ("S_NN", "S_CC"):
        if name in c:
            ax.plot(q, c[name], lw=1.0, ls="--", label=f"Bhatia-Thornton {name[2:]}")
    ax.set_xlim(0, 12)
    ax.set_xlabel("q (1/Å)")
    ax.set_ylabel("partial S(q)")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out)


def plot_real_space(read_csv, plt, path, out):
    _, _, c = read_csv(path)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(c["r_A"], c["D_r"], label="D(r)")
    ax.plot(c["r_A"], c["T_r"], label="T(r)")
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("barn/Å$^2$")
    ax.legend(fontsize=8)
    return _save(fig, out)


def plot_vdos(read_csv, plt, path, out):
    _, header, c = read_csv(path)
    x = c["frequency_THz"]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name in header[2:]:
        if name.startswith("g_"):
            ax.plot(x, c[name], lw=1.2 if name == "g_total" else 0.9, label=name[2:])
    ax.set_xlabel("frequency (THz)")
    ax.set_ylabel("g(ν) (1/THz)")
    ax.legend(fontsize=8)
    return _save(fig, out)


def plot_all(read_csv, plt, src, join, reference=None):
    written = []
    if src("rings.csv"):
        written.append(plot_rings(read_csv, plt, src("rings.csv"), join("rings.png")))
    if src("qn.csv"):
        written.append(plot_qn(read_csv, plt, src("qn.csv"), join("qn.png")))
    if src("sq.csv"):
        written.append(plot_sq(read_csv, plt, src("sq.csv"), join("sq.png"), src("sq_direct.csv"),
                               reference))
    if src("real_space.csv"):
        written.append(plot_real_space(read_csv, plt, src("real_space.csv"),
                                       join("real_space.png")))
    if src("vdos.csv"):
        written.append(plot_vdos(read_csv, plt, src("vdos.csv"), join("vdos.png")))
    return written
