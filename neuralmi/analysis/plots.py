"""Figures of the modes; each takes an MIResult and an optional Axes and returns the Figure."""

from __future__ import annotations

import numpy as np


def _axes(ax):
    """The given Axes and its figure, or a new figure (no pyplot, so no GUI backend is needed)."""
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5), layout="constrained")
    return fig, fig.subplots()


def plot_curves(result, ax=None):
    """Validation (raw and smoothed) and training-subset MI per epoch, with the selected epoch marked."""
    fig, ax = _axes(ax)
    for fit_id, curve in result.curves.groupby("fit_id"):
        first = fit_id == result.curves["fit_id"].iloc[0]
        ax.plot(curve["epoch"], curve["val_mi"], color="C0", alpha=0.3, lw=0.8, label="held-out" if first else None)
        ax.plot(curve["epoch"], curve["val_smoothed"], color="C0", lw=1.5, label="held-out, smoothed" if first else None)
        ax.plot(curve["epoch"], curve["train_mi"], color="C1", alpha=0.6, lw=0.8, label="training subset" if first else None)
    for best in result.fits["best_epoch"]:
        ax.axvline(best, color="0.5", ls=":", lw=0.8)
    ax.axhline(result.mi, color="k", lw=0.8, ls="--", label=f"estimate {result.mi:.3f} {result.units}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"MI ({result.units})")
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_extrapolation(result, ax=None):
    """Fits and per-gamma means against 1/N, the weighted line and the corrected MI with its interval."""
    fig, ax = _axes(ax)
    fits, table = result.fits, result.summary
    ax.scatter(1.0 / fits["n_samples"], fits["mi"], s=8, color="0.6", label="fits")
    used = table[table["used"]]
    dropped = table[~table["used"]]
    err = np.sqrt(table["var_of_mean"])
    ax.errorbar(used["x"], used["mean"], yerr=err[table["used"]], fmt="o", color="C0", label="mean per gamma")
    if len(dropped):
        ax.errorbar(dropped["x"], dropped["mean"], yerr=err[~table["used"]], fmt="o", mfc="none", color="C3",
                    label="dropped (curvature)")
    xs = np.linspace(0, table["x"].max(), 50)
    ax.plot(xs, result.mi + result.details["slope"] * xs, color="C0", lw=1)
    ax.errorbar([0], [result.mi], yerr=[[result.mi - result.ci_low], [result.ci_high - result.mi]], fmt="s",
                color="k", capsize=3, label=f"corrected {result.mi:.3f} {result.units}")
    ax.set_xlabel("1 / N (subset size)")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    ax.set_ylabel(f"MI ({result.units})")
    ax.set_xlim(left=-0.02 * table["x"].max())
    ax.legend(frameon=False, fontsize=8)
    return fig
