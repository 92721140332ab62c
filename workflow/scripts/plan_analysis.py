"""Fix an analysis's fits (labels and sample indices) in a Parquet table."""

import sys

import pandas as pd

from neuralmi.api import plan
from neuralmi.options import make_options
from neuralmi.outputs import write_parquet

sys.stderr = open(snakemake.log[0], "w")
n_samples = len(pd.read_parquet(snakemake.input[0]))
table = plan(n_samples, snakemake.params.mode, make_options(snakemake.params.options), snakemake.params.seed)
write_parquet(snakemake.output[0], table)
