"""The scientific modes: lag finds the known lag, dimensionality the known latent dimension, sweep covers its
grid; rigorous mode on a windowed time series uses contiguous subsets."""

import numpy as np
import pytest

import neuralmi
from neuralmi.api import plan, source
from neuralmi.data.generators import gaussian_lag_mi, lagged_pair, population
from neuralmi.errors import InputError
from neuralmi.options import make_options

FAST = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 6, "patience": 3, "batch_size": 32, "eval_interval": 1}


def test_lag_finds_the_known_lag_in_seconds_and_matches_the_exact_curve():
    """Y(t) = X(t - 0.3 s) at 10 Hz, X an AR(1) series: the exact MI is 1 bit at +0.3 s and falls by a factor
    phi^2 in correlation per sample away from it."""
    x, y = lagged_pair(2000, lag=3, mi=1.0, phi=0.6, seed=4)
    lags = [-0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    result = neuralmi.run(x, y, mode="lag", processor="continuous", sample_rate=10, lags=lags, seed=1)
    assert result.peak_lag == pytest.approx(0.3)
    assert result.peak_lag_ci == (pytest.approx(0.3), pytest.approx(0.3))
    frame = result.to_frame()
    assert list(frame["lag"]) == lags and len(frame) == len(lags)
    truth = gaussian_lag_mi(np.round(np.array(lags) * 10) - 3, 1.0, 1, 0.6)
    np.testing.assert_allclose(frame["mi"], truth, atol=0.15)
    assert result.mi == pytest.approx(1.0, abs=0.15) and result.reliable, result.reasons


def test_negative_lag_means_y_leads():
    x, y = lagged_pair(1500, lag=-2, mi=1.0, seed=5)
    result = neuralmi.run(x, y, mode="lag", processor="continuous", lags=[-4, -3, -2, -1, 0, 1], seed=0)
    assert result.peak_lag == -2
    assert result.peak_lag_ci[0] <= -2 <= result.peak_lag_ci[1]


def test_every_lag_uses_the_same_samples_span():
    x, y = lagged_pair(300, lag=1, seed=0)
    opts = make_options({"processor": "continuous", "lags": [-5, 0, 7], **FAST})
    table = plan(source(x, y, opts), "lag", opts, 0)
    assert set(table["n_samples"]) == {300 - 12}


def test_lag_needs_lags_and_a_lag_range_shorter_than_the_recording():
    x, y = lagged_pair(50, seed=0)
    with pytest.raises(InputError, match="lags: lag mode needs a list of lags"):
        neuralmi.run(x, y, mode="lag", processor="continuous", **FAST)
    with pytest.raises(InputError, match="longer than the recording"):
        neuralmi.run(x, y, mode="lag", processor="continuous", lags=[-30, 30], **FAST)


def test_rigorous_on_a_windowed_series_uses_contiguous_subsets_and_blocked_splits():
    signal = np.cumsum(np.random.default_rng(0).standard_normal((4000, 2)), axis=0)
    opts = make_options({"processor": "continuous", "window_size": 4, "step_size": 2, "gammas": [1, 2, 3],
                         "min_gammas": 2})
    table = plan(source(signal, signal[:, ::-1], opts), "rigorous", opts, 0)
    n_windows = (4000 - 4) // 2 + 1
    for row in table.itertuples():
        members = np.sort(np.concatenate([row.train, row.val]))
        assert members[-1] - members[0] < n_windows // row.gamma + 1       # one contiguous block of windows
        val = np.asarray(row.val)
        assert (np.diff(val) > 1).sum() <= 4                                # five held-out blocks at most
        near = np.abs(np.asarray(row.train)[:, None] - val[None, :]).min()
        assert near >= 2                                                    # a gap: windows overlap by one


def test_sweep_has_one_row_per_grid_point_and_repeat_and_plots():
    x, y = lagged_pair(600, lag=0, seed=2)
    grid = {"window_size": [1, 2], "embedding_dim": [2, 4]}
    result = neuralmi.run(x, y, mode="sweep", processor="continuous", grid=grid, repeats=2,
                          **{k: v for k, v in FAST.items() if k != "embedding_dim"})
    frame = result.to_frame()
    assert len(frame) == 8 and {"window_size", "embedding_dim", "repeat", "mi"} <= set(frame.columns)
    assert set(frame.groupby(["window_size", "embedding_dim"]).size()) == {2}
    assert set(frame.loc[frame["window_size"] == 2, "n_samples"]) == {300}
    assert result.details["best"] in [{"window_size": w, "embedding_dim": e} for w in (1, 2) for e in (2, 4)]
    assert result.plot().axes


def test_sweep_rejects_protocol_options_in_its_grid():
    with pytest.raises(InputError, match="'lags' cannot be swept"):
        make_options({"grid": {"lags": [[1, 2]]}})


@pytest.mark.slow
@pytest.mark.parametrize("latent, noise, n, dims", [(1, 0.5, 2000, [1, 2]), (3, 0.5, 2000, [2, 3, 4]),
                                                     (6, 1.0, 3000, [4, 5, 6, 7])])
def test_dimensionality_of_a_population_is_its_latent_dimension(latent, noise, n, dims):
    """20 channels driven by a `latent`-dimensional latent: MI between random halves saturates there. The
    noise keeps the 6-D case's MI (about 3.3 bits) well below InfoNCE's log(n) ceiling; each added dimension
    below the truth then adds 0.3-0.6 bits, several standard errors."""
    x = population(n, 20, latent, noise=noise, seed=1)
    result = neuralmi.run(x, None, mode="dimensionality", embedding_dims=dims, repeats=3, seed=0)
    assert result.dimensionality == latent
    low, high = result.dimensionality_ci
    assert low <= latent <= high and high - low <= 1
    assert list(result.to_frame()["embedding_dim"]) == dims


def test_dimensionality_needs_two_channels_and_a_separable_critic():
    with pytest.raises(InputError, match="at least 2 channels"):
        neuralmi.run(np.zeros((100, 1)), None, mode="dimensionality", **FAST)
    with pytest.raises(InputError, match="needs the separable critic"):
        neuralmi.run(np.zeros((100, 4)), None, mode="dimensionality", critic="joint", **FAST)
    with pytest.raises(InputError, match="only dimensionality, pairwise and network modes take x alone"):
        neuralmi.run(np.zeros((100, 4)), None, mode="estimate", **FAST)


def test_sweeping_an_encoding_setting_changes_the_samples():
    from neuralmi.analysis.modes import MODES
    from neuralmi.analysis.points import point_arrays, resolve

    sweep = MODES["sweep"]

    spikes = [np.sort(np.random.default_rng(k).uniform(0, 10, 50)) for k in range(3)]
    opts = make_options({"processor_x": "spikes", "processor_y": "continuous", "sample_rate": 100,
                         "window_size": 0.1, "grid": {"bin_size": [0.1, 0.05]}})
    src = source(spikes, np.zeros((1000, 2)), opts)
    shapes = [point_arrays(sweep, src, p, resolve(sweep.point_options(opts, p), src, sweep), 0)[0].shape
              for p in sweep.points(opts, None)]
    assert shapes == [(100, 3), (100, 6)]


@pytest.mark.parametrize("options, message", [
    ({"grid": {"sample_rate": [10, 20]}}, "'sample_rate' cannot be swept"),
    ({"lags": [0, 1]}, "option 'lags': applies to mode 'lag', not 'estimate'"),
    ({"embedding_dims": [1, 2]}, "applies to mode 'dimensionality'"),
])
def test_options_of_another_mode_or_unsweepable_are_errors(options, message):
    x, y = lagged_pair(100, seed=0)
    with pytest.raises(InputError, match=message):
        neuralmi.run(x, y, **options)


def test_saturation_and_peak_ignore_diverged_points():
    from neuralmi.analysis.modes.dimensionality import saturation

    dims = np.array([1, 2, 3, 4])
    assert saturation(np.array([0.1, 0.5, np.nan, 0.52]), np.array([0.01, 0.01, np.nan, 0.01]), dims, 0.05,
                      1.96) == 2
