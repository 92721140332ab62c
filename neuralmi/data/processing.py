"""From recordings to paired samples: each side's processor, on one shared time axis.

Sides without a processor are sample tables used as given (rows are samples). With a processor, X and Y (and Z,
the conditioning side of conditional mode) are recordings cut into the same windows, so window i of every side
covers the same interval.

Time values (window_size, step_size, bin_size, lags, duration) are in seconds when `sample_rate` is set or when
both sides are spike trains, and in samples otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from neuralmi.data import windows
from neuralmi.data.arrays import as_pair, as_samples, as_triplet
from neuralmi.data.memory import check_fits
from neuralmi.data.recordings import Sampled, SpikeTrains, sampled, spike_trains, spikes_in_ticks
from neuralmi.errors import InputError

PROCESSORS = ("continuous", "spikes", "categorical")
BUILD_BYTES = 12  # per window element while it is built: float64, then its float32 copy
SIDE_KEYS = ("bin_size", "spike_encoding", "max_spikes_per_window", "fill_value", "categorical_encoding")


@dataclass(frozen=True)
class Side:
    """One side's processor ('samples' when none) and its settings."""

    processor: str
    bin_size: float | None
    spike_encoding: str
    max_spikes_per_window: int | None
    fill_value: float
    categorical_encoding: str


def sample_ndim(options) -> int:
    """Array rank the embedding takes: 2 for (n, features), 3 for windows (n, window, channels) (cnn, gru)."""
    return 3 if options.embedding in ("cnn", "gru") else 2


def side_settings(options, name: str) -> Side:
    """Side `name` ('x', 'y' or 'z'): processor_<name> (a name, or a mapping of processor and side settings)
    over the shared `processor` and settings."""
    own = getattr(options, f"processor_{name}")
    own = {"processor": own} if isinstance(own, str) else dict(own or {})
    settings = {key: own.get(key, getattr(options, key)) for key in SIDE_KEYS}
    return Side(own.get("processor", options.processor) or "samples", **settings)


@dataclass(frozen=True)
class Source:
    """Checked recordings (or sample arrays) of every side on one tick axis; y is None for one population, z
    (the conditioning side) is None except in conditional mode. `sides` has one Side per present recording.

    `ticks_per_unit` converts the user's time values (seconds or samples) to ticks.
    """

    x: Sampled | SpikeTrains
    y: Sampled | SpikeTrains | None
    sides: tuple
    ticks_per_unit: float
    n_ticks: float
    z: Sampled | SpikeTrains | None = None

    @property
    def time_series(self) -> bool:
        return any(s.processor != "samples" for s in self.sides)

    def ticks(self, value: float, what: str) -> float:
        """A user time value in ticks; a whole number of ticks when any side is sampled."""
        t = value * self.ticks_per_unit
        if any(isinstance(r, Sampled) for r in self._recordings()):
            if abs(t - round(t)) > 1e-6 * max(1.0, abs(t)):
                raise InputError(f"{what}: {value:g} is {t:g} samples; use a whole number of samples")
            return float(round(t))
        return t

    def crop(self, x_start: float, y_start: float, length: float) -> "Source":
        """Every side cut to `length` ticks, X from x_start and Y (and Z) from y_start (how lags shift Y against
        X)."""
        y, z = (None if r is None else r.crop(y_start, y_start + length) for r in (self.y, self.z))
        return replace(self, x=self.x.crop(x_start, x_start + length), y=y, z=z, n_ticks=length)

    def _recordings(self):
        return [r for r in (self.x, self.y, self.z) if r is not None]

    def _names(self):
        return [n for n, r in zip("xyz", (self.x, self.y, self.z)) if r is not None]


def make_source(x, y, options, z=None) -> Source:
    """Check every side against its processor and put them on one tick axis (z: conditional mode's third)."""
    if z is not None and y is None:
        raise InputError("z: a conditioning side needs both x and y")
    names = "xyz"[: 1 + (y is not None) + (z is not None)]
    data = [x, y, z][: len(names)]
    sides = tuple(side_settings(options, name) for name in names)
    for side in sides:
        if side.processor not in ("samples",) + PROCESSORS:
            raise InputError(f"processor: expected one of {PROCESSORS} or none, found {side.processor!r}")
    if len({s.processor == "samples" for s in sides}) > 1:
        sides = tuple(_promoted(s, d, name) for s, d, name in zip(sides, data, names))
    if sides[0].processor == "samples":
        return _sample_source(data, sides, options)
    return _recording_source(data, sides, options)


def _promoted(side: Side, data, name: str) -> Side:
    """A side without a processor beside one with a processor: a sampled signal, if it is an array."""
    if side.processor != "samples":
        return side
    if isinstance(data, (list, tuple, dict)) or hasattr(data, "columns"):
        raise InputError(f"{name}: has no processor; set processor_{name} (e.g. 'spikes' for spike trains)")
    return replace(side, processor="continuous")


def _sample_source(data: list, sides, options) -> Source:
    for key in ("window_size", "step_size", "sample_rate", "duration"):
        if getattr(options, key) is not None:
            raise InputError(f"option {key!r}: applies to recordings; set processor (continuous, spikes, categorical)")
    ndim = sample_ndim(options)
    if len(data) == 1:
        x = as_samples(data[0], "x", ndim)
        return Source(Sampled("samples", x), None, sides, 1.0, float(len(x)))
    if len(data) == 3:
        x, y, z = as_triplet(*data, ndim)
        return Source(Sampled("samples", x), Sampled("samples", y), sides, 1.0, float(len(x)), Sampled("samples", z))
    x, y = as_pair(data[0], data[1], ndim, ndim)
    return Source(Sampled("samples", x), Sampled("samples", y), sides, 1.0, float(len(x)))


def _recording_source(data: list, sides: tuple, options) -> Source:
    names = ["x", "y", "z"]
    rate = options.sample_rate
    all_spikes = all(s.processor == "spikes" for s in sides)
    per_unit = rate if rate else 1.0
    if not rate and any(s.processor == "spikes" for s in sides) and not all_spikes:
        raise InputError("sample_rate: needed to align spike times (seconds) with a sampled recording")
    recs: list = [None] * len(sides)
    for i, side in enumerate(sides):
        if side.processor != "spikes":
            recs[i] = sampled(data[i], side.processor, names[i])
    lengths = {names[i]: r.n_ticks for i, r in enumerate(recs) if r is not None}
    if len(set(lengths.values())) > 1:
        found = " and ".join(f"{k} {v}" for k, v in lengths.items())
        raise InputError(f"{' and '.join(lengths)}: recordings of different lengths, {found} time points")
    if lengths:
        n_ticks = float(next(iter(lengths.values())))
        if options.duration is not None and abs(options.duration * per_unit - n_ticks) > 1:
            raise InputError(f"duration: {options.duration} does not match the recording's length "
                             f"({n_ticks / per_unit:g} {source_unit(rate, sides)})")
    elif options.duration is None:
        raise InputError("duration: spike trains alone need the recording's duration (seconds)")
    else:
        n_ticks = options.duration * per_unit
    for i, side in enumerate(sides):
        if side.processor == "spikes":
            recs[i] = spikes_in_ticks(spike_trains(data[i], names[i]), rate, n_ticks, names[i])
    return Source(recs[0], recs[1] if len(recs) > 1 else None, sides, per_unit, n_ticks,
                  recs[2] if len(recs) > 2 else None)


def source_unit(rate, sides) -> str:
    """The unit of the user's time values: seconds with a sample rate or for spike trains alone."""
    return "s" if rate or all(s.processor == "spikes" for s in sides) else "samples"


def window_ticks(source: Source, options) -> tuple[float, float]:
    """(size, step) of the windows in ticks: one sample by default, step = size unless set."""
    if options.window_size is None:
        if all(s.processor == "spikes" for s in source.sides):
            raise InputError("window_size: spike trains need a window (seconds)")
        size = 1.0
    else:
        size = source.ticks(options.window_size, "window_size")
    step = size if options.step_size is None else source.ticks(options.step_size, "step_size")
    return size, step


def samples(source: Source, options) -> tuple[np.ndarray, np.ndarray | None]:
    """X and Y as float32 samples (`side_samples`; y None for one population)."""
    out = side_samples(source, options)
    return out[0], out[1] if len(out) > 1 else None


def side_samples(source: Source, options) -> list[np.ndarray]:
    """Every side (x, y, z as present) as float32 samples: windows (n, length, channels) of recordings, or the
    sample arrays.

    Encoding settings come from `options` (so a sweep may change them); the processors are the source's.
    """
    if not source.time_series:
        return [r.values.astype(np.float32) for r in source._recordings()]
    size, step = window_ticks(source, options)
    if size > source.n_ticks * (1 + windows.TOLERANCE):
        unit = source_unit(options.sample_rate, source.sides)
        raise InputError(
            f"window_size: {size / source.ticks_per_unit:g} {unit} is longer than the recording "
            f"({source.n_ticks / source.ticks_per_unit:g} {unit}; in lag mode, the span every lag shares)"
        )
    n = windows.count_windows(source.n_ticks, size, step)
    sides = [(rec, replace(side_settings(options, name), processor=side.processor))
             for rec, side, name in zip(source._recordings(), source.sides, source._names())]
    shapes = [_encoded_shape(rec, settings, source, size, n) for rec, settings in sides]
    check_fits(sum(_build_bytes(shape, settings, source, size, step, n) for shape, (_, settings) in zip(shapes, sides)),
               f"the windows of this recording ({' and '.join(str(s) for s in shapes)}: windows x length x channels)",
               "use a larger step_size, a shorter window_size or bin_size, fewer channels, or a part of the recording")
    return [_encode(rec, settings, source, size, step, n, shape[1]).astype(np.float32)
            for (rec, settings), shape in zip(sides, shapes)]


def _encoded_shape(rec, side: Side, source: Source, size: float, n: int) -> tuple[int, int, int]:
    """The (windows, length, channels) `_encode` will build, found without building it."""
    if side.processor == "continuous":
        return n, int(size), rec.values.shape[1]
    if side.processor == "categorical":
        return n, int(size) if side.categorical_encoding == "onehot" else 1, len(rec.categories)
    if side.spike_encoding == "counts":
        bin_ticks = size if side.bin_size is None else source.ticks(side.bin_size, "bin_size")
        return n, max(1, round(size / bin_ticks)), len(rec.times)
    return n, side.max_spikes_per_window or windows.max_spikes(rec, size), len(rec.times)


def _build_bytes(shape: tuple, side: Side, source: Source, size: float, step: float, n: int) -> float:
    """The peak memory of building one side's windows: float64 windows and their float32 copy, plus what the
    encoder builds first (the one-hot windows a majority is taken over; the whole recording's bin counts)."""
    windows_, length, width = shape
    peak = BUILD_BYTES * windows_ * length * width
    if side.processor == "categorical" and side.categorical_encoding != "onehot":
        peak += 8 * windows_ * int(size) * width
    elif side.processor == "spikes" and side.spike_encoding == "counts":
        per_step = max(1, round(length * step / size))
        peak += 8 * ((n - 1) * per_step + length) * width
    return peak


def _encode(rec, side: Side, source: Source, size: float, step: float, n: int, length: int) -> np.ndarray:
    if side.processor == "continuous":
        return windows.regular(rec.values, int(size), int(step), n)
    if side.processor == "categorical":
        return windows.one_hot(rec, int(size), int(step), n, side.categorical_encoding)
    if side.spike_encoding == "counts":
        bin_ticks = size if side.bin_size is None else source.ticks(side.bin_size, "bin_size")
        return windows.spike_counts(rec, size, step, n, bin_ticks, source.ticks_per_unit)
    return windows.spike_times(rec, size, step, n, length, side.fill_value, source.ticks_per_unit)


def spike_limit(source: Source, options) -> int | None:
    """The most spikes one neuron fires within one window length anywhere in the recording (None without spike
    sides): one slot count for every crop and lag, so spike-time windows keep one shape."""
    size, _ = window_ticks(source, options)
    limits = [windows.max_spikes(rec, size) for rec in source._recordings() if isinstance(rec, SpikeTrains)]
    return max(limits) if limits else None


def as_model_input(array: np.ndarray, windowed: bool) -> np.ndarray:
    """Windows flattened to (n, length * channels) for networks that take vectors; kept 3-D for cnn/gru."""
    if array.ndim == 3 and not windowed:
        return array.reshape(len(array), -1)
    return array


def channel_counts(source: Source) -> tuple[int, int]:
    """(X's, Y's) channels: columns of a table or signal, neurons of spike trains; a categorical side is one
    channel; 0 for an absent Y."""
    def count(rec, side: Side) -> int:
        if rec is None:
            return 0
        if isinstance(rec, SpikeTrains):
            return len(rec.times)
        return 1 if side.processor == "categorical" or rec.values.ndim == 1 else rec.values.shape[-1]

    sides = list(source.sides) + [None]
    return count(source.x, sides[0]), count(source.y, sides[1]) if source.y is not None else 0


def window_gap(source: Source, options) -> int:
    """How many neighbouring windows share time points with a window (0 for sample tables): the gap a blocked
    split leaves around its held-out blocks."""
    if not source.time_series:
        return 0
    size, step = window_ticks(source, options)
    return max(0, math.ceil(size / step - 1e-9) - 1)


def spike_encodings(options) -> set:
    """The spike encodings of the sides read as spike trains."""
    sides = [side_settings(options, name) for name in "xyz"]
    return {s.spike_encoding for s in sides if s.processor == "spikes"}
