"""Jointly Gaussian X, Y, Z with exact I(X;Y), I(X;Y|Z) and the chain-rule terms, for conditional MI.

Each case is a 3 x 3 covariance of one coordinate of (x, y, z); `dim` independent copies make each variable
`dim`-dimensional, so every information quantity is `dim` times the one-coordinate value.
"""

from __future__ import annotations

import numpy as np

from neuralmi.data.autoregression import gaussian_cmi
from neuralmi.errors import InputError
from neuralmi.units import from_nats


def _from_loadings(y_on_x: float, y_on_z: float, x_on_z: float, noise: float) -> np.ndarray:
    """Covariance of (x, y, z) with z ~ N(0, 1), x = x_on_z z + e_x (unit variance), y = y_on_x x + y_on_z z +
    noise e_y."""
    x_z = x_on_z
    var_x = 1.0
    var_y = y_on_x**2 * var_x + y_on_z**2 + 2 * y_on_x * y_on_z * x_z + noise**2
    cov_xy = y_on_x * var_x + y_on_z * x_z
    cov_yz = y_on_x * x_z + y_on_z
    return np.array([[var_x, cov_xy, x_z], [cov_xy, var_y, cov_yz], [x_z, cov_yz, 1.0]])


CASES = {
    # Z drives both: X and Y share information only through Z, I(X;Y|Z) = 0 < I(X;Y).
    "confound": _from_loadings(y_on_x=0.0, y_on_z=0.9, x_on_z=0.9, noise=np.sqrt(1 - 0.81)),
    # X and Z independent, Y their sum: knowing Z removes Z's share of Y, I(X;Y|Z) > I(X;Y).
    "synergy": _from_loadings(y_on_x=1.0, y_on_z=1.0, x_on_z=0.0, noise=0.5),
    # X drives Y directly and through the correlated Z: 0 < I(X;Y|Z) < I(X;Y).
    "partial": _from_loadings(y_on_x=0.6, y_on_z=0.6, x_on_z=0.5, noise=0.6),
}


def _case(case: str) -> np.ndarray:
    if case not in CASES:
        raise InputError(f"case: expected one of {sorted(CASES)}, found {case!r}")
    return CASES[case]


def gaussian_triplet(n: int, case: str = "partial", dim: int = 1, seed: int = 0):
    """n samples of (x, y, z), each of shape (n, dim), from covariance CASES[case] per coordinate."""
    if n < 1 or dim < 1:
        raise InputError(f"n, dim: must be >= 1, found {n}, {dim}")
    rng = np.random.default_rng(seed)
    draws = rng.standard_normal((n, dim, 3)) @ np.linalg.cholesky(_case(case)).T
    return draws[..., 0], draws[..., 1], draws[..., 2]


def triplet_information(case: str = "partial", dim: int = 1, units: str = "bits") -> dict:
    """Exact I(X;Y|Z), I(X;Y), and the chain-rule terms I([X,Z];Y) and I(Z;Y), in `units`."""
    cov = _case(case)
    nats = {"conditional": gaussian_cmi(cov, [0], [1], [2]), "marginal": gaussian_cmi(cov, [0], [1]),
            "joint": gaussian_cmi(cov, [0, 2], [1]), "own": gaussian_cmi(cov, [2], [1])}
    return {k: float(from_nats(max(v, 0.0) * dim, units)) for k, v in nats.items()}
