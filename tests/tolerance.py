"""The equality a stack's claims are checked with: bit for bit on Intel CPUs, within a stated tolerance elsewhere.

A module of its own (not conftest.py): tests/cluster has a conftest.py too, and `from conftest import` would reach
whichever pytest put first on sys.path."""

import numpy as np

from neuralmi import kernels

STACK_TOLERANCE = 1e-6
"""A stack's members equal their fits alone bit for bit on Intel CPUs, where MKL's strict reproducible branch is
documented; elsewhere (measured: an AMD EPYC with AVX-512, up to 1e-7 apart, float32's last digits) within this
absolute tolerance plus 1e-5 relative."""


def same_numbers(a, b) -> bool:
    """Bit for bit on Intel CPUs; elsewhere within STACK_TOLERANCE (absolute) plus 1e-5 relative of each other."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if kernels._intel():
        return np.array_equal(a, b)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=STACK_TOLERANCE, equal_nan=True)
