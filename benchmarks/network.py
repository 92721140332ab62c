"""Network mode against known graphs, beside PCMCI (tigramite) with a linear and a nearest-neighbour test, in one
run on one machine.

Graphs (neuralmi.data.networks, every edge's delay within the history):
- spiking motifs: 8 linear-nonlinear Poisson neurons (~20 Hz), 100 s in 2 ms bins (50 000 bins): a chain
  0 -> 1 -> 2, a common input 3 -> 4, 3 -> 5, and 6 -> 7; history 8 ms (4 bins);
- spiking random, 16 neurons: each ordered pair linked with probability 0.1, delays 1-4 bins, 100 s;
- spiking nonlinear: 8 neurons, with a gated edge (0 drives 1 only while 2 fired in the last 10 ms), a
  U-shaped one (3 -> 4: a spike suppresses, silence drives), a chain 5 -> 6 -> 7; also 200 s (100 000 bins);
- autoregressive nonlinear: 8 channels, 20 000 steps: a chain 0 -> 1 -> 2, a U-shaped 3 -> 4 (no linear
  correlation), a gated 5 -> 6 (gate 7) and 3 -> 5 (so 3 is a common input of 4 and 5); history 2 steps;
- null: 8 independent autocorrelated channels (AR(1), coefficient 0.8), 20 000 steps: every edge is false.

Routes: network mode (edges with q < 0.05 over the graph: the conditional TE; from the same fits, each z-score read
as before it was referred to the t of its error (the empirical null and p on N(0, 1)), and referred to N(0, 1)
without the graph's empirical null (as before that null was added); the bivariate TE alone); greedy
conditioning (`conditioning="greedy"`: each target's sources chosen in rounds, edges chosen and with q < 0.05); on the
graphs in CROSS_FITTED, the conditioned and bivariate routes cross-fitted (`folds`, every sample held out once,
about folds times the fits);
PCMCI with partial correlation (ParCorr) and, on the nonlinear graphs, with CMIknn (nearest-neighbour CMI, shuffle
test of 100 draws, on the first CMI_STEPS steps and stopped after CMI_LIMIT seconds: 3 000 steps of the first
graph had not finished in 14 minutes), tau 1..history, q (BH) < 0.05 at any lag.
Precision and recall of the directed edges (self-loops left out), wall time.

Needs tigramite and numba (pip install tigramite numba). Writes benchmarks/results/network.md (or --out).
Usage: python benchmarks/network.py [--threads 2] [--folds 5] [--skip-cmi] [--skip-large] [--skip-folds]
       [--graphs NAME ...] [--out F]
"""

import argparse
import math
import multiprocessing
import platform
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from tigramite import data_processing
from tigramite.independence_tests.cmiknn import CMIknn
from tigramite.independence_tests.parcorr import ParCorr
from tigramite.pcmci import PCMCI

import neuralmi
from neuralmi.analysis import null
from neuralmi.data.networks import Edge, adjacency, autoregressive_network, motif, spiking_network
from timing import timed

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "network.md"
NODES, LARGE, DURATION, BIN = 8, 16, 100.0, 0.002
AR_STEPS, CMI_STEPS, CMI_LIMIT, ALPHA = 20_000, 2_000, 300, 0.05
BLOCK = 10  # CMIknn's block shuffles without a condition: its own estimate of the length fails under numpy 2
SETTINGS = {"hidden_dim": 32, "batch_size": 128, "eval_block_size": 1024}
CROSS_FITTED = ("spiking nonlinear", "spiking nonlinear, twice as long", "null (independent AR(1))")


def graphs(large: bool):
    """(name, data as steps x nodes, edges, nodes, history in steps, neuralmi's input and options)."""
    out = []
    nonlinear = [Edge(0, 1, 2, 0.6, "gated", gate=2), Edge(3, 4, 2, 0.6, "u_shaped"), Edge(5, 6, 2), Edge(6, 7, 3)]
    spiking = {  # name: (edges, seconds of recording)
        "spiking motifs": ([Edge(0, 1, 2), Edge(1, 2, 3), Edge(3, 4, 2), Edge(3, 5, 4), Edge(6, 7, 2)], DURATION),
        "spiking nonlinear": (nonlinear, DURATION),
    }
    if large:
        spiking["spiking random, 16 neurons"] = (motif("random", LARGE, delay=2, density=0.1, seed=4), DURATION)
    spiking["spiking nonlinear, twice as long"] = (nonlinear, 2 * DURATION)  # another draw (seed), not an extension
    for seed, (name, (edges, duration)) in enumerate(spiking.items()):
        nodes = LARGE if name.endswith("16 neurons") else NODES
        spikes = spiking_network(duration, edges, nodes, bin_size=BIN, seed=seed)
        counts = np.stack([np.histogram(s, bins=int(round(duration / BIN)), range=(0, duration))[0] for s in spikes], 1)
        opts = {"processor_x": "spikes", "window_size": BIN, "spike_encoding": "counts", "duration": duration,
                "history": 4 * BIN}
        out.append((name, counts.astype(float), edges, nodes, 4, spikes, opts))
    edges = [Edge(0, 1), Edge(1, 2), Edge(3, 4, 1, 0.6, "u_shaped"), Edge(5, 6, 2, 0.6, "gated", gate=7),
             Edge(3, 5, 2)]
    x = autoregressive_network(AR_STEPS, edges, NODES, seed=2)
    out.append(("autoregressive nonlinear", x, edges, NODES, 2, x, {"history": 2}))
    x = autoregressive_network(AR_STEPS, [], NODES, self_weight=0.8, seed=3)
    out.append(("null (independent AR(1))", x, [], NODES, 2, x, {"history": 2}))
    return out


def scores(found: np.ndarray, truth: np.ndarray) -> dict:
    off = ~np.eye(len(truth), dtype=bool)
    hits = int((found & truth & off).sum())
    chosen, real = int((found & off).sum()), int((truth & off).sum())
    return {"edges": chosen, "precision": hits / chosen if chosen else float("nan"),
            "recall": hits / real if real else float("nan"), "false": chosen - hits,
            "false rate": (chosen - hits) / int((~truth & off).sum())}


def neural(data, nodes, opts, threads):
    result = neuralmi.run(data, mode="network", seed=0, threads=threads, **SETTINGS, **opts)
    frame = result.to_frame()
    if opts.get("conditioning") == "greedy":  # selected: chosen by the greedy steps and q < 0.05
        return {"greedy": _matrix(frame[frame["selected"]], nodes)}
    mi, se = frame["mi"].to_numpy(float), frame["se"].to_numpy(float)
    z = np.where(np.isfinite(se) & (se > 0), mi / np.where(se > 0, se, 1.0), np.nan)
    frame["q_theoretical"] = null.bh_q_values(stats.norm.sf(z))
    finite = z[np.isfinite(z)]  # the empirical null as read before the t: on N(0, 1)
    centre = max(float(np.median(finite)), 0.0)
    spread = max(float(1.4826 * np.median(np.abs(finite - np.median(finite)))), 1.0)
    if len(finite) < 20:
        centre, spread = 0.0, 1.0
    frame["q_normal"] = null.bh_q_values(stats.norm.sf((z - centre) / spread))
    return {name: _matrix(frame[frame[column] < ALPHA], nodes) for column, name in (
        ("q_te", "conditioned"), ("q_normal", "conditioned, read on N(0, 1) (before the t)"),
        ("q_theoretical", "conditioned, N(0, 1) null"), ("q_bivariate", "bivariate"))}


def _matrix(edges, nodes):
    chosen = np.zeros((nodes, nodes), bool)
    for r in edges.itertuples():
        chosen[r.source, r.target] = True
    return chosen


def pcmci(data, history, test):
    method = PCMCI(dataframe=data_processing.DataFrame(data), cond_ind_test=test, verbosity=0)
    out = method.run_pcmci(tau_min=1, tau_max=history, pc_alpha=0.2)
    q = method.get_corrected_pvalues(out["p_matrix"], fdr_method="fdr_bh", tau_min=1, tau_max=history)
    found = (q[:, :, 1:] < ALPHA).any(axis=2)
    np.fill_diagonal(found, False)
    return found


def capped(fn):
    """fn() in a child process, or TimeoutError when it has not returned within CMI_LIMIT seconds (killed then)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(fn()))
    child.start()
    child.join(CMI_LIMIT)
    if child.is_alive():
        child.kill()
        child.join()
        raise TimeoutError
    return queue.get()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5, help="folds of the cross-fitted route (CROSS_FITTED graphs)")
    parser.add_argument("--skip-cmi", action="store_true")
    parser.add_argument("--skip-large", action="store_true", help="leave out the 16-neuron graph")
    parser.add_argument("--skip-folds", action="store_true", help="leave out the cross-fitted routes")
    parser.add_argument("--graphs", nargs="*", help="only the graphs whose names are given")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name, data, edges, nodes, history, given, opts in graphs(not args.skip_large):
        if args.graphs and name not in args.graphs:
            continue
        truth = adjacency(edges, nodes)
        found, seconds = timed(lambda: neural(given, nodes, opts, args.threads))
        for route in found:
            rows.append({"graph": name, "route": f"neuralmi network ({route})", "steps": len(data),
                         "seconds": seconds, **scores(found[route], truth)})
        print(*rows[-len(found):], flush=True)
        found, seconds = timed(lambda: neural(given, nodes, {**opts, "conditioning": "greedy"}, args.threads))
        rows.append({"graph": name, "route": "neuralmi network (greedy)", "steps": len(data), "seconds": seconds,
                     **scores(found["greedy"], truth)})
        print(rows[-1], flush=True)
        if name in CROSS_FITTED and not args.skip_folds:
            found, seconds = timed(lambda: neural(given, nodes, {**opts, "folds": args.folds}, args.threads))
            for route in ("conditioned", "bivariate"):
                rows.append({"graph": name, "route": f"neuralmi network ({route}, folds {args.folds})",
                             "steps": len(data), "seconds": seconds, **scores(found[route], truth)})
            print(*rows[-2:], flush=True)
        linear, seconds = timed(lambda: pcmci(data, history, ParCorr(significance="analytic")))
        rows.append({"graph": name, "route": "PCMCI ParCorr", "steps": len(data), "seconds": seconds,
                     **scores(linear, truth)})
        print(rows[-1], flush=True)
        if not args.skip_cmi and "nonlinear" in name and "twice" not in name:  # CMIknn takes CMI_STEPS steps only
            test = CMIknn(significance="shuffle_test", knn=0.1, sig_samples=100, workers=args.threads,
                          sig_blocklength=BLOCK)
            route = f"PCMCI CMIknn (first {CMI_STEPS} steps)"
            try:
                knn, seconds = timed(lambda: capped(lambda: pcmci(data[:CMI_STEPS], history, test)))
                rows.append({"graph": name, "route": route, "steps": CMI_STEPS, "seconds": seconds,
                             **scores(knn, truth)})
            except TimeoutError:
                rows.append({"graph": name, "route": route, "steps": CMI_STEPS, "seconds": CMI_LIMIT, "edges": None,
                             "precision": math.nan, "recall": math.nan, "false": None, "false rate": math.nan,
                             "note": f"not finished in {CMI_LIMIT} s"})
            print(rows[-1], flush=True)
        write(rows, args.threads, args.out)


def write(rows, threads, out) -> None:
    lines = [
        "# Network mode against known graphs (benchmarks/network.py)", "",
        f"Machine: {platform.processor() or platform.machine()}, {threads} threads, torch {torch.__version__}. "
        f"Network mode with {SETTINGS} (otherwise defaults, one repeat; 'folds k': cross-fitted); an edge is "
        f"selected when q < {ALPHA} "
        "(Benjamini-Hochberg over the graph's ordered pairs; 'greedy': conditioning='greedy', chosen by its steps "
        "too); 'read on N(0, 1) (before the t)': the same fits, the empirical null and p read on N(0, 1) rather "
        "than on the t of each error's degrees of freedom; 'N(0, 1) null': the same fits, each z-score referred "
        "to N(0, 1) rather than the graph's empirical null. PCMCI: tau 1..history, pc_alpha 0.2, q < 0.05 at "
        "any lag. Precision and recall of the directed edges; false rate: selected false edges over the ordered "
        "pairs without an edge.", "",
        "| graph | route | steps | edges | precision | recall | false rate | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "note" in r:
            lines.append(f"| {r['graph']} | {r['route']} | {r['steps']} | {r['note']} | | | | {r['seconds']:.0f} |")
            continue
        lines.append(f"| {r['graph']} | {r['route']} | {r['steps']} | {r['edges']} | {r['precision']:.2f} | "
                     f"{r['recall']:.2f} | {r['false rate']:.3f} | {r['seconds']:.0f} |")
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
