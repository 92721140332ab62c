#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/neuralmi ] && [ -x .venv/bin/snakemake ] && [ -x .venv/bin/mkdocs ] && [ -x .venv/bin/lint-imports ] \
    && .venv/bin/python -c "import sklearn, pynwb" 2>/dev/null \
    || bash scripts/setup.sh
.venv/bin/python -m pytest -q "$@"
