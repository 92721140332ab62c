"""Datasets named in a configuration: files or a generator, each side stored as one Parquet table.

A side is either a table of channels (columns c_0, c_1, ...; rows are samples or time points) or spike trains
as a long table (columns neuron, time in seconds; a neuron that never fires has one row with time NaN). A
dataset without Y (one population, for dimensionality mode) stores an empty Y table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from neuralmi.data import autoregression, conditional, generators, networks, tasks
from neuralmi.data.io import load_array, load_spikes, read_table, table_sides
from neuralmi.data.nwb import UNITS, read_nwb
from neuralmi.data.processing import channel_counts, make_source, side_settings
from neuralmi.data.recordings import trains_from_table
from neuralmi.errors import InputError
from neuralmi.units import from_nats

GENERATORS = {
    "correlated_gaussian": generators.correlated_gaussian,
    "latent_observation": generators.latent_observation,
    "lagged_pair": generators.lagged_pair,
    "population": generators.population,
    "dependent_pairs": generators.dependent_pairs,
    "timed_spikes": generators.timed_spikes,
    "latent_spikes": generators.latent_spikes,
    "coupled_autoregression": autoregression.coupled_autoregression,
    "gaussian_triplet": conditional.gaussian_triplet,
    "task": tasks.task_sample,
    "network_recording": networks.network_recording,
}
SPIKE_COLUMNS = ["neuron", "time"]
ONE_SIDED = ("population", "dependent_pairs", "network_recording")
THREE_SIDED = ("gaussian_triplet",)
SIDES = ("x", "y", "z")
SPIKING = ("latent_spikes", "timed_spikes")


def is_spikes(spec: dict, side: str) -> bool:
    """Whether a dataset's `side` is spike trains: a file of kind spikes, an NWB file's units, a spiking
    generator's X."""
    selection = spec.get(side)
    units = "nwb" in spec and (selection == UNITS or (isinstance(selection, dict) and UNITS in selection))
    return spec.get(f"{side}_kind") == "spikes" or units or (spec.get("generator") in SPIKING and side == "x")


def has_y(spec: dict) -> bool:
    """Whether a dataset spec gives a Y (files with y, or a generator of pairs)."""
    return spec.get("generator") not in ONE_SIDED if "generator" in spec else _gives(spec, "y")


def has_z(spec: dict) -> bool:
    """Whether a dataset spec gives a Z, the conditioning side (a file z, or a generator of triplets)."""
    return spec.get("generator") in THREE_SIDED if "generator" in spec else _gives(spec, "z")


def _gives(spec: dict, side: str) -> bool:
    """Whether a dataset of files gives `side`: its own file, or columns of the dataset's table."""
    return side in spec or ("table" in spec and f"{side}_columns" in spec)


def dataset_truth(spec: dict, units: str) -> float | None:
    """The known MI of a dataset in `units`: its `truth`, else a named task's exact value, else None."""
    if "truth" in spec:
        return spec["truth"]
    name = spec.get("params", {}).get("name")
    if spec.get("generator") == "task" and name is not None:
        return float(from_nats(tasks.task(name).mi, units))
    return None


def check_conditioning(spec: dict, mode: str, takes_z: bool) -> None:
    """A mode that takes Z (conditional mode) needs a dataset with Z (other modes leave a dataset's Z unused)."""
    if takes_z and not has_z(spec):
        raise InputError(f"mode {mode!r} needs a dataset with z (the conditioning side)")


def check_sides(spec: dict, options, takes_z: bool) -> None:
    """A dataset's spike sides must be read by the spikes processor, and only those (Z where the mode takes it)."""
    for side in SIDES if takes_z else SIDES[:2]:
        processor = side_settings(options, side).processor
        spikes = is_spikes(spec, side)
        if spikes != (processor == "spikes") and (side in spec or "generator" in spec):
            kind = "spike trains" if spikes else "a table of channels"
            raise InputError(f"processor_{side}: the dataset's {side} is {kind}, but its processor is {processor!r}")


def dataset_channels(name: str, spec: dict, options) -> tuple[int, int]:
    """(X's, Y's) channel counts of a dataset as `options` process it (for planning the jobs of a mode whose points
    depend on them, such as pairwise mode)."""
    (x, y, _), info = read_dataset(name, spec)
    timing = data_options({"sample_rate": options.sample_rate, "duration": options.duration}, info)
    return channel_counts(make_source(x, y, options.replace(**timing)))


def load_dataset(name: str, spec: dict, base: Path = Path(".")):
    """(x, y, z) of dataset `name`: arrays (channels in columns) or spike trains (lists, or {unit id: times} from
    NWB); y and z are None when absent.

    spec: {x: file, y: file, z: file, x_kind/y_kind/z_kind: table | spikes, x_key/..., x_columns/...},
    {table: file, x_columns, y_columns, z_columns} (io.select_columns), {nwb: one file, x, y, z: selections
    (data/nwb.py), interval} or {generator, params}.
    """
    return read_dataset(name, spec, base)[0]


def read_dataset(name: str, spec: dict, base: Path = Path(".")) -> tuple[tuple, dict]:
    """((x, y, z), info) of dataset `name` (`load_dataset`); info, for an NWB file, the options its data fix
    (`sample_rate` of its sampled sides, or `duration` of spike trains alone) and the session's ids; else {}."""
    if "nwb" in spec:
        read = read_nwb(base / spec["nwb"], *(spec.get(side) for side in SIDES), interval=spec.get("interval"))
        info = {"file": str(spec["nwb"]), "subject_id": read.subject_id, "session_id": read.session_id,
                "duration": read.duration, "sample_rate": read.sample_rate, "ranges": read.ranges,
                "units": {side: sorted(data) for side, data in zip(SIDES, (read.x, read.y, read.z))
                          if isinstance(data, dict)}}
        return (read.x, read.y, read.z), info
    return _load_files(name, spec, base), {}


def data_options(options: dict, info: dict) -> dict:
    """`options` completed with what a dataset's file fixes (`read_dataset`'s info): its sampled sides' rate as
    `sample_rate`, or for spike trains alone the time range's length as `duration`, where the options leave them
    unset; a value set otherwise is an error naming both."""
    out = dict(options)
    if info.get("sample_rate") is not None:
        _complete(out, "sample_rate", info["sample_rate"], "Hz", f"{info.get('file', 'the file')}'s signals are "
                  "sampled at")
    elif info.get("duration"):
        _complete(out, "duration", info["duration"], "s", f"the time range read from {info.get('file', 'the file')} "
                  "is")
    return out


def _complete(options: dict, key: str, found: float, unit: str, what: str) -> None:
    """options[key] set to `found` when unset; a different value (beyond 1e-9 relative) is an error."""
    given = options.get(key)
    if given is None:
        options[key] = found
    elif abs(given - found) > 1e-9 * found:
        raise InputError(f"{key}: the options say {given:.9g} {unit}, but {what} {found:.9g} {unit}; leave {key} "
                         f"out to use the file's")


def _load_files(name: str, spec: dict, base: Path):
    if "generator" in spec:
        return _generated(name, spec)
    if "table" in spec:
        found = table_sides(read_table(base / spec["table"]), {side: spec.get(f"{side}_columns") for side in SIDES},
                            spec["table"], lambda side: f"datasets.{name}.{side}_columns")
        return tuple(found[side] for side in SIDES)
    sides = []
    for side in SIDES:
        if side not in spec:
            sides.append(None)
        elif spec.get(f"{side}_kind", "table") == "spikes":
            sides.append(load_spikes(base / spec[side]))
        else:
            sides.append(load_array(base / spec[side], spec.get(f"{side}_key"), spec.get(f"{side}_columns")))
    return tuple(sides)


def _generated(name: str, spec: dict):
    make = GENERATORS.get(spec["generator"])
    if make is None:
        raise InputError(f"datasets.{name}.generator: expected one of {sorted(GENERATORS)}, found {spec['generator']!r}")
    params = dict(spec.get("params", {}))
    transform = params.pop("transform", None)
    try:
        out = make(**params)
    except TypeError as exc:
        raise InputError(f"datasets.{name}.params: {exc}") from exc
    sides = (list(out) if isinstance(out, tuple) else [out]) + [None, None]
    if transform:
        sides = [None if s is None else generators.transformed(s, transform) for s in sides]
    return tuple(sides[:3])


def side_table(data) -> pd.DataFrame:
    """One side as a table: channels c_0.. for arrays, (neuron, time) rows for spike trains, empty for None."""
    if data is None:
        return pd.DataFrame({})
    if isinstance(data, (list, dict)):
        trains = data.items() if isinstance(data, dict) else enumerate(data)
        frames = [pd.DataFrame({"neuron": k, "time": t if len(t) else [np.nan]}) for k, t in trains]
        return pd.concat(frames, ignore_index=True).astype({"neuron": "int64", "time": "float64"})
    array = np.asarray(data, dtype=np.float64)
    array = array[:, None] if array.ndim == 1 else array
    if array.ndim != 2:
        raise InputError(f"dataset side: expected rows of channels (2-D), found shape {array.shape}")
    return pd.DataFrame({f"c_{i}": array[:, i] for i in range(array.shape[1])})


def side_from_table(table: pd.DataFrame):
    """The side back from its table: an array, a list of spike-time arrays, or None."""
    if table.shape[1] == 0:
        return None
    if list(table.columns) == SPIKE_COLUMNS:
        return trains_from_table(table, "dataset spikes")
    return table.to_numpy(np.float64)
