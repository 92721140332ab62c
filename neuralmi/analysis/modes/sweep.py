"""Sweep mode: one estimate (held-out MI) per grid point and repeat, over any processor, model or training
options; `mi` is the best grid point's mean (an optimistic choice among the points)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pandas as pd

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import held_out_by_default, plain, with_reported
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.plots import axes_of, band, finish
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.style import styled
from neuralmi.analysis.summaries import params_frame, point_table
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.errors import InputError


@dataclass
class SweepResult(MIResult):
    """Sweep mode: `mi` is the best grid point's mean; `to_frame()` one row per grid point and repeat;
    `details['best']` the best point's settings, `details['parameters']` the swept options."""

    @property
    def answer(self) -> str:
        return "best grid point " + ", ".join(f"{k}={v}" for k, v in self.details["best"].items())


class Sweep(Mode):
    name = "sweep"
    question = "Which settings (window, embedding, critic, ...) carry the most information?"
    own_options = ("grid",)
    keeps_y = True
    peak = True
    point_noun = "grid points"

    def points(self, options, channels):
        if not options.grid:
            raise InputError("grid: sweep mode needs a grid, e.g. {'embedding_dim': [4, 8, 16]}")
        keys = list(options.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*(options.grid[k] for k in keys))]

    def fit_gammas(self, options):
        return [1] * (options.repeats or 1)

    def point_options(self, options, point):
        return options.replace(**point)

    def plan(self, n, options, seed, point):
        return repeated_fits(n, options, seed, range(options.repeats or 1))

    def reported_column(self, options):
        return held_out_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the mean MI per grid point."""
        table = with_reported(fits, self.reported_column(options))
        means = point_table(table, options.confidence)
        return means.drop(columns=["point", "se", "ci_low", "ci_high", "n_fits"]).rename(columns={"mi": "statistic"})

    def summarise(self, fits, curves, options, units):
        table = with_reported(fits, self.reported_column(options))
        params = params_frame(table)
        keys = list(params.columns)
        means = point_table(table, options.confidence)
        top = int(means["mi"].idxmax())
        best = means.iloc[top]
        frame = pd.concat([params, table.drop(columns=["params"])], axis=1)
        reasons = fit_warnings(table, options.bound, units)
        return SweepResult(
            mode="sweep", mi=float(best["mi"]), ci_low=float(best["ci_low"]), ci_high=float(best["ci_high"]),
            reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves, summary=means,
            details={"best": {k: plain(means.at[top, k]) for k in keys}, "parameters": keys}, plotter=plot_sweep,
            frame=frame,
        )


@styled
def plot_sweep(result, ax=None):
    """Mean MI (with its interval) against the first swept option, one line per setting of the others."""
    fig, ax = axes_of(ax)
    keys = result.details["parameters"]
    table = result.summary
    first, others = keys[0], keys[1:]
    groups = table.groupby(others, dropna=False) if others else [((), table)]
    for i, (values, group) in enumerate(groups):
        values = values if isinstance(values, tuple) else (values,)
        label = ", ".join(f"{k}={v}" for k, v in zip(others, values)) or "mean over repeats"
        if _is_numeric(group[first]):
            band(ax, group, first, label, f"C{i % 10}")
        else:
            ax.errorbar(group[first].astype(str), group["mi"], yerr=group["mi"] - group["ci_low"], fmt="o",
                        color=f"C{i % 10}", label=label)
    ax.set_xlabel(first)
    return finish(fig, ax, result.units)


def _is_numeric(series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
