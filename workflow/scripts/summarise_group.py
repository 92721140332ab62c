"""The group level of an analysis run on every session of its dataset: per session and point their values, the
random-effects estimate across sessions, the sessions significant at FDR q < 0.05, and the forest plot."""

import sys
from pathlib import Path

from neuralmi.analysis.style import write_figure
from neuralmi.api import group, load

sys.stderr = open(snakemake.log[0], "w")
results = {}
for key, member in snakemake.params.sessions.items():
    results[key] = load(Path("results") / member)
result = group(results)
result.metadata = {"analysis": snakemake.wildcards.group, "dataset": snakemake.params.dataset,
                   "truth": snakemake.params.truth}
result.save(Path(snakemake.output.json).parent)
figure = result.plot()
write_figure(snakemake.output.forest, figure)
write_figure(snakemake.output.forest_pdf, figure)
