"""Wall times, all in one run on one machine:

- estimate and rigorous mode on the 5000-sample, 5+5-D, 2-bit case, and the rigorous fits trained one at a
  time vs. as one stack;
- with --old REV: rigorous mode of a previous revision (its code and defaults) vs. this checkout, at 1 and 2
  threads;
- what one fit's epoch costs alone and inside stacks of 8 and 55 (the bound on any stack's speed-up);
- the workflow on the default config.yaml (embedded example) with each training-job grouping.

Writes benchmarks/results/speed.md. Usage: python benchmarks/speed.py [--no-workflow] [--old REV]

With --scans instead: the scans of this checkout, and with --old REV those of a previous revision beside them,
each in a fresh process on the same machine (2 threads), written to benchmarks/results/scans.md: dimensionality
scans of 20-channel populations of 8000 samples driven by a 1-D or 3-D latent at noise 0.1 and 0.05 (embedding
dims 1..8, 5 repeats: 40 fits each; the right answer is the latent's dimension), a sweep of 3 hidden widths x 3
learning rates x 3 repeats, and, with --old and without --no-workflow, the workflow's main job on each
revision's default config.
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

import numpy as np
import pandas as pd
import torch

import neuralmi
from neuralmi.api import plan, source, summarise, train
from neuralmi.data.generators import correlated_gaussian, population
from neuralmi.options import make_options
from neuralmi.training.specs import FitSpec
from neuralmi.training.trainer import train_fits
from revisions import checkout, run_mode, run_rigorous

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "speed.md"
GROUPINGS = {"fit": 1, "gamma": 1, "analysis": 2}


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def workflow_time(group: str | None = None, threads: int | None = None, root: Path = ROOT) -> tuple[float, dict]:
    """Wall time of `snakemake --cores 2` on the default config of the checkout `root` (its package imported) in a
    fresh copy, with this grouping (None: the config's own)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("Snakefile", "workflow", "profiles", "resources"):
            src = root / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, Path(tmp) / name)
        config = yaml.safe_load((root / "config.yaml").read_text())
        if group:
            config["training"].update(group=group, threads=threads)
        (Path(tmp) / "config.yaml").write_text(yaml.safe_dump(config))
        env = {**os.environ, "PYTHONPATH": str(root)}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet"], cwd=tmp, check=True, env=env)
        seconds = time.perf_counter() - start
        results = {p.parent.name: json.loads(p.read_text()) for p in Path(tmp).glob("results/*/result.json")}
        return seconds, results


def workflow_lines() -> list[str]:
    lines = ["", "## Workflow on the default config (`snakemake --cores 2`, fresh directory)", "",
             "| training.group | threads per job | wall s (whole run) | analysis | MI (bits) | 95% CI | finding |",
             "|---|---|---|---|---|---|---|"]
    for group, threads in GROUPINGS.items():
        seconds, results = workflow_time(group, threads)
        for name, r in sorted(results.items()):
            lines.append(f"| {group} | {threads} | {seconds:.0f} | {name} | {r['mi']:.3f} | "
                         f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {r['finding']} |")
            print(lines[-1], flush=True)
    return lines


def member_epoch_lines(x, y) -> list[str]:
    """Milliseconds per fit-epoch (15 training steps of 256 pairs, then scoring 1000 held-out samples all pairs
    and the 4000 training samples in 4 blocks of 1000) of identical γ = 1 fits trained 8 epochs, scored after
    every epoch, alone and as stacks, after one warm-up fit:
    the cheapest a stack makes one fit's work, so a bound on the speed-up of any stack."""
    epochs = 8
    options = make_options({"max_epochs": epochs, "patience": None, "eval_interval": 1})

    def specs(k):
        return [FitSpec(np.arange(4000), np.arange(4000, 5000), seed) for seed in range(k)]

    train_fits(x, y, specs(1), options)
    lines = ["", f"## One fit's epoch alone and in a stack (4000 training, 1000 held-out samples, {epochs} epochs)",
             "", "| fits in the stack | wall s | ms per fit-epoch | vs alone |", "|---|---|---|---|"]
    alone = None
    for k in (1, 8, 55):
        _, seconds = timed(lambda: train_fits(x, y, specs(k), options))
        per = seconds / (epochs * k) * 1e3
        alone = alone or per
        lines.append(f"| {k} | {seconds:.2f} | {per:.1f} | {alone / per:.1f}x |")
    return lines


def revisions_lines(x, y, old: str, repeats: int = 2) -> list[str]:
    """The rigorous 2-bit case with a previous revision (its code and defaults) and with this checkout, each run
    in its own process, alternating, at 1 and 2 threads: median wall time of `repeats` runs each."""
    lines = ["", f"## Rigorous mode: previous revision {old} vs this checkout (each with its own defaults; "
             f"alternating runs in fresh processes, median of {repeats})", "",
             "| threads | revision | wall s | fit-epochs | MI (bits) | 95% CI | reliable |", "|---|---|---|---|---|---|---|"]
    with checkout(old) as previous:
        for threads in (1, 2):
            runs = {"previous": [], "current": []}
            for _ in range(repeats):
                for name, package in (("previous", previous), ("current", ROOT)):
                    runs[name].append(run_rigorous(package, x, y, threads=threads, units="bits"))
            seconds = {name: float(np.median([r["seconds"] for r in rs])) for name, rs in runs.items()}
            for name, rs in runs.items():
                r = rs[-1]
                lines.append(f"| {threads} | {name} | {seconds[name]:.2f} | {r['fit_epochs']} | {r['mi']:.3f} | "
                             f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {r['reliable']} |")
            lines.append(f"| {threads} | ratio | {seconds['previous'] / seconds['current']:.1f}x | | | | |")
            print("\n".join(lines[-3:]), flush=True)
    return lines


POPULATIONS = [(1, 0.1), (1, 0.05), (3, 0.1), (3, 0.05)]
"""The dimensionality scans' populations, (latent dimension, noise s.d.): 8000 samples x 20 channels; the right
answer is the latent dimension."""
SWEEP_OPTIONS = {"grid": {"hidden_dim": [32, 64, 128], "learning_rate": [0.0003, 0.001, 0.003]}, "repeats": 3}


def scan_cases() -> list[tuple]:
    """(label, mode, x, y, options, right answer) of each scan."""
    cases = [(f"dimensionality, {latent}-D latent, noise {noise}", "dimensionality",
              population(8000, 20, latent_dim=latent, noise=noise, seed=0), None, {}, latent)
             for latent, noise in POPULATIONS]
    return cases + [("sweep", "sweep", *correlated_gaussian(5000, 5, 5, 2.0, seed=0), SWEEP_OPTIONS, None)]


def scan_lines(old: str | None, with_workflow: bool = True) -> list[str]:
    """Each scan (on a previous revision too, with `old`) and (with_workflow and `old`) the workflow's main job on
    both."""
    against = f"previous revision {old} vs this checkout" if old else "this checkout"
    lines = [f"# Scans: {against} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
             f"{torch.__version__}, 2 threads, each run in a fresh process)", "",
             "| run | revision | wall s | fits | fit-epochs | MI (bits) | 95% CI | answer | right |",
             "|---|---|---|---|---|---|---|---|---|"]
    with contextlib.ExitStack() as stack:
        packages = ([("previous", stack.enter_context(checkout(old)))] if old else []) + [("current", ROOT)]
        for label, mode, x, y, options, right in scan_cases():
            runs = {name: run_mode(package, x, y, mode, threads=2, units="bits", options=options)
                    for name, package in packages}
            for name, r in runs.items():
                answer = f"{r['dimensionality']} {r['dimensionality_ci']}" if r["dimensionality"] is not None else ""
                lines.append(f"| {label} | {name} | {r['seconds']:.1f} | {r['fits']} | {r['fit_epochs']} | "
                             f"{r['mi']:.3f} | [{r['ci_low']:.3f}, {r['ci_high']:.3f}] | {answer} | "
                             f"{'' if right is None else r['dimensionality'] == right} |")
            if old:
                lines.append(f"| {label} | ratio | {runs['previous']['seconds'] / runs['current']['seconds']:.1f}x "
                             f"| | | | | | |")
            print("\n".join(lines[-len(runs) - bool(old):]), flush=True)
        if not (with_workflow and old):
            return lines
        seconds = {name: workflow_time(root=package)[0] for name, package in packages}
    lines += ["", "| default config, `snakemake --cores 2` (fresh directory, its own config.yaml) | wall s |", "|---|---|",
              f"| previous | {seconds['previous']:.0f} |", f"| current | {seconds['current']:.0f} |",
              f"| ratio | {seconds['previous'] / seconds['current']:.1f}x |"]
    return lines


def main(with_workflow: bool = True, old: str | None = None) -> None:
    x, y = correlated_gaussian(5000, 5, 5, 2.0, seed=0)
    est, t_est = timed(lambda: neuralmi.run(x, y, mode="estimate"))
    rig, t_rig = timed(lambda: neuralmi.run(x, y, mode="rigorous"))
    options = make_options({})
    src = source(x, y, options)
    fits_plan = plan(src, "rigorous", options, 0)
    parts, t_one = timed(lambda: [train(src, fits_plan.iloc[[i]], "rigorous", options, 0, "bits")
                                  for i in range(len(fits_plan))])
    one = summarise("rigorous", *(pd.concat(p, ignore_index=True) for p in zip(*parts)), options, "bits")
    lines = [
        f"# Speed: 5000 samples, 5+5 dims, 2 bits, default options ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads)",
        "",
        "| run | wall s | MI (bits) | 95% CI |",
        "|---|---|---|---|",
        f"| estimate (1 fit) | {t_est:.1f} | {est.mi:.3f} | [{est.ci_low:.3f}, {est.ci_high:.3f}] |",
        f"| rigorous, {len(fits_plan)} fits as one stack | {t_rig:.1f} | {rig.mi:.3f} | [{rig.ci_low:.3f}, {rig.ci_high:.3f}] |",
        f"| rigorous, {len(fits_plan)} fits one at a time | {t_one:.1f} | {one.mi:.3f} | [{one.ci_low:.3f}, {one.ci_high:.3f}] |",
        "",
        f"Stack speed-up: {t_one / t_rig:.1f}x.",
    ]
    if old:
        lines += revisions_lines(x, y, old)
    lines += member_epoch_lines(x.astype(np.float32), y.astype(np.float32))
    if with_workflow:
        lines += workflow_lines()
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-workflow", action="store_true", help="skip the workflow timings")
    parser.add_argument("--old", help="a previous revision (git rev, or a checkout's directory) to time beside")
    parser.add_argument("--scans", action="store_true",
                        help="only the scans, beside --old where given (benchmarks/results/scans.md)")
    args = parser.parse_args()
    if args.scans:
        text = "\n".join(scan_lines(args.old, with_workflow=not args.no_workflow)) + "\n"
        print(text)
        (OUT.parent / "scans.md").write_text(text)
    else:
        main(with_workflow=not args.no_workflow, old=args.old)
