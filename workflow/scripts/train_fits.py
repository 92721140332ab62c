"""Train a group of planned fits as one stack; write their rows of the fit table and their curves."""

import sys

import pandas as pd

from neuralmi.api import prepare, train
from neuralmi.data.datasets import from_table
from neuralmi.options import make_options
from neuralmi.outputs import write_parquet

sys.stderr = open(snakemake.log[0], "w")
options = make_options({**snakemake.params.options, "threads": snakemake.threads})
x, y = prepare(*from_table(pd.read_parquet(snakemake.input.data)), options)
plan = pd.read_parquet(snakemake.input.plan)
fits, curves = train(x, y, plan[plan["fit_id"].isin(snakemake.params.fits)], options, snakemake.params.units)
write_parquet(snakemake.output.curves, curves)
write_parquet(snakemake.output.fit, fits)
