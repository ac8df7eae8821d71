#!/usr/bin/env python3
"""Cost model of one energy+force evaluation per atom: FLOPs and DRAM bytes of each GPU kernel,
and the time per atom they imply at an H100's peak (the roofline), so a measured time reads as a
fraction of what the hardware allows.

    benchmarks/cost_model.py                          # shipped SiO2 HDNNP, water HDNNP, BKS
    benchmarks/cost_model.py --measured sio2=0.9 ...  # also print measured µs/atom as a fraction
    benchmarks/cost_model.py --potential DIR --density RHO_G_CM3 --composition O=2,Si=1

Counting rules (stated, so the numbers can be argued with). One FLOP is one add, multiply or
fused multiply-add counted as 2. Transcendentals are counted at the FMA cost of their double
software sequences on NVIDIA GPUs (the H100 has no FP64 special-function unit): exp 20, sqrt 10,
division 10, tanh 25; the float path uses the SFU for these, so FLOPs there are an upper bound.
Neighbor counts follow from the number density inside the cutoff sphere (an amorphous cell has
no preferred shells at the cutoff radius). The kernels' work:
  * per (atom, neighbor within rc): Δr, r², √, the cutoff function and its derivative (shared by
    every function of the pair);
  * radial G2: exp(−η(r−rs)²)·fc per function whose neighbor element matches; its gradient
    (recomputed in the force pass, never stored) adds the derivative and 3+3 force updates;
  * angular G3/G9: per (j, k) pair cos θ, r² sums and fc·fc once; per function (1+λcos)^ζ by
    squaring, one exp and products; the gradient adds three 3-vectors scaled by dE/dG;
  * networks: 2·(in·out) per dense layer forward and again for dE/dG, plus activations;
  * BKS: a full list (each pair twice), r², √, exp, r⁻⁶, the damped-shifted-force Coulomb term
    from an erfc table (interpolation ≈ 10 FLOP) and three force components.
Bytes are the compulsory DRAM traffic of an ideal kernel: positions and species once per atom
(neighbor reads hit in L1/L2), the neighbor list (4 B per entry) read by each pass that walks it,
G and dE/dG written and read once, forces and the per-atom energy written once.
"""
import argparse
import math
import os
import sys
from collections import Counter

AVOGADRO = 6.02214076e23
MASS = {"H": 1.008, "O": 15.999, "Si": 28.085}

# H100 SXM5 (80 GB HBM3), dense non-tensor peaks from NVIDIA's H100 datasheet.
HW = {"name": "H100 SXM5", "fp64": 34e12, "fp32": 67e12, "bw": 3.35e12}

EXP, SQRT, DIV, TANH = 20, 10, 10, 25
CUTOFF_COST = {0: 0, 1: 2 * 25, 2: 2 * TANH + 10, 3: 2 * TANH + 10, 4: 2 * EXP + 10, 5: 8,
               6: 12, 7: 16, 8: 20}  # value + derivative, by n2p2 cutoff type


def read_input_nn(path):
    """Elements, cutoff type, hidden layer widths and the symmetry functions of an input.nn."""
    elements, layers, cutoff_type, sfs = [], [], 6, []
    with open(path) as f:
        for line in f:
            w = line.split("#", 1)[0].split()
            if not w:
                continue
            if w[0] == "elements":
                elements = w[1:]
            elif w[0] == "global_nodes_short":
                layers = [int(x) for x in w[1:]]
            elif w[0] == "cutoff_type":
                cutoff_type = int(w[1])
            elif w[0] == "symfunction_short":
                centre, kind = w[1], int(w[2])
                if kind == 2:
                    sfs.append((centre, kind, (w[3],), float(w[-1])))
                elif kind in (3, 9):
                    sfs.append((centre, kind, tuple(sorted(w[3:5])), float(w[-1])))
                else:
                    sys.exit(f"cost_model: {path}: symmetry function type {kind} not modelled")
    return elements, cutoff_type, layers, sfs


def partial_densities(density_g_cm3, composition):
    """Number density per element (Å⁻³) from the mass density and the formula unit."""
    total = sum(composition.values())
    mean_mass = sum(MASS[e] * n for e, n in composition.items()) / total
    rho = density_g_cm3 / mean_mass * AVOGADRO * 1e-24
    return {e: rho * n / total for e, n in composition.items()}


def hdnnp_cost(elements, cutoff_type, layers, sfs, rho, precision):
    """FLOPs and bytes per atom (composition-weighted) of the SF, network and force kernels."""
    fsize = 8 if precision == "double" else 4
    frac = {e: rho[e] / sum(rho.values()) for e in rho}
    out = Counter()
    for c in elements:
        mine = [s for s in sfs if s[0] == c]
        rc = max(s[3] for s in mine)
        nb = {e: rho[e] * 4 / 3 * math.pi * rc ** 3 for e in rho}
        n_nb = sum(nb.values())
        per_nb = 3 + 5 + SQRT + CUTOFF_COST[cutoff_type]
        sf = grad = n_nb * per_nb
        pairs_seen = set()
        for _, kind, els, _ in mine:
            if kind == 2:
                n = nb[els[0]]
                sf += n * (6 + EXP)
                grad += n * (6 + EXP + 10 + 12)
            else:
                a, b = els
                n_pairs = nb[a] * (nb[a] - 1) / 2 if a == b else nb[a] * nb[b]
                shared = 16 + DIV + 4 + (10 + SQRT if kind == 3 else 0)
                if els not in pairs_seen:  # pair terms computed once for all functions of a pair
                    sf += n_pairs * shared
                    grad += n_pairs * shared
                    pairs_seen.add(els)
                sf += n_pairs * (8 + EXP + 6)
                grad += n_pairs * (8 + EXP + 6 + 30 + 36)
        nsf = len(mine)
        dims = [nsf] + layers + [1]
        gemm = sum(2 * a * b for a, b in zip(dims, dims[1:]))
        net = 2 * gemm + sum(layers) * (TANH + 4)
        lst = 4 * n_nb
        out["sf"] += frac[c] * sf
        out["grad"] += frac[c] * grad
        out["net"] += frac[c] * net
        out["bytes_sf"] += frac[c] * (fsize * 3 + 4 + lst + fsize * nsf)
        out["bytes_net"] += frac[c] * (2 * fsize * nsf + 2 * fsize * nsf + fsize)
        out["bytes_grad"] += frac[c] * (fsize * 3 + 4 + lst + fsize * nsf + 3 * fsize)
    return out


def bks_cost(rho, cutoff=10.0, precision="double"):
    fsize = 8 if precision == "double" else 4
    n_nb = sum(rho.values()) * 4 / 3 * math.pi * cutoff ** 3
    per_pair = 3 + 5 + SQRT + DIV + EXP + 6 + 10 + 10 + 6 * 2
    return Counter(pair=n_nb * per_pair, bytes_pair=fsize * 3 + 4 + 4 * n_nb + 3 * fsize + fsize)


def table(name, cost, precision, measured=None):
    peak = HW["fp64"] if precision == "double" else HW["fp32"]
    rows, t_total = [], 0.0
    for kernel in [k for k in ("sf", "net", "grad", "pair") if k in cost]:
        flop, byte = cost[kernel], cost["bytes_" + kernel]
        t = max(flop / peak, byte / HW["bw"]) * 1e6
        t_total += t
        bound = "compute" if flop / peak > byte / HW["bw"] else "memory"
        rows.append((kernel, flop, byte, flop / byte, t, bound))
    print(f"\n{name} ({precision}), per atom per energy+force evaluation, {HW['name']}")
    print(f"  {'kernel':<6} {'FLOP':>10} {'DRAM B':>9} {'FLOP/B':>7} {'roofline µs':>12}  bound")
    for k, f, b, ai, t, bound in rows:
        print(f"  {k:<6} {f:>10.0f} {b:>9.0f} {ai:>7.1f} {t:>12.4f}  {bound}")
    print(f"  total roofline {t_total:.4f} µs/atom = {1e6 / t_total:.3g} atom-evaluations/s")
    if measured:
        print(f"  measured {measured:.4f} µs/atom: {t_total / measured:.1%} of the roofline")
    return t_total


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measured", nargs="*", default=[],
                    help="NAME=µs_per_atom with NAME in sio2, sio2-mixed, water, water-mixed, "
                         "bks (µs per atom-step)")
    ap.add_argument("--potential", help="an n2p2 directory to cost instead of the shipped ones")
    ap.add_argument("--density", type=float, help="g/cm³, with --potential")
    ap.add_argument("--composition", help="formula unit, e.g. O=2,Si=1, with --potential")
    a = ap.parse_args()
    measured = {}
    for m in a.measured:
        k, _, v = m.partition("=")
        measured[k] = float(v)
    cases = [("sio2", os.path.join(root, "configs/potentials/SiO2-BKS"), 2.2, {"O": 2, "Si": 1}),
             ("water", os.path.join(root, "configs/potentials/H2O_RPBE-D3"), 1.0,
              {"H": 2, "O": 1})]
    if a.potential:
        if a.density is None or a.composition is None:
            ap.error("--potential needs --density and --composition")
        comp = {k: int(v) for k, v in (x.split("=") for x in a.composition.split(","))}
        cases = [(os.path.basename(a.potential.rstrip("/")), a.potential, a.density, comp)]
    for name, path, dens, comp in cases:
        elements, ct, layers, sfs = read_input_nn(os.path.join(path, "input.nn"))
        if name == "water":  # the water potential's lengths are in bohr
            sfs = [(c, k, e, r * 0.529177210903) for c, k, e, r in sfs]
        rho = partial_densities(dens, comp)
        for prec in ("double", "mixed"):
            cost = hdnnp_cost(elements, ct, layers, sfs, rho, prec)
            key = name if prec == "double" else name + "-mixed"
            table(f"{name} HDNNP ({path})", cost, "double" if prec == "double" else "float",
                  measured.get(key))
    if not a.potential:
        rho = partial_densities(2.2, {"O": 2, "Si": 1})
        t = table("SiO2 BKS, rc 10 Å, full list", bks_cost(rho), "double", measured.get("bks"))
        print(f"  target 5e7 atom-steps/s = 0.02 µs/atom: {t / 0.02:.0%} of the target time is "
              "the roofline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
