"""The paper configuration, built once from a clean directory on this machine and timed:

- `snakemake --cores N --configfile config/paper.yaml` in a fresh copy of the workflow (wall time, jobs per
  rule, training time per analysis from the jobs' benchmark files);
- its figures (PNG and PDF), their tables, the summary and results/checksums.sha256 copied into paper/, where a
  reader sees them without running anything, and `verify_checksums` run against that list.

Writes benchmarks/results/paper.md. Usage: python benchmarks/paper.py [--cores 2] [--workdir DIR]
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "paper.md"
PAPER = ROOT / "paper"
CONFIG = "config/paper.yaml"


def snakemake(where: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=where, env=env, check=True,
                          capture_output=True, text=True)


def jobs_per_rule(log: str) -> dict:
    """Jobs finished per rule, from Snakemake's log."""
    return dict(Counter(re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", log)))


def training_seconds(results: Path) -> pd.Series:
    """Seconds of the training jobs of each analysis (Snakemake's benchmark files)."""
    rows = [(path.parent.name, pd.read_csv(path, sep="\t")["s"].iloc[0])
            for path in sorted(results.glob("benchmarks/train_fits/*/*.tsv"))]
    return pd.DataFrame(rows, columns=["analysis", "s"]).groupby("analysis")["s"].sum().sort_values(ascending=False)


def publish(results: Path) -> None:
    """The figures, their tables, the summary and the checksums into paper/ (replacing what was there)."""
    figures = PAPER / "figures"
    shutil.rmtree(figures, ignore_errors=True)
    figures.mkdir(parents=True)
    for path in sorted((results / "paper").iterdir()):
        shutil.copy(path, figures / path.name)
    for name in ("summary.csv", "checksums.sha256"):
        shutil.copy(results / name, PAPER / name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", help="build here and keep it (a new directory; default: a temporary one)")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / CONFIG).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.workdir or tmp)
        where.mkdir(exist_ok=bool(not args.workdir))
        for name in ("Snakefile", "workflow", "profiles", "resources", "config", "config.yaml"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, where / name)
        start = time.perf_counter()
        done = snakemake(where, "--cores", str(args.cores), "--configfile", CONFIG)
        seconds = time.perf_counter() - start
        counts = jobs_per_rule(done.stdout + done.stderr)
        training = training_seconds(where / "results")
        publish(where / "results")
        (where / "paper").mkdir()
        shutil.copy(PAPER / "checksums.sha256", where / "paper" / "checksums.sha256")
        snakemake(where, "verify_checksums", "--cores", "1", "--configfile", CONFIG)
        summary = pd.read_csv(where / "results" / "summary.csv")
    lines = [
        f"# The paper configuration ({CONFIG}), built from a clean directory "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"`snakemake --cores {args.cores}`)",
        "",
        f"Wall time: **{seconds:.0f} s** ({seconds / 60:.1f} min) for {len(config['analyses'])} analyses, "
        f"{len(config['figures'])} figures and {sum(v for k, v in counts.items() if k != 'all')} jobs; "
        f"training jobs {training.sum():.0f} s of it. `verify_checksums` against the published list: every file matches.",
        "",
        "| rule | jobs |", "|---|---|", *[f"| {rule} | {n} |" for rule, n in sorted(counts.items())],
        "",
        "Training time of the ten slowest analyses (s):",
        "",
        "| analysis | s |", "|---|---|", *[f"| {name} | {s:.1f} |" for name, s in training.head(10).items()],
        "",
        "Results (bits; `paper/summary.csv` has every row):",
        "",
        "| analysis | MI | 95% CI | truth | reliable |", "|---|---|---|---|---|",
        *[f"| {r.analysis} | {r.mi:.3f} | [{r.ci_low:.3f}, {r.ci_high:.3f}] | "
          f"{'' if pd.isna(r.truth) else f'{r.truth:.3f}'} | {r.reliable} |" for r in summary.itertuples()],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.write_text(text)


if __name__ == "__main__":
    main()
