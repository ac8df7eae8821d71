#!/usr/bin/env python3
"""Line shapes and backgrounds of vitrum against independent implementations (1e-10 relative).

Usage: shapes_oracle.py SHAPE_EVAL_BINARY

Oracles: lmfit.lineshapes (gaussian, lorentzian, pvoigt, voigt, doniach), scipy.special
(voigt_profile), scipy.integrate.quad for the normalisations and Gaussian convolutions of the
CasaXPS shapes written from their formulas, lmfitxps.backgrounds.shirley_calculate for the
iterated Shirley, and a direct numerical integral (quad over every channel interval of the
linear interpolant) for Tougaard. A value is compared where it is not tiny: the allowed error is
1e-10 * max(|reference|, 1e-6 * max|reference|).
"""
import contextlib
import io
import math
import subprocess
import sys

import numpy as np
from lmfit import lineshapes as ls
from scipy.integrate import quad
from scipy.special import voigt_profile

RTOL = 1e-10
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
failures = []


def q(f, a, b, points=None):
    val, _ = quad(f, a, b, epsabs=0.0, epsrel=1e-13, limit=2000, points=points)
    return val


def run(binary, commands):
    text = "\n".join(commands) + "\n"
    out = subprocess.run([binary], input=text, capture_output=True, text=True, check=True)
    return [np.array([float(v) for v in line.split()]) for line in out.stdout.splitlines()]


def check(name, got, ref):
    ref = np.asarray(ref, dtype=float)
    floor = 1e-6 * np.max(np.abs(ref))
    err = np.abs(got - ref) / np.maximum(np.abs(ref), floor)
    worst = float(np.max(err))
    status = "ok" if worst <= RTOL else "FAIL"
    print(f"{status:4s} {name:38s} max rel err {worst:.2e} over {len(ref)} points")
    if worst > RTOL:
        failures.append(name)


def conv_gauss(f, u, sigma, kink=0.0):
    """(f * g_sigma)(u) by quad, split at the kink of f."""
    if sigma <= 0:
        return f(u)
    lo, hi = u - 12 * sigma, u + 12 * sigma
    g = lambda s: f(s) * math.exp(-0.5 * ((u - s) / sigma) ** 2)
    pts = [p for p in (kink, u) if lo < p < hi]
    return q(g, lo, hi, points=pts or None) / (sigma * math.sqrt(2 * math.pi))


def la_profile(alpha, beta, F, n):
    stretch = 1.0 + n / 100.0

    def f(u):
        v = u / (F * stretch) if u >= 0 else u / F
        return (1.0 / (1.0 + 4.0 * v * v)) ** (alpha if u >= 0 else beta)

    area = q(f, 0, np.inf) + q(f, -np.inf, 0)
    return lambda u: f(u) / area


def ds_profile(alpha, F):
    gamma = F / 2

    def f(u):  # lmfit's doniach mirrored: tail toward high binding energy (u > 0)
        return float(ls.doniach(np.array([-u]), amplitude=1.0, center=0.0, sigma=gamma,
                                gamma=alpha)[0])

    area = q(f, -10 * F, 10 * F, points=[0.0])
    return lambda u: f(u) / area


def shape_cases():
    x0, F, A = 284.8, 1.2, 1000.0
    x = np.concatenate([x0 + np.linspace(-12, 12, 97), [x0 + 0.013, x0 - 0.377, x0 + 3.3]])
    u = x - x0
    sg = F / FWHM_PER_SIGMA
    cases = [
        ("Gaussian", ls.gaussian(x, A, x0, sg)),
        ("Lorentzian", ls.lorentzian(x, A, x0, F / 2)),
        ("PV(0.37)", ls.pvoigt(x, A, x0, F / 2, 0.37)),
        ("Voigt(0.5)", A * voigt_profile(u, sg, 0.25)),
        ("Voigt(2.5)", ls.voigt(x, A, x0, sg, 1.25)),
    ]
    for m in (0.0, 30.0, 75.0, 100.0):
        gl = lambda t, M=m / 100: math.exp(-4 * math.log(2) * (1 - M) * t * t / F / F) / (
            1 + 4 * M * t * t / F / F)
        sgl = lambda t, M=m / 100: (1 - M) * math.exp(-4 * math.log(2) * t * t / F / F) + M / (
            1 + 4 * t * t / F / F)
        Igl, Isgl = q(gl, -np.inf, np.inf), q(sgl, -np.inf, np.inf)
        cases.append((f"GL({m:g})", [A * gl(t) / Igl for t in u]))
        cases.append((f"SGL({m:g})", [A * sgl(t) / Isgl for t in u]))
    for a, b, m, n in ((1.53, 243, 0, None), (1.1, 2.5, 10, None), (1.5, 3.0, 60, None),
                       (0.9, 1.4, 150, None), (1.2, 4.0, 30, 40.0)):
        f = la_profile(a, b, F, n or 0.0)
        sigma = (m * F / 100) / FWHM_PER_SIGMA
        name = f"LA({a:g},{b:g},{m:g})" if n is None else f"LA({a:g},{b:g},{m:g},{n:g})"
        cases.append((name, [A * conv_gauss(f, t, sigma) for t in u]))
    for alpha, pct in ((0.0, 50.0), (0.12, 40.0), (0.3, 80.0), (0.2, 0.0)):
        f = ds_profile(alpha, F)
        sigma = (pct * F / 100) / FWHM_PER_SIGMA
        cases.append((f"DS({alpha:g},{pct:g})", [A * conv_gauss(f, t, sigma) for t in u]))
    return x0, F, A, x, cases


def tougaard_reference(x, y, y_lo, B, C, D, three):
    def kern(T):
        if T <= 0:
            return 0.0
        qq = C - T * T if three else C + T * T
        return B * T / (qq * qq + (D * T * T if three else 0.0))

    S = np.zeros(len(x))
    for i in range(len(x)):
        s = 0.0
        for j in range(i):
            a, b, ya, yb = x[j], x[j + 1], y[j] - y_lo, y[j + 1] - y_lo
            s += q(lambda e: kern(x[i] - e) * (ya + (e - a) / (b - a) * (yb - ya)), a, b)
        S[i] = s
    return S


def spectrum():
    x = np.linspace(700.0, 740.0, 161)
    peak = 3000 * np.exp(-0.5 * ((x - 712.0) / 1.1) ** 2) + 1800 * np.exp(
        -0.5 * ((x - 725.5) / 1.4) ** 2)
    step = 400 * 0.5 * (1 + np.tanh((x - 712.0) / 2.0))
    ripple = 15 * np.sin(1.7 * x)  # deterministic "noise"
    return x, 200 + 0.8 * (x - 700) + peak + step + ripple


def main():
    binary = sys.argv[1]
    x0, F, A, x, cases = shape_cases()
    xs = " ".join(f"{v:.17g}" for v in x)
    got = run(binary, [f"shape {name} {x0:.17g} {F:.17g} {A:.17g} {len(x)} {xs}"
                       for name, _ in cases])
    for (name, ref), g in zip(cases, got):
        check(name, g, ref)

    # Backgrounds on one synthetic spectrum (ascending binding energy).
    ex, ey = spectrum()
    exs, eys = " ".join(f"{v:.17g}" for v in ex), " ".join(f"{v:.17g}" for v in ey)
    n = len(ex)
    cmds = [f"background Shirley 1 {ex[0]} {ex[-1]} 0 fixed {n} {exs} {eys}",
            f"background U2Tougaard 1 {ex[0]} {ex[-1]} 2 2866 1643 fixed {n} {exs} {eys}",
            f"background U3Tougaard 1 {ex[0]} {ex[-1]} 3 335.4 551 436 fixed {n} {exs} {eys}",
            f"background U2Tougaard 1 {ex[0]} {ex[-1]} 2 2866 1643 match {n} {exs} {eys}"]
    shirley, u2, u3, u2m = run(binary, cmds)
    from lmfitxps.backgrounds import shirley_calculate
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Max iterations exceeded"
        ref = shirley_calculate(ex, ey, tol=1e-300, maxit=500)
    check("Shirley vs lmfitxps.shirley_calculate", shirley, ref)
    y_lo, y_hi = ey[0], ey[-1]
    S2 = tougaard_reference(ex, ey, y_lo, 1.0, 1643.0, 0.0, False)
    check("U 2 Tougaard (B fixed) vs quad", u2, y_lo + 2866.0 * S2)
    S3 = tougaard_reference(ex, ey, y_lo, 1.0, 551.0, 436.0, True)
    check("U 3 Tougaard (B fixed) vs quad", u3, y_lo + 335.4 * S3)
    check("U 2 Tougaard (meets y_hi) vs quad", u2m, y_lo + (y_hi - y_lo) / S2[-1] * S2)
    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    print(f"all {len(cases) + 4} comparisons within {RTOL:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
