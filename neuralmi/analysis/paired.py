"""Differences of paired fits: two terms of a chain rule fitted on the same subsets and splits (same gamma,
repeat, subset, size and seed), so that their difference is paired and the noise common to both cancels."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
