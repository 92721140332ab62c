"""Features with Cauchy-like tails and one shared scale: counted on the samples as given, and named in the verdict
of the modes with a reference (estimate, rigorous), where the rank transform makes such dependence hard to learn
(benchmarks/results/heavy_tails.md)."""

import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.analysis.points import TAIL_FEATURES
from neuralmi.data.arrays import TAIL_SAMPLES, shared_heavy_tails
from neuralmi.data.families import student_t
from neuralmi.data.generators import correlated_gaussian

QUICK = {"threads": 2, "max_epochs": 3, "seed": 0}


def test_heavy_tailed_features_are_counted_only_where_they_share_a_scale():
    rng = np.random.default_rng(0)
    x, y = student_t(4000, 3, 2, 1.0, seed=1)
    assert (shared_heavy_tails(x), shared_heavy_tails(y)) == (3, 2)
    assert shared_heavy_tails(np.hstack([x, rng.standard_normal((4000, 2))])) == 3
    assert shared_heavy_tails(rng.standard_cauchy((4000, 3))) == 0  # heavy, but each with its own scale
    signal = rng.standard_cauchy((4000, 1))
    assert shared_heavy_tails(np.hstack([signal, 2 * signal + 0.1 * rng.standard_cauchy((4000, 1))])) == 0  # twice
    assert shared_heavy_tails(x[:, :1]) == 0  # one feature: its normal scores keep the scale
    assert shared_heavy_tails(student_t(4000, 3, 3, 3.0, seed=1)[0]) == 0  # 3 degrees of freedom: tail index 3
    assert shared_heavy_tails(rng.standard_normal((4000, 5))) == 0
    assert shared_heavy_tails(rng.poisson(0.05, (4000, 4)).astype(float)) == 0  # sparse counts: ties at the median
    assert shared_heavy_tails(x[:TAIL_SAMPLES - 1]) == 0  # too few samples for a tail index
    windows = np.stack([x, x[::-1]], axis=1)  # (n, window, channels): each time point and channel a feature
    assert shared_heavy_tails(windows) == 6


@pytest.mark.parametrize("mode", ["estimate", "rigorous"])
def test_the_verdict_names_shared_heavy_tails_and_nothing_else_changes(mode):
    x, y = student_t(3000, 3, 3, 1.0, seed=2)
    heavy = neuralmi.run(x, y, mode=mode, **QUICK)
    assert heavy.fits["heavy_tails_x"].eq(3).all() and heavy.fits["heavy_tails_y"].eq(3).all()
    reason = [r for r in heavy.reasons if "Cauchy" in r]
    assert len(reason) == 1 and reason[0].startswith("X has 3 and Y has 3 features") and not heavy.reliable
    as_given = neuralmi.run(x, y, mode=mode, rank_transform=False, **QUICK)
    assert as_given.fits["heavy_tails_x"].isna().all() and not any("Cauchy" in r for r in as_given.reasons)
    gx, gy = correlated_gaussian(3000, 3, 3, 1.0, seed=2)
    gaussian = neuralmi.run(gx, gy, mode=mode, **QUICK)
    assert gaussian.fits[["heavy_tails_x", "heavy_tails_y"]].eq(0).all().all()
    assert not any("Cauchy" in r for r in gaussian.reasons)
    one_side = neuralmi.run(x, gy, mode=mode, **QUICK)
    assert [r[:30] for r in one_side.reasons if "Cauchy" in r] == ["X has 3 features with heavy ta"]


def test_surrogates_are_not_counted():
    x, y = student_t(2000, 2, 2, 1.0, seed=3)
    r = neuralmi.run(x, y, mode="estimate", null_permutations=2, **QUICK)
    observed = r.fits["null"] == 0
    assert r.fits.loc[observed, "heavy_tails_x"].eq(2).all() and r.fits.loc[~observed, "heavy_tails_x"].isna().all()


def test_sides_wider_than_the_limit_are_not_counted():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((500, TAIL_FEATURES + 1)), rng.standard_normal((500, 2))
    r = neuralmi.run(x, y, mode="estimate", **QUICK)
    assert r.fits["heavy_tails_x"].isna().all() and r.fits["heavy_tails_y"].eq(0).all()


def test_results_saved_before_the_check_load_without_it(tmp_path):
    x, y = student_t(2000, 3, 3, 1.0, seed=5)
    saved = neuralmi.run(x, y, mode="estimate", **QUICK)
    assert any("Cauchy" in r for r in saved.reasons)
    saved.save(tmp_path)
    fits = pd.read_parquet(tmp_path / "fits.parquet")
    fits.drop(columns=["heavy_tails_x", "heavy_tails_y"]).to_parquet(tmp_path / "fits.parquet")
    loaded = neuralmi.load(tmp_path)
    assert loaded.fits["heavy_tails_x"].isna().all() and not any("Cauchy" in r for r in loaded.reasons)
    assert loaded.mi == saved.mi and loaded.reasons == [r for r in saved.reasons if "Cauchy" not in r]
