"""Permutation null: is the dependence real?

With `null_permutations: K` every point of an analysis gets K surrogate points: the same data with the X-Y
dependence broken and each side's own structure kept, trained with the same plan (subsets, splits, seeds) and
summarised by the same statistic as the observed data (the mode's `statistics`: its reported value per point, in
the same units). The surrogates train in the same vectorised stacks as the observed fits.

Surrogates (`null_method`; `auto` picks from the split): `permute` reorders Y's samples at random (independent
samples); `shift` rotates Y's samples in time by a random offset of at least one sample plus the split's gap, so
both series keep their autocorrelation (time series); `local` (conditional mode's default) reorders X among
samples whose Z are near neighbours, so X keeps its relation to Z while losing the one to Y given Z (Runge
2018's local permutation). Surrogate k uses the same reordering at every point of a scan.

p = (1 + #{null >= observed}) / (1 + K) per point (diverged surrogates left out of both counts), or with
`null_tail` a p below 1/(K + 1) from a fitted tail where fewer than 10 surrogates reach the observed value
(analysis/tail.py); in scans the Benjamini-Hochberg q-values control the false discovery rate over the points.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import plain
from neuralmi.analysis.tail import MIN_EXCESSES, tail_p_value
from neuralmi.data.processing import side_settings
from neuralmi.errors import FitError, InputError

LOCAL_NEIGHBOURS = 5
SURROGATE_STREAM = 8191
DESCRIPTIONS = {"permute": "row permutations", "shift": "circular shifts", "local": "local permutations within Z"}


def method(options, mode: Mode) -> str:
    """The surrogate kind: the option, or for `auto` the mode's own (`Mode.null_default`: local in conditional
    mode), else shift (time series: a blocked split, given or chosen by `split: auto`) or permute. A method the
    mode refuses (`Mode.refused_nulls`) is an error."""
    chosen = options.null_method
    if chosen == "auto":
        return mode.null_default or ("shift" if time_ordered(options, mode) else "permute")
    if chosen in mode.refused_nulls:
        raise InputError("null_method: " + mode.refused_nulls[chosen].format(mode=mode.name))
    return chosen


def check(options, mode: Mode) -> None:
    """The null's options are consistent before any data are read: a known method for the mode, and no method
    without surrogates."""
    if options.null_permutations:
        method(options, mode)
    if options.null_tail and options.null_permutations < 4 * MIN_EXCESSES:
        raise InputError(f"null_tail: a tail is fitted to the largest quarter of the surrogates, at least "
                         f"{MIN_EXCESSES}: set null_permutations >= {4 * MIN_EXCESSES}, found "
                         f"{options.null_permutations}")
    if not options.null_permutations and options.null_method != "auto":
        raise InputError(f"null_method: {options.null_method!r} has no effect without null_permutations (e.g. 100)")


def time_ordered(options, mode: Mode) -> bool:
    """Whether samples are time points in order: recordings (any side with a processor), modes whose samples
    always are (`Mode.time_ordered`: lag, transfer), or the blocked split."""
    recording = any(side_settings(options, name).processor != "samples" for name in "xyz")
    return recording or mode.time_ordered or options.split == "blocked"


def with_surrogates(base: list[dict], options, variants=lambda point: [point]) -> list[dict]:
    """The analysis's points followed by K surrogates (`null`: 1..K) of every point the null changes, each as its
    `variants` (`Mode.null_variants`)."""
    changed = [v for p in base for v in variants(p)]
    return base + [{**p, "null": k} for k in range(1, options.null_permutations + 1) for p in changed]


def base_point(point: dict) -> dict:
    """The observed point a surrogate stands for."""
    return {k: v for k, v in point.items() if k != "null"}


def surrogate_order(n: int, kind: str, options, seed: int, k: int, z: np.ndarray | None = None) -> np.ndarray:
    """Row order of surrogate k: the side it is applied to takes rows `order` (sample i pairs with sample
    order[i] of that side)."""
    rng = np.random.default_rng([seed, k, SURROGATE_STREAM])
    if kind == "permute":
        return rng.permutation(n)
    if kind == "shift":
        least = (options.gap or 0) + 1
        if n - least < least:
            raise InputError(f"null_method: a circular shift of at least {least} samples (one sample plus the "
                             f"gap) needs more than {2 * least - 1} samples, found {n}")
        return np.roll(np.arange(n), int(rng.integers(least, n - least + 1)))
    if z is None:
        raise InputError("null_method: 'local' needs the conditioning side Z")
    exclude = (options.gap or 0) + 1 if options.split == "blocked" else 0
    return local_order(z.reshape(len(z), -1), rng, exclude)


def local_order(z: np.ndarray, rng: np.random.Generator, exclude: int = 0) -> np.ndarray:
    """A near-permutation that sends each sample to one of its LOCAL_NEIGHBOURS nearest neighbours in Z
    (z-scored), drawing unused neighbours first (Runge 2018, Algorithm 1). With `exclude` > 0 (time series)
    neighbours within `exclude` samples in time are skipped (a Theiler window), since a time point's nearest Z
    is usually the next one, whose X carries the same dependence on Y."""
    z = np.asarray(z, np.float64)
    spread = z.std(axis=0)
    z = (z - z.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    k = min(LOCAL_NEIGHBOURS, len(z) - 2 * exclude - 1)
    if k < 1:
        raise InputError(f"null_method: 'local' needs more than {2 * exclude + 1} samples, found {len(z)}")
    query = min(len(z), k + 2 * exclude + 1)
    _, found = cKDTree(z).query(z, k=query)
    found = found.reshape(len(z), query)
    far = np.abs(found - np.arange(len(z))[:, None]) > exclude if exclude else np.ones_like(found, dtype=bool)
    neighbours = np.stack([row[keep][:k] for row, keep in zip(found, far)])
    order, used = np.empty(len(z), dtype=np.int64), np.zeros(len(z), dtype=bool)
    for i in rng.permutation(len(z)):
        candidates = neighbours[i][rng.permutation(k)]
        free = candidates[~used[candidates]]
        order[i] = free[0] if len(free) else candidates[0]
        used[order[i]] = True
    return order


def p_values(observed: np.ndarray, null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p, surrogates counted) per row: observed (points,), null (surrogates, points); non-finite surrogates are
    left out; a non-finite observed value gets p NaN."""
    finite = np.isfinite(null)
    exceed = ((null >= observed[None, :]) & finite).sum(axis=0)
    counted = finite.sum(axis=0)
    p = (1.0 + exceed) / (1.0 + counted)
    return np.where(np.isfinite(observed), p, np.nan), counted


def bh_q_values(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN kept out of the count)."""
    p = np.asarray(p, float)
    q = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    if len(valid) == 0:
        return q
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order] * len(valid) / np.arange(1, len(valid) + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def holm_adjusted(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN kept out of the count): below alpha, the family-wise error over
    the family is at most alpha whatever the tests' dependence."""
    p = np.asarray(p, float)
    adjusted = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    stepped = p[order] * (len(valid) - np.arange(len(valid)))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(stepped))
    return adjusted


def split_fits(fits: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(observed fits, surrogate fits) of a fit table."""
    surrogate = fits["null"].to_numpy() > 0 if "null" in fits else np.zeros(len(fits), dtype=bool)
    return fits[~surrogate], fits[surrogate]


def surrogate_tables(observed: pd.DataFrame, surrogates: pd.DataFrame):
    """(k, fit table) per surrogate k: its fits relabelled as the observed points they stand for, beside the
    observed fits of the points the null leaves unchanged (e.g. transfer mode's own-past term)."""
    points = dict(zip(observed["params"], observed["point"]))
    params = surrogates["params"].map(lambda p: json.dumps(base_point(json.loads(p)), sort_keys=True))
    relabelled = surrogates.assign(params=params, point=params.map(points), null=0)
    kept = observed[~observed["params"].isin(set(params))]
    for k, fits in relabelled.groupby(surrogates["null"], sort=True):
        yield int(k), pd.concat([kept, fits]).sort_values("fit_id", ignore_index=True)


def null_distribution(mode: Mode, fits: pd.DataFrame, options, units: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(null, significance): the statistic of the observed data (surrogate 0) and of every surrogate, one row per
    point and surrogate; and per point the observed statistic, its p-value, q-value and surrogates counted."""
    observed, surrogates = split_fits(fits)
    frames = [mode.statistics(observed, options, units).assign(surrogate=0)]
    frames += [mode.statistics(table, options, units).assign(surrogate=k)
               for k, table in surrogate_tables(observed, surrogates)]
    null = pd.concat(frames, ignore_index=True)
    keys = [c for c in frames[0].columns if c not in ("statistic", "surrogate")]
    first = frames[0].reset_index(drop=True)
    for frame in frames[1:]:
        if not frame[keys].reset_index(drop=True).equals(first[keys]):
            raise FitError("permutation null: a surrogate's points differ from the data's (were all its fits "
                           "trained?)")
    values = np.stack([f["statistic"].to_numpy(float) for f in frames[1:]])
    observed_values = first["statistic"].to_numpy(float)
    p, counted = p_values(observed_values, values)
    how = {}
    if options.null_tail:  # each p's method beside it: empirical, tail or bound
        fitted = [tail_p_value(o, values[:, j]) for j, o in enumerate(observed_values)]
        p, how = np.array([f[0] for f in fitted]), {"p_method": [f[1] for f in fitted]}
    significance = first[keys].assign(observed=first["statistic"], p_value=p, q_value=bh_q_values(p),
                                      n_null=counted, **how)
    return null[keys + ["surrogate", "statistic"]], significance


def attach(result, mode: Mode, fits: pd.DataFrame, options, units: str):
    """The result with its null distribution (`null`), per-point p- and q-values (`significance`, also merged
    into `to_frame()` where it has the points' columns) and the surrogate fits appended to `fits`."""
    null, significance = null_distribution(mode, fits, options, units)
    keys = [c for c in significance.columns if c not in ("observed", "p_value", "q_value", "n_null", "p_method")]
    _, surrogates = split_fits(fits)
    result.fits = pd.concat([result.fits, surrogates.assign(mi=surrogates[mode.reported_column(options)])],
                            ignore_index=True)
    if result.frame is not None and keys and set(keys) <= set(result.frame.columns):
        result.frame = result.frame.merge(significance[keys + ["p_value", "q_value"]], on=keys, how="left")
    alpha, kind = 1 - options.confidence, method(options, mode)
    peak = mode.peak and len(significance) > 1
    p_main = peak_p_value(null, options.null_tail) if peak else float(significance["p_value"].iloc[0])
    result.null, result.significance = null, significance
    result.details.update(
        null_method=kind, null_permutations=options.null_permutations, significance_level=alpha,
        p_value=p_main,
        significant=int((significance["q_value"] < alpha).sum()), tested=len(significance),
        p_values=[{k: plain(v) for k, v in row.items()} for row in significance.to_dict("records")],
    )
    result.null_text = _finding(significance, p_main, peak, alpha, kind, options.null_permutations, mode.point_noun,
                                options.null_tail)
    return result


def peak_p_value(null: pd.DataFrame, tail: bool = False) -> float:
    """p of the largest statistic over a scan's points, against each surrogate's largest (surrogate k reorders
    alike at every point): the reported point was picked as the maximum, so its own p would be too small. `tail`:
    fitted to the maxima's tail where few reach it (analysis/tail.py)."""
    top = null.groupby("surrogate")["statistic"].max()
    if tail:
        return tail_p_value(float(top.loc[0]), top.drop(index=0).to_numpy())[0]
    p, _ = p_values(np.array([top.loc[0]]), top.drop(index=0).to_numpy()[:, None])
    return float(p[0])


def _finding(significance: pd.DataFrame, p: float, peak: bool, alpha: float, kind: str, k: int, noun: str,
             tail: bool = False) -> str:
    fitted = ", tail-fitted where few reach the value" if tail else ""
    text = f"p{' of the peak' if peak else ''} = {p:.3g} ({k} {DESCRIPTIONS[kind]}{fitted})"
    if len(significance) > 1:
        hits = int((significance["q_value"] < alpha).sum())
        text += f"; {hits} of {len(significance)} {noun} with q < {alpha:g}"
    least = least_permutations(len(significance), alpha)
    if k < least and not tail:
        what = "p" if len(significance) == 1 else "a single point's q"
        text += f" (too few surrogates for {what} < {alpha:g}: K >= {least} needed)"
    return text


def least_permutations(points: int, alpha: float) -> int:
    """The fewest surrogates with which a single discovery among `points` can reach q (or p) below alpha: the
    smallest p, 1/(K + 1), times the points tested must be below alpha."""
    return int(np.floor(points / alpha + 1e-9))
