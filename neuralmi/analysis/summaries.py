"""Fit tables summarised per point: the points' parameters as columns, and the mean reported value per group of
fits with its standard error and interval (the scans' curves, a term's held-out value)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy import stats


def params_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The points' parameters as columns (one per key of `params`), aligned with the table's rows."""
    return pd.DataFrame([json.loads(p) for p in table["params"]], index=table.index)


def point_means(table: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    """Mean reported MI per group of fits with its standard error and normal interval.

    Non-finite fits are left out (`n_fits` counts the finite ones; a group with none has NaN values, and
    fit_warnings reports the diverged fits). The standard error combines the fits' held-out errors and, with
    two or more fits, their spread (the larger of the two).
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rows = []
    for key, group in table.groupby(by, sort=True):
        finite = np.isfinite(group["mi"].to_numpy(float)) & np.isfinite(group["se"].to_numpy(float))
        mi, se_fits = group["mi"].to_numpy(float)[finite], group["se"].to_numpy(float)[finite]
        mean = float(mi.mean()) if len(mi) else np.nan
        se = float(np.sqrt((se_fits**2).sum()) / len(mi)) if len(mi) else np.nan
        if len(mi) > 1:
            se = max(se, float(np.std(mi, ddof=1)) / np.sqrt(len(mi)))
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "mi": mean, "se": se,
                     "ci_low": mean - z * se, "ci_high": mean + z * se, "n_fits": len(mi)})
    return pd.DataFrame(rows)


def point_table(table: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """One row per point: its parameters (the keys of `params`) and `point_means`' columns."""
    keys = params_frame(table).groupby(table["point"]).first().reset_index(drop=True)
    return pd.concat([keys, point_means(table, ["point"], confidence)], axis=1)
