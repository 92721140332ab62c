"""Figures of one analysis: its main figure (extrapolation or curves) as PNG and PDF, and its curves."""

import sys
from pathlib import Path

from neuralmi.analysis.plots import plot_curves
from neuralmi.analysis.style import write_figure
from neuralmi.api import load

sys.stderr = open(snakemake.log[0], "w")
result = load(Path(snakemake.input[0]).parent)
figure = result.plot()
write_figure(snakemake.output.main, figure)
write_figure(snakemake.output.main_pdf, figure)
write_figure(snakemake.output.curves, plot_curves(result))
