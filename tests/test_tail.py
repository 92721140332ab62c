"""Tail-fitted permutation p-values: below 1/(K + 1) where the surrogates' tail supports it, rarely too small for a
null value, and used by every mode's null when asked (null_tail)."""

import numpy as np
import pytest
from scipy import stats

import neuralmi
from neuralmi.analysis.tail import tail_p_value
from neuralmi.data.generators import dependent_pairs
from neuralmi.errors import InputError


def test_empirical_tail_and_bound():
    rng = np.random.default_rng(0)
    null = rng.standard_normal(99)
    assert tail_p_value(0.0, null) == ((1 + (null >= 0).sum()) / 100, "empirical")
    p, how = tail_p_value(stats.norm.isf(1e-4), null)
    assert how == "tail" and 1e-5 < p < 0.01  # below the empirical floor 1/(K + 1), within 10x of 1e-4 or above
    assert tail_p_value(5.0, rng.standard_normal(30)) == (1 / 31, "bound")  # too few surrogates for a tail
    assert np.isnan(tail_p_value(np.nan, null)[0])


def test_a_null_value_is_rarely_put_below_a_graph_sized_threshold():
    rng = np.random.default_rng(1)
    found = [tail_p_value(stats.norm.isf(0.01), rng.standard_normal(99))[0] for _ in range(200)]
    assert np.mean(np.array(found) < 0.05 / 28) <= 0.05


def test_pairwise_null_with_a_tail():
    x = dependent_pairs(800, n_channels=3, pairs=[[0, 1]], mi=1.0, seed=2)
    fast = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 20, "batch_size": 128}
    result = neuralmi.run(x, mode="pairwise", null_permutations=49, null_tail=True, progress=False, **fast)
    table = result.significance.set_index(["a", "b"])
    assert table.at[(0, 1), "p_method"] == "tail" and table.at[(0, 1), "p_value"] < 1 / 50
    assert (table.drop(index=(0, 1))["p_method"] == "empirical").all()
    assert "tail-fitted" in result.finding and "too few surrogates" not in result.finding
    with pytest.raises(InputError, match="null_tail: .* set null_permutations >= 40, found 19"):
        neuralmi.run(x, mode="pairwise", null_permutations=19, null_tail=True, progress=False, **fast)
    with pytest.raises(InputError, match="null_tail: .* found 0"):
        neuralmi.run(x[:, :2], x[:, 2:], null_tail=True, progress=False, **fast)
