"""Rigorous mode: fits on gamma disjoint subsets for each gamma, then extrapolation to infinite data
(analysis/correction.py)."""

from __future__ import annotations

import pandas as pd

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.correction import corrected
from neuralmi.analysis.fits import training_by_default, with_reported
from neuralmi.analysis.planning import subset_fits, subset_gammas
from neuralmi.analysis.plots import plot_extrapolation
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.verdicts import (fit_warnings, linear_warnings, reached_references, reference_warnings,
                                         tail_warnings)
from neuralmi.bounds import make_bound


class Rigorous(Mode):
    name = "rigorous"
    question = "How much information do X and Y share, corrected for finite-sample bias, with an interval?"
    keeps_y = True
    brackets = True
    reference = True

    def points(self, options, channels):
        """One point: the data as given."""
        return [{}]

    def fit_gammas(self, options):
        return subset_gammas(options)

    def plan(self, n, options, seed, point):
        return subset_fits(n, options, seed)

    def reported_column(self, options):
        return training_by_default(options)

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the corrected MI."""
        reported = self.reported_column(options)
        return pd.DataFrame({"statistic": [corrected(with_reported(fits, reported), reported, options, units).mi]})

    def summarise(self, fits, curves, options, units):
        """The corrected MI (`correction.corrected`), judged also by the fits' training, the k-NN reference and
        the linear-critic bound; the interval reaches up to those two (`verdicts.reached_references`)."""
        reported = self.reported_column(options)
        table = with_reported(fits, reported)
        result = corrected(table, reported, options, units)
        reasons = fit_warnings(table, options.bound, units) + result.reasons
        reasons += reference_warnings(table, result.ci_high, units) + tail_warnings(table)
        half_width = (result.ci_high - result.ci_low) / 2
        bound = make_bound(options)
        reasons += linear_warnings(table, result.mi, half_width, options.confidence, bound, units)
        ci_high, reached = reached_references(table, result.ci_high, options.confidence, bound)
        details = {**result.details, "extrapolated_ci_high": result.ci_high, "reached": reached}
        return MIResult(
            mode="rigorous",
            mi=result.mi,
            ci_low=result.ci_low,
            ci_high=ci_high,
            reliable=not reasons,
            reasons=reasons,
            units=units,
            fits=table,
            curves=curves,
            summary=result.summary,
            details=details,
            plotter=plot_extrapolation,
        )
