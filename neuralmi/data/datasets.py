"""Datasets named in a configuration: sample files or a generator with known MI, as one table.

A dataset table has columns x_0 .. x_{dx-1} and y_0 .. y_{dy-1}, one row per sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from neuralmi.data import generators
from neuralmi.data.arrays import as_pair
from neuralmi.data.io import load_array
from neuralmi.errors import InputError

GENERATORS = {"correlated_gaussian": generators.correlated_gaussian,
              "latent_observation": generators.latent_observation}


def load_dataset(name: str, spec: dict, base: Path = Path(".")) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of dataset `name`: {x: file, y: file, x_key/y_key, x_columns/y_columns} or {generator, params}."""
    if "generator" in spec:
        make = GENERATORS.get(spec["generator"])
        if make is None:
            raise InputError(f"datasets.{name}.generator: expected one of {sorted(GENERATORS)}, found {spec['generator']!r}")
        params = dict(spec.get("params", {}))
        transform = params.pop("transform", None)
        try:
            x, y = make(**params)
        except TypeError as exc:
            raise InputError(f"datasets.{name}.params: {exc}") from exc
        if transform:
            x, y = generators.transformed(x, transform), generators.transformed(y, transform)
        return as_pair(x, y)
    x = load_array(base / spec["x"], spec.get("x_key"), spec.get("x_columns"))
    y = load_array(base / spec["y"], spec.get("y_key"), spec.get("y_columns"))
    return as_pair(x, y)


def to_table(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Samples as one table with x_* and y_* columns."""
    columns = {f"x_{i}": x[:, i] for i in range(x.shape[1])}
    columns.update({f"y_{i}": y[:, i] for i in range(y.shape[1])})
    return pd.DataFrame(columns)


def from_table(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) back from a dataset table."""
    x = table[[c for c in table.columns if c.startswith("x_")]].to_numpy(np.float32)
    y = table[[c for c in table.columns if c.startswith("y_")]].to_numpy(np.float32)
    return x, y
