"""Fix an analysis's fits (points, labels and sample indices) in a Parquet table; for a later round, the fits of
the points chosen from the rounds before."""

import sys

import pandas as pd

from neuralmi.api import find_mode, plan, source
from neuralmi.data.datasets import data_options, side_from_table
from neuralmi.options import make_options
from neuralmi.outputs import read_json, read_parquet, write_parquet

sys.stderr = open(snakemake.log[0], "w")
info = read_json(snakemake.input.info) if "info" in snakemake.input.keys() else {}  # NWB datasets
mode, options = snakemake.params.mode, make_options(data_options(snakemake.params.options, info))
x, y, z = (side_from_table(read_parquet(snakemake.input[side])) for side in ("x", "y", "z"))
z = z if find_mode(mode).takes_z else None  # a dataset's Z is used only by a mode that takes one
# a later round (a mode that trains in rounds) is planned from the fits of every round before it
earlier = [read_parquet(f) for f in snakemake.input.get("fits", [])]
fits = pd.concat(earlier, ignore_index=True) if earlier else None
table = plan(source(x, y, options, mode, z), mode, options, snakemake.params.seed, fits)
write_parquet(snakemake.output[0], table)
