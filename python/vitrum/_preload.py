"""HDF5 loaded before the module, bound to its own MPI.

The module links HDF5, on Debian the Open MPI build, whose MPI references bind when it is
loaded. When another MPI is already in the process (LAMMPS's Python module: MPICH), they would
bind to that one, and HDF5's start-up (MPI_Initialized, then MPI_Comm_set_attr on Open MPI's
MPI_COMM_SELF) would reach MPICH and abort the process. Loading the HDF5 library first with
RTLD_DEEPBIND makes it (and the Open MPI it brings) bind to its own dependencies; the module then
finds it loaded. Only HDF5 is loaded so: the module itself binds as usual
(docs/python-lammps.md; tests/python/test_mpi_coexistence.py)."""

import ctypes
import os

from ._build_info import HDF5_LIBRARIES


def preload_hdf5():
    mode = os.RTLD_LOCAL | getattr(os, "RTLD_DEEPBIND", 0)
    for path in HDF5_LIBRARIES:
        if os.path.basename(path).startswith("libhdf5") and os.path.exists(path):
            ctypes.CDLL(path, mode=mode)
