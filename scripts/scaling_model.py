#!/usr/bin/python3
"""Model of the halo volume per rank and the parallel efficiency of vitrum's MPI domain
decomposition, one rank per GPU, for 1M-100M-atom cells on 1-1000 GPUs (no MPI, no GPU needed).

  scaling_model.py [--potential bks,water] [--atoms 1e6,1e7,1e8] [--gpus 1,8,27,...]
                   [--bandwidth 25] [--latency 5] [--pcie 25] [--copy-latency 10] [--overhead 100]

The model (README.md, "Scaling"):
  cell       cubic, N atoms at number density rho; the rank grid px x py x pz = P is the most
             even factorisation of P; subdomain edges l_d = L / p_d
  halo       width h = cutoff + skin; ghosts per rank = rho [prod(l_d + 2h) - prod(l_d)];
             staged exchange per dimension (x, then y with the x ghosts, then z with both), so
             stage d moves the slabs rho h A_d to each side, A_x = ly lz, A_y = (lx+2h) lz,
             A_z = (lx+2h)(ly+2h); ceil(h / l_d) hops per side when a subdomain is thinner than
             h; dimensions with p_d = 1 are local copies (no network)
  bytes      forward: 24 B per ghost (3 doubles of position); reverse: 24 B per ghost (forces) for
             the HDNNP only (the BKS pair teacher computes ghost pairs on both sides and sends
             nothing back); plan rebuild every R steps: +24 B per ghost (id, species, image) and
             the migrating atoms (80 B each, at most the atoms within skin/2 of a face)
  time/step  T = c n + t0 + t_comm; n = N/P, c = compute time per atom-step on one H100
             (measured: water HDNNP double 6.2 us, BKS 0.556 us = 1 / 1.8e6 atom-steps/s at 1M
             atoms), t0 = a fixed per-step overhead (kernel launches, small reductions);
             optionally n is raised to --saturation (a GPU that is not filled is no faster);
             t_comm = sum over the messages of (alpha + bytes / B) plus the energy/virial
             allreduce 2 log2(P) alpha; no overlap of communication and compute (conservative)
  paths      CUDA-aware MPI: device buffers go to the NIC (GPUDirect RDMA);
             pinned host: every message adds a device-to-host copy of the send buffer and a
             host-to-device copy of the receive buffer (bytes / B_pcie + copy latency each)
  efficiency E = T(1) / (P T(P)), T(1) = c N + t0 (one GPU, no communication; for the largest
             cells a hypothetical GPU with enough memory: see the memory column)
"""
import argparse
import math
import sys

# Per potential: number density (1/A^3), cutoff + skin (A), compute s/atom-step on one H100,
# whether ghost forces are sent back, memory per atom held (owned or ghost) on the GPU (bytes).
POTENTIALS = {
    # SiO2 at 2.2 g/cm3: 3 atoms per 60.084 amu; BKS DSF Coulomb cutoff 10 A + skin 1 A;
    # full neighbor list of ~370 partners (4 B each) + state
    "bks": dict(rho=2.2 / (60.084 / 3 * 1.66054e-24) * 1e-24, halo=11.0, c=1.0 / 1.8e6,
                reverse=False, mem=1.8e3, label="BKS SiO2"),
    # liquid water at 1.0 g/cm3: 3 atoms per 18.015 amu; RPBE-D3 HDNNP cutoff 12 bohr = 6.35 A
    # + skin 1 A; ~3 KB/atom (neighbors, symmetry functions, network activations)
    "water": dict(rho=1.0 / (18.015 / 3 * 1.66054e-24) * 1e-24, halo=12 * 0.529177 + 1.0,
                  c=6.2e-6, reverse=True, mem=3.0e3, label="water HDNNP"),
}


def grid_factors(k):
    f = [1, 1, 1]
    primes, m, p = [], k, 2
    while m > 1:
        while m % p == 0:
            primes.append(p)
            m //= p
        p += 1
    for q in sorted(primes, reverse=True):
        f[f.index(min(f))] *= q
    return sorted(f, reverse=True)


def model(pot, n_atoms, gpus, a):
    p = POTENTIALS[pot]
    rho, h, c = p["rho"], p["halo"], p["c"]
    big_l = (n_atoms / rho) ** (1.0 / 3.0)
    grid = grid_factors(gpus)
    l = [big_l / g for g in grid]
    n = n_atoms / gpus
    ghosts = rho * ((l[0] + 2 * h) * (l[1] + 2 * h) * (l[2] + 2 * h) - l[0] * l[1] * l[2])
    areas = [l[1] * l[2], (l[0] + 2 * h) * l[2], (l[0] + 2 * h) * (l[1] + 2 * h)]
    alpha = a.latency * 1e-6
    bw = a.bandwidth * 1e9
    pcie = a.pcie * 1e9
    acopy = a.copy_latency * 1e-6
    n_msg = 0.0      # network messages per step
    net_bytes = 0.0  # bytes sent per rank per step
    passes = 2 if p["reverse"] else 1
    for d in range(3):
        if grid[d] == 1:
            continue
        hops = math.ceil(h / l[d])
        slab = rho * h * areas[d]  # atoms to one side
        n_msg += passes * 2 * hops
        net_bytes += passes * 2 * slab * 24.0
        # plan rebuild every R steps: ids, species, images of the ghosts + migrating atoms
        migrating = rho * areas[d] * 0.5 * a.skin
        n_msg += 2 * hops / a.rebuild_every
        net_bytes += 2 * (slab * 24.0 + migrating * 80.0) / a.rebuild_every
    t_allreduce = 2 * math.log2(gpus) * alpha if gpus > 1 else 0.0
    t_aware = n_msg * alpha + net_bytes / bw + t_allreduce
    # pinned host staging: a D2H copy before and an H2D copy after every message
    t_pinned = t_aware + 2 * (n_msg * acopy + net_bytes / pcie)
    t_comp = c * max(n, a.saturation) + a.overhead * 1e-6
    t1 = c * max(n_atoms, a.saturation) + a.overhead * 1e-6
    e_aware = t1 / (gpus * (t_comp + t_aware))
    e_pinned = t1 / (gpus * (t_comp + t_pinned))
    mem = (n + ghosts) * p["mem"] / 1e9
    return dict(pot=pot, atoms=n_atoms, gpus=gpus, grid="x".join(map(str, grid)), edge=min(l),
                owned=n, ghost_ratio=ghosts / n, halo_mb=net_bytes / 1e6, t_comp=t_comp * 1e3,
                t_aware=t_aware * 1e3, t_pinned=t_pinned * 1e3, e_aware=e_aware,
                e_pinned=e_pinned, mem=mem, rate=n_atoms / (t_comp + t_aware))


def fmt_atoms(x):
    return f"{x / 1e6:g}M" if x >= 1e6 else f"{x / 1e3:g}k"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 4)[4])
    ap.add_argument("--potential", default="bks,water", help="bks, water or both (default)")
    ap.add_argument("--atoms", default="1e6,1e7,1e8")
    ap.add_argument("--gpus", default="1,8,27,64,216,512,1000")
    ap.add_argument("--bandwidth", type=float, default=25.0, help="GB/s per GPU (default 25)")
    ap.add_argument("--latency", type=float, default=5.0, help="us per message (default 5)")
    ap.add_argument("--pcie", type=float, default=25.0,
                    help="GB/s host<->device for the pinned path (default 25)")
    ap.add_argument("--copy-latency", type=float, default=10.0,
                    help="us per staged copy incl. stream sync, pinned path (default 10)")
    ap.add_argument("--overhead", type=float, default=100.0,
                    help="fixed per-step GPU overhead t0, us (default 100)")
    ap.add_argument("--saturation", type=float, default=0.0,
                    help="atoms per GPU below which a step costs as much as with this many "
                         "(an under-filled GPU; default 0: off)")
    ap.add_argument("--skin", type=float, default=1.0, help="A (default 1)")
    ap.add_argument("--rebuild-every", type=float, default=10.0,
                    help="steps between neighbor-list rebuilds (default 10)")
    ap.add_argument("--gpu-memory", type=float, default=80.0, help="GB per GPU (default 80)")
    a = ap.parse_args()
    try:
        pots = [x.strip() for x in a.potential.split(",") if x.strip()]
        atoms = [int(float(x)) for x in a.atoms.split(",")]
        gpus = [int(x) for x in a.gpus.split(",")]
    except ValueError as e:
        ap.error(str(e))
    for pot in pots:
        if pot not in POTENTIALS:
            ap.error(f"--potential: unknown {pot!r} (bks, water)")
    print(f"network {a.bandwidth:g} GB/s and {a.latency:g} us per message per GPU; pinned path: "
          f"+{a.pcie:g} GB/s copies with {a.copy_latency:g} us each; t0 {a.overhead:g} us/step; "
          f"rebuild every {a.rebuild_every:g} steps; no compute/comm overlap"
          + (f"; GPU saturation {a.saturation:g} atoms" if a.saturation > 0 else ""))
    head = (f"{'potential':<11} {'atoms':>5} {'GPUs':>5} {'grid':>9} {'edge_A':>7} {'owned/GPU':>9} "
            f"{'ghost/own':>9} {'halo_MB':>8} {'comp_ms':>8} {'comm_ms':>8} {'pinned_ms':>9} "
            f"{'E_aware':>7} {'E_pinned':>8} {'Matom-st/s':>10} {'GB/GPU':>7}")
    for pot in pots:
        p = POTENTIALS[pot]
        print(f"\n{p['label']}: rho {p['rho']:.4f} /A^3, halo {p['halo']:.2f} A, "
              f"{p['c'] * 1e6:.3g} us/atom-step, {'forward + reverse' if p['reverse'] else 'forward only'}")
        print(head)
        print("-" * len(head))
        for n in atoms:
            for g in gpus:
                r = model(pot, n, g, a)
                flag = "!" if r["mem"] > a.gpu_memory else " "
                print(f"{pot:<11} {fmt_atoms(n):>5} {g:>5} {r['grid']:>9} {r['edge']:>7.1f} "
                      f"{r['owned']:>9.3g} {r['ghost_ratio']:>9.3f} {r['halo_mb']:>8.3f} "
                      f"{r['t_comp']:>8.3f} {r['t_aware']:>8.3f} {r['t_pinned']:>9.3f} "
                      f"{r['e_aware']:>7.3f} {r['e_pinned']:>8.3f} {r['rate'] / 1e6:>10.4g} "
                      f"{r['mem']:>6.1f}{flag}")
    print("\nedge_A: thinnest subdomain edge; ghost/own: ghost atoms per owned atom (a full shell of "
          "width h); halo_MB: bytes sent per GPU per step (rebuilds amortised); comm_ms: "
          "CUDA-aware MPI, pinned_ms: through pinned host buffers; E = T(1) / (P T(P)); "
          f"Matom-st/s with CUDA-aware MPI; GB/GPU marked ! above {a.gpu_memory:g} GB.")


if __name__ == "__main__":
    main()
