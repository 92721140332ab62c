"""SHA-256 of every figure and table the workflow was run for (results/checksums.sha256)."""

import sys

from neuralmi.checksums import write

sys.stderr = open(snakemake.log[0], "w")
write(snakemake.input, snakemake.output[0])
