"""Analyses as points: each point is one data and option setting (a lag, a grid point, an embedding dimension
and channel split); a mode plans fits within every point.

Planning and training rebuild a point's samples from the source with the same deterministic functions, so a
fit can be trained anywhere (a notebook, any workflow job) with the same result. Points whose samples have the
same shape and whose options are equal are concatenated and trained as one vectorised stack.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd

from neuralmi.analysis import bracket, null
from neuralmi.analysis.fits import curve_table, fit_table, plan_specs, plan_table
from neuralmi.data.arrays import rank_gaussianize
from neuralmi.data.processing import (Source, as_model_input, channel_counts, samples, side_settings, spike_limit,
                                      window_ticks)
from neuralmi.nets.embeddings import sample_ndim
from neuralmi.reference import ksg_estimate
from neuralmi.training.trainer import MEMBER_OPTIONS, FitSpec, resolve_device, train_fits, widenable

REFERENCE_MODES = ("estimate", "rigorous")
REFERENCE_DIMS = 6
REFERENCE_SAMPLES = 20_000


def mode_points(module, options, channels: tuple | None = None) -> list[dict]:
    """A mode's points, then their permutation-null surrogates (`null.with_surrogates`). `channels`: (X's, Y's)
    channel counts, for modes whose points depend on them (`DATA_POINTS`, e.g. pairwise)."""
    base = module.points(options, channels) if getattr(module, "DATA_POINTS", False) else module.points(options)
    return null.with_surrogates(base, options, getattr(module, "null_point", lambda point: True))


def source_points(module, options, source: Source) -> list[dict]:
    return mode_points(module, options, channel_counts(source))


def resolve(options, source: Source, mode: str):
    """Options with the data-dependent defaults filled in: split, gap, marginal_terms and, for spike times, the
    slots per window (from the whole recording, so every lag or crop has the same shape)."""
    changes = {}
    if options.split == "auto":
        changes["split"] = "blocked" if source.time_series or mode == "lag" else "random"
    if options.gap is None:
        changes["gap"] = window_gap(source, options)
    if options.marginal_terms is None:
        changes["marginal_terms"] = mode == "dimensionality"
    if options.max_spikes_per_window is None and "times" in spike_encodings(options):
        changes["max_spikes_per_window"] = spike_limit(source, options)
    return options.replace(**changes) if changes else options


def window_gap(source: Source, options) -> int:
    """How many neighbouring windows share time points with a window (0 for sample tables): the gap a blocked
    split leaves around its held-out blocks."""
    if not source.time_series:
        return 0
    size, step = window_ticks(source, options)
    return max(0, math.ceil(size / step - 1e-9) - 1)


def resolved(module, options, point: dict, source: Source, mode: str):
    """A point's options (`point_options`), completed by the mode's own `resolve` hook (if any) and `resolve`."""
    options = point_options(module, options, point)
    if hasattr(module, "resolve"):
        options = module.resolve(options, source)
    return resolve(options, source, mode)


def spike_encodings(options) -> set:
    """The spike encodings of the sides read as spike trains."""
    sides = [side_settings(options, name) for name in "xyz"]
    return {s.spike_encoding for s in sides if s.processor == "spikes"}


def _point_samples(module, source: Source, point: dict, options, seed: int):
    """A point's samples; a surrogate's are its observed point's (modes with their own `surrogate` excepted)."""
    if "null" in point and hasattr(module, "surrogate"):
        return module.surrogate(source, point, options, seed)
    point = null.base_point(point)
    if hasattr(module, "point_samples"):
        return module.point_samples(source, point, options, seed)
    return samples(source, options)


def point_arrays(module, mode: str, source: Source, point: dict, options, seed: int, cache: dict | None = None):
    """The point's model inputs (x, y), float32, rank-Gaussianised per feature if options.rank_transform; a
    surrogate's Y rows reordered (`null.surrogate_order`) unless its mode builds its own (`surrogate`).
    `cache` keeps arrays within one call, keyed by `sample_key`: points whose samples are the same (an
    observed point and its surrogates' X, a dimensionality split at every embedding size) share one pair."""
    if "null" in point and not hasattr(module, "surrogate"):
        x, y = point_arrays(module, mode, source, null.base_point(point), options, seed, cache)
        order = null.surrogate_order(len(y), null.method(options, mode), options, seed, point["null"])
        return x, y[order]
    key = sample_key(module, point)
    if cache is not None and key in cache:
        return cache[key]
    x, y = _point_samples(module, source, point, options, seed)
    windowed = sample_ndim(options) == 3
    x, y = as_model_input(x, windowed), as_model_input(y, windowed)
    if options.rank_transform:
        reference = module.clean_rows(len(x), options) if hasattr(module, "clean_rows") else None
        x, y = rank_gaussianize(x, reference), rank_gaussianize(y, reference)
    if cache is not None:
        cache[key] = x, y
    return x, y


def sample_key(module, point: dict) -> str:
    """What a point's samples depend on, as a key: the mode's `sample_key` hook (e.g. a dimensionality point's
    channel split, not its embedding size) or the whole point."""
    part = module.sample_key(point) if hasattr(module, "sample_key") and "null" not in point else point
    return json.dumps(part, sort_keys=True)


def point_options(module, options, point: dict):
    return module.point_options(options, point) if hasattr(module, "point_options") else options


def plan(module, mode: str, source: Source, options, seed: int) -> pd.DataFrame:
    """Every fit of every point: labels (with `point`, its JSON `params` and the `bound` it trains) and sample
    indices; with a bracket, the upper twins last (analysis/bracket.py)."""
    labels, specs, sizes = [], [], {}
    for p, point in enumerate(source_points(module, options, source)):
        base = null.base_point(point)
        opts = resolved(module, options, base, source, mode)
        key = sample_key(module, base)
        if key not in sizes:
            sizes[key] = len(_point_samples(module, source, base, opts, seed)[0])
        point_labels, point_specs = module.plan(sizes[key], opts, seed, base)
        labels += [{"point": p, "params": json.dumps(point, sort_keys=True), "null": point.get("null", 0),
                    "bound": opts.bound, **lab} for lab in point_labels]
        specs += point_specs
    return plan_table(*bracket.with_twins(labels, specs, options))


def member_settings(module, options, points: list[dict]) -> tuple[dict, list[dict]]:
    """The settings that let points differing only in MEMBER_OPTIONS (embedding size, learning rate, weight decay)
    share a stack: (stack-wide values, each point's own values). Taken over all of the analysis's points, not
    those of one job, so a fit's critic and arithmetic are the same in any job: the embedding size is the
    largest (every narrower critic widened with zeros, `Critic.widened`), Adam settings the first point's
    (each member steps with its own). Only the options that vary and that every point's options can vary per
    member (`trainer.widenable`) are included."""
    keys = [json.dumps(null.base_point(p), sort_keys=True) for p in points]
    by_key = {k: point_options(module, options, json.loads(k)) for k in dict.fromkeys(keys)}
    settings = [by_key[k] for k in keys]
    varying = [k for k in MEMBER_OPTIONS if len({getattr(o, k) for o in settings}) > 1
               and all(k in widenable(o) for o in settings)]
    shared = {k: max(getattr(o, k) for o in settings) if k == "embedding_dim" else getattr(settings[0], k)
              for k in varying}
    return shared, [{k: getattr(o, k) for k in varying} for o in settings]


def train(module, mode: str, source: Source, plan: pd.DataFrame, options, seed: int, units: str):
    """Train the planned fits (any subset of a plan's rows): (fit table, curve table) in plan order. Points whose
    samples have one shape and whose options are equal up to `member_settings` train as one stack."""
    points = source_points(module, options, source)
    shared, own = member_settings(module, options, points)
    stacks: dict = {}
    cache: dict = {}
    for (p, bound), rows in plan.groupby(["point", "bound"], sort=True):
        opts = resolved(module, options, null.base_point(points[p]), source, mode)
        x, y = point_arrays(module, mode, source, points[p], opts, seed, cache)
        opts = bracket.fit_options(opts, bound)
        opts = opts.replace(**shared) if shared else opts
        key = (_options_key(opts), x.shape[1:], y.shape[1:])
        stacks.setdefault(key, (opts, []))[1].append((rows.assign(member_options=[own[p]] * len(rows)), x, y))
    fits, curves, references = [], [], {}
    for opts, members in stacks.values():
        rows = pd.concat([r for r, _, _ in members]).drop(columns="member_options")
        x, y, specs = _concatenated(module, opts, members)
        if hasattr(module, "keeps_terms") and module.keeps_terms(opts):
            specs = [dataclasses.replace(spec, keep_terms=True) for spec in specs]
        trained = train_fits(x, y, specs, opts)
        for r, px, py in members:
            point = int(r["point"].iloc[0])
            if point not in references:
                observed = r["null"].iloc[0] == 0
                references[point] = reference_estimate(px, py, opts, mode) if observed else (math.nan, math.nan)
        fits.append(fit_table(rows, trained, units, str(resolve_device(opts.device)), references))
        curves.append(curve_table(rows, trained, opts, units))
    return (pd.concat(fits).sort_values("fit_id", ignore_index=True),
            pd.concat(curves).sort_values(["fit_id", "epoch"], ignore_index=True))


def reference_estimate(x: np.ndarray, y: np.ndarray, options, mode: str) -> tuple[float, float]:
    """KSG estimate of a point's MI and its standard error (nats), a check on the critic in the modes that use it
    (REFERENCE_MODES) where k-nearest-neighbour estimation is dependable: independent samples (not a time
    series, whose nearest neighbours are its neighbours in time), flat and continuous (each feature at least 90%
    distinct values), with at most REFERENCE_DIMS dimensions in all; NaN otherwise. From at most
    REFERENCE_SAMPLES evenly spaced samples."""
    if mode not in REFERENCE_MODES or options.split == "blocked":
        return math.nan, math.nan
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] + y.shape[1] > REFERENCE_DIMS:
        return math.nan, math.nan
    rows = np.linspace(0, len(x) - 1, min(len(x), REFERENCE_SAMPLES)).round().astype(int)
    x, y = x[rows], y[rows]
    if not all(len(np.unique(column)) >= 0.9 * len(rows) for column in np.hstack([x, y]).T):
        return math.nan, math.nan
    return ksg_estimate(x, y)


def _options_key(options) -> str:
    return json.dumps({k: v if not callable(v) and not hasattr(v, "parameters") else id(v)
                       for k, v in options.as_dict().items()}, sort_keys=True, default=str)


def _concatenated(module, options, members):
    """The samples of a stack's points in one array pair (an array pair shared by several points once), with each
    fit's indices shifted to its pair's block (and its probes, from the mode's `probed` hook, with them), its
    `member_settings`, and one block of training samples scored where the mode reports the held-out value."""
    xs, ys, specs, offsets = [], [], [], {}
    blocks = 1 if module.reported_column(options) == "val_mi" else None
    for rows, x, y in members:
        if (id(x), id(y)) not in offsets:
            offsets[id(x), id(y)] = sum(len(a) for a in xs)
            xs.append(x)
            ys.append(y)
        offset = offsets[id(x), id(y)]
        for spec, own in zip(plan_specs(rows), rows["member_options"]):
            spec = dataclasses.replace(spec, training_blocks=blocks, member_options=own)
            if hasattr(module, "probed"):
                spec = module.probed(spec, len(x), options)
            specs.append(dataclasses.replace(spec, train=spec.train + offset, val=spec.val + offset,
                                             probes=tuple(p + offset for p in spec.probes)))
    return np.concatenate(xs), np.concatenate(ys), specs


def params_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The points' parameters as columns (one per key of `params`), aligned with the table's rows."""
    return pd.DataFrame([json.loads(p) for p in table["params"]], index=table.index)


def point_means(table: pd.DataFrame, by: list[str], confidence: float) -> pd.DataFrame:
    """Mean reported MI per group of fits with its standard error and normal interval.

    Non-finite fits are left out (`n_fits` counts the finite ones; a group with none has NaN values, and
    fit_warnings reports the diverged fits). The standard error combines the fits' held-out errors and, with
    two or more fits, their spread (the larger of the two).
    """
    from scipy import stats

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


def repeated_fits(n: int, options, seed: int, repeats: range) -> tuple[list[dict], list[FitSpec]]:
    """One fit on all n samples per repeat, each with its own split and initialisation (seeded by repeat only,
    so every point of a scan shares them)."""
    from neuralmi.training.splits import split

    labels, specs = [], []
    for r in repeats:
        train, val = split(n, options, [seed, r])
        fit_seed = int(np.random.default_rng([seed, r]).integers(2**31))
        labels.append({"gamma": 1, "repeat": r, "subset": 0, "n_samples": n, "seed": fit_seed})
        specs.append(FitSpec(train, val, fit_seed))
    return labels, specs
