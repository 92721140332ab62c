"""Harder families with known MI (nats): heavy tails, additive uniform noise, sparse and dense Gaussian
interactions, Gaussian mixtures and non-coordinate-wise invertible transforms.

Each sampler returns (x, y) of shape (n, dim) as float64; each `*_mi` function gives the exact MI of its
family (for mixtures, a Monte-Carlo integral of the exact log density ratio, precise to about 1e-3 nats).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, logsumexp
from scipy.stats import multivariate_t

from neuralmi.errors import InputError

MIXTURE_TRUTH_SAMPLES = 2_000_000


def gaussian_pairs_mi(correlations) -> float:
    """MI of coordinate pairs with these correlations, independent across pairs: -1/2 sum log(1 - rho^2)."""
    rho = np.asarray(correlations, dtype=float)
    return float(-0.5 * np.log1p(-(rho**2)).sum())


def pair_correlation(mi_nats: float, n_pairs: int) -> float:
    """Correlation of each of `n_pairs` equally correlated pairs carrying `mi_nats` in all."""
    return float(np.sqrt(-np.expm1(-2.0 * mi_nats / n_pairs)))


def paired_gaussian(n: int, dim_x: int, dim_y: int, rho: float, n_pairs: int, seed: int = 0):
    """Standard normal X, Y whose first `n_pairs` coordinate pairs have correlation `rho`; every other
    coordinate is independent noise (sparse interactions when n_pairs << dim)."""
    if not 1 <= n_pairs <= min(dim_x, dim_y) or not 0 <= rho < 1:
        raise InputError(f"n_pairs, rho: need 1 <= n_pairs <= min(dim_x, dim_y) and 0 <= rho < 1, found {n_pairs}, "
                         f"{rho}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim_x))
    y = rng.standard_normal((n, dim_y))
    y[:, :n_pairs] = rho * x[:, :n_pairs] + np.sqrt(1.0 - rho**2) * y[:, :n_pairs]
    return x, y


def _t_entropy_term(nu: float) -> float:
    return float(gammaln(nu / 2) - nu / 2 * digamma(nu / 2))


def student_t_entropy(dof: float, dim: int) -> float:
    """Entropy of one side of `student_t`: a standard multivariate Student-t with `dof` degrees of freedom."""
    return float(multivariate_t(np.zeros(dim), np.eye(dim), df=dof).entropy())


def student_t_mi(dof: float, dim_x: int, dim_y: int, rho: float = 0.0) -> float:
    """Exact MI of `student_t`: the Gaussian MI of the scale matrix plus the shared-scale term
    f(nu) + f(nu + dx + dy) - f(nu + dx) - f(nu + dy), f(a) = log Gamma(a/2) - a/2 psi(a/2)."""
    k = min(dim_x, dim_y)
    shared = (_t_entropy_term(dof) + _t_entropy_term(dof + dim_x + dim_y)
              - _t_entropy_term(dof + dim_x) - _t_entropy_term(dof + dim_y))
    return gaussian_pairs_mi(np.full(k, rho)) + shared


def student_t(n: int, dim_x: int, dim_y: int, dof: float, rho: float = 0.0, seed: int = 0):
    """Multivariate Student-t (X, Y) with `dof` degrees of freedom: Gaussian pairs of correlation `rho`
    divided by one shared sqrt(chi2_dof / dof). Even with rho = 0 the shared scale makes X and Y dependent."""
    if dof <= 0:
        raise InputError(f"dof: must be > 0, found {dof}")
    x, y = paired_gaussian(n, dim_x, dim_y, rho, min(dim_x, dim_y), seed)
    scale = np.sqrt(np.random.default_rng([seed, 1]).chisquare(dof, size=(n, 1)) / dof)
    return x / scale, y / scale


def additive_uniform_mi(epsilon: float, dim: int = 1) -> float:
    """Exact MI of `additive_uniform`: per coordinate eps - log(2 eps) for eps <= 1/2, 1 / (4 eps) above."""
    per = epsilon - np.log(2 * epsilon) if epsilon <= 0.5 else 1.0 / (4 * epsilon)
    return float(dim * per)


def additive_uniform_y_entropy(epsilon: float, dim: int = 1) -> float:
    """Entropy of Y in `additive_uniform`: its MI plus H(Y|X), dim log(2 eps) (Y given X is uniform)."""
    return additive_uniform_mi(epsilon, dim) + dim * float(np.log(2 * epsilon))


def additive_uniform(n: int, epsilon: float, dim: int = 1, seed: int = 0):
    """X ~ U(0, 1)^dim and Y = X + U(-eps, eps)^dim, coordinates independent."""
    if epsilon <= 0:
        raise InputError(f"epsilon: must be > 0, found {epsilon}")
    rng = np.random.default_rng(seed)
    x = rng.random((n, dim))
    return x, x + rng.uniform(-epsilon, epsilon, size=(n, dim))


def _mixture_means(n_components: int, dim_x: int, dim_y: int, separation: float):
    """Component means, fixed by the family's parameters alone so that the MI is a property of the family."""
    rng = np.random.default_rng([n_components, dim_x, dim_y, 7])
    return (separation * rng.standard_normal((n_components, dim_x)),
            separation * rng.standard_normal((n_components, dim_y)))


def gaussian_mixture(n: int, dim_x: int, dim_y: int, n_components: int, separation: float, seed: int = 0):
    """A shared hidden component C (uniform over n_components) sets the means of X and Y; given C they are
    independent unit-variance Gaussians. Multimodal, with MI below log(n_components)."""
    mx, my = _mixture_means(n_components, dim_x, dim_y, separation)
    rng = np.random.default_rng(seed)
    c = rng.integers(n_components, size=n)
    return mx[c] + rng.standard_normal((n, dim_x)), my[c] + rng.standard_normal((n, dim_y))


def gaussian_mixture_mi(dim_x: int, dim_y: int, n_components: int, separation: float) -> float:
    """E[log p(x, y) - log p(x) - log p(y)] over MIXTURE_TRUTH_SAMPLES draws with the exact mixture densities
    (standard error about 1e-3 nats or less)."""
    mx, my = _mixture_means(n_components, dim_x, dim_y, separation)
    total, count = 0.0, 0
    for part in range(MIXTURE_TRUTH_SAMPLES // 200_000):
        x, y = gaussian_mixture(200_000, dim_x, dim_y, n_components, separation, seed=10_000 + part)
        lx = -0.5 * ((x[:, None, :] - mx[None]) ** 2).sum(-1)
        ly = -0.5 * ((y[:, None, :] - my[None]) ** 2).sum(-1)
        log_k = np.log(n_components)
        joint = logsumexp(lx + ly, axis=1) - log_k
        total += float((joint - (logsumexp(lx, axis=1) - log_k) - (logsumexp(ly, axis=1) - log_k)).sum())
        count += len(x)
    return total / count


def spiral(v: np.ndarray, speed: float = 1.0) -> np.ndarray:
    """Rotate the first two coordinates by an angle speed * |v|^2: invertible (the norm is kept) and not
    coordinate-wise, so a rank transform cannot undo it."""
    v = np.array(v, dtype=float)
    angle = speed * (v**2).sum(1)
    a, b = v[:, 0].copy(), v[:, 1].copy()
    v[:, 0], v[:, 1] = np.cos(angle) * a - np.sin(angle) * b, np.sin(angle) * a + np.cos(angle) * b
    return v


def mixed_cube(v: np.ndarray, seed: int = 0) -> np.ndarray:
    """Cube of a random rotation of v: invertible, mixes coordinates before the nonlinearity."""
    q, _ = np.linalg.qr(np.random.default_rng([v.shape[1], seed, 3]).standard_normal((v.shape[1], v.shape[1])))
    return (v @ q) ** 3


def gaussian_block_mi(cov: np.ndarray, dim_x: int) -> float:
    """MI between the first dim_x coordinates of a Gaussian and the rest: (log|Sxx| + log|Syy| - log|S|) / 2."""
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return float(0.5 * (logdet(cov[:dim_x, :dim_x]) + logdet(cov[dim_x:, dim_x:]) - logdet(cov)))


def all_to_all_covariance(dim: int, within: float, across: float) -> np.ndarray:
    """Unit variances, correlation `within` between coordinates of one side and `across` between any x_i, y_j:
    every coordinate depends on every other (dense interactions)."""
    cov = np.full((2 * dim, 2 * dim), across)
    cov[:dim, :dim] = cov[dim:, dim:] = within
    np.fill_diagonal(cov, 1.0)
    return cov


def gaussian_entropy(cov: np.ndarray) -> float:
    """Differential entropy of N(mu, cov) in nats: log det(2 pi e cov) / 2."""
    return float(0.5 * np.linalg.slogdet(2 * np.pi * np.e * np.asarray(cov))[1])


def correlated_normal(n: int, cov: np.ndarray, dim_x: int, seed: int = 0):
    """Samples of N(0, cov) split into X (the first dim_x coordinates) and Y."""
    z = np.random.default_rng(seed).standard_normal((n, len(cov))) @ np.linalg.cholesky(cov).T
    return z[:, :dim_x], z[:, dim_x:]
