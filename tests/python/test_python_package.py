"""The Python package: the ASE calculator and vitrum.predict against `vitrum predict`, FIRE on a
SiO2 glass, vitrum.spectra.fit on arrays against `vitrum spectra fit` on the same data in a file,
the GIL released while the library works, and clear errors for bad arguments."""

import subprocess
import threading
import time

import ase.io
import h5py
import numpy as np
import pytest
import vitrum
from conftest import REPO, SHARED, SIO2_MIN, SIO2_POT, WATER_POT

SYNTH_CONFIG = REPO / "configs" / "spectra" / "synth_fit.toml"


def cli_predict(vitrum_bin, potential, path, out, *units):
    p = subprocess.run([str(vitrum_bin), "predict", "-p", str(potential), "-i", str(path), "-o",
                        str(out), *units], capture_output=True, text=True)
    return p


@pytest.mark.parametrize("case", ["water", "sio2"])
def test_calculator_forces_equal_vitrum_predict(tmp_path, water, sio2_cell, vitrum_bin, case):
    if case == "water":  # the shipped water potential is in bohr and Hartree; ASE in Å and eV
        atoms, pot, units = water[0], WATER_POT, ["--length-unit", "bohr", "--energy-unit", "Hartree"]
        calc = vitrum.Calculator(pot, length_unit="bohr", energy_unit="Hartree")
    else:
        atoms, pot, units = sio2_cell, SIO2_POT, []
        calc = vitrum.Calculator(pot)
    ase.io.write(tmp_path / "in.xyz", atoms, format="extxyz")
    p = cli_predict(vitrum_bin, pot, tmp_path / "in.xyz", tmp_path / "out.xyz", *units)
    assert p.returncode == 0, p.stderr
    ref = ase.io.read(tmp_path / "out.xyz")
    a = ase.io.read(tmp_path / "in.xyz")  # the digits the CLI read
    a.calc = calc
    f_ref = ref.get_forces()
    assert np.abs(a.get_forces() - f_ref).max() <= 1e-12 * np.abs(f_ref).max()
    assert abs(a.get_potential_energy() - ref.get_potential_energy()) <= 1e-12 * abs(
        ref.get_potential_energy())
    # vitrum.predict on arrays: a batch of this structure and a displaced copy
    pos = np.stack([a.positions, a.positions + 0.01])
    r = vitrum.predict(pot, pos, a.numbers, a.cell.array, length_unit=calc.model_units[0],
                       energy_unit=calc.model_units[1])
    assert r["forces"].shape == (2, len(a), 3) and r["energy"].shape == (2,)
    assert np.array_equal(r["forces"][0], a.get_forces())
    # a rigid translation changes nothing but rounding
    assert abs(r["energy"][1] - r["energy"][0]) <= 1e-9 * abs(r["energy"][0])


def test_stress_is_the_strain_derivative(sio2_cell):
    a = sio2_cell.copy()
    a.calc = vitrum.Calculator(SIO2_POT)
    s = a.get_stress(voigt=False)
    h, v = 1e-5, a.get_volume()
    for i, j in [(0, 0), (1, 2)]:
        e = []
        for sign in (1, -1):
            b = a.copy()
            b.calc = a.calc
            eps = np.eye(3)
            eps[i, j] += sign * h / (2 if i != j else 1)
            eps[j, i] += sign * h / 2 if i != j else 0
            b.set_cell(a.cell.array @ eps, scale_atoms=True)
            e.append(b.get_potential_energy())
        assert abs((e[0] - e[1]) / (2 * h) / v - s[i, j]) < 1e-6 * np.abs(s).max() + 1e-8


def test_fire_relaxes_a_sio2_glass(sio2_cell):
    from ase.optimize import FIRE

    a = sio2_cell.copy()
    a.calc = vitrum.Calculator(SIO2_POT)
    e0, f0 = a.get_potential_energy(), np.abs(a.get_forces()).max()
    assert FIRE(a, logfile=None).run(fmax=0.05, steps=1500)
    assert a.get_potential_energy() < e0 - 0.1 * len(a) and f0 > 1.0
    # a relaxed network: most Si fourfold coordinated by O within 2.0 Å
    d = a.get_all_distances(mic=True)
    si = a.numbers == 14
    coord = ((d[si][:, ~si] < 2.0).sum(axis=1))
    assert np.mean(coord == 4) > 0.6


def test_gil_is_released_while_evaluating(water):
    calc = vitrum.Calculator(WATER_POT, length_unit="bohr", energy_unit="Hartree", threads=1)
    a = water[0].copy()
    done = threading.Event()

    def work():
        for _ in range(3):
            calc.calculate(a, ["energy", "forces"], ["positions"])
        done.set()

    t = threading.Thread(target=work)
    t0 = time.perf_counter()
    t.start()
    ticks = 0
    while not done.is_set():
        time.sleep(0.005)
        ticks += 1
    t.join()
    elapsed = time.perf_counter() - t0
    # with the GIL held the main thread would run only between the three calls
    assert ticks >= 10 and ticks >= 0.2 * elapsed / 0.005, (ticks, elapsed)


def synthetic_image(seed=3):
    """2 × 3 spectra of two Gaussian peaks on a flat background, Poisson counts; energy
    descending as plotted in binding energy."""
    rng = np.random.default_rng(seed)
    e = np.linspace(292.0, 280.0, 241)
    image = np.empty((2, 3, e.size))
    for y in range(2):
        for x in range(3):
            lam = 40 + 3000 * np.exp(-0.5 * ((e - 284.8) / 0.5) ** 2) \
                + (800 + 300 * x) * np.exp(-0.5 * ((e - 286.4 - 0.1 * y) / 0.6) ** 2)
            image[y, x] = rng.poisson(lam)
    return e, image.astype(np.float32)


MAPS = ["n_peaks", "status", "iterations", "log_likelihood", "bic", "total_counts"]
STACKS = ["position", "fwhm", "area", "position_se", "fwhm_se", "area_se"]


def cli_maps(vitrum_bin, data, config, out, name):
    p = subprocess.run([str(vitrum_bin), "spectra", "fit", str(data), "--config", str(config),
                        "--output", str(out), "--quiet"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with h5py.File(out, "r") as h:
        return {k: h[f"Experiments/{name}_{k}/data"][()] for k in MAPS + STACKS}


def assert_same_maps(res, ref, nav_ndim):
    for k in MAPS:
        got = np.asarray(res[k]).astype(np.float32)
        assert np.array_equal(got.reshape(ref[k].shape), ref[k], equal_nan=True), k
    for k in STACKS:
        got = np.moveaxis(np.asarray(res[k]), nav_ndim, 0).astype(np.float32)  # peak axis first
        assert np.array_equal(got.reshape(ref[k].shape), ref[k], equal_nan=True), k


def test_spectra_fit_array_equals_cli_on_a_file(tmp_path, vitrum_bin):
    e, image = synthetic_image()
    vitrum.spectra.write(tmp_path / "image.h5", image, e, name="cls")
    res = vitrum.spectra.fit(image, e, SYNTH_CONFIG)
    assert res["position"].shape == (2, 3, 3) and res["n_peaks"].shape == (2, 3)
    assert np.all(res["status"] == 0) and np.all(res["n_peaks"] >= 2)
    ref = cli_maps(vitrum_bin, tmp_path / "image.h5", SYNTH_CONFIG, tmp_path / "fit.h5", "cls")
    assert_same_maps(res, ref, 2)
    # the same config given as TOML text, and a 4-D array (energy last) folds into the same fits
    res2 = vitrum.spectra.fit(image[None], e, SYNTH_CONFIG.read_text())
    assert res2["position"].shape == (1, 2, 3, 3)
    assert np.array_equal(res2["position"][0], res["position"], equal_nan=True)


def test_spectra_read_then_fit_equals_cli(tmp_path, vitrum_bin):
    vms = SHARED / "spectra" / "vamas" / "casa_Pt4f_doublet.vms"
    config = REPO / "configs" / "spectra" / "pt4f.toml"
    blocks = vitrum.spectra.read(vms, energy="binding")
    assert len(blocks) == 1
    b = blocks[0]
    assert b["intensity"].shape == b["energy"].shape and np.all(np.diff(b["energy"]) > 0)
    res = vitrum.spectra.fit(b["intensity"], b["energy"], config,
                             photon_energy=b["photon_energy"])
    ref_name = "".join(c if c.isalnum() or c == "-" else "_" for c in b["name"]) or "block"
    ref = cli_maps(vitrum_bin, vms, config, tmp_path / "pt.h5", ref_name)
    assert_same_maps(res, ref, 0)
    assert abs(res["position"][0] - 71.1) < 0.2


def test_spectra_fit_xarray(tmp_path):
    import xarray as xr

    e, image = synthetic_image()
    da = xr.DataArray(image, dims=("y", "x", "binding_energy"),
                      coords={"y": [0.0, 1.5], "x": [0.0, 1.0, 2.0], "binding_energy": e})
    ds = vitrum.spectra.fit(da, config=SYNTH_CONFIG)
    ref = vitrum.spectra.fit(image, e, SYNTH_CONFIG)
    assert ds["position"].dims == ("y", "x", "peak")
    assert np.array_equal(ds["position"].values, ref["position"], equal_nan=True)
    assert list(ds["y"].values) == [0.0, 1.5]
    # energy as a non-last dimension, named
    ds2 = vitrum.spectra.fit(da.transpose("binding_energy", "y", "x"), config=SYNTH_CONFIG,
                             energy_dim="binding_energy")
    assert np.array_equal(ds2["area"].values, ref["area"], equal_nan=True)


def test_clear_errors(tmp_path, sio2_cell, vitrum_bin):
    e, image = synthetic_image()
    with pytest.raises(vitrum.Error, match=r"expected shape \(\.\.\., 240\)"):
        vitrum.spectra.fit(image, e[:-1])
    with pytest.raises(vitrum.Error, match="expected a real array"):
        vitrum.spectra.fit(image.astype(np.complex64), e)
    with pytest.raises(vitrum.Error, match="expected a real array"):
        vitrum.spectra.fit(np.array([["a", "b"]]), e[:2])
    with pytest.raises(vitrum.Error, match="1-D axis"):
        vitrum.spectra.fit(image, np.stack([e, e]))
    with pytest.raises(vitrum.Error, match="strictly"):
        vitrum.spectra.fit(image[..., :3], np.array([1.0, 1.0, 2.0]))
    with pytest.raises(vitrum.Error, match="unknown"):
        vitrum.spectra.fit(image, e, "[peaks]\nshapes = 1\n")
    with pytest.raises(vitrum.Error, match="positions: expected shape"):
        vitrum.predict(SIO2_POT, np.zeros((5, 2)), [14] * 5)
    with pytest.raises(vitrum.Error, match="expected a real floating-point array"):
        vitrum.predict(SIO2_POT, np.zeros((5, 3), dtype=complex), [14] * 5)
    with pytest.raises(vitrum.Error, match="numbers: expected shape"):
        vitrum.predict(SIO2_POT, np.zeros((5, 3)), [14] * 4)
    a = sio2_cell.copy()
    a.pbc = [True, True, False]
    a.calc = vitrum.Calculator(SIO2_POT)
    with pytest.raises(vitrum.Error, match="3D periodicity or none"):
        a.get_potential_energy()
    # the CLI's message, word for word: a structure with an element the potential lacks
    a = sio2_cell.copy()
    a.calc = vitrum.Calculator(WATER_POT)
    with pytest.raises(vitrum.Error) as err:
        a.get_potential_energy()
    ase.io.write(tmp_path / "sio2.xyz", sio2_cell, format="extxyz")
    p = cli_predict(vitrum_bin, WATER_POT, tmp_path / "sio2.xyz", tmp_path / "o.xyz")
    assert p.returncode != 0
    detail = str(err.value).split(": ", 1)[1]  # after "atoms" / "<file>, structure 1"
    assert "the potential" in detail and detail in p.stderr, (str(err.value), p.stderr)


def stated_copy(tmp_path, energy, length):
    """The shipped SiO2 potential with input.nn's stated units rewritten."""
    import shutil

    d = tmp_path / f"sio2_{energy}_{length}"
    shutil.copytree(SIO2_POT, d)
    nn = d / "input.nn"
    text = nn.read_text()
    assert "# units of the training data: energy eV, length angstrom" in text
    nn.write_text(text.replace("energy eV, length angstrom", f"energy {energy}, length {length}"))
    return d


def test_calculator_checks_stated_units(tmp_path, sio2_cell):
    """A potential that states its units (input.nn of `vitrum train`) is refused in others."""
    for units in ({"length_unit": "bohr"}, {"energy_unit": "Hartree"}, {"length_unit": 1.1}):
        with pytest.raises(vitrum.Error, match=r"unit mismatch: the potential .*SiO2-BKS states "
                           r"its units .* as energy eV, length angstrom"):
            vitrum.Calculator(SIO2_POT, **units)
        with pytest.raises(vitrum.Error, match="unit mismatch"):  # vitrum.predict: same check
            vitrum.predict(SIO2_POT, sio2_cell.positions, sio2_cell.numbers, sio2_cell.cell.array,
                           **units)
    # stated in bohr and Hartree: refused in Å/eV, accepted (by name or number) in its own units
    bohr_ha = stated_copy(tmp_path, "Hartree", "bohr")
    with pytest.raises(vitrum.Error, match=r'use length_unit="bohr", energy_unit="Hartree"'):
        vitrum.Calculator(bohr_ha)
    a = sio2_cell.copy()
    a.calc = vitrum.Calculator(bohr_ha, length_unit=0.529177210903, energy_unit="Ha")
    assert np.isfinite(a.get_potential_energy())
    # an unknown stated unit names the file and line
    with pytest.raises(vitrum.Error, match=r"input.nn:3: the stated units: .*furlong"):
        vitrum.Calculator(stated_copy(tmp_path, "eV", "furlong"))
    # n2p2's own files state no units: the caller's are taken (water in bohr/Hartree, in Å/eV)
    for units in ({}, {"length_unit": "bohr", "energy_unit": "Hartree"}):
        vitrum.Calculator(WATER_POT, **units)


def test_calculator_backend_and_precision(sio2_cell):
    a = sio2_cell.copy()
    a.calc = vitrum.Calculator(SIO2_POT, precision="double")
    f_double = a.get_forces()
    b = sio2_cell.copy()
    b.calc = vitrum.Calculator(SIO2_POT, precision="mixed")
    f_mixed = b.get_forces()
    scale = np.abs(f_double).max()
    assert 0 < np.abs(f_mixed - f_double).max() <= 1e-3 * scale  # single-precision networks
    with pytest.raises(vitrum.Error, match="unknown backend 'gpu0': expected 'cpu' or 'cuda'"):
        vitrum.Calculator(SIO2_POT, backend="gpu0")
    with pytest.raises(vitrum.Error, match="unknown precision 'single': expected 'double' or "
                       "'mixed'"):
        vitrum.Calculator(SIO2_POT, precision="single")
    with pytest.raises(vitrum.Error, match="backend must be 'cpu' or 'cuda', got 1"):
        vitrum.Calculator(SIO2_POT, backend=1)
    with pytest.raises(vitrum.Error, match="precision must be 'double' or 'mixed', got None"):
        vitrum.Calculator(SIO2_POT, precision=None)
    if vitrum.cuda_device_count() == 0:  # this build or machine has no GPU: said so, no crash
        with pytest.raises(vitrum.Error, match="(?i)cuda"):
            vitrum.Calculator(SIO2_POT, backend="cuda")
