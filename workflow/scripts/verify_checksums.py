"""Check the rebuilt tree against the config's reference_checksums; fails naming every file that differs."""

import sys
from pathlib import Path

from neuralmi.checksums import differences
from neuralmi.errors import InputError

sys.stderr = open(snakemake.log[0], "w")
reference = snakemake.params.reference
if not reference:
    raise InputError("verify_checksums: set reference_checksums in the config (a checksums file to check against)")
found = differences(reference)
if found:
    raise InputError(f"results differ from {reference}:\n" + "\n".join(found))
Path(snakemake.output[0]).write_text(f"every file of {reference} matches\n")
