"""Running the workflow in tests and reading Snakemake's output (importable from tests/ and tests/cluster/:
pytest puts tests/ on sys.path to load tests/conftest.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY_OPTIONS = {"gammas": [1, 2], "min_gammas": 2, "max_epochs": 4, "hidden_dim": 8, "embedding_dim": 2}
TINY_CONFIG = {
    "datasets": {"gauss": {"generator": "correlated_gaussian",
                           "params": {"n": 400, "dim_x": 2, "dim_y": 2, "mi": 1.0, "seed": 3}, "truth": 1.0}},
    "analyses": {"tiny": {"dataset": "gauss", "mode": "rigorous", "options": TINY_OPTIONS, "seed": 2}},
    "units": "bits",
    "seed": 0,
    "training": {"group": "fit", "threads": 1},  # three training jobs: 1 + 2 fits
}
"""A small rigorous analysis in three training jobs, for the tests that break or distribute the workflow."""


def workdir(where: Path, config: dict) -> Path:
    """A fresh copy of the workflow (Snakefile, rules, profiles, resources) in `where`, with `config`."""
    for name in ("Snakefile", "workflow", "profiles", "resources"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, where / name)
    (where / "config.yaml").write_text(yaml.safe_dump(config))
    return where


SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake(where, *args, check=True):
    """Snakemake run in `where`; a failure raises with the end of its output (unless check=False)."""
    done = subprocess.run([*SNAKEMAKE, *args], cwd=where, capture_output=True, text=True, timeout=600)
    if check and done.returncode:
        raise AssertionError(done.stdout[-3000:] + done.stderr[-3000:])
    return done


def memory_mb(expression, attempt: int) -> int:
    """A profile's mem_mb (a number or an expression in `attempt`) for the given attempt."""
    return eval(str(expression), {"attempt": attempt})


def job_counts(output: str) -> dict:
    """Snakemake's "Job stats" table: jobs per rule in this run."""
    counts, in_table = {}, False
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
        elif in_table and len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
        elif in_table and counts and not parts:
            break
    return counts
