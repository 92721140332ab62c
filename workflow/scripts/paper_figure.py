"""One figure of the config's `figures:` section from its analyses' saved results (PNG, PDF and the table of the
numbers it draws)."""

import sys
from pathlib import Path

from neuralmi.analysis.paper import figure_and_table
from neuralmi.analysis.style import write_figure
from neuralmi.api import load
from neuralmi.outputs import read_parquet, write_parquet

sys.stderr = open(snakemake.log[0], "w")
spec = snakemake.params.spec
results = {name: load(Path("results") / name) for name in spec["analyses"]}
references = {Path(path).parent.name: read_parquet(path) for path in snakemake.input
              if path.endswith("references.parquet")}
figure, table = figure_and_table(spec, results, references, snakemake.params.units)
write_figure(snakemake.output.png, figure)
write_figure(snakemake.output.pdf, figure)
write_parquet(snakemake.output.table, table)
