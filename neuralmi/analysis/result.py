"""The object every mode returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

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
        best = self.details.get("best")
        return "best grid point " + ", ".join(f"{k}={v}" for k, v in best.items()) if best else ""

    def plot(self, ax=None):
        """The mode's figure (the extrapolation plot in rigorous mode); returns the matplotlib Figure."""
        return self.plotter(self, ax)

    def plot_null(self, ax=None):
        """The permutation null: a histogram of the surrogates' statistic with the observed value, or per point
        the null's 95% range beside the observed value; needs null_permutations."""
        from neuralmi.analysis.plots import plot_null

        return plot_null(self, ax)


@dataclass
class LagResult(MIResult):
    """Lag mode: `mi` is the MI at the peak lag; `peak_lag_ci` is the range of lags that are the peak with
    the stated confidence."""

    peak_lag: float = float("nan")
    peak_lag_ci: tuple = (float("nan"), float("nan"))

    def to_dict(self) -> dict:
        return {**super().to_dict(), "peak_lag": self.peak_lag, "peak_lag_ci": list(self.peak_lag_ci)}

    @property
    def answer(self) -> str:
        return f"peak lag {self.peak_lag} [{self.peak_lag_ci[0]}, {self.peak_lag_ci[1]}]"


@dataclass
class DimensionalityResult(MIResult):
    """Dimensionality mode: the embedding dimension at which MI saturates, and its interval; `mi` is the
    plateau MI."""

    dimensionality: int = 0
    dimensionality_ci: tuple = (0, 0)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "dimensionality": self.dimensionality,
                "dimensionality_ci": list(self.dimensionality_ci)}

    @property
    def answer(self) -> str:
        return f"dimensionality {self.dimensionality} [{self.dimensionality_ci[0]}, {self.dimensionality_ci[1]}]"


@dataclass
class TransferResult(MIResult):
    """Transfer mode: `mi` is the TE of the first direction asked for (X->Y with directions 'both');
    `to_frame()` holds every direction's TE (and the net flow) and both of its terms, each with its interval;
    `details['te']` the same as nested dicts."""

    @property
    def answer(self) -> str:
        names = {"x_to_y": "TE(X->Y)", "y_to_x": "TE(Y->X)", "net": "net X->Y"}
        te = self.frame[self.frame["quantity"] == "te"]
        return "; ".join(f"{names[r.direction]} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for r in te.itertuples())


@dataclass
class ConditionalResult(MIResult):
    """Conditional mode: `mi` is I(X;Y|Z); `to_frame()` holds it and both chain-rule terms, I([X,Z];Y) and
    I(Z;Y), each with its interval; `details['terms']` the same as a dict."""

    @property
    def answer(self) -> str:
        names = {"conditional": "I(X;Y|Z)", "joint": "I([X,Z];Y)", "own": "I(Z;Y)"}
        return "; ".join(f"{names[r.quantity]} {r.mi:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]"
                         for r in self.frame.itertuples())


@dataclass
class PairwiseResult(MIResult):
    """Pairwise mode: `mi` is the strongest pair's MI; `to_frame()` one row per pair (`a`, `b`, mi, se, ci_low,
    ci_high, n_fits, and p_value, q_value with a permutation null); `matrix()` the MI as a table."""

    def matrix(self, column: str = "mi") -> pd.DataFrame:
        """`column` of every pair as a units-by-units table (symmetric, NaN diagonal, for pairs within X; X units
        by Y channels otherwise)."""
        return pair_matrix(self.frame, column, self.details["within_x"])

    def significant(self) -> pd.Series:
        """Per pair (frame order): q < 1 - confidence with a permutation null, else an interval above zero."""
        alpha = 1 - self.details["confidence"]
        if "q_value" in self.frame:
            return self.frame["q_value"] < alpha
        return self.frame["ci_low"] > 0

    @property
    def answer(self) -> str:
        a, b = self.details["strongest"]
        text = f"strongest pair {a}-{b} {self.mi:.3g} [{self.ci_low:.3g}, {self.ci_high:.3g}]"
        if "q_value" in self.frame:
            return text
        return f"{text}; {int(self.significant().sum())} of {len(self.frame)} pairs with an interval above 0"


def pair_matrix(frame: pd.DataFrame, column: str, within_x: bool) -> pd.DataFrame:
    """A pairwise table's `column` as units by units (symmetric with a NaN diagonal when pairs are within X)."""
    table = frame.pivot(index="a", columns="b", values=column)
    if not within_x:
        return table
    names = list(dict.fromkeys([*frame["a"], *frame["b"]]))
    table = table.reindex(index=names, columns=names)
    return table.combine_first(table.T).reindex(index=names, columns=names)


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
