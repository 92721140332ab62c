"""Load (or generate) one dataset, check nothing is lost in its tables, and write each side as Parquet."""

import sys

from neuralmi.data.datasets import load_dataset, side_table
from neuralmi.outputs import write_parquet

sys.stderr = open(snakemake.log[0], "w")
x, y = load_dataset(snakemake.wildcards.dataset, snakemake.params.spec)
write_parquet(snakemake.output.x, side_table(x))
write_parquet(snakemake.output.y, side_table(y))
