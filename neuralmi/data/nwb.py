"""Neurodata Without Borders (NWB) files in: spike trains of the Units table and TimeSeries by name, on one time
axis, over the whole file, an interval or the file's trials or epochs (read with pynwb, the optional extra
`neuralmi[nwb]`).

A side is named by a selection: "units" (every unit's spike times; unit ids kept), {"units": {column: value or
[values]}} (the units whose column holds one of the values, e.g. {"location": "CA1"}), or the name of a TimeSeries
("lfp", or a path such as "processing/ecephys/LFP/lfp" when a name is not unique). A TimeSeries' values are scaled
by its conversion, channel_conversion and offset; its times come from `rate` and `starting_time`, or from
`timestamps` when they are regular (every stamp within 1 % of a step of the grid through the first and last ones;
irregular timestamps are an error, never resampled). Only the samples of the time range are read from the file. Sampled
sides must share one rate and one sample grid. Spike times are given relative to the start of the time range, so
tick 0 of every side is the same instant.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from neuralmi.data.io import readable
from neuralmi.errors import InputError
from neuralmi.keys import did_you_mean

UNITS = "units"
RANGES = ("trials", "epochs")
TIMESTAMP_JITTER = 0.01
"""Largest distance of a timestamp from the regular grid through the first and last ones, in steps, for
timestamps counted regular."""
GRID_TOLERANCE = 1e-3
"""Largest offset between two sampled sides' grids, in samples, for them to count as one grid."""


def pynwb():
    """The pynwb module, or an InputError saying how to install it (an optional extra)."""
    try:
        return importlib.import_module("pynwb")
    except ImportError as exc:
        raise InputError("reading NWB files needs pynwb: pip install 'neuralmi[nwb]'") from exc


def is_nwb(value) -> bool:
    """Whether `value` is a path (str or Path) to an .nwb file."""
    return isinstance(value, (str, Path)) and Path(value).suffix.lower() == ".nwb"


@dataclass
class NWBSides:
    """Sides read from one file: x, y, z (spike-time dicts {unit id: seconds}, (n, channels) arrays, or None),
    the sampled sides' rate (None for spikes only), the time range's length in seconds, the session's ids."""

    x: object
    y: object = None
    z: object = None
    sample_rate: float | None = None
    duration: float = 0.0
    subject_id: str | None = None
    session_id: str | None = None
    ranges: list = field(default_factory=list)


@dataclass
class _Series:
    """A TimeSeries on its grid, its values left in the file until a piece is read."""

    data: object
    start: float
    rate: float
    scale: np.ndarray
    offset: float

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def stop(self) -> float:
        return self.start + self.n / self.rate

    def index(self, t: float) -> int:
        """The first sample at or after time t."""
        return int(np.ceil((t - self.start) * self.rate - GRID_TOLERANCE))

    def read(self, first: int, count: int) -> np.ndarray:
        """Samples first..first+count as float64 (n, channels), scaled to the series' unit; only they are read."""
        values = np.asarray(self.data[first:first + count], dtype=np.float64)
        values = values[:, None] if values.ndim == 1 else values.reshape(len(values), -1)
        return values * self.scale + self.offset


def read_nwb(path, x, y=None, z=None, interval=None) -> NWBSides:
    """Sides x, y, z (selections, see the module) of NWB file `path` over `interval`: None (the whole file: where
    every sampled side has samples, or from 0 to the last spike), [start, stop] in seconds, "trials" or "epochs"
    (the file's intervals, joined end to end in order; a window or lag may reach across a join)."""
    path = Path(path)
    if x is None:
        raise InputError(f"{path}: x: name X in the file: 'units', {{'units': {{column: values}}}} or a TimeSeries")
    with readable(path), _opened(path) as nwbfile:
        where = str(path)
        chosen = {side: _side(nwbfile, sel, f"{where}: {side}") for side, sel in (("x", x), ("y", y), ("z", z))
                  if sel is not None}
        series = {side: s for side, s in chosen.items() if isinstance(s, _Series)}
        rate = _common_rate(series, where)
        pieces = _aligned(_ranges(nwbfile, interval, series, chosen, where), series, rate)
        if not pieces:
            raise InputError(f"{where}: the time range {interval!r} holds no time where every side has data")
        subject = getattr(nwbfile.subject, "subject_id", None) if nwbfile.subject is not None else None
        cut = {side: _cut(s, pieces, rate) for side, s in chosen.items()}
        session = nwbfile.session_id
    duration = float(sum(b - a for a, b in pieces))
    return NWBSides(cut.get("x"), cut.get("y"), cut.get("z"), rate, duration, subject, session, pieces)


class _opened:
    """An NWB file open for reading; a file that is not NWB (not HDF5, or without an NWB version) is an error."""

    def __init__(self, path: Path):
        self.path = path
        self.io = None

    def __enter__(self):
        module = pynwb()
        h5py = importlib.import_module("h5py")
        if not h5py.is_hdf5(self.path):
            raise InputError(f"{self.path}: not an NWB file (not HDF5)")
        with h5py.File(self.path, "r") as raw:
            if "nwb_version" not in raw.attrs:
                raise InputError(f"{self.path}: an HDF5 file but not NWB (no nwb_version attribute)")
        self.io = module.NWBHDF5IO(str(self.path), "r")
        try:
            return self.io.read()
        except Exception as exc:  # pynwb/hdmf raise many kinds on a damaged file
            self.io.close()
            raise InputError(f"{self.path}: cannot be read as NWB ({type(exc).__name__}: {exc})") from exc

    def __exit__(self, *exc):
        self.io.close()


def _side(nwbfile, selection, where: str):
    if selection == UNITS or (isinstance(selection, dict) and set(selection) == {UNITS}):
        return _units(nwbfile, {} if selection == UNITS else selection[UNITS] or {}, where)
    if isinstance(selection, str):
        return _series(nwbfile, selection, where)
    raise InputError(f"{where}: expected 'units', {{'units': {{column: values}}}} or a TimeSeries name, found "
                     f"{selection!r}")


def _units(nwbfile, filters: dict, where: str) -> dict:
    """{unit id: spike times} of the units whose columns hold the filters' values."""
    table = nwbfile.units
    if table is None:
        raise InputError(f"{where}: the file has no Units table (no spike-sorted units)")
    if len(table) == 0:
        raise InputError(f"{where}: the file's Units table has no units")
    columns = [c for c in table.colnames if c not in ("spike_times", "obs_intervals")]
    keep = np.ones(len(table), bool)
    for column, wanted in filters.items():
        if column not in columns:
            hint = did_you_mean(column, columns)
            raise InputError(f"{where}: the Units table has no column {column!r}; columns: {columns}"
                             + (f"; {hint}" if hint else ""))
        values = np.asarray([_plain(v) for v in table[column][:]], dtype=object)
        wanted = wanted if isinstance(wanted, list) else [wanted]
        hits = np.isin(values, np.asarray(wanted, dtype=object))
        if not hits.any():
            raise InputError(f"{where}: no unit has {column} in {wanted}; values found: "
                             f"{sorted(set(map(str, values)))}")
        keep &= hits
    if not keep.any():
        raise InputError(f"{where}: no unit passes every filter {filters}")
    ids = table.id[:]
    return {int(ids[i]): np.asarray(table["spike_times"][i], dtype=np.float64) for i in np.flatnonzero(keep)}


def _plain(value):
    return value.decode() if isinstance(value, bytes) else value


def series_names(nwbfile) -> dict:
    """Every TimeSeries of the file by path: acquisition/<name>, processing/<module>/<name> and, inside a container
    (LFP, BehavioralTimeSeries, Position...), processing/<module>/<container>/<name>."""
    base = pynwb().TimeSeries
    found = {}

    def visit(obj, prefix: str):
        if isinstance(obj, base):
            found[prefix] = obj
            return
        for child in getattr(obj, "children", ()):
            visit(child, f"{prefix}/{child.name}")

    for name, obj in nwbfile.acquisition.items():
        visit(obj, f"acquisition/{name}")
    for module_name, module in nwbfile.processing.items():
        for name, obj in module.data_interfaces.items():
            visit(obj, f"processing/{module_name}/{name}")
    return found


def _series(nwbfile, name: str, where: str) -> _Series:
    found = series_names(nwbfile)
    matches = [p for p in found if p == name.strip("/") or p.endswith("/" + name.strip("/"))]
    if len(matches) != 1:
        listed = sorted(found) or "none"
        if matches:
            raise InputError(f"{where}: {name!r} names {len(matches)} TimeSeries {matches}; give its path")
        hint = did_you_mean(name, [p.rsplit("/", 1)[-1] for p in found] + list(found))
        raise InputError(f"{where}: no TimeSeries {name!r}" + (f" ({hint})" if hint else "") + f"; the file has: "
                         f"{listed}")
    obj = found[matches[0]]
    scale = float(obj.conversion or 1.0) * np.asarray(getattr(obj, "channel_conversion", None)
                                                       if getattr(obj, "channel_conversion", None) is not None
                                                       else 1.0, dtype=np.float64)
    offset = float(getattr(obj, "offset", 0.0) or 0.0)
    if obj.rate is not None:
        return _Series(obj.data, float(obj.starting_time or 0.0), float(obj.rate), scale, offset)
    return _Series(obj.data, *_regular(np.asarray(obj.timestamps[:], dtype=np.float64), len(obj.data),
                                       f"{where}: {matches[0]}"), scale, offset)


def _regular(stamps: np.ndarray, n: int, where: str) -> tuple[float, float]:
    """(start, rate) of timestamps on a regular grid: every stamp within TIMESTAMP_JITTER of a step from where
    the line through the first and last stamp puts it (so a rate never drifts); else an error."""
    if len(stamps) != n:
        raise InputError(f"{where}: has {n} values but {len(stamps)} timestamps")
    if not np.isfinite(stamps).all():
        raise InputError(f"{where}: {int((~np.isfinite(stamps)).sum())} timestamp(s) are NaN or infinite")
    step = (stamps[-1] - stamps[0]) / (n - 1) if n > 1 else 0.0
    off = np.abs(stamps - (stamps[0] + step * np.arange(n))) / step if step > 0 else np.array([np.inf])
    if step <= 0 or off.max() > TIMESTAMP_JITTER:
        worst = int(np.argmax(off))
        raise InputError(f"{where}: has irregular timestamps (mean step {step:.6g} s; timestamp {worst} is "
                         f"{off[worst]:.3g} steps off the regular grid); neuralmi reads sampled signals on a regular "
                         f"grid: resample it (e.g. scipy.signal.resample) and store it with a rate")
    return float(stamps[0]), 1.0 / step


def _common_rate(series: dict, where: str) -> float | None:
    """The sampled sides' one rate; their grids must coincide."""
    if not series:
        return None
    (first, a), *rest = series.items()
    for side, b in rest:
        if abs(a.rate - b.rate) > 1e-6 * a.rate:
            raise InputError(f"{where}: {first} is sampled at {a.rate:.9g} Hz, {side} at {b.rate:.9g} Hz; the sides need "
                             f"one time base: resample one of them to the other's rate")
        offset = (b.start - a.start) * a.rate
        if abs(offset - round(offset)) > GRID_TOLERANCE:
            raise InputError(f"{where}: {first} and {side} are both at {a.rate:g} Hz but their samples are "
                             f"{offset - round(offset):+.3f} samples apart; the sides need one sample grid")
    return a.rate


def _ranges(nwbfile, interval, series: dict, chosen: dict, where: str) -> list:
    if interval is None:
        if series:
            return [(max(s.start for s in series.values()), min(s.stop for s in series.values()))]
        last = max((t[-1] for s in chosen.values() if isinstance(s, dict) for t in s.values() if len(t)), default=0)
        return [(0.0, float(np.nextafter(last, np.inf)))]
    if interval in RANGES:
        table = getattr(nwbfile, interval)
        if table is None or len(table) == 0:
            raise InputError(f"{where}: interval {interval!r}: the file has no {interval} table")
        return _merged(zip(table["start_time"][:].tolist(), table["stop_time"][:].tolist()))
    if (isinstance(interval, (list, tuple)) and len(interval) == 2
            and all(isinstance(v, (int, float)) for v in interval) and interval[0] < interval[1]):
        return [(float(interval[0]), float(interval[1]))]
    raise InputError(f"{where}: interval: expected none, [start, stop] in seconds with start < stop, or one of "
                     f"{RANGES}, found {interval!r}")


def _merged(ranges) -> list:
    """Intervals in time order, overlapping or touching ones merged (so no time is read twice)."""
    out = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _aligned(ranges: list, series: dict, rate: float | None) -> list:
    """The ranges on the sampled sides' grid: each range from its first sample to its last one's end, clipped to
    where every sampled side has samples."""
    if rate is None:
        return ranges
    ref = next(iter(series.values()))
    lo = max(s.start for s in series.values())
    hi = min(s.stop for s in series.values())
    out = []
    for a, b in ranges:
        first, stop = ref.index(max(a, lo)), ref.index(min(b, hi))
        if stop > first:
            out.append((ref.start + first / rate, ref.start + stop / rate))
    return out


def _cut(side, pieces: list, rate: float | None):
    """A side over the pieces (on the sampled sides' grid) joined end to end: samples of every piece, or spike
    times relative to the joined axis."""
    if isinstance(side, _Series):
        return np.concatenate([side.read(side.index(a), int(round((b - a) * rate))) for a, b in pieces])
    out = {}
    for unit, times in side.items():
        parts, offset = [], 0.0
        for a, b in pieces:
            inside = times[(times >= a) & (times < b)]
            parts.append(inside - a + offset)
            offset += b - a
        out[unit] = np.concatenate(parts)
    return out


def write_nwb(path, spikes=None, series=None, units_columns=None, trials=(), subject_id=None, session_id=None,
              start_time="2026-01-01T00:00:00+00:00") -> Path:
    """An NWB file as a lab's pipeline writes one (for examples and tests): `spikes` {unit id: times (s)} in the
    Units table with `units_columns` {column: one value per unit}; `series` {path: (values, rate)} with path
    "acquisition/<name>", "processing/<module>/<name>" or "processing/<module>/<container>/<name>" (an
    ElectricalSeries over its own electrodes when the container is LFP, a TimeSeries otherwise; a container
    "BehavioralTimeSeries" or "LFP"); `trials` [(start, stop)]; the subject's and session's ids."""
    module = pynwb()
    ecephys, behavior, file_mod = (importlib.import_module(f"pynwb.{m}") for m in ("ecephys", "behavior", "file"))
    nwbfile = module.NWBFile(session_description="written by neuralmi.data.nwb.write_nwb",
                             identifier=f"{subject_id}-{session_id}", session_id=session_id,
                             session_start_time=datetime.fromisoformat(start_time),
                             subject=file_mod.Subject(subject_id=subject_id, species="Mus musculus") if subject_id
                             else None)
    if spikes:
        for column in units_columns or {}:
            nwbfile.add_unit_column(name=column, description=column)
        for i, (unit, times) in enumerate(spikes.items()):
            extra = {column: values[i] for column, values in (units_columns or {}).items()}
            nwbfile.add_unit(id=int(unit), spike_times=np.asarray(times, dtype=np.float64), **extra)
    for where, (values, rate) in (series or {}).items():
        parts = where.split("/")
        values = np.asarray(values)
        if parts[0] == "acquisition":
            nwbfile.add_acquisition(module.TimeSeries(name=parts[1], data=values, unit="a.u.", rate=float(rate)))
            continue
        processing = nwbfile.processing.get(parts[1]) or nwbfile.create_processing_module(parts[1], parts[1])
        if len(parts) == 3:
            processing.add(module.TimeSeries(name=parts[2], data=values, unit="a.u.", rate=float(rate)))
        elif parts[2] == "LFP":
            region = _electrodes(nwbfile, values.shape[1] if values.ndim == 2 else 1)
            lfp = ecephys.LFP(name="LFP")
            processing.add(lfp)
            lfp.create_electrical_series(name=parts[3], data=values, electrodes=region, rate=float(rate))
        else:
            processing.add(behavior.BehavioralTimeSeries(time_series=module.TimeSeries(
                name=parts[3], data=values, unit="a.u.", rate=float(rate)), name=parts[2]))
    for start, stop in trials:
        nwbfile.add_trial(start_time=float(start), stop_time=float(stop))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with module.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def _electrodes(nwbfile, count: int):
    device = nwbfile.create_device(name="probe")
    group = nwbfile.create_electrode_group(name="shank", description="shank", location="CA1", device=device)
    for _ in range(count):
        nwbfile.add_electrode(group=group, location="CA1")
    return nwbfile.create_electrode_table_region(list(range(count)), "the LFP's electrodes")


def session_ids(path) -> tuple[str | None, str | None]:
    """(subject id, session id) of an NWB file, read from its metadata only."""
    path = Path(path)
    with readable(path), _opened(path) as nwbfile:
        subject = nwbfile.subject.subject_id if nwbfile.subject is not None else None
        return subject, nwbfile.session_id
