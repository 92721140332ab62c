"""Lag mode: MI between X and Y shifted by each lag; the peak lag and the lags that may be the peak.

A positive lag pairs Y at time t with X at t - lag (X leads Y). Every lag uses the same number of samples: both
sides are cut to the time span that every lag can pair, so the MI values are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import held_out_by_default, with_reported
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.plots import axes_of, band, finish
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.style import styled
from neuralmi.analysis.summaries import params_frame, point_means
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import samples
from neuralmi.errors import FitError, InputError

BOOTSTRAP_DRAWS = 4000


@dataclass
class LagResult(MIResult):
    """Lag mode: `mi` is the MI at the peak lag; `peak_lag_ci` is the range of lags that are the peak with
    the stated confidence."""

    peak_lag: float = float("nan")
    peak_lag_ci: tuple = (float("nan"), float("nan"))

    def to_dict(self) -> dict:
        return {**super().to_dict(), "peak_lag": self.peak_lag, "peak_lag_ci": list(self.peak_lag_ci)}

    @property
    def answer(self) -> str:
        return f"peak lag {self.peak_lag} [{self.peak_lag_ci[0]}, {self.peak_lag_ci[1]}]"


def _lags(options) -> tuple:
    if not options.lags:
        raise InputError("lags: lag mode needs a list of lags (samples, or seconds with sample_rate or spike trains)")
    return options.lags


class Lag(Mode):
    name = "lag"
    point_keys = ("lag",)
    question = "At which delay does X tell most about Y (who leads, by how much)?"
    own_options = ("lags",)
    time_ordered = True
    keeps_y = True
    peak = True
    point_noun = "lags"

    def points(self, options, channels):
        return [{"lag": lag} for lag in _lags(options)]

    def fit_gammas(self, options):
        return [1] * (options.repeats or 1)

    def plan(self, n, options, seed, point):
        return repeated_fits(n, options, seed, range(options.repeats or 1))

    def point_samples(self, source, point, options, seed):
        """X shifted `lag` back against Y, on the span every lag can pair."""
        ticks = [source.ticks(lag, "lags") for lag in _lags(options)]
        lead, trail = max(0.0, max(ticks)), max(0.0, -min(ticks))
        length = source.n_ticks - lead - trail
        if length <= 0:
            raise InputError(f"lags: the range {min(options.lags)} .. {max(options.lags)} is longer than the "
                             f"recording")
        shift = source.ticks(point["lag"], "lags")
        return samples(source.crop(lead - shift, lead, length), options)

    def reported_column(self, options):
        return held_out_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the mean MI per lag."""
        table = with_reported(fits, self.reported_column(options))
        table["lag"] = params_frame(table)["lag"]
        return point_means(table, ["lag"], options.confidence)[["lag", "mi"]].rename(columns={"mi": "statistic"})

    def summarise(self, fits, curves, options, units):
        """Mean MI per lag, the peak and the range of lags that are the peak in `confidence` of bootstrap draws."""
        table = with_reported(fits, self.reported_column(options))
        table["lag"] = params_frame(table)["lag"]
        curve = point_means(table, ["lag"], options.confidence).sort_values("lag", ignore_index=True)
        score = curve["mi"].to_numpy(float)
        if not np.isfinite(score).any():
            raise FitError("lag mode: no lag gave a finite MI (every critic diverged): try infonce or a lower "
                           "learning_rate")
        score = np.where(np.isfinite(score), score, -np.inf)
        best = int(np.argmax(score))
        lags = curve["lag"].to_numpy(float)
        draws = np.random.default_rng(0).standard_normal((BOOTSTRAP_DRAWS, len(curve)))
        peaks = lags[np.argmax(score + draws * np.nan_to_num(curve["se"].to_numpy(float)), axis=1)]
        alpha = 1 - options.confidence
        low = min(float(np.quantile(peaks, alpha / 2, method="lower")), lags[best])
        high = max(float(np.quantile(peaks, 1 - alpha / 2, method="higher")), lags[best])
        curve["peak_probability"] = [(peaks == lag).mean() for lag in lags]
        reasons = fit_warnings(table, options.bound, units)
        if best in (0, len(curve) - 1):
            reasons.append("the peak is at the edge of the scanned lags: widen the range")
        if curve["ci_low"].iloc[best] <= 0:
            reasons.append("no lag shows MI distinguishable from zero")
        peak = curve.iloc[best]
        return LagResult(
            mode="lag", mi=float(peak["mi"]), ci_low=float(peak["ci_low"]), ci_high=float(peak["ci_high"]),
            reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves, summary=curve,
            details={"se": float(peak["se"])}, plotter=plot_lag, frame=curve,
            peak_lag=_number(lags[best]), peak_lag_ci=(_number(low), _number(high)),
        )


def _number(value: float):
    """A lag as the user wrote it: an integer when it is one."""
    return int(value) if float(value).is_integer() else float(value)


@styled
def plot_lag(result, ax=None):
    """Mean MI per lag with its interval; the peak lag and the range of lags that may be the peak."""
    fig, ax = axes_of(ax)
    band(ax, result.summary, "lag", "MI per lag")
    low, high = result.peak_lag_ci
    pad = np.diff(np.sort(result.summary["lag"].to_numpy(float))).min() / 2
    ax.axvspan(low - pad, high + pad, color="C3", alpha=0.15, lw=0, label=f"peak range [{low}, {high}]")
    ax.axvline(result.peak_lag, color="C3", lw=1, label=f"peak lag {result.peak_lag}")
    ax.set_xlabel("lag (X leads Y for positive lags)")
    return finish(fig, ax, result.units)
