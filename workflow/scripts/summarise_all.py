"""One row per analysis: MI, interval, reliability and its reasons, units, truth, a bracket's upper bound and
interval (empty without one) and the mode's finding."""

import sys
from pathlib import Path

import pandas as pd

from neuralmi.analysis.result import summary_row
from neuralmi.outputs import read_json, summary_html, write_atomic, write_parquet

sys.stderr = open(snakemake.log[0], "w")
rows = []
for path in snakemake.input:
    rows.append(summary_row(read_json(path)))
table = pd.DataFrame(rows)
write_parquet(snakemake.output.parquet, table)
write_atomic(snakemake.output.csv, lambda tmp: table.to_csv(tmp, index=False))
write_atomic(snakemake.output.html, lambda tmp: Path(tmp).write_text(summary_html(table)))
