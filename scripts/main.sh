#!/usr/bin/env bash
# Set up (if needed) and run the main job: rigorous, bias-corrected MI on the embedded example.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/neuralmi ] || bash scripts/setup.sh
out=results/example
.venv/bin/neuralmi run resources/example/x.npy resources/example/y.npy --mode rigorous --units bits --seed 0 \
    --out "$out/result.json" --fits "$out/fits.parquet" --curves "$out/curves.parquet" --plot "$out/extrapolation.png"
cat "$out/result.json"
