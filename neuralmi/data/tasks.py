"""Named benchmark tasks with known MI: a table of samplers and their truths, so any estimator can be run over
all of them.

Families: Gaussian, coordinate-wise and mixing transforms of Gaussians, heavy-tailed (multivariate
Student-t), additive uniform noise, sparse and dense interactions in many dimensions, Gaussian mixtures.
Truths are exact closed forms, except mixtures (a Monte-Carlo integral of the exact density ratio).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import brentq

from neuralmi.data import families as fam
from neuralmi.data.generators import correlated_gaussian, latent_observation, transformed
from neuralmi.keys import did_you_mean

LOG2 = float(np.log(2.0))


@dataclass(frozen=True)
class Task:
    """A sampler of (x, y) with known MI: `sampler(n, seed)` draws the data, `truth()` the MI in nats;
    `y_entropy`, the differential entropy of one Y sample in nats where it has a closed form (else None)."""

    name: str
    family: str
    dim_x: int
    dim_y: int
    sampler: Callable
    truth: Callable
    y_entropy: float | None = None

    @property
    def mi(self) -> float:
        """The exact MI in nats (computed once: mixtures integrate numerically)."""
        return _evaluated(self.truth)

    def sample(self, n: int, seed: int = 0):
        return self.sampler(n, seed)


@functools.cache
def _evaluated(truth: Callable) -> float:
    return float(truth())


def _gaussian(name, dim_x, dim_y, bits, transform=None):
    def sampler(n, seed):
        x, y = correlated_gaussian(n, dim_x, dim_y, bits, "bits", seed)
        return (transformed(x, transform), transformed(y, transform)) if transform else (x, y)
    entropy = None if transform else fam.gaussian_entropy(np.eye(dim_y))
    return Task(name, "transformed" if transform else "gaussian", dim_x, dim_y, sampler, lambda: bits * LOG2, entropy)


def _latent(name, latent_dim, dim, bits):
    return Task(name, "transformed", dim, dim,
                lambda n, seed: latent_observation(n, latent_dim, dim, dim, bits, "bits", seed), lambda: bits * LOG2)


def _warped(name, dim, bits, warp, both):
    def sampler(n, seed):
        x, y = correlated_gaussian(n, dim, dim, bits, "bits", seed)
        return warp(x), (warp(y) if both else y)
    return Task(name, "transformed", dim, dim, sampler, lambda: bits * LOG2)


def _student(name, dim, dof, rho=0.0):
    return Task(name, "student-t", dim, dim, lambda n, seed: fam.student_t(n, dim, dim, dof, rho, seed),
                lambda: fam.student_t_mi(dof, dim, dim, rho), fam.student_t_entropy(dof, dim))


def _uniform(name, dim, epsilon):
    return Task(name, "additive-uniform", dim, dim, lambda n, seed: fam.additive_uniform(n, epsilon, dim, seed),
                lambda: fam.additive_uniform_mi(epsilon, dim), fam.additive_uniform_y_entropy(epsilon, dim))


def _pairs(name, family, dim, n_pairs, nats):
    rho = fam.pair_correlation(nats, n_pairs)
    return Task(name, family, dim, dim, lambda n, seed: fam.paired_gaussian(n, dim, dim, rho, n_pairs, seed),
                lambda: fam.gaussian_pairs_mi(np.full(n_pairs, rho)), fam.gaussian_entropy(np.eye(dim)))


def _dense(name, dim, within, nats):
    across = brentq(lambda a: fam.gaussian_block_mi(fam.all_to_all_covariance(dim, within, a), dim) - nats, 0.0,
                    within)
    cov = fam.all_to_all_covariance(dim, within, across)
    return Task(name, "dense", dim, dim, lambda n, seed: fam.correlated_normal(n, cov, dim, seed),
                lambda: fam.gaussian_block_mi(cov, dim), fam.gaussian_entropy(cov[dim:, dim:]))


def _mixture(name, dim, components, separation):
    return Task(name, "mixture", dim, dim,
                lambda n, seed: fam.gaussian_mixture(n, dim, dim, components, separation, seed),
                lambda: fam.gaussian_mixture_mi(dim, dim, components, separation))


TASKS = [
    _gaussian("gauss-1d-1bit", 1, 1, 1.0),
    _gaussian("gauss-5d-0bit", 5, 5, 0.0),
    _gaussian("gauss-5d-0.5bit", 5, 5, 0.5),
    _gaussian("gauss-5d-2bit", 5, 5, 2.0),
    _gaussian("gauss-5d-4bit", 5, 5, 4.0),
    _gaussian("gauss-5d-8bit", 5, 5, 8.0),
    _gaussian("gauss-20d-2bit", 20, 20, 2.0),
    _gaussian("gauss-2d-7d-1bit", 2, 7, 1.0),
    _gaussian("cubed-5d-2bit", 5, 5, 2.0, transform="cube"),
    _gaussian("asinh-5d-2bit", 5, 5, 2.0, transform="asinh"),
    _latent("latent-3d-in-50d-2bit", 3, 50, 2.0),
    _latent("latent-1d-in-10d-1bit", 1, 10, 1.0),
    _warped("spiral-x-3d-1bit", 3, 1.0, functools.partial(fam.spiral, speed=0.5), both=False),
    _warped("spiral-5d-2bit", 5, 2.0, functools.partial(fam.spiral, speed=0.2), both=True),
    _warped("mixed-cube-5d-2bit", 5, 2.0, fam.mixed_cube, both=True),
    _student("student-1d-dof1", 1, 1.0),
    _student("student-1d-dof3-rho0.5", 1, 3.0, 0.5),
    _student("student-2d-dof2-rho0.5", 2, 2.0, 0.5),
    _student("student-3d-dof1", 3, 1.0),
    _student("student-3d-dof3-rho0.6", 3, 3.0, 0.6),
    _student("student-5d-dof3", 5, 3.0),
    _student("student-5d-dof1", 5, 1.0),
    _uniform("uniform-1d-eps0.1", 1, 0.1),
    _uniform("uniform-1d-eps0.3", 1, 0.3),
    _uniform("uniform-1d-eps0.75", 1, 0.75),
    _uniform("uniform-3d-eps0.5", 3, 0.5),
    _pairs("sparse-25d-2pairs", "sparse", 25, 2, 1.02),
    _pairs("sparse-50d-1pair", "sparse", 50, 1, 0.5),
    _pairs("sparse-10d-3pairs", "sparse", 10, 3, 1.5),
    _dense("dense-50d-1nat", 50, 0.5, 1.0),
    _dense("dense-10d-0.5nat", 10, 0.5, 0.5),
    _mixture("mixture-1d-4comp", 1, 4, 2.0),
    _mixture("mixture-2d-4comp", 2, 4, 1.5),
    _mixture("mixture-3d-16comp", 3, 16, 2.0),
    _mixture("mixture-5d-8comp", 5, 8, 1.0),
]


def task(name: str) -> Task:
    """The task of that name."""
    for t in TASKS:
        if t.name == name:
            return t
    names = [t.name for t in TASKS]
    raise KeyError(f"no task named {name!r}; {did_you_mean(name, names) or f'known: {names}'}")


def task_sample(name: str, n: int, seed: int = 0):
    """(x, y): n samples of the named task (the workflow's `task` generator)."""
    try:
        return task(name).sample(n, seed)
    except KeyError as exc:
        raise TypeError(exc.args[0]) from None
