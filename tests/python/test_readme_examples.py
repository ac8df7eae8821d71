"""The README's LAMMPS, ASE and spectra examples, run as written (the LAMMPS one with fewer
steps and this build's plugin)."""

import re
import subprocess
import sys

import numpy as np
from conftest import REPO, run_lammps, write_data


def example(name):
    text = (REPO / "README.md").read_text()
    m = re.search(rf"<!-- example: {name} -->\n```[a-z]*\n(.*?)```", text, re.S)
    assert m, f"README.md has no example '{name}'"
    return m.group(1)


def run_python(code, tmp_path):
    (tmp_path / "example.py").write_text(code)
    p = subprocess.run([sys.executable, str(tmp_path / "example.py")], cwd=REPO,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_lammps_anneal_example(tmp_path, sio2_cell, plugin):
    write_data(sio2_cell, tmp_path / "sio2.lmp", ["Si", "O"])
    script = example("lammps-anneal")
    script = script.replace("variable steps index 20000", "variable steps index 300")
    script = script.replace("variable plugin index build/libvitrum_lammps.so",
                            f"variable plugin index {plugin}")
    script = script.replace("variable potential index configs/potentials/SiO2-BKS",
                            f"variable potential index {REPO / 'configs/potentials/SiO2-BKS'}")
    _, out = run_lammps(script, tmp_path, ranks=2)
    assert (tmp_path / "glass.lmp").exists()
    assert "Loop time of" in out and "ERROR" not in out


def test_ase_example(tmp_path):
    code = example("ase")
    assert len(code.strip().splitlines()) == 5
    out = run_python(code, tmp_path)
    # FIRE's log lines ("FIRE: ...", a header), then "energy [stress]"
    last = [l for l in out.splitlines() if l and not l.lstrip().startswith(("FIRE", "Step"))]
    energy = float(last[0].split()[0])
    assert np.isfinite(energy) and energy < 0


def test_spectra_example(tmp_path):
    out = run_python(example("spectra"), tmp_path).strip().splitlines()
    mean_position, worst_status = out[-1].split()
    assert abs(float(mean_position) - 284.8) < 0.05 and worst_status == "0"
    assert re.search(r"\[\s*71\.[0-2]", out[0]), out[0]  # Pt 4f7/2
