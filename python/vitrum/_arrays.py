"""Checks of array arguments: the wrong shape or dtype is a vitrum.Error naming the argument."""

import numpy as np

from ._vitrum import Error


def float_array(a, name):
    """a as a float64 array; integer input is accepted, anything else (complex, bool, object,
    strings) is an error."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.float16:
        raise Error(f"{name}: expected a real floating-point array, got dtype {arr.dtype}")
    return np.asarray(arr, dtype=np.float64)


def atomic_numbers(numbers):
    """Atomic numbers from integers or element symbols."""
    arr = np.asarray(numbers)
    if arr.dtype.kind in "US":
        from ase.data import atomic_numbers as table  # noqa: PLC0415 (symbols need ASE's table)

        try:
            arr = np.vectorize(lambda s: table[str(s)])(arr)
        except KeyError as e:
            raise Error(f"numbers: {e.args[0]!r} is not an element symbol") from None
    if arr.dtype.kind not in "iu":
        raise Error(f"numbers: expected atomic numbers (integers) or element symbols, "
                    f"got dtype {arr.dtype}")
    return arr.astype(np.int32)
