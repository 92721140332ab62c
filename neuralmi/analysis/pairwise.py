"""Pairwise mode: MI between every two of X's channels (or named channel groups), or between every X channel
(or group) and every Y channel; a matrix with intervals and, with a permutation null, p- and q-values.

Each pair is a point with one fit per repeat on all samples reporting held-out MI, as in the other scans; pairs of
equal shapes (single channels, groups of one size) train as one vectorised stack. A channel is a column of a
table or signal, or a neuron of spike trains (its counts or spike times per window); a categorical side is one
channel. `a` names the first unit of a pair (an X channel index or group name) and `b` the second (the other X
unit, or a Y channel index).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neuralmi.analysis.fits import fit_warnings, held_out_by_default, plain, with_reported
from neuralmi.analysis.plots import plot_pairwise
from neuralmi.analysis.points import point_table, repeated_fits
from neuralmi.analysis.result import PairwiseResult
from neuralmi.data.processing import samples, side_settings
from neuralmi.errors import FitError, InputError

DATA_POINTS = True


def x_units(options, channels: int) -> dict:
    """X's units: name -> channel indices (each channel alone, or `channel_groups`)."""
    if not options.channel_groups:
        return {i: [i] for i in range(channels)}
    seen: dict = {}
    for name, group in options.channel_groups.items():
        beyond = [c for c in group if c >= channels]
        if beyond:
            raise InputError(f"channel_groups.{name}: channels {beyond} do not exist; x has {channels} "
                             f"(0 .. {channels - 1})")
        shared = [c for c in group if c in seen]
        if shared:
            raise InputError(f"channel_groups.{name}: channels {shared} are also in group {seen[shared[0]]!r}; "
                             f"groups must not overlap (a shared channel would be dependent on itself)")
        seen.update({c: name for c in group})
    return {name: list(group) for name, group in options.channel_groups.items()}


def points(options, channels: tuple | None) -> list[dict]:
    """Every pair of X's units, or every X unit with every Y channel."""
    if channels is None:
        raise InputError("pairwise mode: the number of channels is needed to list the pairs")
    n_x, n_y = channels
    names = list(x_units(options, n_x))
    if n_y:
        return [{"a": a, "b": b, "b_side": "y"} for a in names for b in range(n_y)]
    if len(names) < 2:
        raise InputError(f"x: pairwise mode without y needs at least 2 channels or groups, found {len(names)}")
    return [{"a": a, "b": b, "b_side": "x"} for i, a in enumerate(names) for b in names[i + 1 :]]


def fit_gammas(options) -> list[int]:
    return [1] * (options.repeats or 1)


def plan(n: int, options, seed: int, point: dict):
    return repeated_fits(n, options, seed, range(options.repeats or 1))


def point_samples(source, point: dict, options, seed: int):
    """The two units' samples: channels on the last axis (a categorical side whole)."""
    x, y = samples(source, options)
    groups = x_units(options, 1 if _categorical(options, "x") else x.shape[-1])
    first = _unit(x, groups[point["a"]], options, "x")
    if point["b_side"] == "x":
        return first, _unit(x, groups[point["b"]], options, "x")
    return first, _unit(y, [point["b"]], options, "y")


def _unit(array: np.ndarray, channels: list, options, side: str) -> np.ndarray:
    return array if _categorical(options, side) else array[..., channels]


def _categorical(options, side: str) -> bool:
    return side_settings(options, side).processor == "categorical"


reported_column = held_out_by_default


def statistics(fits: pd.DataFrame, options, units: str) -> pd.DataFrame:
    """The permutation null's statistic: the mean MI per pair."""
    table = with_reported(fits, reported_column(options))
    return point_table(table, options.confidence)[["a", "b", "b_side", "mi"]].rename(columns={"mi": "statistic"})


def summarise(fits: pd.DataFrame, curves: pd.DataFrame, options, units: str) -> PairwiseResult:
    """Mean held-out MI per pair with its interval; `mi` is the strongest pair's."""
    table = with_reported(fits, reported_column(options))
    frame = point_table(table, options.confidence).drop(columns=["point"])
    if not np.isfinite(frame["mi"]).any():
        raise FitError("pairwise mode: no pair gave a finite MI (every critic diverged): try infonce or a lower "
                       "learning_rate")
    top = int(frame["mi"].idxmax())
    best = frame.iloc[top]
    reasons = fit_warnings(table, options.bound, units)
    return PairwiseResult(
        mode="pairwise", mi=float(best["mi"]), ci_low=float(best["ci_low"]), ci_high=float(best["ci_high"]),
        reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves, summary=frame,
        details={"strongest": [plain(best["a"]), plain(best["b"])], "pairs": len(frame),
         "within_x": bool((frame["b_side"] == "x").all()),
                 "confidence": options.confidence}, plotter=plot_pairwise,
        frame=frame,
    )


