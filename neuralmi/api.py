"""`run`, the one entry point, and the steps it chains (prepare, plan, train, summarise).

A notebook calls `run`; the workflow calls the same steps in separate jobs (planning once, training fits in
jobs of any size, summarising at the end), so both give the same numbers for the same options and seed.
"""

from __future__ import annotations

import pandas as pd

from neuralmi.analysis import estimate, rigorous
from neuralmi.analysis.fits import curve_table, fit_table, plan_specs, plan_table
from neuralmi.analysis.result import MIResult
from neuralmi.data.arrays import as_pair, rank_gaussianize
from neuralmi.errors import InputError
from neuralmi.nets.embeddings import sample_ndim
from neuralmi.options import Options, make_options
from neuralmi.training.trainer import train_fits
from neuralmi.units import check_units

MODES = {"estimate": estimate, "rigorous": rigorous}


def _mode(name: str):
    if name not in MODES:
        raise InputError(f"mode: expected one of {sorted(MODES)}, found {name!r}")
    return MODES[name]


def prepare(x, y, options: Options):
    """Checked float32 sample arrays, rank-Gaussianised per feature if options.rank_transform."""
    ndim = sample_ndim(options)
    x, y = as_pair(x, y, ndim, ndim)
    if options.rank_transform:
        x, y = rank_gaussianize(x), rank_gaussianize(y)
    return x, y


GROUPINGS = ("fit", "gamma", "analysis")


def plan_groups(mode: str, options: Options, grouping: str) -> list[list[int]]:
    """Fit ids of the plan gathered into training jobs, known before any data are read.

    "fit": one fit per job (most parallel); "gamma": the fits of one gamma together; "analysis": all at once
    (fastest on one machine: one vectorised stack). Grouping does not change the fits' results.
    """
    gammas = _mode(mode).fit_gammas(options)
    if grouping == "fit":
        return [[i] for i in range(len(gammas))]
    if grouping == "gamma":
        return [[i for i, g in enumerate(gammas) if g == gamma] for gamma in dict.fromkeys(gammas)]
    if grouping == "analysis":
        return [list(range(len(gammas)))]
    raise InputError(f"grouping: expected one of {GROUPINGS}, found {grouping!r}")


def plan(n_samples: int, mode: str, options: Options, seed: int) -> pd.DataFrame:
    """The fits a mode trains on n_samples samples: labels and sample indices, one row per fit."""
    return plan_table(*_mode(mode).plan(n_samples, options, seed))


def train(x, y, plan: pd.DataFrame, options: Options, units: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train the planned fits (any subset of a plan's rows) on prepared arrays: (fit table, curve table)."""
    fits = train_fits(x, y, plan_specs(plan), options)
    return fit_table(plan, fits, units), curve_table(plan, fits, options, units)


def summarise(mode: str, fits: pd.DataFrame, curves: pd.DataFrame, options: Options, units: str) -> MIResult:
    """The mode's result from all of its fits."""
    return _mode(mode).summarise(fits, curves, options, units)


def run(x, y, mode: str = "estimate", units: str = "bits", seed: int = 0, **options) -> MIResult:
    """Estimate I(X; Y) from paired samples.

    x, y: arrays of shape (n_samples, n_features) (windows (n_samples, window, channels) for cnn/gru
    embeddings). mode: "estimate" (one fit) or "rigorous" (subsample-and-extrapolate bias correction).
    units: "bits" or "nats". seed: fixes every random choice. options: see `neuralmi.options.load_schema()`.
    """
    _mode(mode)
    check_units(units)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, found {seed!r}")
    opts = make_options(options)
    x, y = prepare(x, y, opts)
    fits, curves = train(x, y, plan(len(x), mode, opts, seed), opts, units)
    return summarise(mode, fits, curves, opts, units)
