"""Train a group of planned fits (vectorised stacks); write their rows of the fit table and their curves."""

import sys

from neuralmi.api import find_mode, source, train
from neuralmi.data.datasets import data_options, side_from_table
from neuralmi.options import make_options
from neuralmi.outputs import read_json, read_parquet, write_parquet

sys.stderr = open(snakemake.log[0], "w")
info = read_json(snakemake.input.info) if "info" in snakemake.input.keys() else {}  # NWB datasets
mode = snakemake.params.mode
given = data_options(snakemake.params.options, info)
options = make_options({**given, "threads": snakemake.threads, "stack_memory_mb": max(16, snakemake.resources.mem_mb // 2)})
x, y, z = (side_from_table(read_parquet(snakemake.input[side])) for side in ("x", "y", "z"))
z = z if find_mode(mode).takes_z else None  # a dataset's Z is used only by a mode that takes one
plan = read_parquet(snakemake.input.plan)
fits, curves = train(
    source(x, y, options, mode, z),
    plan[plan["fit_id"].isin(snakemake.params.fits)],
    mode,
    options,
    snakemake.params.seed,
    snakemake.params.units,
    progress=sys.stderr,
)
write_parquet(snakemake.output.curves, curves)
write_parquet(snakemake.output.fit, fits)
