"""The one look of every figure: a journal column's size, fonts shipped with matplotlib, a colour-blind-safe
palette, integer ticks on count axes, panel letters, and files that carry no date, path or version."""

from __future__ import annotations

import functools
import string
from pathlib import Path

import matplotlib
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from neuralmi.outputs import write_atomic

COLUMN, DOUBLE_COLUMN = 3.5, 7.2  # inches: one and two columns of a journal page (89 mm, 183 mm)
PANEL_HEIGHT = 2.4
# Okabe & Ito's palette, distinct under the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "legend.fontsize": 6,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "neuralmi",
    "image.cmap": "cividis",
}
# File metadata that would change from run to run or machine to machine is left out.
METADATA = {"png": {"Software": None}, "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
            "svg": {"Creator": None, "Date": None}}


def styled(plot):
    """Run a plotting function inside the house style (fonts and sizes are read when artists are created)."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(RC):
            return plot(*args, **kwargs)

    return wrapper


def new_figure(n_panels: int = 1, width: float = COLUMN, height: float = PANEL_HEIGHT, columns: int | None = None):
    """A Figure (no pyplot, no GUI backend) with `n_panels` axes in `columns` columns (all by default)."""
    columns = columns or n_panels
    rows = -(-n_panels // columns)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height * rows), layout="constrained")
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes[:n_panels])


def panel_letters(axes) -> None:
    """Bold lower-case letters a, b, ... at the top left of each panel, outside the axes."""
    for letter, ax in zip(string.ascii_lowercase, axes):
        ax.text(-0.02, 1.02, letter, transform=ax.transAxes, ha="right", va="bottom", fontweight="bold",
                fontsize=RC["font.size"] + 2)


def integer_ticks(axis) -> None:
    """Only whole numbers as ticks on an axis that counts (dimensions, epochs, channels)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def save(figure, path) -> None:
    """Write `figure` to `path` (format from the suffix) with the house resolution and no volatile metadata."""
    fmt = Path(path).suffix.lstrip(".")
    with matplotlib.rc_context(RC):
        figure.savefig(path, format=fmt, metadata=METADATA.get(fmt))


def write_figure(path, figure) -> None:
    """`figure` saved to `path` atomically (`save`: the house resolution, no dates or versions in its metadata)."""
    write_atomic(path, lambda tmp: save(figure, tmp))
