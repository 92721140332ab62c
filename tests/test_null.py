"""Permutation null: calibration on independent data (IID and autocorrelated), power on a dependent pair, the
surrogates themselves, p- and q-values, every mode, and the errors."""

import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.analysis import null
from neuralmi.analysis.modes import MODES
from neuralmi.data.autoregression import coupled_autoregression
from neuralmi.data.conditional import gaussian_triplet
from neuralmi.data.generators import _ar1, correlated_gaussian
from neuralmi.errors import InputError
from neuralmi.options import make_options

FAST = {"max_epochs": 20, "hidden_dim": 16, "embedding_dim": 4, "batch_size": 128, "threads": 2}
K = 39
SEEDS = range(20)
# Under the null a permutation p-value is super-uniform: P(p < 0.05) <= 0.05 (here 1/(K+1) steps: p < 0.05 means
# p <= 0.025, probability 0.025). Over 20 independent draws, 4 or more such p-values have probability < 0.016
# even at 0.05, so at most 3 of 20 (0.15) is the bound tested.
MOST_SMALL_P = 3


def _small_p_count(make, **options) -> tuple[int, np.ndarray]:
    p = np.array([neuralmi.run(*make(s), mode="estimate", null_permutations=K, seed=s, **FAST, **options)
                  .details["p_value"] for s in SEEDS])
    return int((p < 0.05).sum()), p


def _independent_iid(seed):
    rng = np.random.default_rng([seed, 1])
    return rng.standard_normal((500, 1)), rng.standard_normal((500, 1))


def _independent_ar(seed):
    rng = np.random.default_rng([seed, 2])
    return _ar1(500, 1, 0.95, rng), _ar1(500, 1, 0.95, rng)


def test_independent_iid_samples_rarely_give_small_p():
    count, p = _small_p_count(_independent_iid)
    assert count <= MOST_SMALL_P, p


def test_circular_shift_is_calibrated_on_autocorrelated_series_where_row_permutation_is_not():
    """Two independent AR(1) series (coefficient 0.95), blocked split: circular shifts keep each series'
    autocorrelation and the p-values stay calibrated; row permutation makes surrogates far smoother than the data's
    chance correlations, so the observed held-out value falls outside their range in both directions (measured,
    500 time points: with row permutation 7 of 20 p-values at the smallest value, 0.025, and 3 at 0.925 or more;
    with shifts 2 and 0; with 800 time points 6 and 7 against 0 and 0)."""
    shifted, p_shift = _small_p_count(_independent_ar, split="blocked")
    permuted, p_permute = _small_p_count(_independent_ar, split="blocked", null_method="permute")
    assert shifted <= MOST_SMALL_P, p_shift
    assert permuted > MOST_SMALL_P, p_permute


def test_a_dependent_pair_gets_the_smallest_p_and_the_observed_fits_are_unchanged():
    """The observed fit trains in one stack with the null's: the same fit as alone, to float32 precision (bit for
    bit on the CI's CPU; an H100 host's CPU, torch 2.11, rounded the 40-member stack's products differently in
    the 8th digit)."""
    x, y = correlated_gaussian(800, 1, 1, 1.0, seed=4)
    plain = neuralmi.run(x, y, mode="estimate", seed=1, device="cpu", **FAST)
    tested = neuralmi.run(x, y, mode="estimate", seed=1, null_permutations=K, device="cpu", **FAST)
    assert tested.details["p_value"] == pytest.approx(1 / (K + 1))
    assert tested.mi == pytest.approx(plain.mi, rel=1e-6) and tested.ci_low == pytest.approx(plain.ci_low, rel=1e-6)
    observed = tested.fits[tested.fits["null"] == 0].drop(columns=["seconds"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(observed, plain.fits.drop(columns=["seconds"]), rtol=1e-6)
    assert len(tested.fits) == K + 1 and tested.null["surrogate"].tolist() == list(range(K + 1))
    assert tested.significance["n_null"].iloc[0] == K
    assert "p = 0.025 (39 row permutations)" in tested.finding
    assert tested.plot_null().axes


def test_p_and_bh_q_values():
    p, counted = null.p_values(np.array([1.0, 0.2, np.nan]),
                               np.array([[0.5, 0.3, 0.1], [0.9, 0.1, 0.0], [np.nan, 0.25, 0.2]]))
    np.testing.assert_allclose(p[:2], [1 / 3, 3 / 4])
    assert np.isnan(p[2]) and counted.tolist() == [2, 3, 3]
    q = null.bh_q_values(np.array([0.01, 0.04, 0.03, 0.5, np.nan]))
    np.testing.assert_allclose(q[:4], [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    assert np.isnan(q[4])
    assert null.least_permutations(1, 0.05) == 20 and null.least_permutations(15, 0.05) == 300


def test_holm_adjusted_p_values():
    """Holm's step-down: the k-th smallest p times (m - k + 1), kept non-decreasing and at most 1; NaN left out."""
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.5])
    np.testing.assert_allclose(null.holm_adjusted(p), [0.04, 0.09, np.nan, 0.09, 0.5])
    assert np.isnan(null.holm_adjusted(np.array([np.nan]))).all()


def test_surrogate_orders():
    options = make_options({"gap": 3})
    shift = null.surrogate_order(100, "shift", options, 0, 1)
    offset = (shift[0] - 0) % 100
    assert np.array_equal(shift, np.roll(np.arange(100), 100 - offset)) and 4 <= offset <= 96
    assert np.array_equal(np.sort(null.surrogate_order(50, "permute", options, 0, 2)), np.arange(50))
    assert not np.array_equal(null.surrogate_order(50, "permute", options, 0, 2),
                              null.surrogate_order(50, "permute", options, 0, 3))
    with pytest.raises(InputError, match="circular shift of at least 4"):
        null.surrogate_order(6, "shift", options, 0, 1)


def test_local_permutation_keeps_x_near_its_z():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2000, 1))
    order = null.local_order(z, np.random.default_rng(1))
    assert len(np.unique(order)) > 0.8 * len(z)
    assert np.abs(z[order] - z).mean() < 0.05 and np.corrcoef(z[order, 0], z[:, 0])[0, 1] > 0.99
    series = np.cumsum(rng.standard_normal((2000, 1)), axis=0)
    order = null.local_order(series, np.random.default_rng(1), exclude=3)
    assert (np.abs(order - np.arange(2000)) > 3).mean() > 0.95


def test_method_choice_and_errors():
    assert null.method(make_options({}), MODES["estimate"]) == "permute"
    assert null.method(make_options({}), MODES["lag"]) == "shift"
    assert null.method(make_options({"processor": "continuous"}), MODES["sweep"]) == "shift"
    assert null.method(make_options({}), MODES["conditional"]) == "local"
    with pytest.raises(InputError, match="needs conditional mode"):
        null.method(make_options({"null_method": "local"}), MODES["estimate"])
    with pytest.raises(InputError, match="null_permutations"):
        neuralmi.run(np.zeros((50, 1)), np.zeros((50, 1)), null_permutations=-1)
    with pytest.raises(InputError, match="has no effect without null_permutations"):
        neuralmi.run(np.zeros((50, 1)), np.zeros((50, 1)), null_method="shift")
    with pytest.raises(InputError, match="scramble the driver"):
        neuralmi.run(np.zeros((50, 1)), np.zeros((50, 1)), mode="transfer", history=1, null_permutations=5,
                     null_method="permute")
    assert null.method(make_options({"processor": "continuous", "split": "random"}), MODES["estimate"]) == "shift"


SMALL = {**FAST, "max_epochs": 8, "null_permutations": 3, "device": "cpu"}  # observed fits compared bit for bit


@pytest.mark.parametrize("mode, options, keys", [
    ("rigorous", {"gammas": [1, 2, 3], "min_gammas": 2}, []),
    ("lag", {"lags": [0, 1]}, ["lag"]),
    ("dimensionality", {"embedding_dims": [1, 2], "repeats": 2}, ["embedding_dim"]),
    ("sweep", {"grid": {"embedding_dim": [2, 4]}}, ["embedding_dim"]),
])
def test_every_scan_and_rigorous_mode_reports_a_null(mode, options, keys):
    x, y = correlated_gaussian(600, 2, 2, 1.0, seed=2)
    result = neuralmi.run(x, y, mode=mode, seed=0, **SMALL, **options)
    observed = neuralmi.run(x, y, mode=mode, seed=0, **{**SMALL, "null_permutations": 0}, **options)
    assert result.mi == observed.mi
    assert list(result.significance.columns) == keys + ["observed", "p_value", "q_value", "n_null"]
    assert (result.null.groupby(keys or (lambda i: 0))["surrogate"].nunique() == 4).all()
    first = result.null[result.null["surrogate"] == 0]["statistic"].to_numpy()
    np.testing.assert_array_equal(first, result.significance["observed"].to_numpy())
    top = result.null.groupby("surrogate")["statistic"].max()
    assert result.details["p_value"] == pytest.approx((1 + (top.iloc[1:] >= top.iloc[0]).sum()) / 4)
    if keys:
        assert {"p_value", "q_value"} <= set(result.to_frame().columns)
    assert result.plot_null().axes and result.plot().axes


def test_transfer_null_shifts_the_driver_and_keeps_the_own_term():
    x, y = coupled_autoregression(800, coupling=0.8, seed=1)
    chain = {**SMALL, "gammas": [1, 2, 3], "min_gammas": 2}
    result = neuralmi.run(x, y, mode="transfer", history=1, seed=0, **chain)
    assert result.details["null_method"] == "shift"
    assert list(result.significance["direction"]) == ["x_to_y", "y_to_x"]
    terms = result.fits[result.fits["null"] > 0]["params"].str.contains('"term": "joint"')
    assert terms.all() and result.fits["null"].max() == 3
    frame = result.to_frame()
    assert frame.loc[frame["quantity"] == "te", "p_value"].notna().sum() == 2


def test_conditional_null_permutes_x_locally_in_z():
    x, y, z = gaussian_triplet(800, "partial", seed=1)
    result = neuralmi.run(x, y, z=z, mode="conditional", conditional_correction="none", seed=0, **SMALL)
    assert result.details["null_method"] == "local" and len(result.significance) == 1
    assert result.details["p_value"] == pytest.approx(0.25)


def test_command_line_writes_the_null_and_refuses_it_without_surrogates(tmp_path, capsys):
    from neuralmi.cli import main

    x, y = correlated_gaussian(300, 1, 1, 1.0, seed=1)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    files = [str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--out", str(tmp_path / "r.json")]
    fast = ["--set", "max_epochs=4", "--set", "hidden_dim=8"]
    assert main(["run", *files, *fast, "--null", str(tmp_path / "null.parquet")]) == 2
    assert "set null_permutations" in capsys.readouterr().err and not (tmp_path / "r.json").exists()
    assert main(["run", *files, *fast, "--set", "null_permutations=3", "--null", str(tmp_path / "null.parquet"),
                 "--plot-null", str(tmp_path / "null.png")]) == 0
    assert len(pd.read_parquet(tmp_path / "null.parquet")) == 4 and (tmp_path / "null.png").stat().st_size > 0
