"""Loading sample arrays from the files users hold: .npy, .npz, Parquet and CSV tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuralmi.errors import InputError

SUFFIXES = (".npy", ".npz", ".parquet", ".csv")


def load_array(path, key: str | None = None, columns: list[str] | None = None) -> np.ndarray:
    """Samples in rows from `path`.

    .npz needs `key` unless it holds one array; tables use `columns` (default: every column, which must all be
    numeric).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        return _from_npz(path, key)
    if suffix in (".parquet", ".csv"):
        return _from_table(path, columns)
    raise InputError(f"{path}: unsupported file type {suffix!r}; expected one of {SUFFIXES}")


def _from_npz(path: Path, key: str | None) -> np.ndarray:
    with np.load(path, allow_pickle=False) as archive:
        names = list(archive.keys())
        if key is None:
            if len(names) != 1:
                raise InputError(f"{path}: holds arrays {names}; name the one to use")
            key = names[0]
        if key not in names:
            raise InputError(f"{path}: no array named {key!r}; found {names}")
        return archive[key]


def _from_table(path: Path, columns: list[str] | None) -> np.ndarray:
    import pandas as pd

    table = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    if columns:
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InputError(f"{path}: no column(s) {missing}; found {list(table.columns)}")
        table = table[columns]
    non_numeric = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if non_numeric:
        raise InputError(f"{path}: column(s) {non_numeric} are not numeric; select numeric columns")
    return table.to_numpy(dtype=np.float64)


def load_spikes(path) -> list[np.ndarray]:
    """Spike trains (seconds) from a long table with columns `neuron, time` (Parquet or CSV; a row with time
    NaN declares a neuron that never fires), or from an .npz holding either arrays `neuron` and `time` or one
    array of spike times per neuron (in the order they were saved)."""
    import pandas as pd

    from neuralmi.data.recordings import trains_from_table

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".csv"):
        table = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if {"neuron", "time"} <= set(names):
                table = pd.DataFrame({"neuron": archive["neuron"], "time": archive["time"]})
            else:
                return [archive[name] for name in names]
    else:
        raise InputError(f"{path}: spike trains are read from .parquet, .csv or .npz, found {suffix!r}")
    return trains_from_table(table, str(path))
