"""Calibration of network mode's p-values where no edge is: small graphs of independent channels (too few ordered
pairs for the graph's own empirical null, so each z-score is referred to the theoretical null), many seeds.

Each run: 3 independent channels, every ordered pair's conditional TE tested one-sided from its z-score (TE / se,
the error from 20 batch means). Reported: how often p falls below 0.05 and 0.01 (nominal: that often), referred to
a t with the error's degrees of freedom (network mode) and to N(0, 1) (before); and how often greedy conditioning's
first step adds a source (a maximum test at 5 % over a target's 2 candidates: nominal at most 5 %).

Writes benchmarks/results/network_calibration.md.
Usage: python benchmarks/network_calibration.py [--threads 2] [--seeds 25]
"""

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

import neuralmi
from neuralmi.data.networks import autoregressive_network, spiking_network

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "network_calibration.md"
SETTINGS = {"hidden_dim": 32, "batch_size": 128, "eval_block_size": 1024, "progress": False}
NODES, BIN = 3, 0.002


def graphs(seed):
    """(name, input, options) of the null graphs at one seed."""
    ar = autoregressive_network(10_000, [], NODES, self_weight=0.8, seed=seed)
    duration = 20.0
    spikes = spiking_network(duration, [], NODES, bin_size=BIN, seed=seed)
    spiking = {"processor_x": "spikes", "window_size": BIN, "spike_encoding": "counts", "duration": duration,
               "history": 4 * BIN}
    return [("3 independent AR(1), 10 000 steps", ar, {"history": 2}),
            ("3 independent spiking neurons, 10 000 bins", spikes, spiking)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=25)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = {}
    for seed in range(args.seeds):
        for name, data, opts in graphs(seed):
            start = time.perf_counter()
            frame = neuralmi.run(data, mode="network", seed=seed, threads=args.threads, **SETTINGS, **opts).to_frame()
            greedy = neuralmi.run(data, mode="network", seed=seed, threads=args.threads, conditioning="greedy",
                                  **SETTINGS, **opts)
            row = rows.setdefault(name, {"t": [], "normal": [], "added": [], "targets": 0, "seconds": 0.0})
            row["t"] += frame["p_te"].tolist()
            row["normal"] += stats.norm.sf(frame["mi"] / frame["se"]).tolist()
            row["added"] += [step["added"] for step in greedy.details["steps"] if step["round"] == 0]
            row["seconds"] += time.perf_counter() - start
        print(seed, {k: (np.mean(np.array(v["t"]) < 0.05), np.mean(np.array(v["normal"]) < 0.05),
                         np.mean(v["added"])) for k, v in rows.items()}, flush=True)
    write(rows, args)


def write(rows, args) -> None:
    lines = ["# Network mode's p-values where no edge is (benchmarks/network_calibration.py)", "",
             f"Machine: {platform.processor() or platform.machine()}, {args.threads} threads, torch "
             f"{torch.__version__}; {args.seeds} seeds per graph, network mode with {SETTINGS} (otherwise defaults). "
             "Share of the p-values below 0.05 and 0.01 (nominal: 0.05 and 0.01), and of greedy conditioning's "
             "first steps that add a source (nominal: at most 0.05).", "",
             "| graph | tests | p < 0.05 (t) | p < 0.01 (t) | p < 0.05 (N(0, 1)) | p < 0.01 (N(0, 1)) | greedy steps "
             "| greedy adds | seconds |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        t, normal = np.array(r["t"]), np.array(r["normal"])
        lines.append(f"| {name} | {len(t)} | {np.mean(t < 0.05):.3f} | {np.mean(t < 0.01):.3f} | "
                     f"{np.mean(normal < 0.05):.3f} | {np.mean(normal < 0.01):.3f} | {len(r['added'])} | "
                     f"{np.mean(r['added']):.3f} | {r['seconds']:.0f} |")
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
