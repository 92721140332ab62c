"""Figures shared by the modes (a fit's curves, the extrapolation, a chain rule's differences, the permutation
null) and the helpers of every mode's figure; each figure takes an MIResult and an optional Axes and returns
the Figure. A mode's own figure lives in its module (analysis/modes/)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from neuralmi.analysis.style import DOUBLE_COLUMN, PANEL_HEIGHT, integer_ticks, new_figure, styled


def axes_of(ax):
    """The given Axes and its figure, or a new one-panel figure in the house style."""
    if ax is not None:
        return ax.figure, ax
    fig, (ax,) = new_figure()
    return fig, ax


def observed_fits(result):
    """The result's fits without a permutation null's surrogates and a bracket's upper fits."""
    fits = result.fits[result.fits["null"] == 0]
    return fits if result.upper is None else fits[~fits["fit_id"].isin(result.upper.fits["fit_id"])]


def _bracket(ax, result, x: float = 0.0):
    """A bracket's upper value with its interval at `x` and the band between the lower and upper values."""
    upper, units = result.upper, result.units
    name = result.details["upper_bound"]
    ax.axhspan(result.mi, upper.mi, color="C2", alpha=0.15, lw=0, label="bracket")
    ax.errorbar([x], [upper.mi], yerr=[[upper.mi - upper.ci_low], [upper.ci_high - upper.mi]], fmt="v", color="C2",
                capsize=3, label=f"upper bound ({name}) {upper.mi:.3f} {units}")


def finish(fig, ax, units: str):
    """Common labelling: the MI axis in `units` and a frameless legend."""
    ax.set_ylabel(f"MI ({units})")
    ax.legend()
    return fig


@styled
def plot_curves(result, ax=None):
    """Validation (raw and smoothed) and training-subset MI per epoch, with the selected epoch marked."""
    fig, ax = axes_of(ax)
    lower = result.curves[result.curves["fit_id"].isin(observed_fits(result)["fit_id"])]
    for fit_id, curve in lower.groupby("fit_id"):
        first = fit_id == lower["fit_id"].iloc[0]
        ax.plot(curve["epoch"], curve["val_mi"], color="C0", alpha=0.3, lw=0.8, label="held-out" if first else None)
        ax.plot(curve["epoch"], curve["val_smoothed"], color="C0", lw=1.5, label="held-out, smoothed" if first else None)
        ax.plot(curve["epoch"], curve["train_mi"], color="C1", alpha=0.6, lw=0.8, label="training subset" if first else None)
    for best in observed_fits(result)["best_epoch"]:
        ax.axvline(best, color="0.5", ls=":", lw=0.8)
    ax.axhline(result.mi, color="k", lw=0.8, ls="--", label=f"estimate {result.mi:.3f} {result.units}")
    if result.upper is not None:
        upper = result.curves[result.curves["fit_id"].isin(result.upper.fits["fit_id"])]
        for _, curve in upper.groupby("fit_id"):
            ax.plot(curve["epoch"], curve["val_smoothed"], color="C2", lw=1.5)
        _bracket(ax, result, float(result.upper.fits["best_epoch"].max()))
    ax.set_xlabel("epoch")
    integer_ticks(ax.xaxis)
    return finish(fig, ax, result.units)


@styled
def plot_extrapolation(result, ax=None):
    """Fits and per-gamma means against 1/N, the weighted line and the corrected MI with its interval, and the
    other quantity's per-gamma means and line (the cross-check)."""
    fig, ax = axes_of(ax)
    fits, table, details = observed_fits(result), result.summary, result.details
    ax.scatter(1.0 / fits["n_samples"], fits["mi"], s=8, color="0.6", label="fits")
    used = table[table["used"]]
    dropped = table[~table["used"]]
    err = np.sqrt(table["var_of_mean"])
    ax.errorbar(used["x"], used["mean"], yerr=err[table["used"]], fmt="o", color="C0", label="mean per gamma")
    if len(dropped):
        ax.errorbar(dropped["x"], dropped["mean"], yerr=err[~table["used"]], fmt="o", mfc="none", color="C3",
                    label="dropped (curvature)")
    xs = np.linspace(0, table["x"].max(), 50)
    ax.plot(xs, result.mi + details["slope"] * xs, color="C0", lw=1)
    ax.errorbar(used["x"], used["other_mean"], yerr=np.sqrt(used["other_var_of_mean"]), fmt="^", ms=4,
                color="C1", label=f"{details['other_quantity']} mean per gamma")
    xs_used = np.linspace(0, used["x"].max(), 50)
    ax.plot(xs_used, details["other_mi"] + details["other_slope"] * xs_used, color="C1", lw=1, ls="--")
    ax.errorbar([0], [result.mi], yerr=[[result.mi - result.ci_low], [result.ci_high - result.mi]], fmt="s",
                color="k", capsize=3, label=f"corrected {result.mi:.3f} {result.units}")
    if result.upper is not None:
        upper = result.upper.summary
        ax.errorbar(upper["x"], upper["mean"], yerr=np.sqrt(upper["var_of_mean"]), fmt="v", ms=4, color="C2")
        ax.plot(xs, result.upper.mi + result.upper.details["slope"] * xs, color="C2", lw=1)
        _bracket(ax, result)
    ax.set_xlabel("1 / N (subset size)")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    ax.set_xlim(left=-0.02 * table["x"].max())
    return finish(fig, ax, result.units)


def band(ax, table, x: str, label: str, color: str = "C0"):
    """MI against column `x` of a per-point table, with its interval as a shaded band."""
    order = table.sort_values(x)
    ax.plot(order[x], order["mi"], "o-", color=color, ms=3, label=label)
    ax.fill_between(order[x], order["ci_low"], order["ci_high"], color=color, alpha=0.2, lw=0)


QUANTITY_LABELS = {"te": "TE", "conditional": "I(X;Y|Z)", "joint": "joint term", "own": "own term"}
DIRECTION_LABELS = {"x_to_y": "X->Y", "y_to_x": "Y->X", "net": "X->Y minus Y->X"}


@styled
def plot_differences(result, ax=None):
    """A chain-rule mode (TE, conditional MI). Left: each corrected difference's paired means per gamma against
    1/N (hollow: dropped for curvature), its line, and the value with its interval at 1/N = 0. Right (on a new
    figure only): every corrected quantity, the differences and both terms of each, with its interval. Without
    extrapolation (no per-gamma summary) only the quantities."""
    if result.summary is None:
        fig, ax = axes_of(ax)
        _quantities(ax, result.frame, result.units)
        return fig
    if ax is None:
        fig = Figure(figsize=(DOUBLE_COLUMN, PANEL_HEIGHT), layout="constrained")
        ax, terms_ax = fig.subplots(1, 2, width_ratios=[3, 2])
        _quantities(terms_ax, result.frame, result.units)
    fig = ax.figure
    for i, (name, table) in enumerate(result.summary.groupby("quantity", sort=False)):
        line, color, used = table.iloc[0], f"C{i}", table["used"].to_numpy(bool)
        for rows, fill in ((used, color), (~used, "none")):
            ax.errorbar(table["x"][rows], table["mean"][rows], yerr=np.sqrt(table["var_of_mean"][rows]), fmt="o",
                        ms=4, color=color, mfc=fill)
        xs = np.linspace(0, table["x"][used].max(), 50)
        ax.plot(xs, line["mi"] + line["slope"] * xs, color=color, lw=1)
        ax.errorbar([0], [line["mi"]], yerr=[[line["mi"] - line["ci_low"]], [line["ci_high"] - line["mi"]]],
                    fmt="s", color=color, capsize=3, label=f"{name} {line['mi']:.3f} {result.units}")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("1 / N (subset size)")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    return finish(fig, ax, result.units)


def _quantities(ax, frame, units: str) -> None:
    """Each row of a chain-rule table as a value with its interval, top to bottom."""
    labels = [QUANTITY_LABELS[r.quantity] + (f" {DIRECTION_LABELS[r.direction]}" if "direction" in frame else "")
              for r in frame.itertuples()]
    rows = np.arange(len(frame))[::-1]
    colors = ["k" if q in ("te", "conditional") else "0.5" for q in frame["quantity"]]
    for row, r, color in zip(rows, frame.itertuples(), colors):
        ax.errorbar([r.mi], [row], xerr=[[r.mi - r.ci_low], [r.ci_high - r.mi]], fmt="o", color=color, capsize=3)
    ax.set_yticks(rows, labels)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel(f"corrected value ({units})")


@styled
def plot_null(result, ax=None):
    """The permutation null: a histogram of the surrogates' statistic with the observed value and p for one
    point; for a scan, each point's observed statistic beside the null's central 95% and its q-value mark."""
    if result.null is None:
        raise ValueError("plot_null: the result has no permutation null (set null_permutations)")
    fig, ax = axes_of(ax)
    keys = [c for c in result.null.columns if c not in ("surrogate", "statistic")]
    significance = result.significance
    if len(significance) == 1:
        values = result.null.loc[result.null["surrogate"] > 0, "statistic"]
        ax.hist(values[np.isfinite(values)], bins=max(10, len(values) // 10), color="0.6", label="surrogates")
        observed, p = float(significance["observed"].iloc[0]), float(significance["p_value"].iloc[0])
        ax.axvline(observed, color="C3", lw=1.5, label=f"observed {observed:.3f} (p = {p:.3g})")
        ax.set_xlabel(f"statistic ({result.units})")
        ax.set_ylabel("surrogates")
        ax.legend()
        return fig
    labels = [", ".join(str(v) for v in row) for row in significance[keys].itertuples(index=False)]
    surrogates = result.null[result.null["surrogate"] > 0]
    spread = surrogates.groupby(keys, sort=False)["statistic"].quantile([0.025, 0.975]).unstack()
    spread = spread.reindex(_key_index(significance[keys]))
    xs = np.arange(len(significance))
    ax.fill_between(xs, spread.iloc[:, 0], spread.iloc[:, 1], color="0.8", step="mid", label="null, central 95%")
    alpha = result.details["significance_level"]
    hit = (significance["q_value"] < alpha).to_numpy()
    ax.plot(xs, significance["observed"], "o", color="0.4", ms=3, label="observed")
    ax.plot(xs[hit], significance["observed"][hit], "o", color="C3", ms=4, label=f"q < {alpha:g}")
    ax.set_xticks(xs, labels, rotation=90 if len(xs) > 8 else 0)
    ax.set_xlabel(", ".join(keys))
    return finish(fig, ax, result.units)


def _key_index(frame):
    """The points' key columns as an index (a MultiIndex for several keys)."""
    return pd.MultiIndex.from_frame(frame) if frame.shape[1] > 1 else pd.Index(frame.iloc[:, 0])
