"""Pairwise mode: the dependent pairs of a known set found at q < 0.05 and no others, X-by-Y pairs, groups,
processors, the matrix and the errors."""

import numpy as np
import pytest

import neuralmi
from neuralmi.analysis.modes import MODES
from neuralmi.data.generators import dependent_pairs, latent_spikes, pair_information
from neuralmi.errors import InputError
from neuralmi.options import make_options

FAST = {"max_epochs": 20, "hidden_dim": 16, "embedding_dim": 4, "batch_size": 128, "threads": 2}
PAIRS = [(0, 1), (2, 3)]


def test_finds_exactly_the_dependent_pairs():
    """5 channels, 10 pairs, 2 dependent (0.5 bits each): with K = 199 surrogates the smallest p is 1/200 and two
    such p-values among 10 get q = 0.025; every independent pair must stay above q = 0.05."""
    x = dependent_pairs(600, 5, PAIRS, mi=0.5, seed=3)
    result = neuralmi.run(x, None, mode="pairwise", null_permutations=199, seed=0, **FAST)
    frame = result.to_frame()
    found = {(int(r.a), int(r.b)) for r in frame.itertuples() if r.q_value < 0.05}
    assert found == set(PAIRS), frame
    truth = pair_information(5, PAIRS, 0.5)
    matrix = result.matrix()
    assert matrix.shape == (5, 5) and np.isnan(np.diag(matrix.to_numpy(float))).all()
    np.testing.assert_allclose(matrix.to_numpy(float), matrix.to_numpy(float).T)
    values = matrix.to_numpy(float)
    assert (values[truth > 0] > 0.1).all() and (values[truth > 0] < 0.6).all()
    assert np.abs(values[truth == 0]).max() < 0.05
    assert result.details["significant"] == 2 and "2 of 10 pairs with q < 0.05" in result.finding
    assert result.plot().axes and result.plot_null().axes


def test_x_by_y_pairs_and_groups():
    x = dependent_pairs(500, 4, [(0, 1)], mi=1.0, seed=1)
    across = neuralmi.run(x[:, :2], x[:, 2:], mode="pairwise", seed=0, **FAST)
    assert [(r.a, r.b, r.b_side) for r in across.to_frame().itertuples()] == [
        (0, 0, "y"), (0, 1, "y"), (1, 0, "y"), (1, 1, "y")]
    assert across.matrix().shape == (2, 2)
    groups = neuralmi.run(x, None, mode="pairwise", channel_groups={"first": [0, 2], "second": [1], "third": [3]},
                          seed=0, **FAST)
    frame = groups.to_frame().set_index(["a", "b"])
    assert list(frame.index) == [("first", "second"), ("first", "third"), ("second", "third")]
    assert frame.loc[("first", "second"), "ci_low"] > 0.1 and groups.details["strongest"] == ["first", "second"]
    assert "strongest pair first-second" in groups.finding


def test_spike_counts_per_neuron():
    spikes, signal = latent_spikes(duration=40.0, n_neurons=4, seed=2)
    result = neuralmi.run(spikes, None, mode="pairwise", processor="spikes", duration=40.0, window_size=0.1,
                          seed=0, **FAST)
    assert len(result.to_frame()) == 6 and result.details["within_x"]


def test_points_and_errors():
    options = make_options({})
    points = MODES["pairwise"].points
    assert len(points(options, (16, 0))) == 120 and len(points(options, (3, 2))) == 6
    with pytest.raises(InputError, match="at least 2 channels"):
        neuralmi.run(np.zeros((100, 1)), None, mode="pairwise", **FAST)
    with pytest.raises(InputError, match=r"channel_groups.b: channels \[7\] do not exist"):
        neuralmi.run(np.zeros((100, 3)), None, mode="pairwise", channel_groups={"a": [0], "b": [7]}, **FAST)
    with pytest.raises(InputError, match="channels \\[1\\] are also in group 'a'"):
        neuralmi.run(np.zeros((100, 3)), None, mode="pairwise", channel_groups={"a": [0, 1], "b": [1, 2]}, **FAST)
    with pytest.raises(InputError, match="applies to mode 'pairwise'"):
        neuralmi.run(np.zeros((100, 3)), np.zeros((100, 1)), channel_groups={"a": [0], "b": [1]}, **FAST)
