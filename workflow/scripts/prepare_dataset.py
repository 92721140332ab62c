"""Write one dataset's samples as a table (x_*, y_* columns)."""

import sys

from neuralmi.data.datasets import load_dataset, to_table
from neuralmi.outputs import write_parquet

sys.stderr = open(snakemake.log[0], "w")
x, y = load_dataset(snakemake.wildcards.dataset, snakemake.params.spec)
write_parquet(snakemake.output[0], to_table(x, y))
