"""Shared fixtures: small fast options for tests that check mechanics rather than accuracy (the equality a stack's
claims are checked with is in tolerance.py)."""

import pytest

import neuralmi  # noqa: F401  first, so that torch's CPU kernel paths are fixed before any test computes (kernels.py)

FAST = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 6, "patience": 3, "batch_size": 32, "eval_interval": 1}


@pytest.fixture
def fast():
    return dict(FAST)

