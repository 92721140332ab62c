"""Train/validation splits and the disjoint subsets of the rigorous protocol.

All functions return sorted integer index arrays and are fully determined by their seed.
"""

from __future__ import annotations

import numpy as np

from neuralmi.errors import InputError

MIN_TRAIN = 4
MIN_VALIDATION = 4


def random_split(n: int, fraction: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """IID samples: a random `fraction` held out."""
    n_val = int(round(n * fraction))
    _check_sizes(n, n - n_val, n_val)
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def blocked_split(n: int, fraction: float, n_blocks: int, gap: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """Time series: `n_blocks` contiguous held-out blocks, `gap` samples around each removed from training.

    The series is cut into n_blocks / fraction equal segments and n_blocks of them, chosen at random, are held
    out, so the held-out share is `fraction` and held-out blocks never overlap.
    """
    n_segments = max(n_blocks, int(round(n_blocks / fraction)))
    if n_segments > n:
        raise InputError(f"blocked split: {n} samples cannot form {n_segments} segments; lower n_validation_blocks")
    edges = np.linspace(0, n, n_segments + 1).round().astype(int)
    chosen = np.sort(np.random.default_rng(seed).choice(n_segments, size=n_blocks, replace=False))
    return _blocks_held_out(n, edges, chosen, gap)


def blocked_folds(n: int, folds: int, n_blocks: int, gap: int, seed) -> list[tuple[np.ndarray, np.ndarray]]:
    """Time series, cross-fitting: `folds` (train, held-out) splits whose held-out sets partition the n samples.

    The series is cut into folds x n_blocks equal segments, dealt to the folds at random, n_blocks each; a fold
    trains on every sample farther than `gap` from its own held-out blocks.
    """
    n_segments = folds * n_blocks
    if n_segments > n:
        raise InputError(f"folds: {n} samples cannot form {folds} folds of {n_blocks} blocks (folds x "
                         f"n_validation_blocks = {n_segments} segments of at least one sample); lower folds or "
                         f"n_validation_blocks")
    edges = np.linspace(0, n, n_segments + 1).round().astype(int)
    dealt = np.random.default_rng(seed).permutation(n_segments).reshape(folds, n_blocks)
    return [_blocks_held_out(n, edges, chosen, gap) for chosen in np.sort(dealt, axis=1)]


def _blocks_held_out(n: int, edges: np.ndarray, chosen, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out): segments `chosen` (between `edges`) held out, `gap` samples around each kept from
    training."""
    is_val = np.zeros(n, dtype=bool)
    excluded = np.zeros(n, dtype=bool)
    for s in chosen:
        lo, hi = edges[s], edges[s + 1]
        is_val[lo:hi] = True
        excluded[max(0, lo - gap) : min(n, hi + gap)] = True
    train = np.flatnonzero(~excluded)
    val = np.flatnonzero(is_val)
    _check_sizes(n, train.size, val.size)
    return train, val


def index_split(n: int, validation_indices) -> tuple[np.ndarray, np.ndarray]:
    """User-given held-out indices; every other sample trains."""
    val = np.unique(np.asarray(validation_indices, dtype=np.int64))
    if val.size and (val.min() < 0 or val.max() >= n):
        raise InputError(f"validation_indices: must lie in [0, {n - 1}], found values up to {int(val.max())}")
    train = np.setdiff1d(np.arange(n), val)
    _check_sizes(n, train.size, val.size)
    return train, val


def split(n: int, options, seed) -> tuple[np.ndarray, np.ndarray]:
    """The train/validation split chosen by options.split."""
    if options.split == "random":
        return random_split(n, options.validation_fraction, seed)
    if options.split == "blocked":
        return blocked_split(n, options.validation_fraction, options.n_validation_blocks, options.gap, seed)
    return index_split(n, options.validation_indices)


def partition(n: int, gamma: int, contiguous: bool, seed) -> list[np.ndarray]:
    """`gamma` disjoint subsets of equal size floor(n / gamma): random for IID, contiguous for time series.

    The n mod gamma samples left over are dropped (at random for IID, at the end for time series) so that
    every subset of one gamma holds the same number of samples.
    """
    size = n // gamma
    order = np.arange(n) if contiguous else np.random.default_rng(seed).permutation(n)
    return [np.sort(order[i * size : (i + 1) * size]) for i in range(gamma)]


def _check_sizes(n: int, n_train: int, n_val: int) -> None:
    if n_train < MIN_TRAIN or n_val < MIN_VALIDATION:
        raise InputError(
            f"too few samples for the train/validation split: {n} samples give {n_train} training and {n_val} "
            f"held-out samples; at least {MIN_TRAIN} and {MIN_VALIDATION} are needed"
        )
