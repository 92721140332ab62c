"""Figures of one analysis: its main figure (extrapolation or curves) as PNG and PDF, and its curves."""

import sys

import pandas as pd

from neuralmi.analysis.plots import plot_curves
from neuralmi.api import summarise
from neuralmi.options import make_options
from neuralmi.outputs import write_figure

sys.stderr = open(snakemake.log[0], "w")
fits, curves = pd.read_parquet(snakemake.input.fits), pd.read_parquet(snakemake.input.curves)
options = make_options(snakemake.params.options)
result = summarise(snakemake.params.mode, fits, curves, options, snakemake.params.units)
figure = result.plot()
write_figure(snakemake.output.main, figure)
write_figure(snakemake.output.main_pdf, figure)
write_figure(snakemake.output.curves, plot_curves(result))
