"""Generators produce the MI they promise; the classical references agree on easy cases."""

import numpy as np
import pytest

from neuralmi.data.generators import correlated_gaussian, latent_observation, transformed
from neuralmi.data.tasks import TASKS, task
from neuralmi.errors import InputError
from neuralmi.reference import gaussian_mi, ksg_mi


@pytest.mark.parametrize("mi, dx, dy", [(0.0, 3, 3), (2.0, 5, 5), (8.0, 5, 5), (1.0, 2, 7)])
def test_correlated_gaussian_has_the_stated_mi(mi, dx, dy):
    """The covariance estimator on 200k samples has error well under 0.02 bits here."""
    x, y = correlated_gaussian(200_000, dx, dy, mi, seed=1)
    assert x.shape == (200_000, dx) and y.shape == (200_000, dy)
    assert gaussian_mi(x, y) == pytest.approx(mi, abs=0.02)


def test_nats_and_bits_agree():
    xb, yb = correlated_gaussian(1000, 2, 2, 1.0, units="bits", seed=3)
    xn, yn = correlated_gaussian(1000, 2, 2, np.log(2.0), units="nats", seed=3)
    np.testing.assert_allclose(xb, xn)
    np.testing.assert_allclose(yb, yn)


def test_ksg_matches_the_truth_on_a_transformed_1d_gaussian():
    """KSG is invariant to monotone maps; with 5000 samples its error on 1 bit is a few hundredths."""
    x, y = correlated_gaussian(5000, 1, 1, 1.0, seed=2)
    assert ksg_mi(transformed(x, "cube"), transformed(y, "sinh")) == pytest.approx(1.0, abs=0.05)


def test_latent_observation_is_an_injective_view_of_the_latent():
    x, y = latent_observation(50, latent_dim=3, dim_x=20, dim_y=10, mi=2.0, seed=0)
    assert x.shape == (50, 20) and y.shape == (50, 10)
    with pytest.raises(InputError, match="must be >= latent_dim"):
        latent_observation(50, 3, 2, 10, 1.0)


def test_tasks_are_named_and_sample():
    assert len({t.name for t in TASKS}) == len(TASKS)
    x, y = task("cubed-5d-2bit").sample(100)
    assert x.shape == (100, 5)
    with pytest.raises(KeyError):
        task("nope")


def test_rank_gaussianize_is_monotone_and_normal():
    from neuralmi.data.arrays import rank_gaussianize

    rng = np.random.default_rng(0)
    a = np.column_stack([rng.exponential(size=1000) ** 3, rng.integers(0, 4, 1000)]).astype(np.float32)
    g = rank_gaussianize(a)
    order = np.argsort(a[:, 0])
    assert np.all(np.diff(g[order, 0]) > 0)
    assert abs(g[:, 0].mean()) < 1e-6 and abs(g[:, 0].std() - 1) < 0.01
    assert len(np.unique(g[:, 1])) == 4
    windows = rank_gaussianize(np.stack([a, a], 1))
    np.testing.assert_array_equal(windows.shape, (1000, 2, 2))


def test_lagged_pair_has_the_exact_mi_at_each_lag():
    from neuralmi.data.generators import gaussian_lag_mi, lagged_pair

    x, y = lagged_pair(200_000, lag=3, dim=2, mi=1.5, phi=0.5, seed=0)
    for offset in (-1, 0, 2):
        shift = 3 + offset
        measured = gaussian_mi(x[: len(x) - shift], y[shift:])
        assert measured == pytest.approx(gaussian_lag_mi(offset, 1.5, 2, 0.5), abs=0.02)


def test_population_channels_and_spikes_follow_their_specification():
    from neuralmi.data.generators import latent_spikes, population

    x = population(50_000, 12, 3, noise=0.5, seed=0)
    assert x.shape == (50_000, 12)
    centred = x - x.mean(0)
    eigenvalues = np.linalg.eigvalsh(centred.T @ centred / len(x))[::-1]
    assert eigenvalues[2] > 5 * eigenvalues[3]                       # three latent directions over the noise
    spikes, lfp = latent_spikes(duration=200, n_neurons=5, rate=8.0, delay=0.1, seed=0)
    assert lfp.shape == (20_000, 4) and len(spikes) == 5
    assert all(np.all(np.diff(t) > 0) and t[0] >= 0 and t[-1] < 200 for t in spikes)
    assert np.mean([len(t) / 200 for t in spikes]) == pytest.approx(8.0, rel=0.25)


def test_embedded_resources_are_what_the_script_makes(tmp_path):
    """resources/ holds exactly what scripts/make_example.py generates (its provenance)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("make_example", root / "scripts/make_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_example(tmp_path / "example")
    module.make_recording(tmp_path / "recording")
    for name in ("example/x.npy", "example/y.npy", "recording/lfp.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / name), np.load(root / "resources" / name))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "recording/spikes.parquet"),
                                  pd.read_parquet(root / "resources/recording/spikes.parquet"))
