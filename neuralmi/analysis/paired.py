"""Differences of paired fits: two terms of a chain rule fitted on the same subsets and splits (same gamma,
repeat, subset, size and seed), so that their difference is paired and the noise common to both cancels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from neuralmi.analysis.summaries import point_means
from neuralmi.analysis.correction import Corrected
from neuralmi.errors import InputError

PAIR_KEYS = ["gamma", "repeat", "subset", "n_samples", "seed"]


def _pairs(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Each fit of `first` beside its paired fit of `second` (columns of the second suffixed `_2`)."""
    both = first.merge(second, on=PAIR_KEYS, suffixes=("", "_2"), validate="one_to_one")
    if len(both) != len(first) or len(both) != len(second):
        raise InputError("paired terms: the two terms' fits do not pair up (were all planned fits trained?)")
    return both


def paired_difference(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Fits of `first` minus their paired fits of `second`: the difference of every MI column, and the standard
    error as if the two were independent (an upper bound for positively correlated terms)."""
    both = _pairs(first, second)
    out = both[["fit_id", *PAIR_KEYS, "n_val"]].copy()
    for column in ("mi", "val_mi", "train_mi"):
        out[column] = both[column] - both[f"{column}_2"]
    out["se"] = np.sqrt(both["se"] ** 2 + both["se_2"] ** 2)
    return out


def quantity_row(quantity: str, result, **labels) -> dict:
    """One row of a chain-rule mode's table from a `correction.Corrected`: the labels, then quantity, mi,
    ci_low, ci_high, se, slope, reliable."""
    return {**labels, "quantity": quantity, "mi": result.mi, "ci_low": result.ci_low, "ci_high": result.ci_high,
            "se": result.details["se"], "slope": result.details["slope"], "reliable": not result.reasons}


def difference_summary(name: str, result) -> pd.DataFrame:
    """A corrected difference's per-gamma table with its name and line (mi, ci_low, ci_high, slope) on every
    row, as the chain-rule modes' `summary` holds it for the figure."""
    return result.summary.assign(quantity=name, mi=result.mi, ci_low=result.ci_low, ci_high=result.ci_high,
                                 slope=result.details["slope"])


def held_out_difference(first: pd.DataFrame, second: pd.DataFrame, confidence: float,
                        batches: int | None = None) -> Corrected:
    """Without extrapolation: the mean over repeats of the held-out difference `first` minus `second`, from the
    per-sample differences of the two critics' held-out terms at their selected evaluations (`val_terms`, same
    samples): each repeat's value is their mean and its standard error their spread over sqrt(n_val), a paired
    error free of the sampling noise the two terms share; with `batches` (samples in time order, whose terms are
    autocorrelated) the spread of that many consecutive batch means over sqrt(batches), an error of few degrees of
    freedom whose interval is then a t interval. A cross-fitted repeat's folds (`subset`) pool into one value over
    all their held-out samples. Combined over repeats as `summaries.point_means` does. A `correction.Corrected`
    without a line; details: se and df, the error's degrees of freedom (Welch-Satterthwaite over folds and repeats;
    the repeats' count less one where their spread sets the error)."""
    by_repeat: dict[int, list[np.ndarray]] = {}
    for r in _pairs(first, second).sort_values(["repeat", "subset"]).itertuples():
        a, b = np.asarray(r.val_terms, np.float64), np.asarray(r.val_terms_2, np.float64)
        if not len(a) == len(b) == r.n_val == r.n_val_2 or len(a) < 2:
            raise InputError(f"val_terms: fit {r.fit_id} holds {len(a)} and its pair {len(b)} held-out terms, "
                             f"expected n_val = {r.n_val} each (fits trained without keep_terms?)")
        by_repeat.setdefault(r.repeat, []).append(a - b)
    repeats = pd.DataFrame([_pooled(d, batches) for d in by_repeat.values()], columns=["mi", "se", "df"])
    result = _held_out(repeats, confidence)
    finite = repeats[np.isfinite(repeats["mi"]) & np.isfinite(repeats["se"])]
    se = result.details["se"]
    spread_sets_it = len(finite) > 1 and se > np.sqrt((finite["se"] ** 2).sum()) / len(finite)
    df = len(finite) - 1.0 if spread_sets_it else satterthwaite(finite["se"].to_numpy(), finite["df"].to_numpy())
    if batches is None or not np.isfinite(se):
        return Corrected(result.mi, result.ci_low, result.ci_high, [], None, {**result.details, "df": df})
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return Corrected(result.mi, result.mi - half, result.mi + half, [], None, {**result.details, "df": df})


def satterthwaite(errors: np.ndarray, dfs: np.ndarray) -> float:
    """The degrees of freedom of sqrt(sum errors^2), a sum of independent variance estimates with `dfs` each
    (Welch-Satterthwaite); inf where an error is not finite or all are zero."""
    variances = np.asarray(errors, np.float64) ** 2
    if not np.isfinite(variances).all() or variances.sum() == 0:
        return np.inf
    return float(variances.sum() ** 2 / (variances**2 / np.asarray(dfs, np.float64)).sum())


def _pooled(folds: list[np.ndarray], batches: int | None) -> tuple[float, float, float]:
    """(mean, standard error, its degrees of freedom) of one repeat's per-sample differences: of its one fit, or
    over the disjoint held-out sets of its cross-fitted folds (every sample weighs the same; the folds' errors
    combine as those of independent samples). One fit keeps its own error as it is (sqrt(se^2) need not be se to
    the last bit)."""
    if len(folds) == 1:
        return folds[0].mean(), *_standard_error(folds[0], batches)
    sizes = np.array([len(d) for d in folds], np.float64)
    errors, dfs = np.array([_standard_error(d, batches) for d in folds]).T
    weighted = sizes / sizes.sum() * errors
    return float(np.concatenate(folds).mean()), float(np.sqrt((weighted**2).sum())), satterthwaite(weighted, dfs)


def _standard_error(terms: np.ndarray, batches: int | None) -> tuple[float, float]:
    """(standard error of the mean of `terms`, its degrees of freedom): from their spread, or from `batches`
    consecutive batch means."""
    if batches is None or len(terms) < 2 * batches:
        return float(terms.std(ddof=1) / np.sqrt(len(terms))), len(terms) - 1.0
    means = np.array([b.mean() for b in np.array_split(terms, batches)])
    return float(means.std(ddof=1) / np.sqrt(batches)), batches - 1.0


def held_out_value(fits: pd.DataFrame, confidence: float) -> Corrected:
    """The mean held-out value of one term's fits with its standard error (`summaries.point_means`)."""
    return _held_out(fits.assign(mi=fits["val_mi"]), confidence)


def _held_out(repeats: pd.DataFrame, confidence: float) -> Corrected:
    mean = point_means(repeats.assign(group=0), ["group"], confidence).iloc[0]
    return Corrected(float(mean["mi"]), float(mean["ci_low"]), float(mean["ci_high"]), [], None,
                     {"se": float(mean["se"]), "slope": np.nan})


def below_zero(name: str, result: Corrected, units: str, smaller: str) -> list[str]:
    """A reason when a difference of chain-rule terms has its whole interval below zero: the joint term's critic
    learned less than the `smaller` one's."""
    if result.ci_high >= 0:
        return []
    return [f"{name} is below zero, {result.mi:.3f} [{result.ci_low:.3f}, {result.ci_high:.3f}] {units}: the joint "
            f"term's critic learned less than {smaller}; try more epochs, a larger critic or more data"]


def intervals(rows) -> dict:
    """{quantity: {mi, ci}} of a chain-rule table's rows, JSON-ready."""
    return {r["quantity"]: {"mi": float(r["mi"]), "ci": [float(r["ci_low"]), float(r["ci_high"])]} for r in rows}
