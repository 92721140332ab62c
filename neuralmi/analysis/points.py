"""Analyses as points: each point is one data and option setting (a lag, a grid point, an embedding dimension
and channel split); a mode (analysis/contract.py) plans fits within every point.

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
from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import curve_table, fit_table, plan_specs, plan_table
from neuralmi.data.arrays import TAIL_SAMPLES, rank_gaussianize, shared_heavy_tails
from neuralmi.data.processing import (Source, as_model_input, channel_counts, sample_ndim, spike_encodings,
                                      spike_limit, window_gap)
from neuralmi.reference import ksg_estimate, linear_bound
from neuralmi.training.members import MEMBER_OPTIONS, widenable
from neuralmi.training.runtime import resolve_device
from neuralmi.training.smoothing import PATIENCE_FRACTION
from neuralmi.training.trainer import train_fits

REFERENCE_DIMS = 6
REFERENCE_SAMPLES = 20_000
LINEAR_DIMS = 2048
"""Features of X and Y together (flattened) above which the linear-critic bound is not computed (NaN)."""
TAIL_FEATURES = 512
"""Features of one side (flattened) above which its heavy tails are not counted (NaN)."""
STACK_SAMPLE_BYTES = 2**30
"""Samples one stack holds at most (its points' arrays, each shared pair once) before it trains."""


def mode_points(mode: Mode, options, channels: tuple | None = None) -> list[dict]:
    """A mode's points, then their permutation-null surrogates (`null.with_surrogates`). `channels`: (X's, Y's)
    channel counts, for modes whose points depend on them (`Mode.channel_points`)."""
    return null.with_surrogates(mode.points(options, channels if mode.channel_points else None), options,
                                mode.null_variants)


def source_points(mode: Mode, options, source: Source) -> list[dict]:
    return mode_points(mode, options, channel_counts(source))


def resolve(options, source: Source, mode: Mode):
    """Options with the shared data-dependent defaults filled in, after the mode's own (`Mode.resolve`, see
    `resolved`): split (blocked for a time series or a time-ordered mode), gap, marginal_terms and learned_scale
    (off), patience_fraction (PATIENCE_FRACTION) and, for spike times, the slots per window (from the whole
    recording, so every lag or crop has the same shape)."""
    changes = {}
    if options.split == "auto":
        changes["split"] = "blocked" if source.time_series or mode.time_ordered else "random"
    if options.gap is None:
        changes["gap"] = window_gap(source, options)
    if options.marginal_terms is None:
        changes["marginal_terms"] = False
    if options.learned_scale is None:
        changes["learned_scale"] = False
    if options.patience_fraction is None:
        changes["patience_fraction"] = PATIENCE_FRACTION
    if options.max_spikes_per_window is None and "times" in spike_encodings(options):
        changes["max_spikes_per_window"] = spike_limit(source, options)
    return options.replace(**changes) if changes else options


def resolved(mode: Mode, options, point: dict, source: Source):
    """A point's options (`Mode.point_options`), completed by the mode's own `resolve` and then `resolve`."""
    return resolve(mode.resolve(mode.point_options(options, point), source), source, mode)


def point_arrays(mode: Mode, source: Source, point: dict, options, seed: int, cache: dict | None = None):
    """The point's model inputs (x, y), float32, rank-Gaussianised per feature if options.rank_transform; a
    surrogate's Y rows reordered (`null.surrogate_order`) unless its mode builds its own (`Mode.surrogate`).
    `cache` keeps arrays within one call, keyed by `sample_key`: points whose samples are the same (an
    observed point and its surrogates' X, a dimensionality split at every embedding size) share one pair."""
    if "null" in point:
        own = mode.surrogate(source, point, options, seed)
        if own is None:
            x, y = point_arrays(mode, source, null.base_point(point), options, seed, cache)
            order = null.surrogate_order(len(y), null.method(options, mode), options, seed, point["null"])
            return x, y[order]
        return _model_inputs(mode, *own, options)
    key = sample_key(mode, point)
    if cache is not None and key in cache:
        return cache[key]
    arrays = _model_inputs(mode, *mode.point_samples(source, point, options, seed), options)
    if cache is not None:
        cache[key] = arrays
    return arrays


def _model_inputs(mode: Mode, x, y, options):
    """Samples as the critic takes them: flat or windowed, float32, rank-Gaussianised per feature (fitted on the
    mode's `clean_rows`) when options.rank_transform."""
    windowed = sample_ndim(options) == 3
    x, y = as_model_input(x, windowed), as_model_input(y, windowed)
    if options.rank_transform:
        reference = mode.clean_rows(len(x), options)
        x, y = rank_gaussianize(x, reference), rank_gaussianize(y, reference)
    return x, y


def sample_key(mode: Mode, point: dict) -> str:
    """What an observed point's samples depend on, as a key: the mode's `sample_key` (e.g. a dimensionality
    point's channel split, not its embedding size)."""
    return json.dumps(mode.sample_key(point), sort_keys=True)


def plan(mode: Mode, source: Source, options, seed: int, fits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every fit of every point: labels (with `point`, its JSON `params` and the `bound` it trains) and sample
    indices; with a bracket, the upper twins last (analysis/bracket.py). Given the fits of earlier rounds (a mode
    `in_rounds`), the fits of the next round's points (`Mode.next_points`; none when the analysis is complete), their
    points and fit ids numbered on from the earlier ones'."""
    if fits is None:
        chosen, first_point, first_fit = source_points(mode, options, source), 0, 0
    else:
        chosen = mode.next_points(options, channel_counts(source), fits)
        first_point, first_fit = int(fits["point"].max()) + 1, int(fits["fit_id"].max()) + 1
    labels, specs, sizes = [], [], {}
    for p, point in enumerate(chosen, start=first_point):
        base = null.base_point(point)
        opts = resolved(mode, options, base, source)
        key = sample_key(mode, base)
        if key not in sizes:
            sizes[key] = len(mode.point_samples(source, base, opts, seed)[0])
        point_labels, point_specs = mode.plan(sizes[key], opts, seed, base)
        labels += [{"point": p, "params": json.dumps(point, sort_keys=True), "null": point.get("null", 0),
                    "bound": opts.bound, **lab} for lab in point_labels]
        specs += point_specs
    return plan_table(*bracket.with_twins(labels, specs, options), first=first_fit)


def member_settings(mode: Mode, options, points: list[dict]) -> tuple[dict, list[dict]]:
    """The settings that let points differing only in MEMBER_OPTIONS (embedding size, learning rate, weight decay)
    share a stack: (stack-wide values, each point's own values). Taken over all of the analysis's points, not
    those of one job, so a fit's critic and arithmetic are the same in any job: the embedding size is the
    largest (every narrower critic widened with zeros, `Critic.widened`), Adam settings the first point's
    (each member steps with its own). Only the options that vary and that every point's options can vary per
    member (`training.members.widenable`) are included."""
    keys = [json.dumps(null.base_point(p), sort_keys=True) for p in points]
    by_key = {k: mode.point_options(options, json.loads(k)) for k in dict.fromkeys(keys)}
    settings = [by_key[k] for k in keys]
    varying = [k for k in MEMBER_OPTIONS if len({getattr(o, k) for o in settings}) > 1
               and all(k in widenable(o) for o in settings)]
    shared = {k: max(getattr(o, k) for o in settings) if k == "embedding_dim" else getattr(settings[0], k)
              for k in varying}
    return shared, [{k: getattr(o, k) for k in varying} for o in settings]


def train(mode: Mode, source: Source, plan: pd.DataFrame, options, seed: int, units: str):
    """Train the planned fits (any subset of a plan's rows): (fit table, curve table) in plan order. Points whose
    samples have one shape and whose options are equal up to `member_settings` train as one stack; a stack whose
    points' samples reach STACK_SAMPLE_BYTES trains then, and the rest of its points make the next one (a graph
    of many units is chunked, not refused: a fit's numbers do not depend on the other members of its stack)."""
    first = source_points(mode, options, source)
    shared, own = member_settings(mode, options, first)
    points, own = dict(enumerate(first)), dict(enumerate(own))
    for p, params in plan.groupby("point")["params"].first().items():
        if p not in points:  # a later round's point (`Mode.next_points`), from its JSON
            points[p] = json.loads(params)
            own[p] = {k: getattr(mode.point_options(options, points[p]), k) for k in shared}
    stacks: dict = {}
    cache: dict = {}
    done, references, linear, tails = [], {}, {}, {}
    for (p, bound), rows in plan.groupby(["point", "bound"], sort=True):
        opts = resolved(mode, options, null.base_point(points[p]), source)
        x, y = point_arrays(mode, source, points[p], opts, seed, cache)
        if p not in tails:
            tails[p] = heavy_tails(mode, source, points[p], opts, seed)
        opts = bracket.fit_options(opts, bound)
        opts = opts.replace(**shared) if shared else opts
        key = (_options_key(opts), x.shape[1:], y.shape[1:])
        stack = stacks.setdefault(key, (opts, []))
        stack[1].append((rows.assign(member_options=[own[p]] * len(rows)), x, y))
        if sum(a.nbytes + b.nbytes for _, a, b in _distinct(stack[1])) >= STACK_SAMPLE_BYTES:
            done.append(_train_stack(mode, *stacks.pop(key), units, references, linear, tails))
            cache.clear()
    done += [_train_stack(mode, opts, members, units, references, linear, tails) for opts, members in stacks.values()]
    return (pd.concat([f for f, _ in done]).sort_values("fit_id", ignore_index=True),
            pd.concat([c for _, c in done]).sort_values(["fit_id", "epoch"], ignore_index=True))


def _distinct(members: list) -> list:
    """A stack's members with each array pair once (points that share samples share one pair)."""
    return list({(id(x), id(y)): (rows, x, y) for rows, x, y in members}.values())


def _train_stack(mode: Mode, opts, members: list, units: str, references: dict, linear: dict,
                 tails: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One stack's (fit table, curve table), with each observed point's reference estimate (`references`: point ->
    (nats, error), kept across stacks so a point in two stacks, a bracket's twins, is estimated once), each
    observed fit's linear-critic bound (`linear_estimates`, `linear` kept across stacks as `references` is) and
    each point's `heavy_tails` (`tails`: point -> (X's, Y's))."""
    rows = pd.concat([r for r, _, _ in members]).drop(columns="member_options")
    bounds = [estimate for r, px, py in members for estimate in linear_estimates(r, px, py, opts, mode, linear)]
    x, y, specs = _concatenated(mode, opts, members)
    if mode.keeps_terms(opts):
        specs = [dataclasses.replace(spec, keep_terms=True) for spec in specs]
    trained = train_fits(x, y, specs, opts)
    for r, px, py in members:
        point = int(r["point"].iloc[0])
        if point not in references:
            observed = r["null"].iloc[0] == 0
            references[point] = reference_estimate(px, py, opts, mode) if observed else (math.nan, math.nan)
    return (fit_table(rows, trained, units, str(resolve_device(opts.device)), references, bounds, tails),
            curve_table(rows, trained, opts, units))


def linear_estimates(rows: pd.DataFrame, x: np.ndarray, y: np.ndarray, options, mode: Mode, cache: dict) -> list:
    """Each planned fit's held-out InfoNCE bound with a closed-form linear-Gaussian critic on its own split
    (`neuralmi.reference.linear_bound`), (nats, error): a second, differently built lower bound that the modes
    with a reference (`Mode.reference`) check their value against. NaN for surrogates and above LINEAR_DIMS
    features. A bracket's twins share their fit's split, so `cache` holds each split's bound once."""
    out = []
    for labels, spec in zip(rows.to_dict("records"), plan_specs(rows)):
        if not mode.reference or labels["null"] != 0 or x[0].size + y[0].size > LINEAR_DIMS:
            out.append((math.nan, math.nan))
            continue
        key = tuple(labels[k] for k in ("point", "gamma", "repeat", "subset"))
        if key not in cache:
            cache[key] = linear_bound(x, y, spec.train, spec.val, options.eval_block_size)
        out.append(cache[key])
    return out


def _reference_rows(n: int) -> np.ndarray:
    """At most REFERENCE_SAMPLES evenly spaced row indices of n samples, the rows the checks on a point's samples
    read."""
    return np.linspace(0, n - 1, min(n, REFERENCE_SAMPLES)).round().astype(int)


def heavy_tails(mode: Mode, source: Source, point: dict, options, seed: int) -> tuple[float, float]:
    """How many of X's and of Y's features, as given (before the rank transform), have heavy tails and a
    shared scale (`neuralmi.data.arrays.shared_heavy_tails`), in the modes with a reference (`Mode.reference`)
    with rank_transform on, observed points only, sides of at most TAIL_FEATURES features, at least TAIL_SAMPLES
    samples; NaN otherwise. From at most REFERENCE_SAMPLES evenly spaced samples."""
    if not mode.reference or not options.rank_transform or "null" in point:
        return math.nan, math.nan
    x, y = (np.asarray(a) for a in mode.point_samples(source, point, options, seed))
    if len(x) < TAIL_SAMPLES:
        return math.nan, math.nan
    rows = _reference_rows(len(x))
    return tuple(float(shared_heavy_tails(a[rows])) if a[0].size <= TAIL_FEATURES else math.nan for a in (x, y))


def reference_estimate(x: np.ndarray, y: np.ndarray, options, mode: Mode) -> tuple[float, float]:
    """KSG estimate of a point's MI and its standard error (nats), a check on the critic in the modes that use it
    (`Mode.reference`) where k-nearest-neighbour estimation is dependable: independent samples (not a time
    series, whose nearest neighbours are its neighbours in time), flat and continuous (each feature at least 90%
    distinct values), with at most REFERENCE_DIMS dimensions in all; NaN otherwise. From at most
    REFERENCE_SAMPLES evenly spaced samples."""
    if not mode.reference or options.split == "blocked":
        return math.nan, math.nan
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] + y.shape[1] > REFERENCE_DIMS:
        return math.nan, math.nan
    rows = _reference_rows(len(x))
    x, y = x[rows], y[rows]
    if not all(len(np.unique(column)) >= 0.9 * len(rows) for column in np.hstack([x, y]).T):
        return math.nan, math.nan
    return ksg_estimate(x, y)


def _options_key(options) -> str:
    return json.dumps({k: v if not callable(v) and not hasattr(v, "parameters") else id(v)
                       for k, v in options.as_dict().items()}, sort_keys=True, default=str)


def _concatenated(mode: Mode, options, members):
    """The samples of a stack's points in one array pair (an array pair shared by several points once), with each
    fit's indices shifted to its pair's block (and its probes, from the mode's `probed` hook, with them), its
    `member_settings`, and one block of training samples scored where the mode reports the held-out value."""
    xs, ys, specs, offsets = [], [], [], {}
    blocks = 1 if mode.reported_column(options) == "val_mi" else None
    for rows, x, y in members:
        if (id(x), id(y)) not in offsets:
            offsets[id(x), id(y)] = sum(len(a) for a in xs)
            xs.append(x)
            ys.append(y)
        offset = offsets[id(x), id(y)]
        for spec, own in zip(plan_specs(rows), rows["member_options"]):
            spec = dataclasses.replace(spec, training_blocks=blocks, member_options=own)
            spec = mode.probed(spec, len(x), options)
            specs.append(dataclasses.replace(spec, train=spec.train + offset, val=spec.val + offset,
                                             probes=tuple(p + offset for p in spec.probes)))
    return np.concatenate(xs), np.concatenate(ys), specs
