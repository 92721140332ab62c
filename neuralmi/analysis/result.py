"""The object every mode returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd


@dataclass
class MIResult:
    """An MI estimate in `units` with its interval, reliability and the tables behind it.

    `fits`: one row per fit (columns in analysis/fits.py); `curves`: per-epoch curves of every fit;
    `summary`: mode-specific table (per-gamma means for rigorous mode), or None.
    """

    mode: str
    mi: float
    ci_low: float
    ci_high: float
    reliable: bool
    reasons: list
    units: str
    fits: pd.DataFrame
    curves: pd.DataFrame
    summary: pd.DataFrame | None = None
    details: dict = field(default_factory=dict)
    plotter: Callable | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per fit."""
        return self.fits.copy()

    def to_dict(self) -> dict:
        """The scalar result, JSON-ready."""
        return {
            "mi": self.mi,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "reliable": self.reliable,
            "reasons": list(self.reasons),
            "units": self.units,
            "mode": self.mode,
            **self.details,
        }

    def plot(self, ax=None):
        """The mode's figure (the extrapolation plot in rigorous mode); returns the matplotlib Figure."""
        return self.plotter(self, ax)
