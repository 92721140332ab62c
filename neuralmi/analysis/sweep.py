"""Sweep mode: one estimate (held-out MI) per grid point and repeat, over any processor, model or training
options; `mi` is the best grid point's mean (an optimistic choice among the points)."""

from __future__ import annotations

import itertools

import pandas as pd

from neuralmi.analysis.fits import fit_warnings, held_out_by_default, plain, with_reported
from neuralmi.analysis.plots import plot_sweep
from neuralmi.analysis.points import params_frame, point_table, repeated_fits
from neuralmi.analysis.result import MIResult
from neuralmi.errors import InputError


def points(options) -> list[dict]:
    if not options.grid:
        raise InputError("grid: sweep mode needs a grid, e.g. {'embedding_dim': [4, 8, 16]}")
    keys = list(options.grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(options.grid[k] for k in keys))]


def fit_gammas(options) -> list[int]:
    return [1] * (options.repeats or 1)


def point_options(options, point: dict):
    return options.replace(**point)


def plan(n: int, options, seed: int, point: dict):
    return repeated_fits(n, options, seed, range(options.repeats or 1))


reported_column = held_out_by_default


def statistics(fits: pd.DataFrame, options, units: str) -> pd.DataFrame:
    """The permutation null's statistic: the mean MI per grid point."""
    table = with_reported(fits, reported_column(options))
    means = point_table(table, options.confidence)
    return means.drop(columns=["point", "se", "ci_low", "ci_high", "n_fits"]).rename(columns={"mi": "statistic"})


def summarise(fits: pd.DataFrame, curves: pd.DataFrame, options, units: str) -> MIResult:
    table = with_reported(fits, reported_column(options))
    params = params_frame(table)
    keys = list(params.columns)
    means = point_table(table, options.confidence)
    top = int(means["mi"].idxmax())
    best = means.iloc[top]
    frame = pd.concat([params, table.drop(columns=["params"])], axis=1)
    reasons = fit_warnings(table, options.bound, units)
    return MIResult(
        mode="sweep", mi=float(best["mi"]), ci_low=float(best["ci_low"]), ci_high=float(best["ci_high"]),
        reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves, summary=means,
        details={"best": {k: plain(means.at[top, k]) for k in keys}, "parameters": keys}, plotter=plot_sweep,
        frame=frame,
    )
