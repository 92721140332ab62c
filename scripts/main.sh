#!/usr/bin/env bash
# Set up (if needed) and run the main job: the workflow on the default config.yaml (the embedded example).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/neuralmi ] && [ -x .venv/bin/snakemake ] && .venv/bin/python -c "import pynwb" 2>/dev/null \
    || bash scripts/setup.sh
.venv/bin/snakemake --cores "${CORES:-2}"
.venv/bin/snakemake --report results/report.html
cat results/summary.csv
