"""Classical estimators for comparison: the Gaussian (covariance) estimator and KSG (Kraskov et al. 2004) of MI,
and their conditional-MI counterparts (Gaussian plug-in, Frenzel-Pompe k-nearest-neighbour); and a held-out
lower bound with a linear-Gaussian critic fitted in closed form, a check on a trained critic's value."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from neuralmi.data.arrays import as_pair, as_triplet
from neuralmi.units import from_nats


def gaussian_mi(x, y, units: str = "bits") -> float:
    """MI of a Gaussian with the samples' covariance: exact for Gaussian data, a lower bound's proxy otherwise."""
    x, y = (a.astype(np.float64) for a in as_pair(x, y))
    joint = np.cov(np.hstack([x, y]), rowvar=False)
    dx = x.shape[1]
    logdet = lambda m: np.linalg.slogdet(np.atleast_2d(m))[1]  # noqa: E731
    nats = 0.5 * (logdet(joint[:dx, :dx]) + logdet(joint[dx:, dx:]) - logdet(joint))
    return float(from_nats(nats, units))


def _zscored(a: np.ndarray) -> np.ndarray:
    return (a - a.mean(0)) / np.where(a.std(0) > 0, a.std(0), 1.0)


def _kth_radius(joint: np.ndarray, k: int) -> np.ndarray:
    """Each sample's max-norm distance to its k-th neighbour in `joint`, just below it (counts are strict)."""
    return np.nextafter(cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, -1], 0)


def _neighbours(a: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """How many other samples lie within each sample's radius in the subspace `a` (max-norm)."""
    return cKDTree(a).query_ball_point(a, radius, p=np.inf, return_length=True) - 1


def ksg_terms(x, y, k: int = 3) -> np.ndarray:
    """Per-sample terms (nats) of the Kraskov-Stoegbauer-Grassberger estimator (algorithm 1, max-norm), features
    z-scored first: their mean is the estimate, their spread over sqrt(n) its standard error."""
    x, y = (_zscored(a.astype(np.float64)) for a in as_pair(x, y))
    radius = _kth_radius(np.hstack([x, y]), k)
    return digamma(k) + digamma(len(x)) - digamma(_neighbours(x, radius) + 1) - digamma(_neighbours(y, radius) + 1)


def ksg_estimate(x, y, k: int = 3) -> tuple[float, float]:
    """KSG estimate of I(X; Y) and its standard error (nats), from the per-sample terms."""
    terms = ksg_terms(x, y, k)
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms)))


def ksg_mi(x, y, k: int = 3, units: str = "bits") -> float:
    """Kraskov-Stoegbauer-Grassberger estimate of I(X; Y) in `units`."""
    return float(from_nats(ksg_terms(x, y, k).mean(), units))


def gaussian_cmi_estimate(x, y, z, units: str = "bits") -> float:
    """I(X;Y|Z) of a Gaussian with the samples' covariance, I([X, Z]; Y) - I(Z; Y): exact for Gaussian data."""
    x, y, z = as_triplet(x, y, z)
    return gaussian_mi(np.hstack([x, z]), y, units) - gaussian_mi(z, y, units)


def ksg_cmi(x, y, z, k: int = 3, units: str = "bits") -> float:
    """Frenzel-Pompe (2007) k-nearest-neighbour estimate of I(X;Y|Z), max-norm, features z-scored first:
    psi(k) - < psi(n_xz + 1) + psi(n_yz + 1) - psi(n_z + 1) >, counts strictly within each sample's distance
    to its k-th neighbour in the joint space."""
    x, y, z = (_zscored(a.astype(np.float64)) for a in as_triplet(x, y, z))
    radius = _kth_radius(np.hstack([x, y, z]), k)
    terms = (digamma(k) - digamma(_neighbours(np.hstack([x, z]), radius) + 1)
             - digamma(_neighbours(np.hstack([y, z]), radius) + 1) + digamma(_neighbours(z, radius) + 1))
    return float(from_nats(terms.mean(), units))


LINEAR_RIDGES = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e4)
LINEAR_ROWS = 1024


def _standardised(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`a` flattened to (n, features), centred and scaled by the moments of `rows`."""
    a = a.reshape(len(a), -1).astype(np.float64)
    sd = a[rows].std(0)
    return (a - a[rows].mean(0)) / np.where(sd > 0, sd, 1.0)


def _shrunk_covariance(a: np.ndarray) -> np.ndarray:
    """The covariance of the rows of `a` pulled towards its diagonal by dims / (n + dims), so it is invertible
    however few the rows."""
    cov = np.atleast_2d(np.cov(a, rowvar=False))
    pull = a.shape[1] / (len(a) + a.shape[1])
    return (1 - pull) * cov + pull * np.diag(np.maximum(np.diag(cov), 1e-12))


def _ridges(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Coefficients (with intercept) of the ridge regression of y on x for each of LINEAR_RIDGES (penalty: that
    many times the rows), from one Gram matrix."""
    design = np.hstack([x, np.ones((len(x), 1))])
    gram, cross = design.T @ design, design.T @ y
    penalised = np.eye(design.shape[1])
    penalised[-1, -1] = 0.0
    return [np.linalg.solve(gram + ridge * len(x) * penalised, cross) for ridge in LINEAR_RIDGES]


def _predicted(x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return x @ coef[:-1] + coef[-1]


def _linear_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ridge coefficients of y on x, each column of y with the penalty that predicts it best on the last fifth
    of the rows (fitted on the rest), refitted on all rows; and the residuals' covariance. A penalty per column
    keeps the columns that X does not predict from fitting noise (sparse dependence in many dimensions)."""
    cut = len(x) - max(1, len(x) // 5)
    errors = [np.mean((y[cut:] - _predicted(x[cut:], coef)) ** 2, 0) for coef in _ridges(x[:cut], y[:cut])]
    best = np.argmin(errors, 0)
    fitted = _ridges(x, y)
    coef = np.stack([fitted[b][:, j] for j, b in enumerate(best)], 1)
    return coef, _shrunk_covariance(y - _predicted(x, coef))


def linear_bound(x, y, train: np.ndarray, val: np.ndarray, block_size: int | None = None) -> tuple[float, float]:
    """A held-out InfoNCE lower bound (nats) and its standard error with a linear-Gaussian critic:
    log q(y|x) - log q(y), q(y|x) a ridge regression of Y on X with Gaussian residuals and q(y) Gaussian, both
    fitted in closed form on the `train` rows and scored on the `val` rows, in their order, in blocks of at most
    `block_size` (the size a trained critic's held-out set is cut into). A valid lower bound on I(X; Y) whatever
    the data: exact up to sampling for jointly Gaussian data, below the MI where the dependence is not linear."""
    x, y = _standardised(x, train), _standardised(y, train)
    coef, residual = _linear_fit(x[train], y[train])
    to_white = np.linalg.inv(np.linalg.cholesky(residual))
    to_marginal = np.linalg.inv(np.linalg.cholesky(_shrunk_covariance(y[train])))
    size = len(val) if block_size is None else min(block_size, len(val))
    terms = []
    for start in range(0, len(val), size):
        block = val[start : start + size]
        mean = _predicted(x[block], coef) @ to_white.T
        white = y[block] @ to_white.T
        marginal = 0.5 * np.sum((y[block] @ to_marginal.T) ** 2, 1)
        for row in range(0, len(block), LINEAR_ROWS):
            m = mean[row : row + LINEAR_ROWS]
            scores = m @ white.T - 0.5 * np.sum(white**2, 1) + marginal
            own = scores[np.arange(len(m)), np.arange(row, row + len(m))]
            top = scores.max(1, keepdims=True)
            terms.append(own - top[:, 0] - np.log(np.mean(np.exp(scores - top), 1)))
    terms = np.concatenate(terms)
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms)))
