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
