"""Differences of paired fits: two terms of a chain rule fitted on the same subsets and splits (same gamma,
repeat, subset, size and seed), so that their difference is paired and the noise common to both cancels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from neuralmi.analysis.rigorous import Corrected
from neuralmi.errors import InputError

PAIR_KEYS = ["gamma", "repeat", "subset", "n_samples", "seed"]


def paired_difference(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Fits of `first` minus their paired fits of `second`: the difference of every MI column, and the standard
    error as if the two were independent (an upper bound for positively correlated terms)."""
    both = first.merge(second, on=PAIR_KEYS, suffixes=("", "_2"), validate="one_to_one")
    if len(both) != len(first) or len(both) != len(second):
        raise InputError("paired terms: the two terms' fits do not pair up (were all planned fits trained?)")
    out = both[["fit_id", *PAIR_KEYS, "n_val"]].copy()
    for column in ("mi", "val_mi", "train_mi"):
        out[column] = both[column] - both[f"{column}_2"]
    out["se"] = np.sqrt(both["se"] ** 2 + both["se_2"] ** 2)
    return out


def quantity_row(quantity: str, result, **labels) -> dict:
    """One row of a chain-rule mode's table from a `rigorous.Corrected`: the labels, then quantity, mi,
    ci_low, ci_high, se, slope, reliable."""
    return {**labels, "quantity": quantity, "mi": result.mi, "ci_low": result.ci_low, "ci_high": result.ci_high,
            "se": result.details["se"], "slope": result.details["slope"], "reliable": not result.reasons}


def difference_summary(name: str, result) -> pd.DataFrame:
    """A corrected difference's per-gamma table with its name and line (mi, ci_low, ci_high, slope) on every
    row, as the chain-rule modes' `summary` holds it for the figure."""
    return result.summary.assign(quantity=name, mi=result.mi, ci_low=result.ci_low, ci_high=result.ci_high,
                                 slope=result.details["slope"])


def held_out_difference(first: pd.DataFrame, second: pd.DataFrame, confidence: float):
    """Without extrapolation: the mean over repeats of the held-out difference `first` minus `second`, from the
    per-sample differences of the two critics' held-out terms at their selected evaluations (`val_terms`, same
    samples): each repeat's value is their mean and its standard error their spread over sqrt(n_val), a paired
    error free of the sampling noise the two terms share. With several repeats the error is at least their
    spread over sqrt(repeats). A `rigorous.Corrected` without a line."""
    both = first.merge(second, on=PAIR_KEYS, suffixes=("", "_2"), validate="one_to_one")
    if len(both) != len(first) or len(both) != len(second):
        raise InputError("paired terms: the two terms' fits do not pair up (were all planned fits trained?)")
    differences = []
    for r in both.itertuples():
        a, b = np.asarray(r.val_terms, np.float64), np.asarray(r.val_terms_2, np.float64)
        if not len(a) == len(b) == r.n_val == r.n_val_2 or len(a) < 2:
            raise InputError(f"val_terms: fit {r.fit_id} holds {len(a)} and its pair {len(b)} held-out terms, "
                             f"expected n_val = {r.n_val} each (fits trained without keep_terms?)")
        differences.append(a - b)
    values = np.array([d.mean() for d in differences])
    errors = np.array([d.std(ddof=1) / np.sqrt(len(d)) for d in differences])
    return _normal(values, errors, confidence)


def held_out_value(fits: pd.DataFrame, confidence: float):
    """The mean held-out value of one term's fits with its standard error (as `held_out_difference`)."""
    return _normal(fits["val_mi"].to_numpy(float), fits["se"].to_numpy(float), confidence)


def _normal(values: np.ndarray, errors: np.ndarray, confidence: float) -> Corrected:
    mean = float(values.mean())
    se = float(np.sqrt((errors**2).sum()) / len(values))
    if len(values) > 1:
        se = max(se, float(values.std(ddof=1) / np.sqrt(len(values))))
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    return Corrected(mean, mean - half, mean + half, [], None, {"se": se, "slope": np.nan})
