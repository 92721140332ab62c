"""Estimate mode: one fit on all samples; the interval is the held-out sampling error at the selected epoch."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from neuralmi.analysis.fits import fit_warnings, reported_quantity, with_reported
from neuralmi.analysis.plots import plot_curves
from neuralmi.analysis.result import MIResult
from neuralmi.training.splits import split
from neuralmi.training.trainer import FitSpec


def fit_gammas(options) -> list[int]:
    """One fit, on all samples."""
    return [1]


def plan(n: int, options, seed: int) -> tuple[list[dict], list[FitSpec]]:
    """A single fit over all samples."""
    train, val = split(n, options, [seed, 0])
    fit_seed = int(np.random.default_rng([seed, 0]).integers(2**31))
    return [{"gamma": 1, "repeat": 0, "subset": 0, "n_samples": n, "seed": fit_seed}], [FitSpec(train, val, fit_seed)]


def summarise(fits: pd.DataFrame, curves: pd.DataFrame, options, units: str) -> MIResult:
    """The fit's reported quantity with a normal interval from its held-out standard error."""
    table = with_reported(fits, reported_quantity(options, "validation"))
    mi, se = float(table["mi"].iloc[0]), float(table["se"].iloc[0])
    z = float(stats.norm.ppf(0.5 + options.confidence / 2))
    reasons = fit_warnings(table, options.bound, units)
    return MIResult(
        mode="estimate",
        mi=mi,
        ci_low=mi - z * se,
        ci_high=mi + z * se,
        reliable=not reasons,
        reasons=reasons,
        units=units,
        fits=table,
        curves=curves,
        plotter=plot_curves,
    )
