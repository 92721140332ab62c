"""Collect an analysis's fits and compute its result (extrapolation in rigorous mode)."""

import sys

import pandas as pd

from neuralmi.api import summarise
from neuralmi.options import make_options
from neuralmi.outputs import write_json, write_parquet

sys.stderr = open(snakemake.log[0], "w")
fits = pd.concat([pd.read_parquet(f) for f in snakemake.input.fits], ignore_index=True)
curves = pd.concat([pd.read_parquet(f) for f in snakemake.input.curves], ignore_index=True)
options = make_options(snakemake.params.options)
result = summarise(snakemake.params.mode, fits, curves, options, snakemake.params.units)
write_parquet(snakemake.output.fits, result.fits)
write_parquet(snakemake.output.curves, result.curves)
summary = result.summary if result.summary is not None else result.fits
write_parquet(snakemake.output.summary, summary)
null = result.null if result.null is not None else pd.DataFrame({"surrogate": [], "statistic": []})
write_parquet(snakemake.output.null, null)
write_json(
    snakemake.output.result,
    {**result.to_dict(), "analysis": snakemake.wildcards.analysis, "dataset": snakemake.params.dataset,
     "truth": snakemake.params.truth},
)
