"""Collect an analysis's fits and compute its result (extrapolation in rigorous mode); save it as
`MIResult.save` does, so `neuralmi.load(results/<analysis>)` reads it back."""

import sys
from pathlib import Path

import pandas as pd

from neuralmi.api import summarise
from neuralmi.data.datasets import data_options
from neuralmi.options import make_options
from neuralmi.outputs import read_json, read_parquet

sys.stderr = open(snakemake.log[0], "w")
info = read_json(snakemake.input.info) if "info" in snakemake.input.keys() else {}  # NWB datasets
fits = pd.concat([read_parquet(f) for f in snakemake.input.fits], ignore_index=True)
curves = pd.concat([read_parquet(f) for f in snakemake.input.curves], ignore_index=True)
options = make_options(data_options(snakemake.params.options, info))
result = summarise(snakemake.params.mode, fits, curves, options, snakemake.params.units)
result.save(
    Path(snakemake.output.result).parent,
    analysis=snakemake.wildcards.analysis,
    dataset=snakemake.params.dataset,
    truth=snakemake.params.truth,
)
