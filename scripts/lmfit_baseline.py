#!/usr/bin/python3
"""The same peak fits as benchmarks/spectra_fit_bench.cpp, done with lmfit, and the comparison table.

  lmfit_baseline.py DIR [--bench DIR/bench.txt] [--max N]

DIR holds what `spectra_fit_bench --out DIR` wrote: bench_subset.h5 (a stack of spectra of the
benchmark image) and bench_subset_truth_fit.h5 (their truth and vitrum's 1-thread fit). lmfit fits
each spectrum with the true number of pseudo-Voigt peaks (lmfit `PseudoVoigtModel`, the same area
mixing as vitrum) plus a linear background, weighted least squares with weights 1/sqrt(max(y, 1)),
started from the TRUE parameter values (vitrum starts from none and also chooses the number of
peaks). One process, one core. Prints one RESULT line and, with --bench, the table of spectra per
second, per-core ratio and accuracy.
"""
import argparse
import re
import sys
import time

import h5py
import numpy as np
from lmfit.models import LinearModel, PseudoVoigtModel


def stack(f, name, n):
    d = np.asarray(f["Experiments"][name]["data"][()], dtype=float)
    return d.reshape(-1, n) if d.ndim > 1 else d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--bench", help="spectra_fit_bench output with RESULT lines, for the table")
    ap.add_argument("--max", type=int, default=0, help="fit at most N spectra (0: all)")
    a = ap.parse_args()

    with h5py.File(f"{a.dir}/bench_subset.h5", "r") as f:
        g = f["Experiments"]["bench_subset"]
        y_all = np.asarray(g["data"][()], dtype=float)
        x = np.asarray(g["energy"][()], dtype=float)
    y_all = y_all.reshape(-1, x.size)
    n = y_all.shape[0]
    with h5py.File(f"{a.dir}/bench_subset_truth_fit.h5", "r") as f:
        k_true = stack(f, "truth_n_peaks", n).astype(int).ravel()
        pos = stack(f, "truth_position", n)
        fwhm = stack(f, "truth_fwhm", n)
        eta = stack(f, "truth_eta", n)
        area = stack(f, "truth_area", n)  # intensity × eV (counts × channel width)
        bg0 = stack(f, "truth_background", n).ravel()
        slope = stack(f, "truth_slope", n).ravel()
        k_fit = stack(f, "fit_n_peaks", n).astype(int).ravel()
        f_pos = stack(f, "fit_position", n)
        f_fwhm = stack(f, "fit_fwhm", n)
        f_area = stack(f, "fit_area", n)
    if a.max > 0:
        n = min(n, a.max)

    err = {"pos": [], "fwhm": [], "area": []}
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(n):
        y = y_all[i]
        K = k_true[i]
        model = LinearModel(prefix="bg_")
        for j in range(K):
            model = model + PseudoVoigtModel(prefix=f"p{j}_")
        init = {"bg_slope": slope[i], "bg_intercept": bg0[i] - slope[i] * 295.0}
        for j in range(K):
            init[f"p{j}_amplitude"] = area[j, i]
            init[f"p{j}_center"] = pos[j, i]
            init[f"p{j}_sigma"] = fwhm[j, i] / 2.0  # lmfit pvoigt: fwhm = 2 sigma
            init[f"p{j}_fraction"] = eta[j, i]
        params = model.make_params(**init)
        r = model.fit(y, params, x=x, weights=1.0 / np.sqrt(np.maximum(y, 1.0)))
        cen = np.array([r.params[f"p{j}_center"].value for j in range(K)])
        order = np.argsort(cen)
        for jj, j in enumerate(order):
            err["pos"].append(cen[j] - pos[jj, i])
            err["fwhm"].append(2.0 * r.params[f"p{j}_sigma"].value - fwhm[jj, i])
            err["area"].append(r.params[f"p{j}_amplitude"].value / area[jj, i] - 1.0)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0

    def rms(v):
        return float(np.sqrt(np.mean(np.square(v)))) if len(v) else float("nan")

    lm = {"spectra": n, "seconds": dt, "cpu_seconds": cpu, "spectra_per_s": n / dt,
          "spectra_per_cpu_s": n / cpu, "rms_pos_eV": rms(err["pos"]),
          "rms_fwhm_eV": rms(err["fwhm"]), "rms_area_rel": rms(err["area"])}
    # vitrum's 1-thread fit of the same spectra (pixels where it chose the true K).
    vp, vf, va, right = [], [], [], 0
    for i in range(n):
        if k_fit[i] != k_true[i]:
            continue
        right += 1
        for j in range(k_true[i]):
            vp.append(f_pos[j, i] - pos[j, i])
            vf.append(f_fwhm[j, i] - fwhm[j, i])
            va.append(f_area[j, i] / area[j, i] - 1.0)
    vit = {"k_right": right / n, "rms_pos_eV": rms(vp), "rms_fwhm_eV": rms(vf),
           "rms_area_rel": rms(va)}
    print(f"RESULT backend=lmfit cores=1 spectra={n} seconds={dt:.4f} cpu_seconds={cpu:.4f} "
          f"spectra_per_s={lm['spectra_per_s']:.3f} "
          f"k_right=1 rms_pos_eV={lm['rms_pos_eV']:.6f} rms_fwhm_eV={lm['rms_fwhm_eV']:.6f} "
          f"rms_area_rel={lm['rms_area_rel']:.6f}")
    print(f"SAME-SPECTRA vitrum k_right={vit['k_right']:.4f} rms_pos_eV={vit['rms_pos_eV']:.6f} "
          f"rms_fwhm_eV={vit['rms_fwhm_eV']:.6f} rms_area_rel={vit['rms_area_rel']:.6f}")

    if not a.bench:
        return
    rows = []
    with open(a.bench) as fh:
        for line in fh:
            if line.startswith("RESULT "):
                rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
    lm_rate = lm["spectra_per_cpu_s"]
    print()
    print("Spectra fit benchmark: 1000 channels, 1-4 pseudo-Voigt peaks per spectrum, Poisson noise")
    print("vitrum: no initial guesses, K in [1,4] by BIC, starts + SQUAREM-EM + standard errors")
    print("cpu-1+polish: the same EM, then the maximum-likelihood polish (bounded Levenberg-Marquardt")
    print("        on the Poisson deviance over every free parameter, errors from the Fisher information)")
    print("lmfit:  true K, started from the true values, leastsq (no model selection, no errors needed)")
    print("per core = spectra per CPU-second of the process (independent of other load on the machine)")
    print()
    hdr = (f"{'backend':<9} {'threads':>7} {'spectra':>8} {'wall s':>8} {'spectra/s':>10} {'per core':>9} "
           f"{'x lmfit/core':>12} {'K right':>8} {'rms dpos eV':>11} {'rms dFWHM':>9} {'rms darea':>9}")
    print(hdr)
    print("-" * len(hdr))
    lm_row = {"backend": "lmfit", "cores": "1", "spectra": str(n), "seconds": str(dt),
              "cpu_seconds": str(cpu), "spectra_per_s": str(lm["spectra_per_s"]), "k_right": "1",
              "rms_pos_eV": str(lm["rms_pos_eV"]), "rms_fwhm_eV": str(lm["rms_fwhm_eV"]),
              "rms_area_rel": str(lm["rms_area_rel"])}
    for r in rows + [lm_row]:
        cores = int(r["cores"])
        spectra = int(r["spectra"])
        rate = float(r["spectra_per_s"])
        cpu_s = float(r.get("cpu_seconds", "0"))
        if cores > 0 and cpu_s > 0:
            per_core = spectra / cpu_s
            ratio_s = f"{per_core / lm_rate:11.1f}x"
            per_core_s = f"{per_core:9.1f}"
            threads = str(cores)
        else:  # GPU: whole-device rate against one lmfit core
            ratio_s = f"{rate / lm_rate:11.1f}*"
            per_core_s = f"{'-':>9}"
            threads = "gpu"
        print(f"{r['backend']:<9} {threads:>7} {spectra:>8} {float(r['seconds']):>8.2f} {rate:>10.1f} {per_core_s} "
              f"{ratio_s:>12} {float(r['k_right']):>8.4f} {float(r['rms_pos_eV']):>11.5f} "
              f"{float(r['rms_fwhm_eV']):>9.5f} {float(r['rms_area_rel']):>9.5f}")
    print()
    print(f"same {n} spectra: vitrum (1 thread) rms dpos {vit['rms_pos_eV']:.5f} eV, dFWHM {vit['rms_fwhm_eV']:.5f} eV, "
          f"darea {vit['rms_area_rel']:.5f} (K right {100 * vit['k_right']:.2f}%) vs lmfit "
          f"{lm['rms_pos_eV']:.5f} eV, {lm['rms_fwhm_eV']:.5f} eV, {lm['rms_area_rel']:.5f}")
    print("accuracy over peaks of pixels where vitrum chose the true K; lmfit is given the true K.")
    print("* gpu rows: whole-device throughput (wall) against one lmfit core.")


if __name__ == "__main__":
    sys.exit(main())
