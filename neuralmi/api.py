"""`run`, the one entry point, and the steps it chains (source, plan, train, summarise).

A notebook calls `run`; the workflow calls the same steps in separate jobs (planning once, training fits in
jobs of any size, summarising at the end), so both give the same numbers for the same options and seed.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from neuralmi.analysis import bracket, null, points
from neuralmi.analysis.group import GroupResult, group_results
from neuralmi.analysis.fits import FIT_COLUMNS
from neuralmi.analysis.modes import MODES, find_mode, modes_where
from neuralmi.analysis.result import RESULT_FILES, MIResult
from neuralmi.bounds import check_entropy_option, entropy_bound
from neuralmi.data.datasets import data_options, read_dataset
from neuralmi.data.io import given_sides
from neuralmi.data.nwb import is_nwb
from neuralmi.data.sessions import session_files
from neuralmi.data.processing import Source, make_source
from neuralmi.errors import InputError
from neuralmi.options import DEFAULTS, Options, make_options
from neuralmi.outputs import read_json, read_parquet
from neuralmi.progress import tracking
from neuralmi.training.estimator import check_estimator
from neuralmi.units import check_units

GROUPINGS = ("fit", "gamma", "analysis")


def check_mode_options(mode: str, options: Options) -> None:
    """Options that belong to another mode, or that the mode cannot take, are errors, not silently ignored."""
    chosen = find_mode(mode)
    check_estimator(options)
    used = entropy_bound(options)
    if used and not chosen.keeps_y:
        raise InputError(f"bound {used!r}: mode {mode!r} estimates the MI of other variables than Y as given, whose "
                         f"entropy y_entropy_nats is; modes {modes_where('keeps_y')} take it")
    check_entropy_option(options)
    bracket.check(options, chosen, modes_where("brackets"))
    for key in {key for owner in MODES.values() for key in owner.own_options} - set(chosen.own_options):
        if getattr(options, key) != DEFAULTS[key]:
            owners = _listed([repr(m.name) for m in MODES.values() if key in m.own_options])
            raise InputError(f"option {key!r}: applies to mode {owners}, not {mode!r}")
    null.check(options, chosen)


def _listed(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def source(x, y, options: Options, mode: str = "estimate", z=None) -> Source:
    """Every side checked against its processor on one time axis (y may be None in dimensionality mode; z, the
    conditioning side, is conditional mode's and needed there)."""
    chosen = find_mode(mode)
    if y is None and not chosen.x_alone:
        alone = modes_where("x_alone")
        raise InputError(f"y: mode {mode!r} needs both x and y (only {_listed(alone)} mode{'s' * (len(alone) > 1)} "
                         f"take{'s' * (len(alone) == 1)} x alone)")
    if (z is not None) != chosen.takes_z:
        with_z = modes_where("takes_z")
        raise InputError(f"z: {mode} mode needs the conditioning variable z" if z is None else
                         f"z: only {_listed(with_z)} mode{'s' * (len(with_z) > 1)} take{'s' * (len(with_z) == 1)} a "
                         f"conditioning variable, not mode {mode!r}")
    return make_source(x, y, options, z)


def plan_groups(mode: str, options: Options, grouping: str, channels: tuple | None = None) -> list[list[int]]:
    """Fit ids of the plan gathered into training jobs, known before the data are processed (pairwise mode needs
    the sides' channel counts, `channels`: (X's, Y's)).

    "fit": one fit per job (most parallel); "gamma": the fits of one gamma of one point (a lag, grid point,
    embedding dimension, pair, surrogate) together; "analysis": all at once (fastest on one machine: vectorised
    stacks). Grouping does not change the fits' results.
    """
    chosen = find_mode(mode)
    check_mode_options(mode, options)
    planned = [(p, "null" not in point) for p, point in enumerate(points.mode_points(chosen, options, channels))]
    keys = [(p, g) for p, _ in planned for g in chosen.fit_gammas(options)]
    keys = bracket.twin_keys(keys, [kept for _, kept in planned for _ in chosen.fit_gammas(options)], options)
    return _grouped(list(range(len(keys))), keys, grouping)


def job_groups(plan: pd.DataFrame, grouping: str) -> list[list[int]]:
    """A plan table's fit ids gathered into training jobs as `plan_groups` gathers them (a later round's plan, whose
    points are known once the rounds before it are trained); no jobs for an empty plan."""
    return _grouped(plan["fit_id"].tolist(), list(zip(plan["point"], plan["gamma"], plan["bound"])), grouping)


def _grouped(ids: list[int], keys: list, grouping: str) -> list[list[int]]:
    """Fit ids in jobs: one each ("fit"), by equal key ("gamma"), or all in one ("analysis"; none without fits)."""
    if grouping == "fit":
        return [[i] for i in ids]
    if grouping == "gamma":
        return [[i for i, k in zip(ids, keys) if k == key] for key in dict.fromkeys(keys)]
    if grouping == "analysis":
        return [ids] if ids else []
    raise InputError(f"grouping: expected one of {GROUPINGS}, found {grouping!r}")


def plan(src: Source, mode: str, options: Options, seed: int, fits: pd.DataFrame | None = None) -> pd.DataFrame:
    """The fits a mode trains: labels (point, gamma, repeat, subset...) and sample indices, one row per fit. For a
    mode that trains in rounds (`rounds`), given the fits of the rounds so far: the next round's (none: complete)."""
    return points.plan(find_mode(mode), src, options, seed, fits)


def rounds(mode: str, options: Options) -> bool:
    """Whether the analysis trains in rounds, each planned from the fits of the rounds before (network mode's
    greedy conditioning): plan, train, then plan again with every fit so far until a plan is empty."""
    return find_mode(mode).in_rounds(options)


def train(src: Source, plan: pd.DataFrame, mode: str, options: Options, seed: int, units: str,
          progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train the planned fits (any subset of a plan's rows): (fit table, curve table). `progress`: see
    `neuralmi.progress.tracking` (None: a progress bar on a terminal or in a notebook, else nothing)."""
    with tracking(len(plan), options.max_epochs, progress):
        return points.train(find_mode(mode), src, plan, options, seed, units)


def summarise(mode: str, fits: pd.DataFrame, curves: pd.DataFrame, options: Options, units: str) -> MIResult:
    """The mode's result from all of its fits (with null_permutations, the observed ones; the surrogates give
    the null distribution, p- and q-values: analysis/null.py; with a bracket, the lower ones, the upper fits
    summarised beside them: analysis/bracket.py). `curves`: the observed fits' curves are kept."""
    chosen = find_mode(mode)
    observed, _ = null.split_fits(fits)
    lower, upper = bracket.split(observed, options)
    result = chosen.summarise(lower, curves[curves["fit_id"].isin(lower["fit_id"])], options, units)
    if len(observed) < len(fits):
        tested = fits if upper is None else fits.drop(index=upper.index)
        result = null.attach(result, chosen, tested, options, units)
    if upper is not None:
        result = bracket.attach(result, chosen, upper, curves, options, units)
    result.options = options
    return result


LATER_FIT_COLUMNS = ("linear_mi", "linear_se", "heavy_tails_x", "heavy_tails_y")
"""Fit columns that results saved by earlier versions lack: loaded as NaN (their checks then do not apply)."""
LOAD_REBUILD = "save the result again, or in the workflow run snakemake again with --forcerun {path}"


def load(directory) -> MIResult:
    """The result saved in `directory` by `MIResult.save` or by the workflow (`results/<analysis>/`),
    summarised again from its fit and curve tables with its saved mode, options and units (so every table,
    figure and method of the result is there); the JSON's other keys (analysis, dataset, truth) are `metadata`."""
    directory = Path(directory)
    missing = [name for name in RESULT_FILES if not (directory / name).is_file()]
    if missing:
        raise InputError(f"{directory}: not a saved result; missing {missing}")
    saved = read_json(directory / "result.json", LOAD_REBUILD)
    absent = [key for key in ("mode", "units", "options") if key not in saved]
    if absent:
        raise InputError(f"{directory / 'result.json'}: missing key(s) {absent}")
    fits, curves, timings = (read_parquet(directory / f"{name}.parquet", LOAD_REBUILD)
                             for name in ("fits", "curves", "timings"))
    fits = fits.merge(timings, on="fit_id", how="left", validate="one_to_one")
    fits = fits.assign(**{c: math.nan for c in LATER_FIT_COLUMNS if c not in fits})[FIT_COLUMNS]
    result = summarise(saved["mode"], fits, curves, make_options(saved["options"]), saved["units"])
    result.metadata = {key: value for key, value in saved.items() if key not in {*result.to_dict(), "options"}}
    return result


def run(data=None, y=None, mode: str = "estimate", units: str = "bits", seed: int = 0, z=None, progress=None, *,
        x=None, interval=None, **options) -> MIResult:
    """Estimate I(X; Y), or answer a question built on it (mode).

    data: X's samples, or a table (a pandas DataFrame, or a Parquet or CSV file) whose columns x, y and z
    select: each a column name, a prefix naming a group of columns, or a list of either
    (`run(table, x="petal", y=["sepal length (cm)", "sepal width (cm)"])`); or an NWB file whose units or
    TimeSeries x, y and z name (`run("ses-1.nwb", x={"units": {"location": "CA1"}}, y="lfp", interval="trials")`,
    see `neuralmi.data.nwb`: the file's rate becomes `sample_rate`, or for spike trains alone the time range's
    length `duration`, where the options leave them out).
    x (when data is X's samples, x may be given by name instead), y: sample tables (n_samples, n_features), or
    recordings with `processor` (continuous signals (n_timepoints, n_channels), spike trains as per-neuron
    spike-time arrays or a `neuron, time` table, categorical states), or windows (n, window, channels) for
    cnn/gru embeddings.
    mode: a registered mode (`neuralmi.analysis.modes.MODES`, each with the question it answers, e.g. "estimate":
    one fit; "rigorous": subsample-and-extrapolate bias correction; "lag", "transfer", "pairwise"...); its own
    options are keywords like the others (lags=, history=...); z, as x, is the conditioning side of a mode that
    takes one. null_permutations=K adds a permutation null (p- and q-values) to any mode.
    units: "bits" or "nats". seed: fixes every random choice. progress: None shows a progress bar (fits, epochs,
    elapsed and remaining time) on a terminal or in a notebook, False never, True always (on stderr).
    options: see `neuralmi.options.load_schema()`.
    """
    check_units(units)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, found {seed!r}")
    if is_nwb(data):
        (x, y, z), info = read_dataset(str(data), {"nwb": data, "x": x, "y": y, "z": z, "interval": interval})
        options = data_options(options, info)
        data = None
    elif interval is not None:
        raise InputError("interval: applies to NWB files (a path ending in .nwb as data)")
    opts = make_options(options)
    check_mode_options(mode, opts)
    x, y, z = given_sides(data, x, y, z)
    src = source(x, y, opts, mode, z)
    fits, curves = train(src, plan(src, mode, opts, seed), mode, opts, seed, units, progress)
    while rounds(mode, opts) and len(later := plan(src, mode, opts, seed, fits)):
        more, more_curves = train(src, later, mode, opts, seed, units, progress)
        fits, curves = pd.concat([fits, more], ignore_index=True), pd.concat([curves, more_curves], ignore_index=True)
    return summarise(mode, fits, curves, opts, units)


def group(results: dict, confidence: float | None = None, alpha: float = 0.05) -> GroupResult:
    """The group level of one analysis run on several sessions: {session key: MIResult} (each of the same mode,
    units and options) -> per session and point their values, the random-effects estimate across sessions with
    its interval, and the sessions significant at FDR q < alpha (`neuralmi.analysis.group`)."""
    if not results:
        raise InputError("group: no sessions")
    first = next(iter(results.values()))
    modes = {r.mode for r in results.values()}
    units = {r.units for r in results.values()}
    if len(modes) > 1 or len(units) > 1:
        raise InputError(f"group: the sessions' results differ in mode {sorted(modes)} or units {sorted(units)}")
    if confidence is None:
        confidence = first.options.confidence if first.options is not None else DEFAULTS["confidence"]
    chosen = find_mode(first.mode)
    out = group_results(results, first.mode, first.units, chosen.point_keys, confidence, alpha, chosen.peak)
    out.results = dict(results)
    return out


def run_sessions(files, x=None, y=None, z=None, mode: str = "estimate", units: str = "bits", seed: int = 0, *,
                 interval=None, session_key: str = "path", progress=None, **options) -> GroupResult:
    """`run` on every session of a study, then `group`: `files` a glob or a list of NWB files (keys from the
    paths or, with session_key="ids", the files' subject and session ids); x, y, z and interval as for one NWB
    file. Each session is its own analysis with the same seed; `.results` holds them."""
    sessions = session_files(files, Path("."), session_key, "files")
    results = {key: run(file, y, mode, units, seed, z, progress, x=x, interval=interval, **options)
               for key, file in sessions.items()}
    return group(results)
