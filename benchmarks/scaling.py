"""Seconds per epoch and peak memory of one fit against the number of samples N.

Data: 20+20-dimensional correlated Gaussians (2 bits). One fit (estimate mode's random split), default options
except a fixed number of epochs (patience off). Each N runs in a fresh subprocess that loads its data from disk,
so its peak resident memory is its own (VmHWM; Linux's ru_maxrss would carry the parent's size over the exec)
and the growth during training is measured over the loaded data. Every epoch is scored (eval_interval 1): the
held-out set in blocks of at most eval_block_size samples and whole blocks of that size of the training samples
(about TRAIN_EVAL_MAX at most), so time and memory should grow linearly in N (an N x N float32 score matrix at
N = 10^6 would be 4 TB).

Writes benchmarks/results/scaling.md. Usage: python benchmarks/scaling.py [--quick] [--epochs E]
(--quick stops at N = 10^5).
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from neuralmi.data.generators import correlated_gaussian
from neuralmi.options import make_options
from neuralmi.training.splits import random_split
from neuralmi.training.blocks import TRAIN_EVAL_MAX, eval_blocks, training_eval_size
from neuralmi.training.specs import FitSpec
from neuralmi.training.trainer import train_fits

OUT = Path(__file__).resolve().parent / "results" / "scaling.md"
SIZES = [10**3, 10**4, 10**5, 10**6]
DIM, MI_BITS = 20, 2.0


def peak_mb() -> float:
    """Peak resident memory of this process image (VmHWM), where /proc has it; else ru_maxrss."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(data: Path, epochs: int) -> dict:
    """Train one fit on the saved samples; timings and memory (runs in the child process)."""
    x, y = np.load(data / "x.npy"), np.load(data / "y.npy")
    options = make_options({"max_epochs": epochs, "patience": None, "eval_interval": 1})
    train, val = random_split(len(x), options.validation_fraction, 0)
    before = peak_mb()
    start = time.perf_counter()
    fit = train_fits(x, y, [FitSpec(train, val, seed=0)], options)[0]
    seconds = time.perf_counter() - start
    peak = peak_mb()
    blocks = eval_blocks(np.arange(fit.n_val), options.eval_block_size, np.random.default_rng(0))
    scored = training_eval_size(fit.n_train, blocks.index.shape[1])
    train_blocks = eval_blocks(np.arange(scored), blocks.index.shape[1], np.random.default_rng(0))
    return {
        "n": len(x), "n_train": fit.n_train, "n_val": fit.n_val, "blocks": blocks.index.shape[0],
        "train_scored": scored, "train_blocks": train_blocks.index.shape[0],
        "eval_n": fit.eval_n, "width": blocks.index.shape[1],
        "pairs": (blocks.index.size + train_blocks.index.size) * blocks.index.shape[1],
        "all_pairs": fit.n_val**2 + scored**2,
        "s_per_epoch": seconds / fit.n_epochs, "peak_mb": peak, "growth_mb": peak - before,
        "val_mi_bits": fit.val_mi / np.log(2), "threads": torch.get_num_threads(),
    }


def run_size(n: int, epochs: int) -> dict:
    """measure() for n samples in a fresh Python process."""
    with tempfile.TemporaryDirectory() as tmp:
        x, y = correlated_gaussian(n, DIM, DIM, MI_BITS, seed=0)
        np.save(Path(tmp) / "x.npy", x.astype(np.float32))
        np.save(Path(tmp) / "y.npy", y.astype(np.float32))
        del x, y
        out = subprocess.run([sys.executable, __file__, "--child", tmp, "--epochs", str(epochs)],
                             check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(rows: list[dict]) -> list[str]:
    lines = ["| N | n_train | n_val | held-out blocks x samples | training blocks scored | pairs scored / epoch "
             "| all pairs would be | s / epoch | x per decade | peak RSS MB | growth in training MB |", "|" + "---|" * 11]
    for prev, r in zip([None] + rows, rows):
        ratio = f"{r['s_per_epoch'] / prev['s_per_epoch']:.1f}" if prev else "-"
        sizes = f"{r['eval_n']}" if r["width"] == r["eval_n"] else f"{r['eval_n']}-{r['width']}"
        lines.append(
            f"| {r['n']:.0e} | {r['n_train']} | {r['n_val']} | {r['blocks']} x {sizes} | {r['train_blocks']} "
            f"({r['train_scored']} samples) | {r['pairs']:.2e} | {r['all_pairs']:.2e} | {r['s_per_epoch']:.2f} "
            f"| {ratio} | {r['peak_mb']:.0f} "
            f"| {r['growth_mb']:.0f} |")
    return lines


def main(sizes: list[int], epochs: int) -> None:
    rows = []
    for n in sizes:
        rows.append(run_size(n, epochs))
        print(rows[-1], flush=True)
    block = make_options({}).eval_block_size
    lines = [
        f"# Scaling: one fit, 20+20 dims, {MI_BITS:g} bits, default options, {epochs} epochs "
        f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{rows[0]['threads']} threads)",
        "",
        f"Each epoch trains on n_train samples and scores the held-out set, pairs within blocks of at most "
        f"eval_block_size = {block} samples, and whole blocks of that size of the training samples (about "
        f"{TRAIN_EVAL_MAX} at most). Seconds per epoch include both; "
        "peak RSS is the subprocess's maximum resident memory, growth is its rise during training.",
        "",
        *table(rows),
        "",
        "Once the held-out set exceeds eval_block_size, each row is scored against a fixed number of candidates, so "
        "pairs and seconds per epoch grow like N; below it scoring is all pairs (quadratic in N, but small).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at N = 10^5")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.epochs)))
    else:
        main(SIZES[:3] if args.quick else SIZES, args.epochs)
