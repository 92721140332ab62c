"""The subsample-and-extrapolate fit on tables with known structure."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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
    from neuralmi.analysis.verdicts import fit_warnings

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


def test_the_interval_uses_t_quantiles_of_the_pooled_or_residual_degrees_of_freedom():
    """Within-gamma spread alone: Student's t with the pooled degrees of freedom (sum of count - 1). Per-gamma
    means scattering more than that spread allows: t with the residual degrees of freedom (points - 2)."""
    calm = extrapolate(table(lambda x: 1.0 - 200 * x, sd=0.02, gammas=range(1, 6), seed=3), 0.1, 5, 0.95)
    assert calm.dof == sum(g - 1 for g in range(1, 6))
    half = (calm.ci_high - calm.ci_low) / 2
    assert half == pytest.approx(stats.t.ppf(0.975, calm.dof) * calm.se)
    offsets = {1: 0.0, 2: 0.08, 3: -0.08, 4: 0.08, 5: -0.08}
    rough = table(lambda x: 1.0 - 200 * x, sd=0.001, gammas=range(1, 6), seed=3)
    rough["mi"] += rough["gamma"].map(offsets)
    wild = extrapolate(rough, 0.1, 5, 0.95)
    assert wild.dof == 3
    assert (wild.ci_high - wild.ci_low) / 2 == pytest.approx(stats.t.ppf(0.975, 3) * wild.se)


def _pair_table(offset, seed=0):
    """Training-subset MI 1 + 300/N, held-out 1 - offset - 500/N, noisy and correlated within a fit."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(1, 6):
        for i in range(g):
            x = g / N
            common = 0.02 * np.sqrt(g) * rng.standard_normal()
            rows.append({"fit_id": len(rows), "gamma": g, "subset": i, "n_samples": N // g, "se": 0.02,
                         "n_val": N // (5 * g),
                         "train_mi": 1.0 + 300 * x + common + 0.01 * rng.standard_normal(),
                         "val_mi": 1.0 - offset - 500 * x + common + 0.01 * rng.standard_normal(),
                         "stopped_early": True, "eval_n": 2000, "bound_gap": np.nan,
                         "reference_mi": np.nan, "reference_se": np.nan, "linear_mi": np.nan, "linear_se": np.nan})
    return pd.DataFrame(rows)


def test_extrapolations_that_meet_agree_and_a_persistent_gap_is_found():
    from neuralmi.analysis.extrapolation import crosscheck

    meet = crosscheck(_pair_table(0.0), [1, 2, 3, 4, 5], "val_mi", 0.95)
    assert not meet.disagree and meet.gap.ci_low <= 0 <= meet.gap.ci_high
    apart = crosscheck(_pair_table(0.2), [1, 2, 3, 4, 5], "val_mi", 0.95)
    assert apart.disagree and apart.gap.mi == pytest.approx(0.2, abs=0.05)


def test_rigorous_summary_spans_both_extrapolations_when_they_disagree():
    from neuralmi.analysis.modes import MODES
    from neuralmi.options import make_options

    rigorous = MODES["rigorous"]

    options = make_options({"gammas": [1, 2, 3, 4, 5], "min_gammas": 5})
    agree = rigorous.summarise(_pair_table(0.0), None, options, "nats")
    apart = rigorous.summarise(_pair_table(0.2), None, options, "nats")
    assert agree.reliable and agree.ci_low <= 1.0 <= agree.ci_high
    assert not apart.reliable and "do not meet" in apart.reasons[0]
    assert apart.ci_low <= apart.details["other_ci"][0] and apart.ci_low < 0.85
    assert apart.mi == pytest.approx(agree.mi)


def test_the_interval_reaches_a_second_estimate_above_it_and_its_flag_still_fires():
    """The KSG reference raises the upper end to its own upper end (estimate + 1.96 se), and the linear-critic
    bound (its mean over the fits on the most data) to its value, where those lie above it, naming themselves;
    the reasons are judged on the extrapolated interval, so a reference far above still flags the result. Below
    it, or NaN, they change nothing, and an upper bound's interval (which a bracket tests against the lower one's)
    is never raised."""
    from neuralmi.analysis.modes import MODES
    from neuralmi.options import make_options

    def summary(options=None, **columns):
        options = options or make_options({"gammas": [1, 2, 3, 4, 5], "min_gammas": 5})
        return MODES["rigorous"].summarise(_pair_table(0.0).assign(**columns), None, options, "nats")

    z = stats.norm.ppf(0.975)
    base = summary()
    assert base.details["reached"] == [] and base.ci_high == base.details["extrapolated_ci_high"]
    near = summary(reference_mi=base.ci_high, reference_se=0.01)
    assert near.reliable and near.details["reached"] == ["KSG"]
    assert near.ci_high == pytest.approx(base.ci_high + z * 0.01)
    assert (near.mi, near.ci_low, near.details["extrapolated_ci_high"]) == (base.mi, base.ci_low, base.ci_high)
    far = summary(reference_mi=base.ci_high + 0.1, reference_se=0.01)
    assert not far.reliable and "k-nearest-neighbour" in far.reasons[0]
    assert far.ci_high == pytest.approx(base.ci_high + 0.1 + z * 0.01)
    by_gamma = np.where(_pair_table(0.0)["gamma"] == 1, base.ci_high + 0.01, base.ci_high + 1.0)
    linear = summary(linear_mi=by_gamma, linear_se=0.05)
    assert linear.reliable and linear.details["reached"] == ["linear"]
    assert linear.ci_high == pytest.approx(base.ci_high + 0.01)
    within = summary(linear_mi=base.ci_high - 0.01, linear_se=0.05)
    assert within.ci_high == base.ci_high and within.details["reached"] == []
    below = summary(reference_mi=base.mi, reference_se=0.001, linear_mi=base.mi - 0.1, linear_se=0.01)
    assert below.ci_high == base.ci_high and below.details["reached"] == []
    upper = make_options({"gammas": [1, 2, 3, 4, 5], "min_gammas": 5, "bound": "l1out", "critic": "gaussian"})
    unraised = summary(upper, reference_mi=base.ci_high, reference_se=0.01)
    assert unraised.ci_high == unraised.details["extrapolated_ci_high"] and unraised.details["reached"] == []


def test_the_error_is_never_below_the_sampling_error_of_all_the_data():
    """Fits that barely scatter (a critic shrinks towards its data) still leave the MI of the draw uncertain:
    the held-out per-sample terms' spread, se * sqrt(n_val) = 1.5 nats here, over sqrt(N) is the floor."""
    from neuralmi.analysis.extrapolation import sampling_se

    fits = table(lambda x: 1.0 - 200 * x, sd=1e-4, gammas=range(1, 6))
    fits["n_val"] = N // (5 * fits["gamma"])
    fits["se"] = 1.5 / np.sqrt(fits["n_val"])
    floor = sampling_se(fits)
    assert floor == pytest.approx(1.5 / np.sqrt(N), rel=1e-3)
    ext = extrapolate(fits, 0.1, 5, 0.95, floor)
    assert ext.se == floor
    assert (ext.ci_high - ext.ci_low) / 2 == pytest.approx(stats.norm.ppf(0.975) * floor)
