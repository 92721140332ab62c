"""Network mode: conditioning removes a chain's and a common input's indirect edges, a stacked graph equals its
pairs trained alone, a seed fixes every number, and bad input gets a clear error (a silent channel is kept)."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import neuralmi
from tolerance import same_numbers
from neuralmi.analysis import points
from neuralmi.analysis.modes import MODES
from neuralmi.data.networks import Edge, adjacency, autoregressive_network
from neuralmi.errors import InputError
from neuralmi.options import make_options

# A chain 0 -> 1 -> 2, and 3 driving 4 and 5 (after 1 and 2 steps): bivariate TE sees 0 -> 2 and 4 -> 5 too.
EDGES = [Edge(0, 1), Edge(1, 2), Edge(3, 4, 1), Edge(3, 5, 2)]
SETTINGS = {"history": 2, "seed": 0, "threads": 2, "progress": False, "hidden_dim": 32, "max_epochs": 40}


@pytest.fixture(scope="module")
def graph():
    x = autoregressive_network(4000, EDGES, 6, seed=1)
    return x, neuralmi.run(x, mode="network", **SETTINGS)


def edges(frame: pd.DataFrame, column: str) -> set:
    return {(r.source, r.target) for r in frame[frame[column] < 0.05].itertuples()}


def test_conditioning_leaves_the_direct_edges_of_a_chain_and_a_common_input(graph):
    """The selected graph is the true one; the bivariate graph has the chain's 0 -> 2 and the common input's
    4 -> 5, which conditioning on the others removes."""
    _, result = graph
    frame = result.to_frame()
    truth = {(e.source, e.target) for e in EDGES}
    assert set(map(tuple, frame.loc[frame["selected"], ["source", "target"]].to_numpy().tolist())) == truth
    assert edges(frame, "q_te") == truth
    assert {(0, 2), (4, 5)} <= edges(frame, "q_bivariate")
    row = frame.set_index(["source", "target"])
    assert abs(row.loc[(0, 2), "mi"]) < 0.02 and row.loc[(0, 2), "bivariate"] > 0.03
    np.testing.assert_array_equal(result.adjacency().fillna(0).to_numpy(bool), adjacency(EDGES, 6))
    assert result.reliable and result.finding.startswith("4 of 30 directed edges selected")
    assert len(result.fits) == 2 * 6**2 and result.details["strongest"] in ([3, 4], [1, 2], [0, 1], [3, 5])


def test_family_wise_control_per_target_holds_the_true_graph_and_is_holm_within_each_target(graph):
    """edge_control='target_fwer' selects by Holm's p over each target's 5 candidate sources (the same fits,
    summarised again): here the same true graph; p_target is Holm's adjustment of p_te within the target."""
    _, result = graph
    fwer = neuralmi.api.summarise("network", result.fits, result.curves,
                                  result.options.replace(edge_control="target_fwer"), result.units)
    frame = fwer.to_frame()
    truth = {(e.source, e.target) for e in EDGES}
    assert set(map(tuple, frame.loc[frame["selected"], ["source", "target"]].to_numpy().tolist())) == truth
    into = frame[frame["target"] == 2].sort_values("p_te")
    expected = np.maximum.accumulate(np.minimum(1, into["p_te"].to_numpy() * np.arange(5, 0, -1)))
    np.testing.assert_allclose(into["p_target"].to_numpy(), expected)
    assert "per target" in fwer.finding and "over the graph" in result.finding


def test_null_edges_are_centred_on_zero(graph):
    """A source that adds nothing has a conditional TE of zero on average (its shifted copy takes its place, so
    both critics have one shape), not below it."""
    _, result = graph
    frame = result.to_frame()
    absent = frame[~frame["selected"]]
    assert abs(absent["mi"].mean()) < 2 * absent["se"].mean()
    assert (absent["p_te"] > 0.001).all()


def test_a_stacked_graph_equals_its_pairs_trained_alone(graph):
    """The bivariate terms of 0 -> 1 in the six-unit graph (one stack of 60 pair terms) equal the same pair's in a
    graph of units 0 and 1 alone, bit for bit on Intel CPUs (a fit's arithmetic does not depend on its stack's other
    members; elsewhere within `same_numbers`' tolerance). Its p is not compared: the graph's empirical null sets it."""
    x, result = graph
    alone = neuralmi.run(x[:, :2], mode="network", **SETTINGS).to_frame().set_index(["source", "target"])
    together = result.to_frame().set_index(["source", "target"])
    for column in ("bivariate", "bivariate_ci_low", "bivariate_ci_high"):
        assert same_numbers(together.loc[(0, 1), column], alone.loc[(0, 1), column]), column


def test_cross_fitting_holds_out_every_sample_once_and_pools_the_folds(graph):
    """With folds=3 every term has 3 fits per repeat whose held-out sets are all the samples; an edge's TE is the
    mean of the per-sample differences over all of them, its se the folds' combined; with five times the held-out
    samples the true graph is still selected, and more tightly (smaller standard errors)."""
    x, single = graph
    result = neuralmi.run(x, mode="network", folds=3, **SETTINGS)
    fits = result.fits
    assert len(fits) == 3 * 2 * 6**2 and sorted(fits["subset"].unique()) == [0, 1, 2]
    assert (fits.groupby("point")["n_val"].sum() == fits["n_samples"].iloc[0]).all()
    frame = result.to_frame().set_index(["source", "target"])
    params = fits["params"].map(json.loads)

    def terms(**point):
        chosen = fits[params.map(lambda p: all(p.get(k) == v for k, v in point.items()))].sort_values("subset")
        return [np.asarray(t, np.float64) for t in chosen["val_terms"]]

    differences = [a - b for a, b in zip(terms(term="all", target=2), terms(term="rest", source=1, target=2))]
    np.testing.assert_allclose(frame.loc[(1, 2), "mi"], np.concatenate(differences).mean(), rtol=1e-12)
    errors = [np.std([b.mean() for b in np.array_split(d, 20)], ddof=1) / np.sqrt(20) for d in differences]
    shares = np.array([len(d) for d in differences]) / sum(len(d) for d in differences)
    np.testing.assert_allclose(frame.loc[(1, 2), "se"], np.sqrt(np.sum(shares**2 * np.square(errors))), rtol=1e-12)
    variances = shares**2 * np.square(errors)  # a t interval, its degrees of freedom pooled (Welch-Satterthwaite)
    df = variances.sum() ** 2 / (variances**2 / 19).sum()
    assert 19 < df <= 57
    half = stats.t.ppf(0.975, df) * frame.loc[(1, 2), "se"]
    np.testing.assert_allclose(frame.loc[(1, 2), ["ci_low", "ci_high"]].to_numpy(float),
                               frame.loc[(1, 2), "mi"] + np.array([-half, half]), rtol=1e-10)
    truth = {(e.source, e.target) for e in EDGES}
    assert set(frame.index[frame["selected"]]) == truth
    single_se = single.to_frame().set_index(["source", "target"])["se"]
    assert frame["se"].mean() < 0.75 * single_se.mean()


def test_a_seed_fixes_every_number():
    x = autoregressive_network(600, [Edge(0, 1)], 3, seed=2)
    first, second = (neuralmi.run(x, mode="network", **{**SETTINGS, "max_epochs": 5}) for _ in range(2))
    pd.testing.assert_frame_equal(first.to_frame(), second.to_frame())
    assert first.to_dict() == second.to_dict()


def test_channel_groups_are_the_units():
    options = make_options({"history": 1, "channel_groups": {"V1": [0, 1], "LM": [2]}})
    points = MODES["network"].points(options, (3, 0))
    assert {(p.get("source"), p["target"]) for p in points if p["term"] == "rest"} == {("V1", "LM"), ("LM", "V1")}
    assert len(points) == 8  # pair and rest per ordered pair (2), own and all-units terms per target (2)


@pytest.mark.parametrize("extra", [{}, {"conditioning": "greedy"}, {"conditioning": "greedy", "folds": 3}])
def test_a_silent_channel_is_kept_and_reported(extra):
    """Conditioned on all or greedily (a silent unit neither target nor candidate; its pairs keep their first-round
    TE), with cross-fitted folds too."""
    x = autoregressive_network(800, [Edge(0, 1)], 3, seed=3)
    x[:, 2] = 0.0
    result = neuralmi.run(x, mode="network", **{**SETTINGS, "max_epochs": 8, **extra})
    assert result.details["silent"] == [2] and "units 2 never vary" in result.finding
    frame = result.to_frame()
    assert len(frame) == 6 and not frame.loc[(frame["source"] == 2) | (frame["target"] == 2), "selected"].any()


@pytest.mark.parametrize("change, message", [
    ({"y": np.random.default_rng(1).normal(size=(500, 1))}, "y: network mode takes every channel as x"),
    ({"history": None}, "history: network mode needs the length of the past"),
    ({"x": np.random.default_rng(1).normal(size=(500, 1))}, "network mode needs at least 2 channels"),
    ({"x": np.random.default_rng(0).normal(size=(30, 3))}, r"leave 28 samples; network mode needs at least 40"),
    ({"directions": "x_to_y"}, "option 'directions': applies to mode 'transfer', not 'network'"),
    ({"null_permutations": 5, "null_method": "permute"}, "network mode shifts it"),
])
def test_bad_input_gets_a_clear_error(change, message):
    arguments = {"x": np.random.default_rng(0).normal(size=(500, 3)), "y": None, **SETTINGS, **change}
    with pytest.raises(InputError, match=message):
        neuralmi.run(mode="network", **arguments)


def test_surrogates_shift_each_source_in_the_all_units_term():
    """With null_permutations each ordered pair gets K surrogates of its all-units term; p and q join the table
    and decide `selected`."""
    x = autoregressive_network(600, [Edge(0, 1)], 3, seed=4)
    result = neuralmi.run(x, mode="network", null_permutations=3, **{**SETTINGS, "max_epochs": 5})
    surrogates = result.fits[result.fits["null"] > 0]
    assert len(surrogates) == 3 * 6 and surrogates["params"].str.contains('"rotated"').all()
    frame = result.to_frame()
    assert {"p_value", "q_value"} <= set(frame.columns) and frame["p_value"].between(0.25, 1).all()
    assert (frame["selected"] == (frame["q_value"] < 0.05)).all()


def test_a_graph_too_large_for_one_stack_is_chunked_with_the_same_numbers(monkeypatch):
    """With room for one point's samples per stack, every point trains in a stack of its own: the same table."""
    x = autoregressive_network(600, [Edge(0, 1), Edge(1, 2)], 3, seed=5)
    settings = {**SETTINGS, "max_epochs": 5}
    whole = neuralmi.run(x, mode="network", **settings)
    monkeypatch.setattr(points, "STACK_SAMPLE_BYTES", 1)
    chunked = neuralmi.run(x, mode="network", **settings)
    for column in ("mi", "se", "bivariate", "p_te"):
        assert same_numbers(whole.to_frame()[column], chunked.to_frame()[column]), column
