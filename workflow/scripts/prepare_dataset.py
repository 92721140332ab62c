"""Load (or generate) one dataset, check nothing is lost in its tables, and write each side as Parquet; for an NWB
file also what the file fixes (its rate, time range, session ids and unit ids) as info.json."""

import sys

from neuralmi.data.datasets import read_dataset, side_table
from neuralmi.outputs import write_json, write_parquet

sys.stderr = open(snakemake.log[0], "w")
sides, info = read_dataset(snakemake.wildcards.dataset, snakemake.params.spec)
for name, data in zip(("x", "y", "z"), sides):
    write_parquet(snakemake.output[name], side_table(data))
if "info" in snakemake.output.keys():
    write_json(snakemake.output.info, info)
