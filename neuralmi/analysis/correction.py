"""The bias-corrected value of a set of fits on subsets of every gamma: the extrapolation to infinite data
(analysis/extrapolation.py), cross-checked by the other quantity of the same fits, and judged. Rigorous mode
reports it; the chain-rule modes (transfer, conditional) correct each paired difference and each term with it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

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


def reached_references(table: pd.DataFrame, ci_high: float, confidence: float) -> tuple[float, list[str]]:
    """The interval's upper end raised to the upper end of each dependable second estimate's own normal interval
    (at `confidence`) that lies above it, and the names of those that did: the KSG estimate of the same samples
    (`reference_mi`, `reference_se`; few dimensions, where k-NN estimates are rarely too high) and the
    linear-critic lower bound on the fits' own splits (`linear_mi`, `linear_se`, means over the fits on the most
    data; a bound whatever the data). A critic learns sharp, bounded or heavy-tailed dependence slowly, so its
    extrapolation can fall short of what these already allow; the interval then reaches them rather than
    excluding them. Where one lies above the interval by more than the joint error, a reason flags the result as
    well (`verdicts.reference_warnings`, `verdicts.linear_warnings`)."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    most = table[table["gamma"] == table["gamma"].min()]
    estimates = {"KSG": (table["reference_mi"].to_numpy(float)[:1], table["reference_se"].to_numpy(float)[:1]),
                 "linear": (most["linear_mi"].to_numpy(float), most["linear_se"].to_numpy(float))}
    reached = []
    for name, (values, errors) in estimates.items():
        if not np.isfinite(values).any() or not np.isfinite(errors).any():
            continue
        top = float(np.nanmean(values) + z * np.nanmean(errors))
        if top > ci_high:
            ci_high = top
            reached.append(name)
    return ci_high, reached
