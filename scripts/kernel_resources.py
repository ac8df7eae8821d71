#!/usr/bin/env python3
"""Per-kernel resource report of the CUDA backend, from the compiler alone (no GPU needed).

Reads ptxas's report for every kernels/**/*.cu of a configured build (its compile_commands.json):
the build's own (the objects are compiled with --resource-usage and scripts/ptxas_report.sh keeps
the report next to each object as OBJECT.ptxas), or, for an object built without it or for another
architecture, a recompile to a cubin with `--resource-usage`. Prints, for each kernel:
registers, spill stores/loads, stack frame (local memory), static shared memory, and the
theoretical occupancy (resident warps / maximum warps per SM) at 128 and 256 threads per block,
with the limiting resource. Hot kernels (see HOT below) must not spill: the script exits 1 if one
does, so CI keeps them clean.

    scripts/kernel_resources.py BUILD_DIR [--arch sm_90] [--csv FILE] [--only SUBSTRING]
    scripts/kernel_resources.py --parse PTXAS_LOG   # parse a saved ptxas log (used by the tests)

Occupancy model (CUDA occupancy calculator rules for compute capability 9.0): 65536 registers
per SM allocated per warp in units of 256, at most 255 registers per thread; 64 warps, 32
blocks and 228 KiB of shared memory per SM (227 KiB per block, 1 KiB reserved per block,
allocated in 128-byte units).
"""
import argparse
import csv
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile

# Kernels that run every MD step or every fit iteration: a spill there costs every step.
HOT = ("symmetry_function_kernel", "gradient_kernel", "teacher_atoms_kernel", "count_kernel",
       "fill_kernel", "bin_kernel", "spectra_fit_kernel", "pack_kernel", "unpack_add_kernel",
       "activation_kernel", "scaling_kernel", "dedg_kernel", "gather_kernel",
       "team_sf_kernel", "team_gradient_kernel", "virial_reduce_kernel",
       "teacher_team_kernel",
       # the device-resident engine's neighbor-list rebuild (vitrum/neighbor/math/device_nlist.hpp,
       # run by exec::CudaLauncher's for_each_kernel): matched by the functor's mangled name
       "device_nl4Wrap", "device_nl9ImageFlag", "device_nl9GhostFill", "device_nl6BinKey",
       "device_nl6Search", "device_nl5ToCsr", "device_nl6SfcKey")

# Hot kernels known to spill today, with the reason; the check fails for any other hot kernel
# that spills, and for an entry here that no longer spills (so the list stays true).
KNOWN_SPILLS = {
    "spectra_fit_kernel": "one thread per spectrum with per-thread component arrays in local "
                          "memory (issues 13/15: a warp or block per spectrum)",
}

SM = {  # per-SM limits by architecture
    "sm_90": dict(regs=65536, reg_unit=256, max_warps=64, max_blocks=32, smem=233472,
                  smem_block_reserved=1024, smem_unit=128, max_regs_thread=255),
    "sm_80": dict(regs=65536, reg_unit=256, max_warps=64, max_blocks=32, smem=167936,
                  smem_block_reserved=1024, smem_unit=128, max_regs_thread=255),
}

ENTRY = re.compile(r"Compiling entry function '([^']+)' for '(sm_\d+)'")
PROPS = re.compile(r"Function properties for (\S+)")
FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
USED = re.compile(r"Used (\d+) registers(.*)")
SMEM = re.compile(r"(\d+) bytes smem")


def demangle(names):
    """Readable kernel names (c++filt), shortened to the function name and template args."""
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True,
                             check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return list(names)
    short = []
    for full in out:
        name = full.replace("(anonymous namespace)::", "")
        name = re.sub(r"^void ", "", name)
        short.append(name.split("(", 1)[0])  # drop the parameter list
    return short


def parse_ptxas(text):
    """Kernels of one ptxas --resource-usage log: list of dicts (mangled name, regs, spills...)."""
    kernels, current, props_for = [], None, None
    for line in text.splitlines():
        m = ENTRY.search(line)
        if m:
            current = dict(mangled=m.group(1), arch=m.group(2), regs=0, spill_stores=0,
                           spill_loads=0, stack=0, smem=0)
            kernels.append(current)
            continue
        m = PROPS.search(line)
        if m:
            props_for = m.group(1)
            continue
        m = FRAME.search(line)
        if m and current is not None and props_for == current["mangled"]:
            current["stack"], current["spill_stores"], current["spill_loads"] = map(
                int, m.groups())
            continue
        m = USED.search(line)
        if m and current is not None:
            current["regs"] = int(m.group(1))
            s = SMEM.search(m.group(2))
            current["smem"] = int(s.group(1)) if s else 0
    return kernels


def occupancy(regs, smem, threads, arch="sm_90"):
    """Theoretical occupancy (fraction of max warps) and its limiting resource."""
    lim = SM[arch]
    warps_per_block = math.ceil(threads / 32)
    limits = {"blocks": lim["max_blocks"], "warps": lim["max_warps"] // warps_per_block}
    if regs > 0:
        regs_per_warp = math.ceil(regs * 32 / lim["reg_unit"]) * lim["reg_unit"]
        limits["registers"] = (lim["regs"] // regs_per_warp) // warps_per_block
    if smem > 0:
        per_block = math.ceil((smem + lim["smem_block_reserved"]) / lim["smem_unit"]) * \
            lim["smem_unit"]
        limits["shared"] = lim["smem"] // per_block
    limiter = min(limits, key=lambda k: limits[k])
    blocks = limits[limiter]
    return blocks * warps_per_block / lim["max_warps"], limiter


def compile_commands(build_dir):
    path = os.path.join(build_dir, "compile_commands.json")
    with open(path) as f:
        entries = json.load(f)
    return [e for e in entries if e["file"].endswith(".cu")]


def build_report(entry, arch):
    """ptxas's report of the build itself (OBJECT.ptxas, kept by scripts/ptxas_report.sh when the
    object was compiled), when it exists, is not older than the object and covers `arch`."""
    args = shlex.split(entry["command"])
    if "-o" not in args or args.index("-o") + 1 >= len(args):
        return None
    obj = os.path.join(entry["directory"], args[args.index("-o") + 1])
    log = obj + ".ptxas"
    try:
        if os.path.getmtime(log) < os.path.getmtime(obj):
            return None
        with open(log) as f:
            text = f.read()
    except OSError:
        return None
    return text if f"for '{arch}'" in text else None


def ptxas_log(entry, arch):
    """ptxas's report for one .cu: the build's own (build_report) or, when the build kept none
    for `arch`, a recompile to a throw-away cubin with --resource-usage."""
    kept = build_report(entry, arch)
    if kept is not None:
        return kept
    args = shlex.split(entry["command"])
    keep, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-c", "-o"):
            skip = a == "-o"
            continue
        if a.startswith("--generate-code") or a.startswith("-gencode") or a.startswith("-arch"):
            continue
        keep.append(a)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = keep + ["-cubin", f"-arch={arch}", "--resource-usage", "-o",
                      os.path.join(tmp, "k.cubin")]
        r = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"kernel_resources: compiling {entry['file']} failed:\n{r.stderr}")
    return r.stdout + r.stderr


def report(rows, arch):
    names = demangle([k["mangled"] for k in rows])
    out, bad = [], []
    for k, name in zip(rows, names):
        k["name"] = name
        k["hot"] = any(h in k["mangled"] for h in HOT)
        k["occ128"], k["lim128"] = occupancy(k["regs"], k["smem"], 128, arch)
        k["occ256"], k["lim256"] = occupancy(k["regs"], k["smem"], 256, arch)
        spills = bool(k["spill_stores"] or k["spill_loads"])
        known = [n for n in KNOWN_SPILLS if n in k["mangled"]]
        if k["hot"] and spills and not known:
            bad.append(f"{name} spills ({k['spill_stores']} B stores, {k['spill_loads']} B loads)")
        k["known"] = known[0] if known and spills else None
        out.append(k)
    w = max(len(k["name"]) for k in out) if out else 10
    w = min(w, 90)
    print(f"{'kernel':<{w}} {'file':<22} hot regs spillS spillL stack smem "
          f"occ@128 (limit)        occ@256 (limit)")
    for k in sorted(out, key=lambda k: (k["file"], k["name"])):
        print(f"{k['name'][:w]:<{w}} {k['file']:<22} {'*' if k['hot'] else ' ':>3} {k['regs']:>4} "
              f"{k['spill_stores']:>6} {k['spill_loads']:>6} {k['stack']:>5} {k['smem']:>4} "
              f"{k['occ128']:>6.1%} ({k['lim128']:<9})  {k['occ256']:>6.1%} ({k['lim256']:<9})")
    for n, why in KNOWN_SPILLS.items():
        hits = [k for k in out if n in k["mangled"]]
        if hits and not any(k["known"] for k in hits):
            bad.append(f"{n} is listed in KNOWN_SPILLS but no longer spills: remove the entry")
    for k in out:
        if k["known"]:
            print(f"known spill: {k['name']}: {KNOWN_SPILLS[k['known']]}")
    return out, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir", nargs="?")
    ap.add_argument("--arch", default="sm_90", choices=sorted(SM))
    ap.add_argument("--csv")
    ap.add_argument("--parse", help="parse a saved ptxas --resource-usage log instead")
    ap.add_argument("--only", help="only the .cu files whose path contains this")
    a = ap.parse_args()
    rows = []
    if a.parse:
        with open(a.parse) as f:
            for k in parse_ptxas(f.read()):
                k["file"] = os.path.basename(a.parse)
                rows.append(k)
    else:
        if not a.build_dir:
            ap.error("BUILD_DIR or --parse is required")
        entries = compile_commands(a.build_dir)
        if a.only:
            entries = [e for e in entries if a.only in e["file"]]
        if not entries:
            sys.exit(f"kernel_resources: no .cu files in {a.build_dir}/compile_commands.json "
                     "(configure with CUDA: -DVITRUM_ENABLE_CUDA=ON)")
        for e in entries:
            for k in parse_ptxas(ptxas_log(e, a.arch)):
                k["file"] = "/".join(e["file"].split("/")[-2:])
                rows.append(k)
    out, bad = report(rows, a.arch)
    if a.csv:
        with open(a.csv + ".tmp", "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["kernel", "file", "hot", "registers", "spill_stores", "spill_loads",
                         "stack_bytes", "smem_bytes", "occupancy_128", "occupancy_256"])
            for k in out:
                wr.writerow([k["name"], k["file"], int(k["hot"]), k["regs"], k["spill_stores"],
                             k["spill_loads"], k["stack"], k["smem"], f"{k['occ128']:.4f}",
                             f"{k['occ256']:.4f}"])
        os.replace(a.csv + ".tmp", a.csv)
    print(f"{len(out)} kernels, {sum(k['hot'] for k in out)} hot; "
          f"{sum(1 for k in out if k['spill_stores'] or k['spill_loads'])} spill")
    if bad:
        print("kernel_resources: FAILED\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
