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


def _log_ratio_mean(log_joint, log_x, log_y):
    d = log_joint - log_x - log_y
    return d.mean(), d.std() / np.sqrt(len(d))


@pytest.mark.parametrize("dof, dim, rho", [(1.0, 1, 0.0), (3.0, 3, 0.5), (2.0, 2, 0.0)])
def test_student_t_mi_is_the_mean_log_density_ratio(dof, dim, rho):
    """The closed form (Gaussian part + shared-scale digamma term) against a Monte-Carlo mean of the exact log
    density ratio over 200k draws: agreement within 4 standard errors of that mean."""
    from scipy import stats

    from neuralmi.data.families import student_t, student_t_mi

    x, y = student_t(200_000, dim, dim, dof, rho, seed=5)
    cov = np.eye(2 * dim)
    for i in range(dim):
        cov[i, dim + i] = cov[dim + i, i] = rho
    t = lambda c, d: stats.multivariate_t(np.zeros(d), c, df=dof).logpdf  # noqa: E731
    mean, se = _log_ratio_mean(t(cov, 2 * dim)(np.hstack([x, y])), t(np.eye(dim), dim)(x), t(np.eye(dim), dim)(y))
    assert student_t_mi(dof, dim, dim, rho) == pytest.approx(mean, abs=4 * se)


@pytest.mark.parametrize("epsilon", [0.1, 0.3, 0.75])
def test_additive_uniform_mi_is_the_mean_log_density_ratio(epsilon):
    """p(y|x) = 1/(2 eps) on the band; p(y) is the band's overlap with [0, 1] over 2 eps: exact per sample."""
    from neuralmi.data.families import additive_uniform, additive_uniform_mi

    x, y = additive_uniform(200_000, epsilon, seed=2)
    overlap = np.minimum(y + epsilon, 1) - np.maximum(y - epsilon, 0)
    mean, se = _log_ratio_mean(np.full(len(y), -np.log(2 * epsilon)), 0.0, np.log(overlap / (2 * epsilon)).ravel())
    assert additive_uniform_mi(epsilon) == pytest.approx(mean, abs=4 * se + 1e-9)


def test_paired_and_dense_gaussians_have_the_stated_mi():
    """Sparse pairs and all-to-all (dense) correlations: the covariance estimator on 200k samples agrees with
    the closed form to within its plug-in bias (dims^2 / 2n) plus noise."""
    from neuralmi.data.families import (all_to_all_covariance, correlated_normal, gaussian_block_mi,
                                        pair_correlation, paired_gaussian)

    rho = pair_correlation(1.02, 2)
    x, y = paired_gaussian(200_000, 25, 25, rho, 2, seed=1)
    assert gaussian_mi(x, y, "nats") == pytest.approx(1.02, abs=0.01)
    cov = all_to_all_covariance(10, 0.5, 0.3)
    x, y = correlated_normal(200_000, cov, 10, seed=1)
    assert gaussian_mi(x, y, "nats") == pytest.approx(gaussian_block_mi(cov, 10), abs=0.01)


def test_a_task_knows_the_entropy_of_y_where_it_has_a_closed_form():
    """Barber-Agakov's y_entropy_nats in the estimator benchmark. Gaussian tasks: the plug-in Gaussian entropy of
    n = 100k samples with its bias, about -d(d + 1) / 4n, added back, within four of its standard errors,
    sqrt(d / 2n). Student-t: the mean of -log p(y) over 100k samples, within four standard errors. Additive
    uniform (Y = X + U(-eps, eps), X ~ U(0, 1)): the mean of -log p(y) with p the exact piecewise-linear density
    of a 1-D coordinate. The transformed, latent and mixture tasks give None."""
    from scipy.stats import multivariate_t

    n = 100_000
    for t in TASKS:
        y = t.sample(n, 2)[1]
        d = y.shape[1]
        if t.family in ("gaussian", "sparse", "dense"):
            plug_in = 0.5 * np.linalg.slogdet(2 * np.pi * np.e * np.atleast_2d(np.cov(y.T)))[1]
            assert t.y_entropy == pytest.approx(plug_in + d * (d + 1) / (4 * n), abs=4 * np.sqrt(d / (2 * n))), t.name
            continue
        if t.family == "student-t":
            dof = float(t.name.split("dof")[1].split("-")[0])
            log_p = multivariate_t(np.zeros(d), np.eye(d), df=dof).logpdf(y)
        elif t.family == "additive-uniform":
            eps = float(t.name.split("eps")[1])
            mass = np.clip(np.minimum(y + eps, 1.0) - np.maximum(y - eps, 0.0), 0.0, None) / (2 * eps)
            log_p = np.log(mass).sum(1)
        else:
            assert t.y_entropy is None, t.name
            continue
        assert t.y_entropy == pytest.approx(-log_p.mean(), abs=4 * log_p.std() / np.sqrt(n)), t.name


def test_mixture_truth_is_reproducible_and_below_log_components():
    from neuralmi.data.families import gaussian_mixture, gaussian_mixture_mi

    truth = gaussian_mixture_mi(2, 2, 4, 1.5)
    assert 0 < truth < np.log(4)
    x, y = gaussian_mixture(1000, 2, 2, 4, 1.5, seed=0)
    assert x.shape == (1000, 2) and y.shape == (1000, 2)


def test_spiral_and_mixed_cube_are_invertible_maps():
    """Both keep MI because they are injective: the spiral keeps the norm and rotates by a function of it."""
    from neuralmi.data.families import mixed_cube, spiral

    v = np.random.default_rng(0).standard_normal((1000, 3))
    w = spiral(v, 0.5)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), np.linalg.norm(v, axis=1))
    np.testing.assert_allclose(spiral(w, -0.5), v, atol=1e-12)
    assert len(np.unique(mixed_cube(v).round(12), axis=0)) == 1000


def test_the_task_suite_covers_every_family_with_known_answers():
    families = {t.family for t in TASKS}
    assert {"gaussian", "transformed", "student-t", "additive-uniform", "sparse", "dense", "mixture"} <= families
    assert len(TASKS) >= 30
    for t in TASKS:
        x, y = t.sample(50, seed=0)
        assert x.shape == (50, t.dim_x) and y.shape == (50, t.dim_y)
        assert np.isfinite(t.mi) and t.mi >= 0
