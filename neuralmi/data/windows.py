"""Windows of a recording on the shared tick axis: window k covers ticks [k * step, k * step + size).

Windows are half-open, so a spike exactly on a window's end belongs to the next window; a time within
TOLERANCE (relative to the bin or window) of an edge counts as on the edge. The last window ends at or before
the recording's end: a trailing partial window is dropped. Every encoder returns (n_windows, length, channels).
"""

from __future__ import annotations

import numpy as np

from neuralmi.data.recordings import EDGE_TOLERANCE as TOLERANCE
from neuralmi.data.recordings import Sampled, SpikeTrains
from neuralmi.errors import InputError


def count_windows(n_ticks: float, size: float, step: float) -> int:
    """Whole windows of `size` ticks, every `step` ticks, that fit in a recording n_ticks long (>= size)."""
    return int(np.floor((n_ticks - size) / step + TOLERANCE)) + 1


def regular(values: np.ndarray, size: int, step: int, n: int) -> np.ndarray:
    """Windows of a sampled array (time in rows): (n, size, channels)."""
    view = np.lib.stride_tricks.sliding_window_view(values, size, axis=0)
    return np.ascontiguousarray(view[::step][:n].transpose(0, 2, 1))


def one_hot(rec: Sampled, size: int, step: int, n: int, encoding: str) -> np.ndarray:
    """Categorical windows: one-hot per time point (n, size, K), or the window's majority state (n, 1, K) with
    ties going to the smallest label."""
    k = len(rec.categories)
    codes = rec.values[:, 0].astype(np.int64)
    hot = np.eye(k)[codes]
    windows = regular(hot, size, step, n)
    if encoding == "onehot":
        return windows
    majority = windows.sum(axis=1).argmax(axis=1)
    return np.eye(k)[majority][:, None, :]


def _bins(value: float, unit: float, per_unit: float, what: str) -> int:
    r = value / unit
    if abs(r - round(r)) > 1e-6 * max(1.0, abs(r)) or round(r) < 1:
        raise InputError(
            f"bin_size: {what} of {value / per_unit:g} is not a whole number of bins of {unit / per_unit:g}; "
            "choose a bin_size that divides window_size and step_size"
        )
    return int(round(r))


def spike_counts(rec: SpikeTrains, size: float, step: float, n: int, bin_size: float, per_unit: float) -> np.ndarray:
    """Spike counts in bins of bin_size ticks: (n, size / bin_size, neurons); size and step must be whole
    numbers of bins, and the bins are aligned on the recording's start."""
    per_window = _bins(size, bin_size, per_unit, "a window")
    per_step = _bins(step, bin_size, per_unit, "a step")
    n_bins = (n - 1) * per_step + per_window
    counts = np.zeros((n_bins, len(rec.times)))
    for k, t in enumerate(rec.times):
        idx = np.floor(t / bin_size + TOLERANCE).astype(np.int64)
        idx = idx[idx < n_bins]
        counts[:, k] = np.bincount(idx, minlength=n_bins)
    return regular(counts, per_window, per_step, n)


def max_spikes(rec: SpikeTrains, size: float) -> int:
    """Most spikes one neuron fires in any interval of `size` ticks (an upper bound for every window grid)."""
    most = 1
    for t in rec.times:
        if t.size:
            ends = np.searchsorted(t, t + size * (1 - TOLERANCE), side="left")
            most = max(most, int((ends - np.arange(t.size)).max()))
    return most


def spike_times(rec: SpikeTrains, size: float, step: float, n: int, limit: int, fill: float,
                scale: float) -> np.ndarray:
    """Spike times relative to each window's start (ticks / scale, i.e. seconds), in order, padded with `fill`
    to `limit` per neuron: (n, limit, neurons). A window holding more than `limit` spikes is an error."""
    starts = np.arange(n) * step
    tol = TOLERANCE * size
    out = np.full((n, limit, len(rec.times)), fill, dtype=np.float64)
    for k, t in enumerate(rec.times):
        lo = np.searchsorted(t, starts - tol, side="left")
        hi = np.searchsorted(t, starts + size - tol, side="left")
        over = np.flatnonzero(hi - lo > limit)
        if over.size:
            w = int(over[0])
            raise InputError(
                f"max_spikes_per_window: neuron {k} fires {int(hi[w] - lo[w])} spikes in window {w} (limit {limit}); "
                "raise the limit or leave it unset (the largest count is used)"
            )
        for j in range(limit):
            i = lo + j
            has = i < hi
            out[has, j, k] = np.maximum(t[i[has]] - starts[has], 0.0) / scale
    return out
