"""The object every mode returns (a mode with an answer beyond the MI value returns a subclass, defined in the
mode's module), how it is saved, and the row it gives the workflow's summary table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from neuralmi.analysis.plots import plot_null
from neuralmi.options import DEFAULTS, Options, jsonable
from neuralmi.outputs import write_json, write_parquet

RESULT_FILES = ("result.json", "fits.parquet", "curves.parquet", "summary.parquet", "null.parquet", "timings.parquet")
TIMING_COLUMNS = ["fit_id", "seconds"]
SUMMARY_DOCS = {
    "analysis": "the analysis's name in the config",
    "dataset": "its dataset",
    "mode": "its mode",
    "mi": "the headline value (the mode's `mi`)",
    "ci_low": "its interval's lower end",
    "ci_high": "its interval's upper end",
    "reliable": "the verdict: false when a reason says not to trust the number",
    "units": "bits or nats",
    "truth": "the dataset's known answer, where it has one",
    "mi_upper": "a bracket's upper bound (empty without one)",
    "ci_upper_low": "its interval's lower end",
    "ci_upper_high": "its interval's upper end",
    "reasons": "the reasons not to trust the number, joined by '; '",
    "finding": "the mode's answer in words (peak lag, dimensionality, TE per direction, p-value...)",
}
SUMMARY_COLUMNS = list(SUMMARY_DOCS)


def summary_row(saved: dict) -> dict:
    """One row of the workflow's summary table from a saved result.json (`MIResult.save`'s keys)."""
    return {key: saved.get(key) for key in SUMMARY_COLUMNS} | {"reasons": "; ".join(saved["reasons"]),
                                                                 "finding": saved["finding"]}


@dataclass
class MIResult:
    """An MI estimate in `units` with its interval, reliability and the tables behind it.

    `fits`: one row per fit (columns in analysis/fits.py); `curves`: per-epoch curves of every fit;
    `summary`: mode-specific table (per-gamma means for rigorous mode, per-point means for the scans), or
    None; `frame`: the table `to_frame` returns when it is not the fit table. With a permutation null
    (analysis/null.py): `null`, the statistic of the observed data (surrogate 0) and of every surrogate per
    point; `significance`, per point the observed statistic, `p_value`, `q_value` and `n_null`; `fits` then
    also holds the surrogates' fits (`null` > 0). With a bracket (analysis/bracket.py): `upper`, the upper
    bound's own result; `fits` and `curves` also hold its fits (`bound` = the upper bound).
    """

    mode: str
    mi: float
    ci_low: float
    ci_high: float
    reliable: bool
    reasons: list
    units: str
    fits: pd.DataFrame
    curves: pd.DataFrame
    summary: pd.DataFrame | None = None
    details: dict = field(default_factory=dict)
    plotter: Callable | None = field(default=None, repr=False)
    frame: pd.DataFrame | None = field(default=None, repr=False)
    null: pd.DataFrame | None = field(default=None, repr=False)
    significance: pd.DataFrame | None = field(default=None, repr=False)
    null_text: str = field(default="", repr=False)
    options: Options | None = field(default=None, repr=False)
    metadata: dict = field(default_factory=dict, repr=False)
    upper: MIResult | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The mode's main table: one row per fit (estimate, rigorous), per lag (lag), per embedding dimension
        (dimensionality), per grid point and repeat (sweep), or per corrected quantity (transfer: direction,
        quantity (te, joint, own); conditional: quantity (conditional, joint, own); then mi, ci_low, ci_high,
        se, slope, reliable)."""
        return (self.fits if self.frame is None else self.frame).copy()

    def to_dict(self) -> dict:
        """The scalar result, JSON-ready."""
        return {
            "mi": self.mi,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "reliable": self.reliable,
            "reasons": list(self.reasons),
            "units": self.units,
            "mode": self.mode,
            "finding": self.finding,
            **self.details,
        }

    def save(self, directory, **metadata) -> Path:
        """Write the files the workflow writes for an analysis into `directory` (created), each atomically:
        result.json (`to_dict`, the non-default options, `metadata`), fits.parquet (without `seconds`),
        curves.parquet, summary.parquet (the mode's summary, else the fit table), null.parquet (empty without a
        null) and timings.parquet (`fit_id, seconds`: wall times, the one file that differs between reruns).
        `neuralmi.load(directory)` reads them back; a callable `embedding` is not saved (summaries do not use it).
        """
        directory = Path(directory)
        options = {} if self.options is None else {
            key: jsonable(value) for key, value in self.options.as_dict().items()
            if not callable(value) and jsonable(value) != DEFAULTS[key]}
        fits = self.fits.drop(columns="seconds")
        write_parquet(directory / "fits.parquet", fits)
        write_parquet(directory / "timings.parquet", self.fits[TIMING_COLUMNS])
        write_parquet(directory / "curves.parquet", self.curves)
        write_parquet(directory / "summary.parquet", fits if self.summary is None else self.summary)
        null = self.null if self.null is not None else pd.DataFrame({"surrogate": [], "statistic": []})
        write_parquet(directory / "null.parquet", null)
        write_json(directory / "result.json", {**self.metadata, **metadata, **self.to_dict(), "options": options})
        return directory

    @property
    def finding(self) -> str:
        """The mode's answer beyond the MI value and, with a permutation null, its p-value, in words ("" when
        there is neither)."""
        return "; ".join(part for part in (self.answer, self.null_text) if part)

    @property
    def answer(self) -> str:
        """The mode's answer in words (a peak lag, a dimensionality...): modes with one define a subclass."""
        return ""

    def plot(self, ax=None):
        """The mode's figure (the extrapolation plot in rigorous mode); returns the matplotlib Figure."""
        return self.plotter(self, ax)

    def plot_null(self, ax=None):
        """The permutation null: a histogram of the surrogates' statistic with the observed value, or per point
        the null's 95% range beside the observed value; needs null_permutations."""
        return plot_null(self, ax)
