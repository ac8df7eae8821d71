#!/usr/bin/python3
"""Plots of vitrum spectra results (Debian python3 + numpy + h5py + matplotlib, Agg backend).

  plot_spectra.py maps RESULT.h5 -o DIR [--only NAME ...]
      One PNG per map in a vitrum result/truth file (HyperSpy/NeXus layout, /Experiments/<signal>):
      2-D maps (ny x nx) as images with a colour bar; per-peak stacks (peak x ny x nx) as one panel
      per peak, each with its colour bar; maps over one navigation axis (a depth profile or line
      scan) as curves. Spectrum cubes (an `energy` axis) are skipped.

  plot_spectra.py spectrum FIT.csv -o FIT.png
      One fitted spectrum from the CSV written by vitrum::spectra::write_spectrum_fit_csv
      (`# comments`, then `binding_energy_eV|kinetic_energy_eV,data,fit[,background],<components>`):
      data as points, the fit, the background and each component drawn on top of the background,
      residuals below. A binding-energy axis runs high to low, as XPS plots do.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [_text(v) for v in value]
    return str(value)


def _attr(obj, name, default=""):
    return _text(obj.attrs[name]) if name in obj.attrs else default


def _axis(group, name, size):
    """Coordinate values, units and label of axis `name` (NeXus coordinate dataset if present)."""
    if name in group and getattr(group[name], "shape", None) == (size,):
        d = group[name]
        return d[()], _attr(d, "units"), _attr(d, "long_name", name)
    return np.arange(size, dtype=float), "", name


def _label(text, units):
    return f"{text} ({units})" if units else text


def _image(ax, fig, data, xs, ys, title, cbar_label, xlabel, ylabel):
    def edges(v):
        if len(v) == 1:
            return [v[0] - 0.5, v[0] + 0.5]
        d = (v[-1] - v[0]) / (len(v) - 1)
        return [v[0] - d / 2, v[-1] + d / 2]

    ex, ey = edges(xs), edges(ys)
    masked = np.ma.masked_invalid(np.asarray(data, dtype=float))
    im = ax.imshow(masked, origin="upper", extent=[ex[0], ex[1], ey[1], ey[0]],
                   aspect="auto" if len(xs) == 1 or len(ys) == 1 else "equal",
                   interpolation="nearest", cmap="viridis")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    cb = fig.colorbar(im, ax=ax, shrink=0.85)
    cb.set_label(cbar_label)


def plot_maps(path, outdir, only):
    import h5py

    os.makedirs(outdir, exist_ok=True)
    written = []
    with h5py.File(path, "r") as f:
        if "Experiments" not in f:
            sys.exit(f"{path}: no /Experiments group: not a vitrum/HyperSpy result file")
        for name, g in f["Experiments"].items():
            if only and name not in only:
                continue
            if not isinstance(g, h5py.Group) or "data" not in g:
                continue
            axes = _attr(g, "axes", [])
            axes = [axes] if isinstance(axes, str) else list(axes)
            data = g["data"][()]
            if "energy" in axes:
                print(f"{path}: {name}: a spectrum cube, skipped")
                continue
            title = name
            if "metadata" in g and "General" in g["metadata"]:
                title = _attr(g["metadata/General"], "title", name)
            quantity = name
            if "metadata" in g and "Signal" in g["metadata"]:
                quantity = _attr(g["metadata/Signal"], "quantity", name)
            labels = {}
            if "original_metadata" in g:
                om = g["original_metadata"]
                labels = {k: _attr(om, k) for k in om.attrs if k.startswith("peak_")}
            if len(axes) != data.ndim:
                axes = [f"axis{i}" for i in range(data.ndim)]
            stacked = axes[0] == "peak"
            npk = data.shape[0] if stacked else 1
            nav = axes[1:] if stacked else axes
            layers = [data[k] for k in range(npk)] if stacked else [data]
            peak_title = [labels.get(f"peak_{k}", f"peak {k + 1}") for k in range(npk)]
            if len(nav) == 2:
                ys, yu, yl = _axis(g, nav[0], data.shape[-2])
                xs, xu, xl = _axis(g, nav[1], data.shape[-1])
                cols = min(npk, 4)
                rows = (npk + cols - 1) // cols
                fig, axs = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.8 * rows), squeeze=False)
                for k in range(rows * cols):
                    ax = axs[k // cols][k % cols]
                    if k >= npk:
                        ax.axis("off")
                        continue
                    _image(ax, fig, layers[k], xs, ys, peak_title[k] if stacked else title,
                           quantity, _label(xl, xu), _label(yl, yu))
                if stacked:
                    fig.suptitle(title)
            elif len(nav) == 1:
                xs, xu, xl = _axis(g, nav[0], data.shape[-1])
                fig, ax = plt.subplots(figsize=(6.4, 4.0))
                for k in range(npk):
                    ax.plot(xs, layers[k], "o-", ms=3, label=peak_title[k] if stacked else None)
                ax.set_xlabel(_label(xl, xu))
                ax.set_ylabel(quantity)
                ax.set_title(title, fontsize=10)
                if stacked:
                    ax.legend(fontsize=8)
            else:
                print(f"{path}: {name}: {data.ndim}-D data with axes {axes}, skipped")
                continue
            fig.tight_layout()
            out = os.path.join(outdir, f"{name}.png")
            fig.savefig(out, dpi=110)
            plt.close(fig)
            written.append(out)
    if not written:
        sys.exit(f"{path}: no maps to plot")
    for w in written:
        print(f"wrote {w}")


def plot_spectrum(path, out):
    comments, header, rows = [], None, []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif header is None:
                header = [h.strip() for h in line.split(",")]
            else:
                rows.append([float(v) for v in line.split(",")])
    if header is None or len(header) < 3 or not rows:
        sys.exit(f"{path}: expected a header 'energy,data,fit,...' and data rows")
    a = np.array(rows)
    if a.shape[1] != len(header):
        sys.exit(f"{path}: {a.shape[1]} columns but the header names {len(header)}")
    cols = {h: a[:, i] for i, h in enumerate(header)}
    e, data, fit = a[:, 0], cols["data"], cols["fit"]
    bg = cols.get("background", np.zeros_like(e))
    comps = [h for h in header[1:] if h not in ("data", "fit", "background")]
    fig, (ax, axr) = plt.subplots(2, 1, figsize=(7.0, 5.6), sharex=True,
                                  gridspec_kw={"height_ratios": [4, 1]})
    ax.plot(e, data, "o", ms=3, color="0.25", label="data")
    if "background" in cols:
        ax.plot(e, bg, "--", color="0.5", lw=1, label="background")
    for k, name in enumerate(comps):
        ax.fill_between(e, bg, bg + cols[name], alpha=0.35, color=f"C{k % 10}", label=name)
    ax.plot(e, fit, "-", color="C3", lw=1.6, label="fit")
    ax.set_ylabel("intensity (counts)")
    ax.legend(fontsize=8)
    ax.set_title(os.path.basename(path) if not comments else comments[0], fontsize=10)
    axr.plot(e, data - fit, "-", color="0.3", lw=0.8)
    axr.axhline(0, color="0.6", lw=0.8)
    axr.set_ylabel("residual")
    binding = header[0].lower().startswith("binding")
    axr.set_xlabel("binding energy (eV)" if binding else "kinetic energy (eV)")
    if binding:
        ax.invert_xaxis()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    print(f"wrote {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("maps", help="PNG maps with colour bars from a result .h5")
    m.add_argument("file")
    m.add_argument("-o", "--outdir", required=True)
    m.add_argument("--only", nargs="*", default=None, help="signal names to plot (default: all)")
    s = sub.add_parser("spectrum", help="PNG of one fitted spectrum from a fit CSV")
    s.add_argument("file")
    s.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    if a.cmd == "maps":
        plot_maps(a.file, a.outdir, a.only)
    else:
        plot_spectrum(a.file, a.output)


if __name__ == "__main__":
    main()
