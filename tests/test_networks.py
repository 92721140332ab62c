"""Networks with a known graph: the motifs' edges, and dynamics in which each edge acts as written (a linear
coupling is seen by a linear test, a U-shaped one is not), deterministic at a seed."""

import numpy as np
import pytest

from neuralmi.data.networks import Edge, adjacency, autoregressive_network, motif, spiking_network
from neuralmi.errors import InputError


def test_motifs_and_their_adjacency():
    assert [(e.source, e.target) for e in motif("chain", 4)] == [(0, 1), (1, 2), (2, 3)]
    assert [(e.source, e.target) for e in motif("fan_out", 3)] == [(0, 1), (0, 2)]
    assert [(e.source, e.target) for e in motif("fan_in", 3)] == [(1, 0), (2, 0)]
    common = motif("common_input", 4)
    truth = adjacency(common, 4)
    assert truth[0, 1] and truth[0, 2] and not truth[1, 2] and not truth[2, 1] and truth.sum() == 2
    gated = adjacency([Edge(1, 0, kind="gated", gate=2)], 3)
    assert gated[1, 0] and gated[2, 0] and gated.sum() == 2
    assert motif("random", 8, density=0.3, seed=4) == motif("random", 8, density=0.3, seed=4)
    for bad, fragment in [(lambda: motif("ring", 4), "expected one of"),
                          (lambda: autoregressive_network(10, [Edge(1, 1)], 2), "two different nodes"),
                          (lambda: autoregressive_network(10, [Edge(0, 1, delay=0)], 2), "delay must be at least 1"),
                          (lambda: autoregressive_network(10, [Edge(0, 1, kind="gated")], 2), "names its gate")]:
        with pytest.raises(InputError, match=fragment):
            bad()


def test_autoregressive_edges_act_as_written():
    x = autoregressive_network(20000, motif("chain", 3), 3, seed=1)
    assert x.shape == (20000, 3)
    np.testing.assert_array_equal(x, autoregressive_network(20000, motif("chain", 3), 3, seed=1))
    lead = np.corrcoef(x[1:, 1], x[:-1, 0])[0, 1]
    back = np.corrcoef(x[1:, 0], x[:-1, 1])[0, 1]
    assert lead > 0.4 and abs(back) < 0.15
    u = autoregressive_network(20000, [Edge(1, 0, 1, 0.5, "u_shaped")], 2, seed=2)
    assert abs(np.corrcoef(u[1:, 0], u[:-1, 1])[0, 1]) < 0.05  # invisible to a linear test
    assert np.corrcoef(u[1:, 0], u[:-1, 1] ** 2)[0, 1] > 0.15


def test_spiking_edges_raise_the_target_after_the_delay():
    trains = spiking_network(60.0, [Edge(0, 1, delay=2, weight=0.5)], 3, seed=3)
    rates = [len(t) / 60.0 for t in trains]
    assert all(12 < r < 40 for r in rates)
    assert all(np.diff(t).min() >= 0.004 - 0.002 for t in trains)  # refractory (a spike anywhere in its bin)
    bins = np.zeros((30000, 3), bool)
    for i, t in enumerate(trains):
        bins[(t / 0.002).astype(int), i] = True
    after = bins[2:, 1][bins[:-2, 0]].mean()  # target fires 2 bins after a source spike
    base = bins[:, 1].mean()
    assert after > 2 * base
    independent = bins[2:, 2][bins[:-2, 0]].mean()
    assert independent < 1.5 * bins[:, 2].mean()
    again = spiking_network(60.0, [Edge(0, 1, delay=2, weight=0.5)], 3, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(trains, again))
