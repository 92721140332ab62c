"""Dimensionality mode: the number of dimensions the information between two sides occupies.

With X alone, X's channels are split at random into two halves (repeatedly) and the information between the
halves is measured; with X and Y, the information between them (repeated with fresh seeds). Each repeat is
measured with a separable critic g(a).h(b) (plus marginal terms, see nets/critics.py) of every embedding
dimension, all dimensions in one stack (each narrower critic zero-padded to the widest, points.member_settings);
MI grows with the dimension until the critic can represent the whole dependence, then stays flat.
The saturation dimension is the smallest dimension whose MI is within `saturation_tolerance` of the plateau
(the top of a non-decreasing fit to the curve, `saturation`) or within the confidence interval of their
difference; its interval comes from resampling the repeats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import isotonic_regression
from torch import nn

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import held_out_by_default, with_reported
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.plots import axes_of, band, finish, observed_fits
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.style import integer_ticks, styled
from neuralmi.analysis.summaries import params_frame, point_means
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import samples
from neuralmi.errors import FitError, InputError

DEFAULT_DIMS = tuple(range(1, 9))
DEFAULT_REPEATS = 5
BOOTSTRAP_DRAWS = 2000


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
    def answer(self) -> str:
        return f"dimensionality {self.dimensionality} [{self.dimensionality_ci[0]}, {self.dimensionality_ci[1]}]"


class Dimensionality(Mode):
    name = "dimensionality"
    point_keys = ("embedding_dim",)
    question = "How many dimensions does the shared information occupy (in one population, or between two)?"
    own_options = ("embedding_dims",)
    x_alone = True
    peak = True
    point_noun = "embedding dimensions"

    def points(self, options, channels):
        if options.critic != "separable":
            raise InputError(f"critic: dimensionality mode needs the separable critic, found {options.critic!r}")
        if isinstance(options.embedding, nn.Module):
            raise InputError("embedding: dimensionality mode sets the output size; pass a factory f(input_shape, "
                             "output_dim) instead of a module")
        dims = sorted(options.embedding_dims or DEFAULT_DIMS)
        return [{"embedding_dim": d, "split": r} for d in dims for r in range(options.repeats or DEFAULT_REPEATS)]

    def fit_gammas(self, options):
        return [1]

    def point_options(self, options, point):
        return options.replace(embedding_dim=point["embedding_dim"])

    def resolve(self, options, source):
        """Unless the user says otherwise: marginal terms on (embedding_dim then counts interaction dimensions only),
        a learned scale (the narrowest critics reach a sharp dependence's plateau sooner) and stopping on
        patience's evaluations alone (the answer compares dimensions trained alike; measured in docs/speed.md)."""
        own = {"marginal_terms": True, "learned_scale": True, "patience_fraction": 0.0}
        left = {key: value for key, value in own.items() if getattr(options, key) is None}
        return options.replace(**left) if left else options

    def sample_key(self, point):
        """A point's samples depend on its channel split, not on its embedding size."""
        return {"split": point["split"]}

    def plan(self, n, options, seed, point):
        return repeated_fits(n, options, seed, [point["split"]])

    def point_samples(self, source, point, options, seed):
        """(X, Y), or two random halves of X's channels (last axis) when there is no Y."""
        x, y = samples(source, options)
        if y is not None:
            return x, y
        channels = x.shape[-1]
        if channels < 2:
            raise InputError(f"x: dimensionality of one population needs at least 2 channels, found {channels}")
        order = np.random.default_rng([seed, point["split"], 1]).permutation(channels)
        return x[..., np.sort(order[: channels // 2])], x[..., np.sort(order[channels // 2 :])]

    def reported_column(self, options):
        return held_out_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the mean MI per embedding dimension."""
        table = with_reported(fits, self.reported_column(options))
        table["embedding_dim"] = params_frame(table)["embedding_dim"]
        means = point_means(table, ["embedding_dim"], options.confidence)
        return means[["embedding_dim", "mi"]].rename(columns={"mi": "statistic"})

    def summarise(self, fits, curves, options, units):
        table = with_reported(fits, self.reported_column(options))
        params = params_frame(table)
        table["embedding_dim"], table["split"] = params["embedding_dim"], params["split"]
        curve = point_means(table, ["embedding_dim"], options.confidence)
        if not np.isfinite(curve["mi"]).any():
            raise FitError("dimensionality mode: no fit gave a finite MI (every critic diverged): try infonce or a "
                           "lower learning_rate")
        dims, se = curve["embedding_dim"].to_numpy(), curve["se"].to_numpy()
        z = float(stats.norm.ppf(0.5 + options.confidence / 2))
        dim = saturation(curve["mi"].to_numpy(), se, dims, options.saturation_tolerance, z)
        draws = _bootstrap(table, dims, se, options.saturation_tolerance, z)
        alpha = 1 - options.confidence
        low = min(int(np.quantile(draws, alpha / 2, method="lower")), dim)
        high = max(int(np.quantile(draws, 1 - alpha / 2, method="higher")), dim)
        plateau = curve.loc[curve["mi"].idxmax()]
        reasons = fit_warnings(table, options.bound, units)
        if dim == dims.max() and len(dims) > 1:
            reasons.append("MI is still rising at the largest embedding dimension: scan larger embedding_dims")
        if plateau["ci_low"] <= 0:
            reasons.append("no information detected between the two sides: the dimensionality is undefined")
        return DimensionalityResult(
            mode="dimensionality", mi=float(plateau["mi"]), ci_low=float(plateau["ci_low"]),
            ci_high=float(plateau["ci_high"]), reliable=not reasons, reasons=reasons, units=units, fits=table,
            curves=curves, summary=curve, details={"se": float(plateau["se"])}, plotter=plot_dimensionality,
            frame=curve, dimensionality=dim, dimensionality_ci=(low, high),
        )


def saturation(means: np.ndarray, se: np.ndarray, dims: np.ndarray, tolerance: float, z: float) -> int:
    """Smallest dimension whose mean MI is within tolerance (relative) or z standard errors of the plateau.

    The plateau is the top of the non-decreasing fit to the means (isotonic regression weighted by 1/se^2; MI
    cannot fall as the critic widens): the pooled mean of the dimensions where the curve is flat, with its pooled
    error. The largest single mean would be the luckiest of several equal ones, biased upward by the scan's
    noise, and a narrower critic would be measured against it. Non-finite means are left out.
    """
    finite = np.isfinite(means)
    means, se, dims = means[finite], np.nan_to_num(se[finite]), dims[finite]
    weights = 1.0 / np.maximum(se, 1e-12) ** 2
    fit = isotonic_regression(means, weights=weights).x
    top = fit == fit[-1]
    plateau, plateau_se = fit[-1], 1.0 / np.sqrt(weights[top].sum())
    margin = np.maximum(tolerance * abs(plateau), z * np.sqrt(se**2 + plateau_se**2))
    return int(dims[np.flatnonzero(means >= plateau - margin)[0]])


def _bootstrap(table: pd.DataFrame, dims: np.ndarray, se: np.ndarray, tolerance: float, z: float) -> np.ndarray:
    """Saturation dimensions of resampled curves: repeats drawn with replacement (or, with one repeat, the
    curve perturbed by its standard errors)."""
    grid = table.pivot_table(index="split", columns="embedding_dim", values="mi").reindex(columns=dims).to_numpy()
    rng = np.random.default_rng(0)
    out = np.empty(BOOTSTRAP_DRAWS, dtype=int)
    for b in range(BOOTSTRAP_DRAWS):
        if len(grid) > 1:
            means = np.nanmean(grid[rng.integers(len(grid), size=len(grid))], axis=0)
        else:
            means = grid[0] + se * rng.standard_normal(len(dims))
        out[b] = saturation(means, se, dims, tolerance, z)
    return out


@styled
def plot_dimensionality(result, ax=None):
    """MI against embedding dimension: each repeat, the mean with its interval, and the saturation point."""
    fig, ax = axes_of(ax)
    for _, fits in observed_fits(result).groupby("split"):
        fits = fits.sort_values("embedding_dim")
        ax.plot(fits["embedding_dim"], fits["mi"], color="0.7", lw=0.8)
    band(ax, result.summary, "embedding_dim", "mean over repeats")
    low, high = result.dimensionality_ci
    ax.axvspan(low - 0.5, high + 0.5, color="C3", alpha=0.15, lw=0)
    ax.axvline(result.dimensionality, color="C3", lw=1,
               label=f"saturation at {result.dimensionality} [{low}, {high}]")
    ax.set_xlabel("embedding dimension")
    integer_ticks(ax.xaxis)
    return finish(fig, ax, result.units)
