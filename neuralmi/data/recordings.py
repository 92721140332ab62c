"""Recordings as users hold them, checked once: sampled signals, categorical states and spike trains.

Every recording lives on a time axis measured in *ticks*: samples for sampled signals, and for spike trains
samples too when a sample rate is known (spike time x sample_rate), seconds otherwise. `crop` cuts any
recording to a tick range, which is how lags shift one side against the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuralmi.data.arrays import warn_constant
from neuralmi.errors import InputError

EDGE_TOLERANCE = 1e-9
"""Relative distance within which a time counts as on an edge: of a window, a bin or a crop (one value for all,
so crops and windows agree)."""


@dataclass(frozen=True)
class Sampled:
    """Values on a regular grid, time in rows: (n_timepoints, n_channels), or windows for kind 'samples'.

    Categorical recordings hold integer codes 0..len(categories)-1 in one column and their category labels.
    """

    kind: str
    values: np.ndarray
    categories: np.ndarray | None = None

    @property
    def n_ticks(self) -> int:
        return len(self.values)

    def crop(self, start: float, stop: float) -> "Sampled":
        return Sampled(self.kind, self.values[int(start) : int(stop)], self.categories)


@dataclass(frozen=True)
class SpikeTrains:
    """Sorted spike times of each neuron, in ticks from the start of the recording."""

    times: tuple
    n_ticks: float | None = None
    kind: str = "spikes"

    def crop(self, start: float, stop: float) -> "SpikeTrains":
        """Spikes in [start, stop), shifted to start at 0; a spike within rounding error of an edge counts as
        on it (so crops at float offsets behave like the windows)."""
        tol = EDGE_TOLERANCE * max(1.0, abs(stop))
        cut = []
        for t in self.times:
            lo, hi = np.searchsorted(t, [start - tol, stop - tol], side="left")
            cut.append(np.maximum(t[lo:hi] - start, 0.0))
        return SpikeTrains(tuple(cut), stop - start)


def sampled(data, kind: str, name: str) -> Sampled:
    """A continuous recording (n_timepoints, n_channels) or a categorical one (integer label per time point).

    A 1-D array is one channel; a list of 1-D arrays is one array per channel and they must have equal length.
    """
    values = _numeric(_stack_channels(data, name), name)
    if kind == "categorical":
        return _categorical(values, name)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise InputError(f"{name}: a continuous recording is (n_timepoints, n_channels); found shape {values.shape}")
    _finite(values, name)
    warn_constant(values, name, "channel")
    return Sampled(kind, values)


def _stack_channels(data, name: str):
    if isinstance(data, (list, tuple)) and data and all(np.ndim(c) == 1 for c in data):
        lengths = [len(c) for c in data]
        if len(set(lengths)) > 1:
            short = int(np.argmin(lengths))
            raise InputError(
                f"{name}: channels of different lengths: channel 0 has {lengths[0]} time points, channel {short} "
                f"has {lengths[short]}; every channel must cover the same time points"
            )
        return np.stack([np.asarray(c) for c in data], axis=1)
    return data


def _numeric(data, name: str) -> np.ndarray:
    try:
        values = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a numeric array, could not convert ({exc})") from exc
    if values.size == 0:
        raise InputError(f"{name}: recording is empty (shape {values.shape})")
    return values


def _finite(values: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.nonzero(bad)[0][0])
        raise InputError(f"{name}: {int(bad.sum())} NaN or infinite value(s), first at time point {row}")


def _categorical(values: np.ndarray, name: str) -> Sampled:
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise InputError(f"{name}: categorical states are one integer label per time point; found shape {values.shape}")
    _finite(values, name)
    fractional = np.flatnonzero(values != np.round(values))
    if fractional.size:
        i = int(fractional[0])
        raise InputError(
            f"{name}: categorical labels must be integers; found {values[i]:g} at time point {i} "
            f"({fractional.size} non-integer value(s))"
        )
    warn_constant(values[:, None], name, "state channel")
    categories, codes = np.unique(values.astype(np.int64), return_inverse=True)
    return Sampled("categorical", codes[:, None].astype(np.float64), categories)


def spike_trains(data, name: str) -> list[np.ndarray]:
    """Per-neuron spike times in seconds from a list of arrays, a {neuron: times} mapping, or a long table
    with columns `neuron, time`. Times are sorted; empty neurons are kept (they never spike).

    Errors: NaN or negative times, and duplicate times within a neuron (a spike-sorting artefact to resolve
    before estimating MI).
    """
    trains = _as_trains(data, name)
    if not trains:
        raise InputError(f"{name}: no neurons")
    out = []
    for k, t in enumerate(trains):
        where = f"{name}: neuron {k}"
        try:
            t = np.asarray(t, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: spike times must be numbers ({exc})") from exc
        if t.ndim != 1:
            raise InputError(f"{where}: spike times must be a 1-D array, found shape {t.shape}")
        if np.isnan(t).any() or np.isinf(t).any():
            raise InputError(f"{where}: {int((~np.isfinite(t)).sum())} NaN or infinite spike time(s)")
        if (t < 0).any():
            raise InputError(f"{where}: negative spike time {t[t < 0].min()} s; times count from the recording start")
        t = np.sort(t)
        dup = np.flatnonzero(np.diff(t) == 0)
        if dup.size:
            raise InputError(
                f"{where}: {dup.size} duplicate spike time(s), first at {t[dup[0]]} s; remove duplicates (np.unique)"
            )
        out.append(t)
    return out


def _as_trains(data, name: str) -> list:
    if hasattr(data, "columns"):
        return trains_from_table(data, name)
    if isinstance(data, dict):
        return [data[k] for k in sorted(data)]
    if isinstance(data, np.ndarray) and data.dtype != object:
        raise InputError(
            f"{name}: spike trains are a list of per-neuron spike-time arrays or a table with columns "
            f"'neuron, time'; found one numeric array of shape {data.shape}"
        )
    return list(data)


def trains_from_table(table, name: str) -> list[np.ndarray]:
    """Per-neuron spike times from a long table with columns `neuron, time`, neurons in sorted order. A
    neuron's single row with time NaN declares a neuron that never fires; any other NaN is an error."""
    missing = {"neuron", "time"} - set(table.columns)
    if missing:
        raise InputError(f"{name}: a spike table needs columns 'neuron' and 'time'; missing {sorted(missing)}")
    trains = []
    for neuron, group in table.groupby("neuron", sort=True):
        times = group["time"].to_numpy(np.float64)
        if len(times) == 1 and np.isnan(times[0]):
            times = times[:0]
        elif np.isnan(times).any():
            raise InputError(f"{name}: neuron {neuron} has {int(np.isnan(times).sum())} missing spike time(s)")
        trains.append(times)
    return trains


def spikes_in_ticks(trains: list[np.ndarray], rate: float | None, n_ticks: float, name: str) -> SpikeTrains:
    """Spike trains on the tick axis of a recording n_ticks long; a spike at or after its end is an error."""
    scale = rate or 1.0
    ticks = tuple(t * scale for t in trains)
    for k, t in enumerate(ticks):
        if t.size and t[-1] >= n_ticks:
            end = n_ticks / scale
            raise InputError(
                f"{name}: neuron {k} has {int((t >= n_ticks).sum())} spike(s) at or after the recording's end "
                f"({end} s), the latest at {t[-1] / scale} s; trim them or set 'duration'"
            )
    return SpikeTrains(ticks, n_ticks)
