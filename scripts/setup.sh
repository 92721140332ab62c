#!/usr/bin/env bash
# Create .venv with the pinned dependencies and neuralmi installed in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet -e '.[test,workflow,examples,docs,nwb]'
