"""vitrum.spectra: the XPS readers and the batched EM peak fit on NumPy / xarray arrays, so that
a notebook needs no files in between. The fit is `vitrum spectra fit` (same library call)."""

import os

import numpy as np

from . import _vitrum
from ._vitrum import Error

_PER_PEAK = ("position", "fwhm", "area", "eta", "position_se", "fwhm_se", "area_se", "eta_se")


def read(path, energy="as-recorded", photon_energy=0.0, rate_to_counts=False):
    """Every spectrum block of a VAMAS, HDF5 (HyperSpy/NeXus) or CSV file, as dicts with
    name, energy (ascending, eV), intensity ((channels,), (n, channels) or (ny, nx, channels)),
    energy_kind, photon_energy, metadata, source."""
    return _vitrum.read_spectra(os.fspath(path), energy, float(photon_energy), bool(rate_to_counts))


def _split(intensity, energy, energy_dim):
    """(values, energy axis, navigation dims or None, navigation coords) from an array or an
    xarray DataArray whose last dimension is the energy."""
    if type(intensity).__name__ == "DataArray":
        da = intensity
        dim = energy_dim if energy_dim is not None else da.dims[-1]
        if dim not in da.dims:
            raise Error(f"intensity: no dimension '{dim}' (it has {list(da.dims)})")
        da = da.transpose(..., dim)
        if energy is None:
            if dim not in da.coords:
                raise Error(f"intensity: dimension '{dim}' has no coordinate; pass energy=")
            energy = da.coords[dim].values
        nav = da.dims[:-1]
        coords = {d: da.coords[d] for d in nav if d in da.coords}
        return da.values, energy, nav, coords
    if energy is None:
        raise Error("energy: an energy axis is needed for a plain array")
    return intensity, energy, None, None


def _check(values, energy):
    arr = np.asarray(values)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.float16:
        raise Error(f"intensity: expected a real array (float32, float64 or integer counts), "
                    f"got dtype {arr.dtype}")
    e = np.asarray(energy)
    if e.dtype.kind not in "fiu":
        raise Error(f"energy: expected a real array, got dtype {e.dtype}")
    e = np.asarray(e, dtype=np.float64)
    if e.ndim != 1:
        raise Error(f"energy: expected a 1-D axis, got shape {e.shape}")
    if arr.ndim < 1 or arr.shape[-1] != e.shape[0]:
        raise Error(f"intensity: expected shape (..., {e.shape[0]}) with the energy axis last "
                    f"({e.shape[0]} channels), got {arr.shape}")
    if e.shape[0] >= 2 and e[0] > e[-1]:  # descending (binding energy as plotted): flip both
        e, arr = e[::-1], arr[..., ::-1]
    return np.ascontiguousarray(arr, dtype=np.float32), np.ascontiguousarray(e)


def _grid(shape):
    """(ny, nx) of the navigation shape: every leading axis but the last is folded into y."""
    if len(shape) == 0:
        return 1, 1
    nx = int(shape[-1])
    ny = int(np.prod(shape[:-1], dtype=np.int64)) if len(shape) > 1 else 1
    return ny, nx


def _config(config):
    """(toml text, source name) from None, a path or TOML text."""
    if config is None:
        return "", ""
    if isinstance(config, os.PathLike) or (isinstance(config, str) and "\n" not in config
                                           and "=" not in config):
        return "", os.fspath(config)
    if isinstance(config, str):
        return config, "config"
    raise Error(f"config: expected None, a path or TOML text, got {type(config).__name__}")


def fit(intensity, energy=None, config=None, *, energy_kind="binding", photon_energy=0.0,
        backend="cpu", threads=0, energy_dim=None):
    """Fits every spectrum of `intensity` (any shape, energy last) with the EM algorithm, as
    `vitrum spectra fit`. energy: the channel energies (eV; ascending or descending); taken from
    the DataArray's last coordinate when omitted. config: None (defaults), a TOML file path or
    TOML text (`vitrum spectra fit --help` lists the keys).

    Returns a dict of arrays shaped like the navigation axes (per-peak quantities with a trailing
    peak axis, background with a trailing component axis), plus fitted 'energy',
    'background_names', 'energy_kind' and 'seconds'; an xarray.Dataset for a DataArray input.
    status: 0 converged, 1 iteration-limit, 2 degenerate-peak, 3 empty-spectrum,
    4 invalid-values, 5 negative-values."""
    values, e, nav, coords = _split(intensity, energy, energy_dim)
    arr, e = _check(values, e)
    nav_shape = arr.shape[:-1]
    ny, nx = _grid(nav_shape)
    text, source = _config(config)
    counts = arr.reshape(ny * nx, e.shape[0])
    r = _vitrum.fit_spectra(counts, e, ny, nx, text, source, energy_kind, float(photon_energy),
                            backend, int(threads))
    out = {}
    for key, v in r.items():
        if isinstance(v, np.ndarray) and key != "energy":
            out[key] = v.reshape(nav_shape + v.shape[1:])
        else:
            out[key] = v
    if nav is None:
        return out
    return _to_dataset(out, nav, coords)


def _to_dataset(r, nav, coords):
    import xarray as xr  # noqa: PLC0415 (optional dependency, only for DataArray input)

    data = {}
    for key, v in r.items():
        if not isinstance(v, np.ndarray) or key == "energy":
            continue
        if key in _PER_PEAK:
            data[key] = (nav + ("peak",), v)
        elif key == "background":
            data[key] = (nav + ("background_component",), v)
        elif key == "bic_by_k":
            data[key] = (nav + ("k",), v)
        else:
            data[key] = (nav, v)
    ds = xr.Dataset(data, coords=dict(coords))
    ds = ds.assign_coords(background_component=list(r["background_names"]),
                          k=np.arange(r["k_min"], r["k_min"] + r["bic_by_k"].shape[-1]))
    ds.attrs.update(energy_kind=r["energy_kind"], seconds=r["seconds"],
                    fitted_energy_min=float(r["energy"][0]), fitted_energy_max=float(r["energy"][-1]))
    return ds


def write(path, intensity, energy, *, energy_kind="binding", photon_energy=0.0, name="spectra"):
    """Writes an array (energy last; (channels,), (n, channels) or (ny, nx, channels)) as an HDF5
    spectrum image in vitrum's HyperSpy/NeXus layout, readable by `vitrum spectra fit`."""
    arr, e = _check(intensity, energy)
    if arr.ndim > 3:
        raise Error(f"intensity: at most 3 axes (ny, nx, channels) in a file, got {arr.shape}")
    ny, nx = _grid(arr.shape[:-1])
    _vitrum.write_spectrum_image(os.fspath(path), arr.reshape(ny * nx, e.shape[0]), e, ny, nx,
                                 energy_kind, float(photon_energy), name)
