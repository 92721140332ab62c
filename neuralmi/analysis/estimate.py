"""Estimate mode: one fit on all samples; the interval is the held-out sampling error at the selected epoch."""

from __future__ import annotations

import numpy as np
from scipy import stats

from neuralmi.analysis.fits import curve_table, fit_table, fit_warnings, reported_quantity
from neuralmi.analysis.plots import plot_curves
from neuralmi.analysis.result import MIResult
from neuralmi.training.splits import split
from neuralmi.training.trainer import FitSpec, train_fits


def plan(n: int, options, seed: int) -> tuple[list[dict], list[FitSpec]]:
    """A single fit over all samples."""
    train, val = split(n, options, [seed, 0])
    fit_seed = int(np.random.default_rng([seed, 0]).integers(2**31))
    return [{"gamma": 1, "repeat": 0, "subset": 0, "n_samples": n, "seed": fit_seed}], [FitSpec(train, val, fit_seed)]


def run(x, y, options, seed: int, units: str) -> MIResult:
    labels, specs = plan(len(x), options, seed)
    fits = train_fits(x, y, specs, options)
    table = fit_table(labels, fits, units, reported_quantity(options, "validation"))
    mi, se = float(table["mi"].iloc[0]), float(table["se"].iloc[0])
    z = float(stats.norm.ppf(0.5 + options.confidence / 2))
    reasons = fit_warnings(fits, options.bound)
    return MIResult(
        mode="estimate",
        mi=mi,
        ci_low=mi - z * se,
        ci_high=mi + z * se,
        reliable=not reasons,
        reasons=reasons,
        units=units,
        fits=table,
        curves=curve_table(fits, options, units),
        plotter=plot_curves,
    )
