"""vitrum for Python: the HDNNP / SiO2-teacher engines as an ASE calculator and on arrays, and
the batched XPS EM fit on NumPy (or xarray) arrays. Everything runs in the compiled library
(vitrum._vitrum); errors are raised as vitrum.Error with the CLI's messages."""

from ._preload import preload_hdf5 as _preload_hdf5

_preload_hdf5()
from ._vitrum import Error, Model, cuda_device_count
from ._predict import predict
from . import spectra, structures

__all__ = ["Error", "Model", "Calculator", "predict", "spectra", "structures", "cuda_device_count"]


def __getattr__(name):
    # ASE is optional: importing vitrum does not need it, vitrum.Calculator does.
    if name == "Calculator":
        from .calculator import Calculator

        return Calculator
    raise AttributeError(f"module 'vitrum' has no attribute {name!r}")
