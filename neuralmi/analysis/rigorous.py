"""Rigorous mode: fits on gamma disjoint subsets for each gamma, then extrapolation to infinite data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neuralmi.analysis.extrapolation import crosscheck, extrapolate, sampling_se
from neuralmi.analysis.fits import fit_warnings, reference_warnings, training_by_default, with_reported
from neuralmi.analysis.plots import plot_extrapolation
from neuralmi.analysis.result import MIResult
from neuralmi.errors import InputError
from neuralmi.training.splits import partition, split
from neuralmi.training.trainer import FitSpec


def points(options) -> list[dict]:
    """One point: the data as given."""
    return [{}]


def fit_gammas(options) -> list[int]:
    """The gamma of each planned fit, in plan order: every subset of every gamma, for each repeat."""
    return [g for g in sorted(options.gammas) for _ in range(options.repeats or 1) for _ in range(g)]


def plan(n: int, options, seed: int, point: dict) -> tuple[list[dict], list[FitSpec]]:
    """Every (gamma, repeat, subset) fit: its labels and its FitSpec.

    Subsets are contiguous when the split is blocked (time series) and random otherwise; each subset gets its
    own train/validation split of the same kind.
    """
    if options.split == "indices":
        raise InputError("split='indices' applies to mode='estimate' only: rigorous mode splits each subset itself")
    labels, specs = [], []
    for gamma in sorted(options.gammas):
        for repeat in range(options.repeats or 1):
            subsets = partition(n, gamma, options.split == "blocked", [seed, gamma, repeat])
            for i, subset in enumerate(subsets):
                train, val = split(len(subset), options, [seed, gamma, repeat, i])
                fit_seed = int(np.random.default_rng([seed, gamma, repeat, i]).integers(2**31))
                labels.append({"gamma": gamma, "repeat": repeat, "subset": i, "n_samples": len(subset), "seed": fit_seed})
                specs.append(FitSpec(subset[train], subset[val], fit_seed))
    return labels, specs


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


reported_column = training_by_default


def statistics(fits: pd.DataFrame, options, units: str) -> pd.DataFrame:
    """The permutation null's statistic: the corrected MI."""
    reported = reported_column(options)
    return pd.DataFrame({"statistic": [corrected(with_reported(fits, reported), reported, options, units).mi]})


def summarise(fits: pd.DataFrame, curves: pd.DataFrame, options, units: str) -> MIResult:
    """The corrected MI (`corrected`), judged also by the fits' training and the k-NN reference."""
    reported = reported_column(options)
    table = with_reported(fits, reported)
    result = corrected(table, reported, options, units)
    reasons = fit_warnings(table, options.bound, units) + result.reasons
    reasons += reference_warnings(table, result.ci_high, units)
    return MIResult(
        mode="rigorous",
        mi=result.mi,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        reliable=not reasons,
        reasons=reasons,
        units=units,
        fits=table,
        curves=curves,
        summary=result.summary,
        details=result.details,
        plotter=plot_extrapolation,
    )
