"""Figures that combine analyses, built from saved results and reference tables only (the workflow's
`figures:` section): MI against sample size beside the classical estimators, accuracy over known-MI tasks, and
any analyses' own figures side by side. Each returns the figure and the table of the numbers it draws.

Plotted numbers are rounded to `SIGNIFICANT` significant digits first, so that last-bit differences of float
arithmetic between machines leave the files unchanged unless a value crosses a rounding boundary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import NullLocator
from scipy.stats import norm

from neuralmi.analysis.style import COLUMN, DOUBLE_COLUMN, PANEL_HEIGHT, new_figure, panel_letters, styled
from neuralmi.errors import InputError
from neuralmi.reference import gaussian_mi, ksg_estimate
from neuralmi.units import from_nats

SIGNIFICANT = 4
KINDS = ("sample_size", "accuracy", "panels")
VALUE_COLUMNS = ["mi", "ci_low", "ci_high"]
REFERENCE_COLUMNS = ["estimator", "n", "mi", "ci_low", "ci_high", "units"]
METHODS = {  # label, marker, filled, colour index
    "estimate": ("single fit (estimate)", "o", False, 1),
    "rigorous": ("bias-corrected (rigorous)", "o", True, 0),
    "ksg": ("KSG, k = 3", "^", False, 2),
    "gaussian": ("Gaussian", "s", False, 4),
}


def rounded(values, digits: int = SIGNIFICANT) -> np.ndarray:
    """`values` rounded to `digits` significant digits (NaN and zero kept)."""
    values = np.asarray(values, dtype=float)
    scale = np.where(np.isfinite(values) & (values != 0), np.floor(np.log10(np.abs(np.where(values == 0, 1, values)))), 0)
    factor = 10.0 ** (digits - 1 - scale)
    return np.round(values * factor) / factor


def references(x, y, units: str, confidence: float = 0.95) -> pd.DataFrame:
    """The classical estimates of one dataset: KSG (k = 3, with a normal interval from its per-sample terms) and
    the Gaussian (covariance) estimate, with the sample count."""
    mi, se = ksg_estimate(x, y, 3)
    half = norm.ppf(0.5 + confidence / 2) * se
    ksg = [from_nats(v, units) for v in (mi, mi - half, mi + half)]
    return pd.DataFrame([["ksg", len(x), *ksg, units],
                         ["gaussian", len(x), gaussian_mi(x, y, units), np.nan, np.nan, units]],
                        columns=REFERENCE_COLUMNS)


def sample_size_table(results: dict, samples: dict, references_by_dataset: dict) -> pd.DataFrame:
    """One row per (method, dataset): the estimate or corrected MI of each estimate/rigorous analysis and each
    dataset's classical references, against the dataset's sample count. `results`: name -> MIResult (metadata
    with dataset and truth); `samples`: dataset -> sample count; `references_by_dataset`: dataset -> table."""
    rows = []
    for name, result in results.items():
        if result.mode not in ("estimate", "rigorous"):
            raise InputError(f"figure sample_size: analysis {name!r} is mode {result.mode!r}; expected estimate or "
                             f"rigorous")
        dataset = result.metadata["dataset"]
        rows.append({"method": result.mode, "dataset": dataset, "n": samples[dataset], "truth": result.metadata.get("truth"),
                     **{c: getattr(result, c) for c in VALUE_COLUMNS}})
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        truth = next(r["truth"] for r in rows if r["dataset"] == dataset)
        for ref in references_by_dataset[dataset].itertuples():
            rows.append({"method": ref.estimator, "dataset": dataset, "n": ref.n, "truth": truth,
                         **{c: getattr(ref, c) for c in VALUE_COLUMNS}})
    table = pd.DataFrame(rows).sort_values(["method", "n"], kind="stable", ignore_index=True)
    table["truth"] = table["truth"].astype(float)
    table[VALUE_COLUMNS] = rounded(table[VALUE_COLUMNS].to_numpy())
    return table


@styled
def sample_size_figure(table: pd.DataFrame, units: str):
    """a: each method's MI (with its interval where it has one) against the sample count, beside the truth;
    b: its error, MI minus the truth."""
    fig, axes = new_figure(2, width=DOUBLE_COLUMN)
    truth = table["truth"].dropna().unique()
    for method, (label, marker, filled, color) in METHODS.items():
        rows = table[table["method"] == method]
        if rows.empty:
            continue
        colour = f"C{color}"
        for ax, shift in zip(axes, (0.0, rows["truth"].to_numpy(float))):
            err = np.vstack([rows["mi"] - rows["ci_low"], rows["ci_high"] - rows["mi"]])
            ax.errorbar(rows["n"], rows["mi"] - shift, yerr=np.where(np.isfinite(err), err, 0), fmt=f"{marker}-",
                        color=colour, mfc=colour if filled else "white", capsize=2, lw=0.8, label=label)
    if len(truth) == 1:
        axes[0].axhline(truth[0], color="0.3", ls="--", lw=0.8, label=f"truth {truth[0]:g} {units}")
    axes[1].axhline(0, color="0.3", ls="--", lw=0.8)
    sizes = sorted(table["n"].unique())
    for ax, label in zip(axes, (f"MI ({units})", f"estimate minus truth ({units})")):
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{int(n):,}".replace(",", "\u2009") for n in sizes])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("samples N")
        ax.set_ylabel(label)
    axes[0].legend(loc="best")
    panel_letters(axes)
    return fig


def accuracy_table(results: dict) -> pd.DataFrame:
    """One row per analysis: its task (the dataset), truth, MI with interval, whether the interval covers the
    truth, and the verdict."""
    rows = []
    for name, result in results.items():
        truth = result.metadata.get("truth")
        if truth is None:
            raise InputError(f"figure accuracy: analysis {name!r} has no truth (set its dataset's truth, or use a "
                             f"task generator)")
        rows.append({"analysis": name, "task": result.metadata["dataset"], "truth": float(truth),
                     **{c: getattr(result, c) for c in VALUE_COLUMNS}, "reliable": bool(result.reliable)})
    table = pd.DataFrame(rows)
    table[VALUE_COLUMNS] = rounded(table[VALUE_COLUMNS].to_numpy())
    table["covers"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    return table


@styled
def accuracy_figure(table: pd.DataFrame, units: str):
    """Estimate against truth, one point per task with its interval (hollow: not reliable), on the diagonal."""
    fig, (ax,) = new_figure(1, width=COLUMN, height=COLUMN)
    top = float(np.nanmax(table[["truth", "ci_high"]].to_numpy())) * 1.05
    ax.plot([0, top], [0, top], color="0.5", lw=0.8, ls="--")
    for reliable, fill in ((True, "C0"), (False, "white")):
        rows = table[table["reliable"] == reliable]
        ax.errorbar(rows["truth"], rows["mi"], yerr=np.vstack([rows["mi"] - rows["ci_low"], rows["ci_high"] - rows["mi"]]),
                    fmt="o", color="C0", mfc=fill, capsize=1.5, lw=0.7, ms=3,
                    label="reliable" if reliable else "not reliable")
    ax.set_xlabel(f"true MI ({units})")
    ax.set_ylabel(f"estimate ({units})")
    ax.set_title(f"{int(table['covers'].sum())} of {len(table)} intervals cover the truth")
    ax.set_aspect("equal")
    ax.legend(loc="upper left")
    return fig


@styled
def panels_figure(results: dict, columns: int = 2):
    """Each analysis's own figure as a lettered panel titled with its name (a grid of `columns`)."""
    columns = min(columns, len(results))
    fig, axes = new_figure(len(results), width=DOUBLE_COLUMN if columns > 1 else COLUMN, height=PANEL_HEIGHT,
                           columns=columns)
    for ax, (name, result) in zip(axes, results.items()):
        result.plot(ax=ax)
        own, title = ax.get_title(), name.replace("_", " ")
        ax.set_title("")
        ax.set_title(f"{title}: {own}" if own else title, loc="left", pad=8)
    panel_letters(axes)
    return fig


def panels_table(results: dict) -> pd.DataFrame:
    """The panels' results: one row per analysis (MI, interval, verdict, finding)."""
    rows = [{"analysis": name, "mode": r.mode, **{c: getattr(r, c) for c in VALUE_COLUMNS}, "reliable": bool(r.reliable),
             "finding": r.finding} for name, r in results.items()]
    table = pd.DataFrame(rows)
    table[VALUE_COLUMNS] = rounded(table[VALUE_COLUMNS].to_numpy())
    return table


def figure_and_table(spec: dict, results: dict, references_by_dataset: dict, units: str):
    """The figure of a `figures:` entry ({kind, analyses, columns}) and the table of what it draws."""
    kind = spec["kind"]
    if kind == "sample_size":
        samples = {name: int(table["n"].iloc[0]) for name, table in references_by_dataset.items()}
        table = sample_size_table(results, samples, references_by_dataset)
        return sample_size_figure(table, units), table
    if kind == "accuracy":
        table = accuracy_table(results)
        return accuracy_figure(table, units), table
    if kind == "panels":
        return panels_figure(results, spec.get("columns", 2)), panels_table(results)
    raise InputError(f"figure kind: expected one of {list(KINDS)}, found {kind!r}")
