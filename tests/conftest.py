"""Shared fixtures: small fast options for tests that check mechanics rather than accuracy; the equality a
stack's claims are checked with."""

import numpy as np
import pytest

import neuralmi  # noqa: F401  first, so that torch's CPU kernel paths are fixed before any test computes (kernels.py)
from neuralmi import kernels

STACK_TOLERANCE = 1e-6
"""A stack's members equal their fits alone bit for bit on Intel CPUs, where MKL's strict reproducible branch is
documented; elsewhere (measured: an AMD EPYC with AVX-512, up to 1e-7 apart, float32's last digits) within this
absolute tolerance plus 1e-5 relative."""

FAST = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 6, "patience": 3, "batch_size": 32, "eval_interval": 1}


@pytest.fixture
def fast():
    return dict(FAST)


def same_numbers(a, b) -> bool:
    """Bit for bit on Intel CPUs; elsewhere within STACK_TOLERANCE (absolute) plus 1e-5 relative of each other."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if kernels._intel():
        return np.array_equal(a, b)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=STACK_TOLERANCE, equal_nan=True)
