"""Estimate mode: one fit on all samples; the interval is the held-out sampling error at the selected epoch."""

from __future__ import annotations

import pandas as pd
from scipy import stats

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import held_out_by_default, with_reported
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.plots import plot_curves
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.verdicts import bias_warnings, fit_warnings, linear_warnings, reference_warnings, tail_warnings
from neuralmi.bounds import make_bound
from neuralmi.errors import InputError


class Estimate(Mode):
    name = "estimate"
    question = "How much information do X and Y share? One fit, its held-out value and sampling error."
    keeps_y = True
    brackets = True
    reference = True

    def points(self, options, channels):
        """One point: the data as given."""
        return [{}]

    def fit_gammas(self, options):
        """One fit, on all samples."""
        return [1]

    def plan(self, n, options, seed, point):
        """A single fit over all samples."""
        if (options.repeats or 1) > 1:
            raise InputError("repeats: estimate mode trains one fit; use rigorous, sweep, lag or dimensionality mode")
        return repeated_fits(n, options, seed, range(1))

    def reported_column(self, options):
        return held_out_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the fit's reported value."""
        table = with_reported(fits, self.reported_column(options))
        return pd.DataFrame({"statistic": [float(table["mi"].iloc[0])]})

    def summarise(self, fits, curves, options, units):
        """The fit's reported quantity with a normal interval from its held-out standard error."""
        reported = self.reported_column(options)
        table = with_reported(fits, reported)
        mi, se = float(table["mi"].iloc[0]), float(table["se"].iloc[0])
        z = float(stats.norm.ppf(0.5 + options.confidence / 2))
        bound = make_bound(options)
        reasons = fit_warnings(table, options.bound, units) + reference_warnings(table, mi + z * se, units)
        reasons += tail_warnings(table)
        reasons += linear_warnings(table, mi, z * se, options.confidence, bound, units)
        if reported == "val_mi":
            reasons += bias_warnings(table, bound, z * se, units)
            if mi + z * se < -z * se:
                reasons.append(below_zero(bound, -(mi + z * se), units))
            direction = {"lower": "lower bound", "upper": "upper bound"}.get(bound.direction, "not a bound")
        else:
            direction = "training-subset value: optimistic, not a bound"
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
            details={"bound_direction": direction},
            plotter=plot_curves,
        )


def below_zero(bound, depth: float, units: str) -> str:
    """The reason for an interval that lies wholly below zero by more than its half-width (`depth` below): the MI
    is never negative, so any estimator's value is then off by at least that much."""
    what = {"lower": "the lower bound is loose", "upper": "the upper bound does not hold"}.get(
        bound.direction, "the estimate is too low")
    return (f"the interval lies wholly below zero, by more than its half-width: the MI is never negative, so {what} "
            f"here by at least {depth:.3f} {units} (its critic or q(y|x) fits poorly on held-out data)")
