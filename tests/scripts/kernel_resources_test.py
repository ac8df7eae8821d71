#!/usr/bin/env python3
"""Tests of scripts/kernel_resources.py on hand-written ptxas logs (no GPU or nvcc needed)."""
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kernel_resources as kr  # noqa: E402

ENTRY = ("ptxas info    : Compiling entry function '{m}' for 'sm_90'\n"
         "ptxas info    : Function properties for {m}\n"
         "    {stack} bytes stack frame, {ss} bytes spill stores, {sl} bytes spill loads\n"
         "ptxas info    : Used {regs} registers, used 1 barriers{smem}, 380 bytes cmem[0]\n")


def entry(m, regs, ss=0, sl=0, stack=0, smem=0):
    return ENTRY.format(m=m, regs=regs, ss=ss, sl=sl, stack=stack,
                        smem=f", {smem} bytes smem" if smem else "")


# Mangled names as nvcc emits them (a kernel in an anonymous namespace, a template instance).
GRAD = "_ZN6vitrum3nnp12_GLOBAL__N_115gradient_kernelIdEEvPKdPd"
FIT = "_ZN6vitrum7spectra18spectra_fit_kernelEPKdPd"
COLD = "_ZN6vitrum5train12xbar_kernelEiPKdPd"


def run(log):
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(log)
    try:
        return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "kernel_resources.py"),
                               "--parse", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)


class Parse(unittest.TestCase):
    def test_fields(self):
        ks = kr.parse_ptxas(entry(GRAD, 150, ss=8, sl=12, stack=40, smem=4096) + entry(COLD, 20))
        self.assertEqual(len(ks), 2)
        g = ks[0]
        self.assertEqual((g["regs"], g["spill_stores"], g["spill_loads"], g["stack"], g["smem"]),
                         (150, 8, 12, 40, 4096))
        self.assertEqual((ks[1]["regs"], ks[1]["smem"], ks[1]["stack"]), (20, 0, 0))

    def test_demangled_name(self):
        self.assertEqual(kr.demangle([GRAD])[0], "vitrum::nnp::gradient_kernel<double>")


class Occupancy(unittest.TestCase):
    def test_register_limited(self):
        # 150 regs -> 4864 per warp (256-register units) -> 13 warps per SM.
        self.assertEqual(kr.occupancy(150, 0, 256), (8 / 64, "registers"))
        self.assertEqual(kr.occupancy(150, 0, 128), (12 / 64, "registers"))

    def test_full(self):
        self.assertEqual(kr.occupancy(32, 0, 256), (1.0, "warps"))

    def test_shared_limited(self):
        # 100 KiB + 1 KiB reserved per block: 2 blocks in 228 KiB.
        occ, lim = kr.occupancy(32, 100 * 1024, 256)
        self.assertEqual((occ, lim), (16 / 64, "shared"))


class Check(unittest.TestCase):
    def test_clean_passes(self):
        r = run(entry(GRAD, 100) + entry(FIT, 168, ss=2758, sl=1244, stack=13424))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("known spill", r.stdout)

    def test_hot_spill_fails(self):
        r = run(entry(GRAD, 255, ss=64, sl=64) + entry(FIT, 168, ss=8, sl=8))
        self.assertEqual(r.returncode, 1)
        self.assertIn("gradient_kernel<double> spills (64 B stores, 64 B loads)", r.stderr)

    def test_cold_spill_reported_not_failed(self):
        r = run(entry(COLD, 255, ss=16, sl=16) + entry(FIT, 168, ss=8, sl=8))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 spill", r.stdout)

    def test_stale_known_spill_fails(self):
        r = run(entry(FIT, 64))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no longer spills", r.stderr)


class BuildReport(unittest.TestCase):
    """The build's own report (OBJECT.ptxas from scripts/ptxas_report.sh) is read instead of a
    recompile only when it is there, not older than the object, and covers the architecture."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.entry = {"directory": d, "file": os.path.join(d, "k.cu"),
                      "command": "nvcc -O3 -c k.cu -o obj/k.cu.o"}
        os.makedirs(os.path.join(d, "obj"))
        self.obj = os.path.join(d, "obj", "k.cu.o")
        with open(self.obj, "w") as f:
            f.write("object")
        self.log = self.obj + ".ptxas"

    def tearDown(self):
        self.dir.cleanup()

    def write_log(self, text, age=0.0):
        with open(self.log, "w") as f:
            f.write(text)
        t = os.path.getmtime(self.obj) - age
        os.utime(self.log, (t, t))

    def test_fresh_report_is_read(self):
        self.write_log(entry(GRAD, 40))
        text = kr.build_report(self.entry, "sm_90")
        self.assertIsNotNone(text)
        self.assertEqual([k["regs"] for k in kr.parse_ptxas(text)], [40])

    def test_missing_stale_or_other_arch_is_not(self):
        self.assertIsNone(kr.build_report(self.entry, "sm_90"))
        self.write_log(entry(GRAD, 40), age=10.0)  # older than the object: a previous compile
        self.assertIsNone(kr.build_report(self.entry, "sm_90"))
        self.write_log(entry(GRAD, 40))
        self.assertIsNone(kr.build_report(self.entry, "sm_80"))

    def test_wrapper_keeps_the_report_and_passes_the_rest(self):
        # scripts/ptxas_report.sh around a fake compiler that prints a report and a warning
        d = self.dir.name
        fake = os.path.join(d, "fake_nvcc.sh")
        with open(fake, "w") as f:
            f.write("#!/bin/bash\n"
                    f"printf '%s' \"{entry(GRAD, 40)}\" >&2\n"
                    "echo 'k.cu(3): warning: something' >&2\n"
                    "echo object > \"${@: -1}\"\n")
        os.chmod(fake, 0o755)
        r = subprocess.run([os.path.join(ROOT, "scripts", "ptxas_report.sh"), fake, "-c", "k.cu",
                            "-o", self.obj], capture_output=True, text=True, cwd=d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: something", r.stderr)
        self.assertNotIn("ptxas info", r.stderr)
        with open(self.log) as f:
            self.assertEqual([k["regs"] for k in kr.parse_ptxas(f.read())], [40])
        self.assertIsNotNone(kr.build_report(self.entry, "sm_90"))


if __name__ == "__main__":
    unittest.main()
