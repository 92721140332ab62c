"""The subsample-and-extrapolate fit on tables with known structure."""

import numpy as np
import pandas as pd
import pytest

from neuralmi.analysis.extrapolation import extrapolate

N = 10_000


def table(mean_of, sd=0.0, gammas=range(1, 11), seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for g in gammas:
        for i in range(g):
            n = N // g
            rows.append({"gamma": g, "subset": i, "n_samples": n, "mi": mean_of(1 / n) + sd * np.sqrt(g) * rng.standard_normal()})
    return pd.DataFrame(rows)


def test_exactly_linear_data_give_the_intercept():
    ext = extrapolate(table(lambda x: 2.0 - 300 * x), 0.1, 5, 0.95)
    assert ext.mi == pytest.approx(2.0, abs=1e-9)
    assert ext.slope == pytest.approx(-300, rel=1e-6)
    assert ext.linear and len(ext.gammas_used) == 10


def test_curved_data_drop_the_largest_gammas():
    ext = extrapolate(table(lambda x: 2.0 - 300 * x - 5e6 * x**2, sd=0.001), 0.1, 5, 0.95)
    assert len(ext.gammas_used) < 10
    assert ext.gammas_used == list(range(1, len(ext.gammas_used) + 1))


def test_interval_covers_the_truth_at_its_nominal_rate():
    """Over 200 noisy tables the 95% interval should cover the truth in roughly 95% of cases."""
    covered = 0
    for seed in range(200):
        ext = extrapolate(table(lambda x: 1.0 - 200 * x, sd=0.05, seed=seed), 0.1, 5, 0.95)
        covered += ext.ci_low <= 1.0 <= ext.ci_high
    assert 0.88 <= covered / 200 <= 0.995


def test_a_diverged_fit_makes_the_result_unreliable():
    from neuralmi.analysis.fits import fit_warnings

    fits = table(lambda x: 1.0 - 200 * x).assign(val_mi=1.0, train_mi=1.0, se=0.1, stopped_early=True, n_val=1000,
                                                  eval_n=1000)
    assert fit_warnings(fits, "nwj", "bits") == []
    fits.loc[3, "train_mi"] = np.nan
    assert "not finite" in fit_warnings(fits, "nwj", "bits")[0]


def test_non_finite_fits_do_not_count_towards_a_gamma():
    fits = table(lambda x: 1.0 - 200 * x, sd=0.01)
    fits.loc[fits.index[-1], "mi"] = np.nan
    from neuralmi.analysis.extrapolation import per_gamma

    assert per_gamma(fits).set_index("gamma").loc[10, "count"] == 9
