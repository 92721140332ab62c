"""Pairwise mode: the MI of every pair of X's channels (or named channel groups), or of every X channel with
every Y channel; each pair one fit per repeat on all samples, reporting held-out MI, all pairs of equal shapes
in one stack."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.channels import x_units
from neuralmi.analysis.fits import held_out_by_default, plain, with_reported
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.plots import axes_of
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.style import styled
from neuralmi.analysis.summaries import point_table
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import samples, side_settings
from neuralmi.errors import FitError, InputError


@dataclass
class PairwiseResult(MIResult):
    """Pairwise mode: `mi` is the strongest pair's MI; `to_frame()` one row per pair (`a`, `b`, mi, se, ci_low,
    ci_high, n_fits, and p_value, q_value with a permutation null); `matrix()` the MI as a table."""

    def matrix(self, column: str = "mi") -> pd.DataFrame:
        """`column` of every pair as a units-by-units table (symmetric, NaN diagonal, for pairs within X; X units
        by Y channels otherwise)."""
        return pair_matrix(self.frame, column, self.details["within_x"])

    def significant(self) -> pd.Series:
        """Per pair (frame order): q < 1 - confidence with a permutation null, else an interval above zero."""
        alpha = 1 - self.details["confidence"]
        if "q_value" in self.frame:
            return self.frame["q_value"] < alpha
        return self.frame["ci_low"] > 0

    @property
    def answer(self) -> str:
        a, b = self.details["strongest"]
        text = f"strongest pair {a}-{b} {self.mi:.3g} [{self.ci_low:.3g}, {self.ci_high:.3g}]"
        if "q_value" in self.frame:
            return text
        return f"{text}; {int(self.significant().sum())} of {len(self.frame)} pairs with an interval above 0"


def pair_matrix(frame: pd.DataFrame, column: str, within_x: bool) -> pd.DataFrame:
    """A pairwise table's `column` as units by units (symmetric with a NaN diagonal when pairs are within X)."""
    table = frame.pivot(index="a", columns="b", values=column)
    if not within_x:
        return table
    names = list(dict.fromkeys([*frame["a"], *frame["b"]]))
    table = table.reindex(index=names, columns=names)
    return table.combine_first(table.T).reindex(index=names, columns=names)




class Pairwise(Mode):
    name = "pairwise"
    point_keys = ("a", "b", "b_side")
    question = "Which pairs of channels (or channel groups) share information, and how much?"
    own_options = ("channel_groups",)
    x_alone = True
    channel_points = True
    peak = True
    point_noun = "pairs"

    def points(self, options, channels):
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

    def fit_gammas(self, options):
        return [1] * (options.repeats or 1)

    def plan(self, n, options, seed, point):
        return repeated_fits(n, options, seed, range(options.repeats or 1))

    def point_samples(self, source, point, options, seed):
        """The two units' samples: channels on the last axis (a categorical side whole)."""
        x, y = samples(source, options)
        groups = x_units(options, 1 if _categorical(options, "x") else x.shape[-1])
        first = _unit(x, groups[point["a"]], options, "x")
        if point["b_side"] == "x":
            return first, _unit(x, groups[point["b"]], options, "x")
        return first, _unit(y, [point["b"]], options, "y")

    def reported_column(self, options):
        return held_out_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the mean MI per pair."""
        table = with_reported(fits, self.reported_column(options))
        return point_table(table, options.confidence)[["a", "b", "b_side", "mi"]].rename(columns={"mi": "statistic"})

    def summarise(self, fits, curves, options, units):
        """Mean held-out MI per pair with its interval; `mi` is the strongest pair's."""
        table = with_reported(fits, self.reported_column(options))
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
                     "within_x": bool((frame["b_side"] == "x").all()), "confidence": options.confidence},
            plotter=plot_pairwise, frame=frame,
        )


def _unit(array: np.ndarray, channels: list, options, side: str) -> np.ndarray:
    return array if _categorical(options, side) else array[..., channels]


def _categorical(options, side: str) -> bool:
    return side_settings(options, side).processor == "categorical"


@styled
def plot_pairwise(result, ax=None):
    """The MI of every pair as a heatmap; pairs that are not significant (q >= 1 - confidence with a permutation
    null, else an interval reaching zero) are masked grey; values are written in when there are few units."""
    fig, ax = axes_of(ax)
    within = result.details["within_x"]
    matrix = result.matrix()
    keep = pair_matrix(result.frame.assign(significant=result.significant().astype(float)), "significant", within)
    values = matrix.to_numpy(float)
    hidden = keep.to_numpy(float) != 1
    shown = np.ma.masked_where(hidden, values)
    ax.imshow(np.where(np.isfinite(values), 0.0, np.nan), cmap="Greys", vmin=-1, vmax=4)
    image = ax.imshow(shown, cmap="viridis", vmin=0, vmax=max(float(np.nanmax(values)), 1e-9))
    fig.colorbar(image, ax=ax, label=f"MI ({result.units})")
    ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], rotation=90)
    ax.set_yticks(range(matrix.shape[0]), [str(i) for i in matrix.index])
    ax.set_xlabel("b" if not result.details.get("within_x") else "channel")
    ax.set_ylabel("a" if not result.details.get("within_x") else "channel")
    if max(matrix.shape) <= 12:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=5,
                        color="0.3" if hidden[i, j] else "w")
    ax.set_title("significant pairs in colour")
    return fig
