"""The group level: the random-effects estimate is the textbook one and keeps its coverage; sessions drawn from a
known-MI family give an interval that covers the truth; sessions without information are not counted."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import neuralmi
from neuralmi.analysis.group import random_effects
from neuralmi.analysis.result import MIResult
from neuralmi.data.generators import correlated_gaussian, lagged_pair
from neuralmi.errors import InputError


def test_random_effects_by_hand():
    homogeneous = random_effects([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], 0.95)
    # Q = 2 on 2 degrees of freedom: tau^2 = 0; Hartung-Knapp variance 2 / (2 * 3) = 1/3
    assert homogeneous["mi"] == pytest.approx(2.0) and homogeneous["tau"] == 0 and homogeneous["i2"] == 0
    half = stats.t.ppf(0.975, 2) * np.sqrt(1 / 3)
    assert (homogeneous["ci_low"], homogeneous["ci_high"]) == pytest.approx((2 - half, 2 + half))
    assert homogeneous["q_p_value"] == pytest.approx(np.exp(-1))

    spread = random_effects([0.0, 0.0, 3.0, 3.0], [0.5] * 4, 0.95)
    # Q = 36, c = 16 - 64/16 = 12: tau^2 = (36 - 3) / 12 = 2.75, I^2 = 33/36
    assert spread["tau"] == pytest.approx(np.sqrt(2.75)) and spread["i2"] == pytest.approx(33 / 36)
    assert spread["mi"] == pytest.approx(1.5)
    pi = stats.t.ppf(0.975, 2) * np.sqrt(2.75 + spread["se"] ** 2)
    assert (spread["pi_low"], spread["pi_high"]) == pytest.approx((1.5 - pi, 1.5 + pi))


@pytest.mark.parametrize("tau", [0.0, 0.1, 0.3])
def test_random_effects_interval_covers_at_its_level(tau):
    rng = np.random.default_rng(7)
    hits, trials = 0, 3000
    for _ in range(trials):
        se = rng.uniform(0.05, 0.2, size=5)
        values = 0.5 + tau * rng.standard_normal(5) + se * rng.standard_normal(5)
        out = random_effects(values, se, 0.95)
        hits += out["ci_low"] <= 0.5 <= out["ci_high"]
    assert 0.925 <= hits / trials <= 0.97  # Hartung-Knapp: near its level with 5 sessions


def test_sessions_of_a_known_family_cover_the_truth_and_empty_sessions_are_not_counted():
    results = {}
    for s in range(6):  # four sessions carry 1 bit, two none
        x, y = correlated_gaussian(2000, 2, 2, 1.0 if s < 4 else 0.0, seed=100 + s)
        results[f"ses-{s}"] = neuralmi.run(x, y, mode="rigorous", seed=s, progress=False)
    informative = neuralmi.group({k: v for k, v in results.items() if k < "ses-4"})
    assert informative.ci_low <= 1.0 <= informative.ci_high and informative.reliable
    everyone = neuralmi.group(results)
    head = everyone.sessions[everyone.sessions["point"] == "headline"].set_index("session")
    assert head["significant"].tolist() == [True] * 4 + [False] * 2
    assert everyone.headline["n_significant"] == 4 and (head["p_source"] == "interval").all()
    assert "4 of 6 sessions significant" in everyone.finding
    assert everyone.plot().axes[0].get_title() == "rigorous: 4 of 6 sessions significant"
    with pytest.raises(InputError, match="no sessions"):
        neuralmi.group({})
    mixed = {"a": results["ses-0"], "b": neuralmi.run(*correlated_gaussian(300, 1, 1, 0.5), progress=False,
                                                       units="nats", max_epochs=2)}
    with pytest.raises(InputError, match="differ in mode"):
        neuralmi.group(mixed)


def test_a_permutation_null_gives_the_sessions_p_values(tmp_path):
    results = {}
    for s in range(3):
        x, y = correlated_gaussian(600, 1, 1, 0.5 if s else 0.0, seed=s)
        results[f"s{s}"] = neuralmi.run(x, y, seed=s, null_permutations=19, progress=False, max_epochs=30)
    out = neuralmi.group(results)
    head = out.sessions[out.sessions["point"] == "headline"]
    assert (head["p_source"] == "null").all() and (head["p_value"] >= 1 / 20).all()
    assert head["p_value"].tolist() == [r.details["p_value"] for r in results.values()]
    out.save(tmp_path / "g", truth=0.33)
    back = neuralmi.load_group(tmp_path / "g")
    assert back.finding == out.finding and back.metadata["truth"] == 0.33
    assert back.sessions.equals(out.sessions) and back.group.equals(out.group)


def test_a_session_without_a_value_is_left_out_and_a_scan_reports_its_largest_pooled_point():
    good = {f"s{s}": neuralmi.run(*correlated_gaussian(600, 1, 1, 0.5, seed=s), seed=s, progress=False, max_epochs=30)
            for s in range(2)}
    broken = MIResult("estimate", np.nan, np.nan, np.nan, False, ["every fit diverged"], "bits", pd.DataFrame(),
                      pd.DataFrame())
    out = neuralmi.group({**good, "s9": broken})
    assert out.headline["n_sessions"] == 2 and np.isfinite(out.mi)
    row = out.sessions.set_index("session").loc["s9"]
    assert np.isnan(row["p_value"]) and not row["significant"] and not out.reliable

    scans = {}
    for s in range(3):
        x, y = lagged_pair(1500, lag=2, seed=s)
        scans[f"s{s}"] = neuralmi.run(x, y, mode="lag", lags=[0, 2, 4], seed=s, progress=False, max_epochs=30)
    lag = neuralmi.group(scans)
    assert "headline" not in set(lag.sessions["point"]) and lag.headline_point == "lag=2"
    assert lag.mi == lag.group.set_index("point").at["lag=2", "mi"] == lag.group["mi"].max()
    assert "at lag=2 (the largest pooled point)" in lag.finding


def test_network_sessions_pool_each_edge_with_its_own_standard_error():
    """A network edge's interval is a t interval of its error's degrees of freedom: the group level reads back the
    edge table's se from it (not the wider one a normal reading of the width gives), and its p on the same t."""
    from neuralmi.data.networks import Edge, autoregressive_network

    sessions = {f"s{s}": neuralmi.run(autoregressive_network(1500, [Edge(0, 1)], 3, seed=s), mode="network",
                                      history=1, seed=s, progress=False, max_epochs=8, hidden_dim=16)
                for s in range(2)}
    out = neuralmi.group(sessions)
    rows = out.sessions.set_index(["session", "point"])
    for key, result in sessions.items():
        frame = result.to_frame()
        assert (frame["df"] == 19).all()
        for edge in frame.itertuples():
            row = rows.loc[(key, f"source={edge.source}, target={edge.target}")]
            assert row["se"] == pytest.approx(edge.se, rel=1e-9)
            assert row["p_value"] == pytest.approx(stats.t.sf(edge.mi / edge.se, 19), rel=1e-6)
