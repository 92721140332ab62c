"""The permutation null of one analysis: the surrogates' statistic against the observed value."""

import sys
from pathlib import Path

from neuralmi.analysis.style import write_figure
from neuralmi.api import load

sys.stderr = open(snakemake.log[0], "w")
write_figure(snakemake.output[0], load(Path(snakemake.input[0]).parent).plot_null())
