#!/usr/bin/python3
"""Compares the output directory a Slurm job campaign left with an uninterrupted run's.

  compare_runs.py exact RUN REFERENCE FINAL_NAME
      bit for bit: the final structure and the extxyz trajectory byte for byte, thermo.csv
      without its timing column (atom-steps/s), and every dataset and attribute of
      checkpoint.h5 (the creation time and the config file's name aside; the thermo file size
      it records must be the file's own);
  compare_runs.py close RUN REFERENCE FINAL_NAME TOL
      another rank count continued the run: the same atoms in the final checkpoint, positions
      and velocities within TOL, the same step, stage and thermo rows (without the timing
      column) up to the restart step;
  compare_runs.py h5md RUN REFERENCE EVERY LAST EXACT_UNTIL TOL
      the H5MD trajectory holds the frames 0, EVERY, ..., LAST once each, in order, with the
      reference's positions: bit for bit up to step EXACT_UNTIL, within TOL after it;
  compare_runs.py step CHECKPOINT
      prints the step of a checkpoint (fails if the file cannot be read whole).

Exit status 0 when they agree; 1 with the first differences on stderr otherwise.
"""
import os
import sys

import h5py
import numpy as np

IGNORED_ROOT_ATTRS = {"created", "config_file"}
THERMO_BYTES = "/output@thermo_csv_bytes"


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def thermo_rows(path):
    """thermo.csv rows without the timing column (atom-steps/s, the second to last)."""
    rows = []
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split(",")
            rows.append(cols[:-2] + cols[-1:])
    return rows


def same_bytes(a, b, what):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if fa.read() != fb.read():
            fail(f"{what}: {a} differs from the uninterrupted run's {b}")


def attrs_equal(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return np.array_equal(np.asarray(x), np.asarray(y))
    return x == y


def checkpoint_items(path):
    items = {}
    with h5py.File(path, "r") as f:
        for k, v in f.attrs.items():
            if k not in IGNORED_ROOT_ATTRS:
                items[f"/@{k}"] = v

        def visit(name, obj):
            for k, v in obj.attrs.items():
                items[f"/{name}@{k}"] = v
            if isinstance(obj, h5py.Dataset):
                items[f"/{name}"] = obj[()]

        f.visititems(visit)
    return items


def compare_exact(run, ref, final):
    same_bytes(os.path.join(run, final), os.path.join(ref, final), "final structure")
    same_bytes(os.path.join(run, "trajectory.xyz"), os.path.join(ref, "trajectory.xyz"),
               "trajectory")
    a = thermo_rows(os.path.join(run, "thermo.csv"))
    b = thermo_rows(os.path.join(ref, "thermo.csv"))
    if a != b:
        bad = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        fail(f"thermo.csv: {len(a)} rows against {len(b)}, first difference at row {bad}")
    ia = checkpoint_items(os.path.join(run, "checkpoint.h5"))
    ib = checkpoint_items(os.path.join(ref, "checkpoint.h5"))
    # The thermo file's size at the checkpoint depends on the widths of the timing column:
    # each must be its own run's thermo.csv size.
    for items, d in ((ia, run), (ib, ref)):
        size = os.path.getsize(os.path.join(d, "thermo.csv"))
        if items.pop(THERMO_BYTES) != size:
            fail(f"{d}/checkpoint.h5: {THERMO_BYTES} is not the size of thermo.csv ({size})")
    if ia.keys() != ib.keys():
        fail(f"checkpoint.h5: other items: {sorted(set(ia) ^ set(ib))}")
    for k in ia:
        if not attrs_equal(ia[k], ib[k]):
            fail(f"checkpoint.h5: {k} differs from the uninterrupted run's")
    print(f"{run}: final structure, trajectory, thermo and final checkpoint bit for bit "
          f"equal to the uninterrupted run ({len(a) - 1} thermo rows)")


def compare_close(run, ref, final, tol):
    with h5py.File(os.path.join(run, "checkpoint.h5"), "r") as fa, \
            h5py.File(os.path.join(ref, "checkpoint.h5"), "r") as fb:
        for key in ("step",):
            if fa["state"].attrs[key] != fb["state"].attrs[key]:
                fail(f"checkpoint: {key} {fa['state'].attrs[key]} against {fb['state'].attrs[key]}")
        for name in ("id", "species"):
            if not np.array_equal(fa["atoms"][name][()], fb["atoms"][name][()]):
                fail(f"checkpoint: atoms/{name} differ")
        worst = {}
        for name in ("position", "velocity"):
            d = np.max(np.abs(fa["atoms"][name][()] - fb["atoms"][name][()]))
            worst[name] = d
            if not d <= tol:
                fail(f"checkpoint: atoms/{name} differ by {d:.3e} > {tol}")
    if not os.path.exists(os.path.join(run, final)):
        fail(f"{run}: no final structure {final}")
    a = thermo_rows(os.path.join(run, "thermo.csv"))
    b = thermo_rows(os.path.join(ref, "thermo.csv"))
    if len(a) != len(b) or [r[0] for r in a] != [r[0] for r in b]:
        fail(f"thermo.csv: steps {len(a)} rows against {len(b)}")
    print(f"{run}: final checkpoint within {tol} of the uninterrupted run (positions "
          f"{worst['position']:.2e} A, velocities {worst['velocity']:.2e} A/fs)")


def compare_h5md(run, ref, every, last, exact_until, tol):
    with h5py.File(os.path.join(run, "trajectory.h5"), "r") as fa, \
            h5py.File(os.path.join(ref, "trajectory.h5"), "r") as fb:
        pa, pb = fa["particles/all/position"], fb["particles/all/position"]
        steps = pa["step"][()]
        want = np.arange(0, last + 1, every)
        if last % every != 0:
            want = np.append(want, last)
        if not np.array_equal(steps, want) and not np.array_equal(steps, want[:-1]):
            fail(f"trajectory.h5: steps {steps.tolist()} (expected {want.tolist()}, each once)")
        if not np.array_equal(steps, pb["step"][()]):
            fail("trajectory.h5: other steps than the uninterrupted run's")
        xa, xb = pa["value"][()], pb["value"][()]
        for k, s in enumerate(steps):
            d = np.max(np.abs(xa[k] - xb[k]))
            if s <= exact_until and d != 0.0:
                fail(f"trajectory.h5: frame at step {s} (before the restart) differs by {d:.3e}")
            if not d <= tol:
                fail(f"trajectory.h5: frame at step {s} differs by {d:.3e} > {tol}")
    print(f"{run}/trajectory.h5: {len(steps)} frames, each step once; bit for bit up to step "
          f"{exact_until}, within {tol} A after it")


def main(argv):
    if len(argv) < 3:
        fail(__doc__)
    mode = argv[1]
    if mode == "exact" and len(argv) == 5:
        compare_exact(argv[2], argv[3], argv[4])
    elif mode == "close" and len(argv) == 6:
        compare_close(argv[2], argv[3], argv[4], float(argv[5]))
    elif mode == "h5md" and len(argv) == 8:
        compare_h5md(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]), float(argv[7]))
    elif mode == "step" and len(argv) == 3:
        with h5py.File(argv[2], "r") as f:
            for name in ("position", "velocity", "force", "image"):
                f["atoms"][name][()]  # reads every chunk (checksums)
            print(f["state"].attrs["step"])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
