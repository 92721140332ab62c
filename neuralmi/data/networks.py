"""Networks with a known directed graph, for the network mode's tests and benchmarks: autoregressive (continuous)
and spiking (a linear-nonlinear Poisson network with refractoriness), each edge with its delay and weight.

A graph is a list of `Edge(source, target, delay, weight, kind)`. Topologies (`motif`): "chain" 0 -> 1 -> 2 ...,
"fan_in" every other node -> 0, "fan_out" 0 -> every other node, "common_input" 0 -> 1 and 0 -> 2 (1 and 2 not
linked: a pairwise measure sees 1 <-> 2), "random" each ordered pair with probability `density`. Edge kinds:
"linear" (the source's value), "gated" (the source acts only while a second source, `gate`, is above its median or
has just fired: a product a linear test misses), "u_shaped" (the source's square minus its mean: no linear
correlation at all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuralmi.errors import InputError

MOTIFS = ("chain", "fan_in", "fan_out", "common_input", "random")
KINDS = ("linear", "gated", "u_shaped")
GATE_BINS = 5
"""A spiking gate is open while it fired within this many bins."""


@dataclass(frozen=True)
class Edge:
    """source -> target after `delay` steps (bins for spikes), with `weight`; `gate`: the node that gates a gated
    edge."""

    source: int
    target: int
    delay: int = 1
    weight: float = 0.5
    kind: str = "linear"
    gate: int | None = None


def motif(name: str, n_nodes: int, delay: int = 1, weight: float = 0.5, density: float = 0.2,
          seed: int = 0) -> list[Edge]:
    """The edges of a named topology over `n_nodes` (module docstring); "random" draws delays 1..2*delay."""
    if n_nodes < 2:
        raise InputError(f"n_nodes: a network needs at least 2 nodes, found {n_nodes}")
    if name == "chain":
        return [Edge(i, i + 1, delay, weight) for i in range(n_nodes - 1)]
    if name == "fan_in":
        return [Edge(i, 0, delay, weight / np.sqrt(n_nodes - 1)) for i in range(1, n_nodes)]
    if name == "fan_out":
        return [Edge(0, i, delay, weight) for i in range(1, n_nodes)]
    if name == "common_input":
        if n_nodes < 3:
            raise InputError(f"n_nodes: a common input needs 3 nodes, found {n_nodes}")
        return [Edge(0, 1, delay, weight), Edge(0, 2, delay + 1, weight)]
    if name == "random":
        rng = np.random.default_rng(seed)
        pairs = [(s, t) for s in range(n_nodes) for t in range(n_nodes) if s != t and rng.random() < density]
        return [Edge(s, t, int(rng.integers(1, 2 * delay + 1)), weight) for s, t in pairs]
    raise InputError(f"motif: expected one of {MOTIFS}, found {name!r}")


def adjacency(edges: list[Edge], n_nodes: int) -> np.ndarray:
    """The true graph as a boolean matrix [source, target] (a gated edge's gate is a parent of its target too)."""
    out = np.zeros((n_nodes, n_nodes), bool)
    for e in edges:
        out[e.source, e.target] = True
        if e.gate is not None:
            out[e.gate, e.target] = True
    return out


def _check(edges: list[Edge], n_nodes: int) -> int:
    for e in edges:
        if not (0 <= e.source < n_nodes and 0 <= e.target < n_nodes) or e.source == e.target:
            raise InputError(f"edges: {e} does not join two different nodes of {n_nodes}")
        if e.delay < 1:
            raise InputError(f"edges: {e}: delay must be at least 1 step")
        if e.kind not in KINDS or (e.kind == "gated") != (e.gate is not None):
            raise InputError(f"edges: {e}: kind must be one of {KINDS}, and a gated edge (only) names its gate")
    return max([e.delay for e in edges], default=1)


def autoregressive_network(n: int, edges: list[Edge], n_nodes: int, self_weight: float = 0.4, noise: float = 1.0,
                           burn_in: int = 500, seed: int = 0) -> np.ndarray:
    """n time points (n, n_nodes) of x_i(t) = self_weight x_i(t-1) + sum over edges into i of weight f(x_s(t -
    delay)) + noise, f by the edge's kind (tanh-bounded so the process stays stationary); `burn_in` steps dropped."""
    lag = _check(edges, n_nodes)
    rng = np.random.default_rng(seed)
    total = n + burn_in + lag
    x = np.zeros((total, n_nodes))
    eps = noise * rng.standard_normal((total, n_nodes))
    for t in range(lag, total):
        x[t] = self_weight * x[t - 1] + eps[t]
        for e in edges:
            v = x[t - e.delay, e.source]
            if e.kind == "linear":
                drive = np.tanh(v)
            elif e.kind == "u_shaped":
                drive = np.tanh(v) ** 2 - 0.4
            else:
                drive = np.tanh(v) * (x[t - e.delay, e.gate] > 0)
            x[t, e.target] += e.weight * 2 * drive
    return x[burn_in + lag:]


def spiking_network(duration: float, edges: list[Edge], n_nodes: int, bin_size: float = 0.002, rate: float = 20.0,
                    refractory: float = 0.004, seed: int = 0) -> list[np.ndarray]:
    """Spike trains (seconds) of a linear-nonlinear Poisson network: in each bin of `bin_size`, neuron i fires with
    rate r_i = rate x exp(sum over edges into i of weight x g(spike of the source `delay` bins before)), g by the
    edge's kind ("u_shaped": a spike suppresses and its absence drives a little; "gated": only while the gate fired
    in the last GATE_BINS bins), and not within `refractory` seconds of its last spike; at most one spike per bin,
    placed uniformly within it."""
    lag = _check(edges, n_nodes)
    n_bins = int(round(duration / bin_size))
    rng = np.random.default_rng(seed)
    dead = int(round(refractory / bin_size))
    window = max(lag, GATE_BINS)
    spikes = np.zeros((n_bins + window, n_nodes), bool)
    last = np.full(n_nodes, -10**9)
    linear = {}  # delay -> weight matrix [source, target] of the linear edges
    for e in edges:
        if e.kind == "linear":
            linear.setdefault(e.delay, np.zeros((n_nodes, n_nodes)))[e.source, e.target] += 4 * e.weight
    others = [e for e in edges if e.kind != "linear"]
    for t in range(window, n_bins + window):
        drive = np.zeros(n_nodes)
        for delay, weights in linear.items():
            drive += spikes[t - delay] @ weights
        for e in others:
            s = spikes[t - e.delay, e.source]
            if e.kind == "u_shaped":
                drive[e.target] += 2 * e.weight * (0.5 - s)
            else:
                drive[e.target] += 4 * e.weight * s * spikes[t - GATE_BINS:t, e.gate].any()
        p = 1 - np.exp(-rate * bin_size * np.exp(drive))
        fire = (rng.random(n_nodes) < p) & (t - last > dead)
        spikes[t] = fire
        last[fire] = t
    kept = spikes[window:]
    return [np.sort((np.flatnonzero(kept[:, i]) + rng.random(kept[:, i].sum())) * bin_size) for i in range(n_nodes)]


def network_recording(n: int, motif_name: str = "chain", n_nodes: int = 4, delay: int = 1, weight: float = 0.5,
                      density: float = 0.2, seed: int = 0) -> np.ndarray:
    """n steps (n, n_nodes) of the autoregressive network of a named topology (`motif`): a dataset generator of
    the workflow, whose true graph is `adjacency(motif(...), n_nodes)`."""
    edges = motif(motif_name, n_nodes, delay, weight, density, seed)
    return autoregressive_network(n, edges, n_nodes, seed=seed)
