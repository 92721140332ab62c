"""The bias-corrected value of a set of fits on subsets of every gamma: the extrapolation to infinite data
(analysis/extrapolation.py), cross-checked by the other quantity of the same fits, and judged. Rigorous mode
reports it; the chain-rule modes (transfer, conditional) correct each paired difference and each term with it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from neuralmi.analysis.extrapolation import crosscheck, extrapolate, sampling_se


@dataclass
class Corrected:
    """A bias-corrected quantity: its value, interval, the reasons to doubt it, the per-gamma table and the
    details of the extrapolation and its cross-check."""

    mi: float
    ci_low: float
    ci_high: float
    reasons: list
    summary: pd.DataFrame
    details: dict


def corrected(table: pd.DataFrame, reported: str, options, units: str) -> Corrected:
    """Extrapolate the fits' `mi`, the `reported` column ('train_mi' or 'val_mi'; `fits.with_reported`), cross-check
    it with the other one, and judge the result.

    When the training-subset and held-out extrapolations do not meet (their gap extrapolates away from zero),
    the interval is widened to hold both intervals and a reason is given.
    """
    floor = sampling_se(table)
    ext = extrapolate(table, options.linearity_threshold, options.min_gammas, options.confidence, floor)
    check = crosscheck(table, ext.gammas_used, "val_mi" if reported == "train_mi" else "train_mi",
                       options.confidence, floor)
    ci_low, ci_high = ext.ci_low, ext.ci_high
    reasons = []
    if not ext.linear:
        reasons.append(
            f"mean MI is not linear in 1/N even over the smallest {len(ext.gammas_used)} gammas "
            f"(quadratic/linear ratio {ext.curvature_ratio:.2f} > {options.linearity_threshold}): more data needed"
        )
    if check.disagree:
        ci_low, ci_high = min(ci_low, check.other.ci_low), max(ci_high, check.other.ci_high)
        reasons.append(
            f"the training-subset and held-out extrapolations do not meet at infinite data (gap "
            f"{check.gap.mi:.3f} [{check.gap.ci_low:.3f}, {check.gap.ci_high:.3f}] {units}): the fits are not in "
            f"their large-sample regime, so the interval spans both extrapolations; more data, or a smaller critic, "
            f"would narrow it"
        )
    other = check.other.table.set_index("gamma")
    summary = ext.table.assign(other_mean=ext.table["gamma"].map(other["mean"]),
                               other_var_of_mean=ext.table["gamma"].map(other["var_of_mean"]))
    details = {"se": ext.se, "slope": ext.slope, "gammas_used": ext.gammas_used,
               "curvature_ratio": ext.curvature_ratio, "sampling_se": floor,
               "other_quantity": "held-out" if reported == "train_mi" else "training subset",
               "other_mi": check.other.mi, "other_ci": [check.other.ci_low, check.other.ci_high],
               "other_slope": check.other.slope,
               "gap": check.gap.mi, "gap_ci": [check.gap.ci_low, check.gap.ci_high]}
    return Corrected(ext.mi, ci_low, ci_high, reasons, summary, details)
