"""The classical estimates of one dataset (KSG with its interval, Gaussian) for figures that compare with them."""

import sys

from neuralmi.analysis.paper import references
from neuralmi.data.datasets import side_from_table
from neuralmi.outputs import read_parquet, write_parquet

sys.stderr = open(snakemake.log[0], "w")
x, y = (side_from_table(read_parquet(snakemake.input[side])) for side in ("x", "y"))
write_parquet(snakemake.output[0], references(x, y, snakemake.params.units))
