"""Validation-curve smoothing and model selection: median filter, then Gaussian filter, then argmax."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

PATIENCE_FRACTION = 0.5
"""patience_fraction where the options leave it to the mode (null) and the mode has none of its own."""


def smooth(curve: np.ndarray, median_window: int, sigma: float) -> np.ndarray:
    """Median filter (robust to single-epoch spikes) followed by a Gaussian filter; edges repeat the end value."""
    curve = np.asarray(curve, dtype=np.float64)
    out = median_filter(curve, size=min(median_window, len(curve)), mode="nearest")
    return gaussian_filter1d(out, sigma, mode="nearest") if sigma > 0 else out


def best_epoch(curve: np.ndarray, median_window: int, sigma: float) -> int:
    """Index of the maximum of the smoothed curve."""
    return int(np.argmax(smooth(curve, median_window, sigma)))


def should_stop(curve: np.ndarray, steps: np.ndarray, patience: int | None, fraction: float, median_window: int,
                sigma: float) -> bool:
    """True when the smoothed curve has not improved on its maximum for `patience` points (evaluations) and for
    `fraction` of the optimiser steps trained up to that maximum (`steps`: the steps trained at each point)."""
    if patience is None or len(curve) <= patience:
        return False
    best = best_epoch(curve, median_window, sigma)
    return len(curve) - 1 - best >= patience and steps[-1] - steps[best] >= fraction * steps[best]
