"""Loading sample arrays from the files users hold: .npy, .npz, Parquet and CSV tables.

Columns of a table are selected by name, by a prefix that names a group of columns ("petal" for
"petal length (cm)" and "petal width (cm)"), or by a list of either (`select_columns`).
"""

from __future__ import annotations

import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from neuralmi.data.memory import check_fits
from neuralmi.data.recordings import trains_from_table
from neuralmi.errors import InputError
from neuralmi.keys import did_you_mean

SUFFIXES = (".npy", ".npz", ".parquet", ".csv")
TABLE_SUFFIXES = (".parquet", ".csv")


@contextmanager
def readable(path: Path):
    """Reading `path`: an empty, truncated or corrupt file (a copy or a write that did not finish) becomes an
    InputError naming the file, its size and the reader's complaint, instead of the reader's own exception."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes): a copy or a write that did not finish?")
    try:
        yield
    except InputError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: cannot be read as a {path.suffix} file ({size} bytes; {exc}); if it was copied "
                         f"or written by something that did not finish, it may be truncated") from exc


def load_array(path, key: str | None = None, columns: list[str] | None = None) -> np.ndarray:
    """Samples in rows from `path`.

    .npz needs `key` unless it holds one array; tables use `columns` (`select_columns`; default: every column,
    which must all be numeric).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        with readable(path):
            mapped = np.load(path, mmap_mode="r", allow_pickle=False)
            converted = (4 if mapped.dtype == np.float64 else 12) * mapped.size  # float64 (unless it is), float32
            check_fits(mapped.nbytes + converted, f"{path} ({mapped.dtype} {mapped.shape}, read and converted to "
                       "samples)", "save a part of it, or fewer channels, to its own file")
            return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        with readable(path):
            return _from_npz(path, key)
    if suffix in TABLE_SUFFIXES:
        table = read_table(path)
        return table_array(table, table.columns if columns is None else select_columns(table, columns, "columns",
                                                                                         str(path)), str(path))
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


def is_table_file(value) -> bool:
    """Whether `value` is a path (str or Path) to a Parquet or CSV table."""
    return isinstance(value, (str, Path)) and Path(value).suffix.lower() in TABLE_SUFFIXES


def read_table(path):
    """A Parquet or CSV file as a DataFrame."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(f"{path}: expected a table ({', '.join(TABLE_SUFFIXES)}), found {path.suffix!r}")
    with readable(path):
        return pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)


def select_columns(table, selection, side: str, where: str) -> list:
    """The columns `selection` names: a column's name, else every column whose name starts with it (a group);
    or a list of such names and prefixes, in the order given. `side` and `where` name the selection and the
    table in errors."""
    items = [selection] if isinstance(selection, str) else list(selection)
    if not items:
        raise InputError(f"{side}: no columns selected in {where}")
    labels = {str(c): c for c in table.columns}
    chosen = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{side}: expected column names or prefixes (strings), found {item!r}")
        group = [item] if item in labels else [name for name in labels if name.startswith(item)]
        if not group:
            hint = did_you_mean(item, labels)
            raise InputError(f"{side}: no column {item!r}, nor columns starting with it, in {where}; available: "
                             f"{list(labels)}" + (f"; {hint}" if hint else ""))
        chosen += [labels[name] for name in group]
    return list(dict.fromkeys(chosen))


def table_array(table, columns, where: str) -> np.ndarray:
    """The numeric `columns` of a DataFrame as a float64 (rows, columns) array."""
    columns = list(columns)
    non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(table[c])]
    if non_numeric:
        raise InputError(f"{where}: column(s) {non_numeric} are not numeric; select numeric columns")
    return table[columns].to_numpy(dtype=np.float64)


def table_sides(table, selections: dict, where: str, label=str) -> dict:
    """Arrays of a table's sides: {side: selection or None} -> {side: array or None}; two sides may not share a
    column (the MI of a variable with itself is infinite). `label(side)` names a side's selection in errors."""
    columns = {side: None if chosen is None else select_columns(table, chosen, label(side), where)
               for side, chosen in selections.items()}
    named = [(side, c) for side, cols in columns.items() if cols for c in cols]
    seen: dict = {}
    for side, c in named:
        if c in seen and seen[c] != side:
            raise InputError(f"{label(seen[c])}, {label(side)}: both select column {c!r} of {where}; a column "
                             f"belongs to one side")
        seen[c] = side
    return {side: None if cols is None else table_array(table, cols, where) for side, cols in columns.items()}


def load_spikes(path) -> list[np.ndarray]:
    """Spike trains (seconds) from a long table with columns `neuron, time` (Parquet or CSV; a row with time
    NaN declares a neuron that never fires), or from an .npz holding either arrays `neuron` and `time` or one
    array of spike times per neuron (in the order they were saved)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".csv"):
        table = read_table(path)
    elif suffix == ".npz":
        with readable(path), np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if {"neuron", "time"} <= set(names):
                table = pd.DataFrame({"neuron": archive["neuron"], "time": archive["time"]})
            else:
                return [archive[name] for name in names]
    else:
        raise InputError(f"{path}: spike trains are read from .parquet, .csv or .npz, found {suffix!r}")
    return trains_from_table(table, str(path))


def given_sides(data, x, y, z) -> tuple:
    """(x, y, z) of `neuralmi.run`'s arguments: the columns x, y, z select of a table `data` (a DataFrame or a
    Parquet or CSV file), else the samples given (X as `data` or as `x`)."""
    if is_table_file(data) or isinstance(data, pd.DataFrame):
        table, where = (read_table(data), str(data)) if is_table_file(data) else (data, "the table")
        if x is None:
            raise InputError(f"x: name X's columns of {where} (a name, a prefix or a list); columns: "
                             f"{[str(c) for c in table.columns]}")
        given = {"x": x, "y": y, "z": z}
        samples = [side for side, value in given.items() if value is not None and not _is_selection(value)]
        if samples:
            raise InputError(f"{', '.join(samples)}: with a table, name columns (a name, a prefix or a list of "
                             f"them), not samples")
        found = table_sides(table, given, where)
        return found["x"], found["y"], found["z"]
    if data is not None and x is not None:
        raise InputError("x: given twice (as data and as x); pass X's samples once, or a table as data")
    if data is None and x is None:
        raise InputError("x: no samples; pass X's samples (or a table and its columns)")
    return (x if data is None else data), y, z


def _is_selection(value) -> bool:
    """A column name or a non-empty list of them."""
    if isinstance(value, str):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value)
