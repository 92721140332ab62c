"""Precision mode: how precisely in time (or value) a code carries its information.

Each repeat trains one model on the clean data, then scores its held-out samples again with the chosen side's
spike times (or values) perturbed at each precision: jittered by Gaussian noise of that standard deviation, or
rounded to multiples of it (`perturbation`). Spike trains are perturbed before windowing, so a spike may move to
a neighbouring window and the padding of spike-time windows stays padding. The perturbed copies are scored by
the trainer as probes of the held-out set, at every evaluation (one more held-out scoring per precision), with
the evaluation selected on the clean held-out curve. The perturbation draws depend on the precision only (not on
the seed or the repeat), so every repeat scores the same perturbed recording and the interval below covers the
fits' and held-out samples' variation, not that of the perturbation itself. Rounding is to the nearest
multiple (ties to even); a jitter's scale is a standard deviation and a rounding's a step, so the two precisions
are not comparable. MI against precision is summarised over repeats; the precision of the code is the scale at
which MI falls to `precision_fraction` of its clean value, interpolated in log precision within each repeat, with
a Student-t interval over repeats (in log precision).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from neuralmi.analysis import null
from neuralmi.analysis.contract import Mode
from neuralmi.analysis.fits import with_reported
from neuralmi.analysis.planning import repeated_fits
from neuralmi.analysis.plots import axes_of, band, finish
from neuralmi.analysis.result import MIResult
from neuralmi.analysis.style import styled
from neuralmi.analysis.summaries import point_means
from neuralmi.analysis.verdicts import fit_warnings
from neuralmi.data.processing import Source, samples, spike_encodings, spike_limit
from neuralmi.data.recordings import Sampled, SpikeTrains
from neuralmi.errors import FitError, InputError

DEFAULT_REPEATS = 5
PERTURBATION_STREAM = 4099


@dataclass
class PrecisionResult(MIResult):
    """Precision mode: `mi` is the clean held-out MI; `to_frame()` one row per precision (0: clean) with mi, se,
    ci_low, ci_high, n_fits and `fraction` of the clean MI; `details['precision']` the scale at which MI falls to
    `precision_fraction` of its clean value, with `precision_ci`."""

    @property
    def answer(self) -> str:
        d = self.details
        low, high = d["precision_ci"]
        return (f"precision {d['precision']:.3g} [{low:.3g}, {high:.3g}] (MI at {d['precision_fraction']:g} of its "
                f"clean {self.mi:.3g} {self.units}, {d['perturbation']} of {d['perturbed_side']})")


def _precisions(options) -> list[float]:
    if not options.precisions:
        raise InputError("precisions: precision mode needs a list of precisions (spike times: seconds with "
                         "sample_rate or spike trains alone, else samples; signals and tables: the values' unit)")
    return sorted(options.precisions)


class Precision(Mode):
    name = "precision"
    point_keys = ("precision",)
    question = "How precisely in time (or value) does the code carry its information?"
    own_options = ("precisions", "perturbation", "perturbed_side", "precision_fraction")

    def points(self, options, channels):
        _precisions(options)
        if options.estimate_on == "train":
            raise InputError("estimate_on: precision mode compares held-out values (the perturbed copies are held-out "
                             "samples); use 'auto' or 'validation'")
        return [{}]

    def fit_gammas(self, options):
        return [1] * (options.repeats or DEFAULT_REPEATS)

    def clean_rows(self, length, options):
        """The leading rows of a point's samples that are the clean data (the rank transform is fitted on them)."""
        return length // (1 + len(_precisions(options)))

    def plan(self, n, options, seed, point):
        """One fit per repeat on the clean samples (the first of the point's n rows)."""
        return repeated_fits(self.clean_rows(n, options), options, seed, range(options.repeats or DEFAULT_REPEATS))

    def probed(self, spec, n, options):
        """A fit's spec with its held-out set probed by the perturbed copies of its samples (n: the point's rows)."""
        clean = self.clean_rows(n, options)
        return dataclasses.replace(spec, probes=tuple(spec.val + clean * (j + 1) for j in range(n // clean - 1)))

    def resolve(self, options, source):
        """Spike-time windows get enough slots for every perturbed recording (a limit set by the user must hold
        them too)."""
        if options.max_spikes_per_window is not None or "times" not in spike_encodings(options):
            return options
        limits = [spike_limit(s, options) for s in [source] + _perturbed(source, options)]
        return options.replace(max_spikes_per_window=max(limits))

    def point_samples(self, source, point, options, seed):
        """The clean samples followed by one perturbed copy per precision (ascending), X and Y alike."""
        pairs = [samples(s, options) for s in [source] + _perturbed(source, options)]
        if len({len(x) for x, _ in pairs}) != 1:
            raise InputError("precisions: a perturbed recording gave a different number of windows than the clean one")
        return np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs])

    def surrogate(self, source, point, options, seed):
        """A permutation-null surrogate: Y's clean rows reordered (`null.surrogate_order`) and every perturbed copy
        reordered alike, so each probe still stands for its held-out sample."""
        x, y = self.point_samples(source, null.base_point(point), options, seed)
        clean = self.clean_rows(len(y), options)
        order = null.surrogate_order(clean, null.method(options, self), options, seed, point["null"])
        return x, y[np.concatenate([order + clean * j for j in range(len(y) // clean)])]

    def reported_column(self, options):
        """The fit-table column this mode reports ("val_mi", held-out, or "train_mi", training subset)."""
        return "val_mi"

    def statistics(self, fits, options, units):
        """The permutation null's statistic: the mean clean held-out MI."""
        return pd.DataFrame({"statistic": [float(fits["val_mi"].mean())]})

    def summarise(self, fits, curves, options, units):
        """MI per precision with intervals over repeats, and the precision of the code with its interval."""
        table = with_reported(fits, self.reported_column(options))
        precisions = np.array(_precisions(options), float)
        probe_mi = np.stack(table["probe_mi"].to_numpy())
        long = pd.DataFrame({
            "precision": np.concatenate([np.zeros(len(table)), np.repeat(precisions[None], len(table), 0).ravel()]),
            "mi": np.concatenate([table["mi"], probe_mi.ravel()]),
            "se": np.concatenate([table["se"], np.stack(table["probe_se"].to_numpy()).ravel()]),
        })
        curve = point_means(long, ["precision"], options.confidence)
        clean = curve.iloc[0]
        if not np.isfinite(clean["mi"]):
            raise FitError("precision mode: no fit gave a finite MI (every critic diverged)")
        curve["fraction"] = curve["mi"] / clean["mi"]
        scales = np.array([_crossing(precisions, row / mi, options.precision_fraction) if mi > 0 else np.nan
                           for mi, row in zip(table["mi"].to_numpy(float), probe_mi)])
        value, low, high = _log_interval(scales, options.confidence)
        reasons = fit_warnings(table, options.bound, units)
        if clean["ci_low"] <= 0:
            reasons.append("no information in the clean data: the precision is undefined")
        if np.isnan(scales).any():
            reasons.append(f"in {int(np.isnan(scales).sum())} of {len(scales)} repeats the clean MI was not positive, "
                           f"or MI never fell to {options.precision_fraction:g} of it within the precisions, or "
                           f"already at the smallest: widen the range of precisions")
        return PrecisionResult(
            mode="precision", mi=float(clean["mi"]), ci_low=float(clean["ci_low"]), ci_high=float(clean["ci_high"]),
            reliable=not reasons, reasons=reasons, units=units, fits=table, curves=curves, summary=curve,
            details={"precision": value, "precision_ci": [low, high], "precision_fraction": options.precision_fraction,
                     "perturbation": options.perturbation, "perturbed_side": options.perturbed_side},
            plotter=plot_precision, frame=curve,
        )


def _perturbed(source: Source, options) -> list[Source]:
    sides = ("x", "y") if options.perturbed_side == "both" else (options.perturbed_side,)
    out = []
    for j, precision in enumerate(_precisions(options)):
        rng = np.random.default_rng([j, PERTURBATION_STREAM])
        changes = {s: _perturb(getattr(source, s), precision, options.perturbation, rng, source, s) for s in sides}
        out.append(dataclasses.replace(source, **changes))
    return out


def _perturb(rec, precision: float, kind: str, rng: np.random.Generator, source: Source, side: str):
    """Spike times jittered by N(0, precision) or rounded to the nearest multiple of it (ties to even; precision in
    the user's time unit; spikes moved outside the recording are dropped), or values alike (the values' unit)."""
    if rec is None:
        raise InputError(f"perturbed_side: {side!r} is absent")
    if isinstance(rec, SpikeTrains):
        scale = precision * source.ticks_per_unit
        trains = []
        for t in rec.times:
            t = t + rng.normal(0.0, scale, len(t)) if kind == "jitter" else np.round(t / scale) * scale
            trains.append(np.sort(t[(t >= 0) & (t < source.n_ticks)]))
        return dataclasses.replace(rec, times=tuple(trains))
    if rec.kind == "categorical":
        raise InputError(f"perturbed_side: {side} is categorical; precision mode perturbs spike times or values")
    values = rec.values + rng.normal(0.0, precision, rec.values.shape) if kind == "jitter" else \
        np.round(rec.values / precision) * precision
    return Sampled(rec.kind, values, rec.categories)


def _crossing(precisions: np.ndarray, fraction: np.ndarray, target: float) -> float:
    """The precision at which one repeat's MI fraction first falls to `target`, interpolated linearly in log
    precision between the last precision above it and the first at or below it; NaN if it never does or if the
    smallest precision is already below it."""
    below = np.flatnonzero(fraction <= target)
    if len(below) == 0 or below[0] == 0:
        return np.nan
    i = below[0]
    a, b = np.log(precisions[i - 1]), np.log(precisions[i])
    weight = (fraction[i - 1] - target) / (fraction[i - 1] - fraction[i])
    return float(np.exp(a + weight * (b - a)))


def _log_interval(scales: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Geometric mean of the repeats' precisions and its Student-t interval in log precision (NaN repeats left
    out; NaN throughout with none, and the value alone with one)."""
    logs = np.log(scales[np.isfinite(scales)])
    if len(logs) == 0:
        return np.nan, np.nan, np.nan
    mean = float(logs.mean())
    if len(logs) == 1:
        return float(np.exp(mean)), np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(logs) - 1)) * logs.std(ddof=1) / np.sqrt(len(logs))
    return float(np.exp(mean)), float(np.exp(mean - half)), float(np.exp(mean + half))


@styled
def plot_precision(result, ax=None):
    """MI against the perturbation's scale (log axis) with its interval, the clean MI and the fraction of it that
    defines the precision, and the precision with its interval."""
    fig, ax = axes_of(ax)
    curve = result.summary
    perturbed = curve[curve["precision"] > 0]
    band(ax, perturbed, "precision", f"perturbed held-out MI ({result.details['perturbation']})")
    ax.axhline(result.mi, color="k", lw=0.8, ls="--", label=f"clean {result.mi:.3f} {result.units}")
    fraction = result.details["precision_fraction"]
    ax.axhline(fraction * result.mi, color="0.5", lw=0.8, ls=":", label=f"{fraction:g} of clean")
    value, (low, high) = result.details["precision"], result.details["precision_ci"]
    if np.isfinite(value):
        if np.isfinite(low):
            ax.axvspan(low, high, color="C3", alpha=0.15, lw=0)
        ax.axvline(value, color="C3", lw=1, label=f"precision {value:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("precision (jitter s.d. or rounding step)")
    return finish(fig, ax, result.units)
