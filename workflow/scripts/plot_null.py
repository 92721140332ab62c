"""The permutation null of one analysis: the surrogates' statistic against the observed value."""

import sys

import pandas as pd

from neuralmi.api import summarise
from neuralmi.options import make_options
from neuralmi.outputs import write_figure

sys.stderr = open(snakemake.log[0], "w")
fits, curves = pd.read_parquet(snakemake.input.fits), pd.read_parquet(snakemake.input.curves)
options = make_options(snakemake.params.options)
result = summarise(snakemake.params.mode, fits, curves, options, snakemake.params.units)
write_figure(snakemake.output[0], result.plot_null())
