"""Load (or generate) one dataset, check nothing is lost in its tables, and write each side as Parquet."""

import sys

from neuralmi.data.datasets import load_dataset, side_table
from neuralmi.outputs import write_parquet

sys.stderr = open(snakemake.log[0], "w")
sides = load_dataset(snakemake.wildcards.dataset, snakemake.params.spec)
for name, data in zip(("x", "y", "z"), sides):
    write_parquet(snakemake.output[name], side_table(data))
