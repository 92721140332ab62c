"""Checks that turn user arrays into the float32 sample arrays the estimator trains on; the rank transform, and
the count of heavy-tailed features it handles poorly."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from neuralmi.errors import InputError


def as_samples(array, name: str, ndim: int = 2) -> np.ndarray:
    """`array` as float32 with samples in rows; a 1-D array is one feature per sample.

    `ndim` is 2 for (n_samples, n_features) and 3 for windows (n_samples, window, n_channels).
    """
    try:
        arr = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a numeric array, could not convert ({exc})") from exc
    if arr.ndim == 1 and ndim == 2:
        arr = arr[:, None]
    if arr.ndim != ndim:
        layout = "(n_samples, n_features)" if ndim == 2 else "(n_samples, window, n_channels)"
        raise InputError(f"{name}: expected a {ndim}-D array {layout}, found shape {arr.shape}")
    if arr.size == 0:
        raise InputError(f"{name}: array is empty (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        kind = "NaN" if np.isnan(arr).any() else "infinite"
        raise InputError(
            f"{name}: contains {kind} values in {rows.size} sample(s), first at row {int(rows[0])}; "
            "remove or impute them before estimating MI"
        )
    warn_constant(arr.reshape(-1, arr.shape[-1]), name, "feature" if ndim == 2 else "channel")
    return arr.astype(np.float32)


def warn_constant(values: np.ndarray, name: str, what: str) -> list[int]:
    """Warn, naming them, about the columns of `values` (rows are samples or time points) that never change: they
    carry no information, and a side made only of them has MI 0 with anything. Returns their indices."""
    constant = np.flatnonzero((values == values[:1]).all(axis=0))
    if constant.size:
        listed = ", ".join(str(int(c)) for c in constant[:10]) + (" ..." if constant.size > 10 else "")
        whole = (f"every {what} is" if constant.size == values.shape[1] else
                 f"{what} {listed} is" if constant.size == 1 else f"{constant.size} {what}s ({listed}) are")
        warnings.warn(f"{name}: {whole} constant over all {len(values)} rows: no information there (a side made "
                      f"only of constant {what}s has MI 0 with anything)", stacklevel=3)
    return constant.tolist()


def as_pair(x, y, ndim_x: int = 2, ndim_y: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Check both sides and that they hold the same number of samples."""
    x = as_samples(x, "x", ndim_x)
    y = as_samples(y, "y", ndim_y)
    if x.shape[0] != y.shape[0]:
        raise InputError(f"x and y: different numbers of samples, x has {x.shape[0]} and y has {y.shape[0]}")
    return x, y


def as_triplet(x, y, z, ndim: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`as_pair` and a conditioning side z with the same number of samples."""
    x, y = as_pair(x, y, ndim, ndim)
    z = as_samples(z, "z", ndim)
    if len(z) != len(x):
        raise InputError(f"z: has {len(z)} samples, x and y have {len(x)}")
    return x, y, z


def rank_gaussianize(array: np.ndarray, reference: int | None = None) -> np.ndarray:
    """Each feature (last axis) replaced by the standard-normal quantile of its average rank over all samples,
    or, with `reference`, among the first `reference` samples only (later ones, e.g. perturbed copies, are mapped
    through the same ranks: a value between two reference values gets the rank halfway between).

    A strictly increasing map of each feature (ties stay tied), so MI is unchanged; the result is marginally
    ~N(0, 1) whatever the original marginal (heavy tails, skew, counts).
    """
    if reference is None:
        flat = array.reshape(-1, array.shape[-1])
        ranks = rankdata(flat, axis=0, method="average")
        return ndtri(ranks / (len(flat) + 1)).astype(np.float32).reshape(array.shape)
    flat = array.reshape(len(array), -1, array.shape[-1])
    base = np.sort(flat[:reference].reshape(-1, array.shape[-1]), axis=0)
    out = np.empty(flat.shape, dtype=np.float64)
    for f in range(array.shape[-1]):
        column = flat[..., f]
        left = np.searchsorted(base[:, f], column, side="left")
        right = np.searchsorted(base[:, f], column, side="right")
        out[..., f] = ndtri((left + right + 1) / 2 / (len(base) + 1))
    return out.astype(np.float32).reshape(array.shape)


HEAVY_TAIL_INDEX = 1.5
"""Hill tail index below which a feature counts as heavy-tailed (a Cauchy's is 1, a Student-t's its degrees of
freedom, a Gaussian's unbounded)."""
SHARED_SCALE = 0.2
"""How much more two heavy features' sizes must rank-correlate than their values' rank correlation squared (what a
Gaussian copula, the rank transform's model, gives them) to count as one shared scale."""
TAIL_SAMPLES = 100
"""Fewest samples for a tail index (the sqrt(n) >= 10 largest distances to the median)."""


def shared_heavy_tails(array: np.ndarray) -> int:
    """How many features of `array` (samples first; windows count each time point and channel) have heavy tails
    that share their scale with another such feature: a Hill tail index below HEAVY_TAIL_INDEX (from the sqrt(n)
    largest distances to the feature's median), and a rank correlation of those distances with another heavy
    feature's that exceeds the square of their values' rank correlation by SHARED_SCALE (a multivariate
    Student-t's common scale does; independent features, or one signal recorded twice, do not). The rank
    transform maps each such feature to normal scores on its own, and the scale they share, which then carries the
    dependence, becomes a steep function of all of them. 0 with fewer than TAIL_SAMPLES samples."""
    flat = array.reshape(len(array), -1).astype(np.float64)
    k = int(np.sqrt(len(flat)))
    if flat.shape[1] < 2 or len(flat) < TAIL_SAMPLES:
        return 0
    spread = np.abs(flat - np.median(flat, axis=0))
    top = -np.sort(-spread, axis=0)[: k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        index = 1 / np.log(top[:k] / top[k]).mean(axis=0)
    heavy = np.flatnonzero((top[k] > 0) & (index < HEAVY_TAIL_INDEX))
    if len(heavy) < 2:
        return 0
    sizes = np.corrcoef(rankdata(spread[:, heavy], axis=0), rowvar=False)
    values = np.corrcoef(rankdata(flat[:, heavy], axis=0), rowvar=False)
    excess = sizes - values**2
    np.fill_diagonal(excess, -1.0)
    return int((excess.max(axis=1) > SHARED_SCALE).sum())
