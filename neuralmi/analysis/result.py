"""The object every mode returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd


@dataclass
class MIResult:
    """An MI estimate in `units` with its interval, reliability and the tables behind it.

    `fits`: one row per fit (columns in analysis/fits.py); `curves`: per-epoch curves of every fit;
    `summary`: mode-specific table (per-gamma means for rigorous mode, per-point means for the scans), or
    None; `frame`: the table `to_frame` returns when it is not the fit table.
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
    frame: pd.DataFrame | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The mode's main table: one row per fit (estimate, rigorous), per lag (lag), per embedding dimension
        (dimensionality), per grid point and repeat (sweep), or per corrected quantity (transfer: direction,
        quantity (te, joint, own); conditional: quantity (conditional, joint, own); then mi, ci_low, ci_high,
        se, slope, reliable)."""
        return (self.fits if self.frame is None else self.frame).copy()

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
            "finding": self.finding,
            **self.details,
        }

    @property
    def finding(self) -> str:
        """The mode's answer beyond the MI value, in words ("" when there is none)."""
        best = self.details.get("best")
        return "best grid point " + ", ".join(f"{k}={v}" for k, v in best.items()) if best else ""

    def plot(self, ax=None):
        """The mode's figure (the extrapolation plot in rigorous mode); returns the matplotlib Figure."""
        return self.plotter(self, ax)


@dataclass
class LagResult(MIResult):
    """Lag mode: `mi` is the MI at the peak lag; `peak_lag_ci` is the range of lags that are the peak with
    the stated confidence."""

    peak_lag: float = float("nan")
    peak_lag_ci: tuple = (float("nan"), float("nan"))

    def to_dict(self) -> dict:
        return {**super().to_dict(), "peak_lag": self.peak_lag, "peak_lag_ci": list(self.peak_lag_ci)}

    @property
    def finding(self) -> str:
        return f"peak lag {self.peak_lag} [{self.peak_lag_ci[0]}, {self.peak_lag_ci[1]}]"


@dataclass
class DimensionalityResult(MIResult):
    """Dimensionality mode: the embedding dimension at which MI saturates, and its interval; `mi` is the
    plateau MI."""

    dimensionality: int = 0
    dimensionality_ci: tuple = (0, 0)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "dimensionality": self.dimensionality,
                "dimensionality_ci": list(self.dimensionality_ci)}

    @property
    def finding(self) -> str:
        return f"dimensionality {self.dimensionality} [{self.dimensionality_ci[0]}, {self.dimensionality_ci[1]}]"


@dataclass
class TransferResult(MIResult):
    """Transfer mode: `mi` is the TE of the first direction asked for (X->Y with directions 'both');
    `to_frame()` holds every direction's TE (and the net flow) and both of its terms, each with its interval;
    `details['te']` the same as nested dicts."""

    @property
    def finding(self) -> str:
        names = {"x_to_y": "TE(X->Y)", "y_to_x": "TE(Y->X)", "net": "net X->Y"}
        te = self.frame[self.frame["quantity"] == "te"]
        return "; ".join(f"{names[r.direction]} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for r in te.itertuples())


@dataclass
class ConditionalResult(MIResult):
    """Conditional mode: `mi` is I(X;Y|Z); `to_frame()` holds it and both chain-rule terms, I([X,Z];Y) and
    I(Z;Y), each with its interval; `details['terms']` the same as a dict."""

    @property
    def finding(self) -> str:
        names = {"conditional": "I(X;Y|Z)", "joint": "I([X,Z];Y)", "own": "I(Z;Y)"}
        return "; ".join(f"{names[r.quantity]} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]"
                         for r in self.frame.itertuples())
