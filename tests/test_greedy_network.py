"""Network mode's greedy conditioning: the selection's steps and tests (analysis/selection.py), rounds of fits
chosen from the rounds before, pruning of a fan-in, and each edge's TE given exactly its target's other chosen
sources."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import neuralmi
from neuralmi.analysis.selection import empirical_null, max_p, select
from neuralmi.data.networks import Edge, autoregressive_network
from neuralmi.errors import FitError, InputError

# A fan-in 0 -> 2 <- 1, a chain on from it 2 -> 3, and 0 -> 4: bivariate TE sees 0 -> 3 and 1 -> 3 too.
EDGES = [Edge(0, 2), Edge(1, 2), Edge(2, 3), Edge(0, 4, 2)]
SETTINGS = {"history": 2, "seed": 0, "threads": 2, "progress": False, "hidden_dim": 32, "max_epochs": 40,
            "conditioning": "greedy"}


@pytest.fixture(scope="module")
def greedy():
    x = autoregressive_network(4000, EDGES, 5, seed=1)
    return x, neuralmi.run(x, mode="network", **SETTINGS)


def test_greedy_conditioning_chooses_the_true_parents_and_prunes_a_fan_in(greedy):
    """Target 2 gets both of its sources over two rounds, each then kept by its TE given the other; the chain's
    indirect edges into 3, large bivariate, are never chosen: the graph is the true one."""
    _, result = greedy
    frame = result.to_frame().set_index(["source", "target"])
    truth = {(e.source, e.target) for e in EDGES}
    assert set(frame.index[frame["chosen"]]) == truth and set(frame.index[frame["selected"]]) == truth
    assert frame.loc[(0, 3), "bivariate"] > 0.03 and abs(frame.loc[(0, 3), "mi"]) < 0.02
    params = result.fits["params"].map(json.loads)
    assert {p.get("term") for p in params} == {"pair", "own"}
    assert len(result.fits) < 2 * 5**2  # conditioning on all: 2 N^2 fits

    def terms(**point):
        return np.concatenate([np.asarray(t, np.float64) for t in
                               result.fits.loc[params.map(lambda p: p == point), "val_terms"]])

    for s, t, given in [(0, 2, [1]), (1, 2, [0]), (1, 3, [2]), (2, 3, [])]:
        pair = {"source": s, "target": t, "term": "pair", **({"given": given} if given else {})}
        own = {"target": t, "term": "own", **({"given": given} if given else {})}
        np.testing.assert_allclose(frame.loc[(s, t), "mi"], (terms(**pair) - terms(**own)).mean(), rtol=1e-12)
    bivariate = terms(source=0, target=3, term="pair") - terms(target=3, term="own")
    np.testing.assert_allclose(frame.loc[(0, 3), "bivariate"], bivariate.mean(), rtol=1e-12)


def test_each_round_is_planned_from_the_fits_before_it(greedy):
    """Summarising the first round's fits alone is an error naming what is missing; planning on them gives the
    second round's terms (pair and own terms given the chosen sources), and the complete fits plan nothing."""
    x, result = greedy
    fits = result.fits
    first = fits[~fits["params"].str.contains("given")]
    with pytest.raises(FitError, match="TEs of a later round are not in the fits"):
        neuralmi.api.summarise("network", first, result.curves, result.options, result.units)
    src = neuralmi.api.source(x, None, result.options, "network")
    following = neuralmi.api.plan(src, "network", result.options, 0, first)
    assert following["fit_id"].min() == first["fit_id"].max() + 1
    assert following["params"].map(lambda p: len(json.loads(p)["given"]) == 1).all()
    assert set(following["params"]) <= set(fits["params"])
    assert len(neuralmi.api.plan(src, "network", result.options, 0, fits)) == 0
    by_point = neuralmi.api.job_groups(following, "gamma")
    assert [len(job) for job in by_point] == [1] * len(following)  # one fit per term without repeats
    assert neuralmi.api.job_groups(following, "analysis") == [following["fit_id"].tolist()]
    assert neuralmi.api.job_groups(following.iloc[:0], "analysis") == []


def test_a_saved_greedy_graph_loads_with_the_same_table(greedy, tmp_path):
    _, result = greedy
    result.save(tmp_path)
    loaded = neuralmi.load(tmp_path)
    pd.testing.assert_frame_equal(loaded.to_frame(), result.to_frame())
    assert loaded.finding == result.finding


def test_a_step_adds_the_largest_candidate_while_its_maximum_test_passes():
    """select asks for a round's TEs before deciding; the largest z is tested against the maximum of as many null
    z-scores (Sidak) on a t with its error's degrees of freedom; a target stops at the first failed step, its other
    candidates reported given its choice."""
    z = {("a", "t", ()): 6.0, ("b", "t", ()): 4.0, ("c", "t", ()): 0.2,
         ("b", "t", ("a",)): 0.5, ("c", "t", ("a",)): 0.1}
    units = ["a", "b", "c", "t"]

    def te_z(s, t, given):
        value = z.get((s, t, given), -1.0 if t != "t" else None)
        return None if value is None else (value, 19.0 if given else math.inf)

    first = select(units, lambda s, t, given: None, 0.05)
    assert len(first.missing) == 12 and {given for _, _, given in first.missing} == {()}
    second = select(units, lambda s, t, given: None if given else te_z(s, t, given), 0.05)
    assert second.missing == [("b", "t", ("a",)), ("c", "t", ("a",))]
    done = select(units, te_z, 0.05)
    assert done.missing == [] and done.chosen == {"a": [], "b": [], "c": [], "t": ["a"]}
    assert done.given[("b", "t")] == ("a",) and done.given[("a", "t")] == ()
    steps = [step for step in done.steps if step["target"] == "t"]
    assert [(s["round"], s["candidate"], s["added"]) for s in steps] == [(0, "a", True), (1, "b", False)]
    assert steps[0]["p"] == pytest.approx(1 - (1 - stats.norm.sf(6.0)) ** 3)
    assert steps[1]["p"] == pytest.approx(1 - (1 - stats.t.sf(0.5, 19)) ** 2)
    assert max_p(3.0, 19, 5, (1.0, 2.0)) == pytest.approx(1 - (1 - stats.t.sf(1.0, 19)) ** 5)
    assert max_p(3.0, 19, 1, (0.0, 1.0)) == pytest.approx(0.00368, abs=1e-5)  # N(0, 1): 0.00135
    assert max_p(math.nan, 19, 5, (0.0, 1.0)) == 1.0


def test_greedy_conditioning_takes_no_surrogate_null():
    x = np.random.default_rng(0).normal(size=(500, 3))
    with pytest.raises(InputError, match="greedy conditioning tests each step against the graph's empirical null"):
        neuralmi.run(x, mode="network", null_permutations=3, **SETTINGS)


def test_a_unit_that_never_varies_is_neither_target_nor_candidate():
    """A constant source's pair term beats the own term's shifted copy (it costs no over-fitting), so a silent unit
    (network mode's `_silent`) is kept out of the steps: its pairs report the first round's TE."""
    units = [0, 1, 2]
    z = {(0, 1, ()): 5.0, (2, 1, ()): 9.0, (1, 0, ()): 0.0, (2, 0, ()): 9.0, (0, 2, ()): 0.0, (1, 2, ()): 0.0,
         (2, 1, (0,)): 9.0}
    done = select(units, lambda s, t, given: (z[s, t, given], 19.0) if (s, t, given) in z else None, 0.05,
                  silent=(2,))
    assert done.missing == [] and done.chosen == {0: [], 1: [0], 2: []}
    assert done.given[(2, 1)] == () and done.given[(1, 2)] == ()
    assert {step["target"] for step in done.steps} == {0, 1}
    alone = select(units, lambda s, t, given: (z[s, t, given], 19.0) if (s, t, given) in z else None, 0.05,
                   silent=(1, 2))
    assert alone.steps == [] and alone.chosen == {0: [], 1: [], 2: []} and alone.missing == []


def test_the_empirical_null_reads_its_spread_on_the_t_of_the_errors():
    """z-scores on a t with 19 degrees of freedom (20 batch means) have the null (0, 1) (not the wider spread a
    normal reading of their median absolute deviation gives); twice as wide, a spread of 2; fewer than 20: (0, 1)."""
    z = stats.t.rvs(19, size=20_000, random_state=np.random.default_rng(0))
    df = np.full(len(z), 19.0)
    centre, spread = empirical_null(z, df)
    assert abs(centre) < 0.03 and spread == pytest.approx(1.0, abs=0.01)
    assert 1.4826 * np.median(np.abs(z - np.median(z))) > spread + 0.015  # read as normal: wider
    assert empirical_null(2 * z + 1, df) == pytest.approx((1.0, 2.0), rel=0.03)
    assert empirical_null(2 * z[:19] + 5, df[:19]) == (0.0, 1.0)
