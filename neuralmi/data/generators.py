"""Samplers of data whose mutual information is known exactly."""

from __future__ import annotations

import numpy as np

from neuralmi.errors import InputError
from neuralmi.units import to_nats

TRANSFORMS = {
    "cube": lambda v: v**3,
    "asinh": np.arcsinh,
    "sinh": np.sinh,
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
}


def _correlations(mi_nats: float, n_pairs: int) -> np.ndarray:
    """Equal correlation for each of `n_pairs` coordinate pairs so that the total MI is `mi_nats`."""
    per_pair = mi_nats / n_pairs
    return np.full(n_pairs, np.sqrt(1.0 - np.exp(-2.0 * per_pair)))


def correlated_gaussian(n: int, dim_x: int, dim_y: int, mi: float, units: str = "bits", seed: int = 0):
    """Jointly Gaussian X (dim_x) and Y (dim_y) with I(X;Y) = `mi` in `units`.

    The MI is spread evenly over min(dim_x, dim_y) correlated coordinate pairs; other coordinates are
    independent standard normal noise. Returns (x, y) as float64 arrays of shape (n, dim).
    """
    if mi < 0:
        raise InputError(f"mi: must be >= 0, found {mi}")
    if min(n, dim_x, dim_y) < 1:
        raise InputError(f"n, dim_x, dim_y: must be >= 1, found {n}, {dim_x}, {dim_y}")
    rng = np.random.default_rng(seed)
    k = min(dim_x, dim_y)
    rho = _correlations(to_nats(mi, units), k)
    x = rng.standard_normal((n, dim_x))
    y = rng.standard_normal((n, dim_y))
    y[:, :k] = rho * x[:, :k] + np.sqrt(1.0 - rho**2) * y[:, :k]
    return x, y


def transformed(array: np.ndarray, transform: str) -> np.ndarray:
    """Apply a coordinate-wise invertible map; MI between transformed variables is unchanged."""
    if transform not in TRANSFORMS:
        raise InputError(f"transform: expected one of {sorted(TRANSFORMS)}, found {transform!r}")
    return TRANSFORMS[transform](array)


def latent_observation(
    n: int, latent_dim: int, dim_x: int, dim_y: int, mi: float, units: str = "bits", seed: int = 0
):
    """High-dimensional observations of correlated low-dimensional latents.

    Latents Z_x, Z_y (latent_dim each) are correlated Gaussians with I(Z_x; Z_y) = `mi`. Each side is
    observed through a random full-column-rank linear map into dim_x (dim_y) >= latent_dim dimensions
    followed by a coordinate-wise softplus-like invertible nonlinearity, so the map is injective and
    I(X; Y) = I(Z_x; Z_y).
    """
    if dim_x < latent_dim or dim_y < latent_dim:
        raise InputError(f"dim_x, dim_y: must be >= latent_dim={latent_dim}, found {dim_x}, {dim_y}")
    zx, zy = correlated_gaussian(n, latent_dim, latent_dim, mi, units, seed)
    rng = np.random.default_rng([seed, 1])
    ax = rng.standard_normal((latent_dim, dim_x)) / np.sqrt(latent_dim)
    ay = rng.standard_normal((latent_dim, dim_y)) / np.sqrt(latent_dim)
    return _observe(zx @ ax), _observe(zy @ ay)


def _observe(v: np.ndarray) -> np.ndarray:
    """Strictly increasing nonlinearity: v + tanh(v) is invertible with slope in [1, 2]."""
    return v + np.tanh(v)
