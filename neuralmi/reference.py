"""Classical estimators for comparison: the Gaussian (covariance) estimator and KSG (Kraskov et al. 2004) of MI,
and their conditional-MI counterparts (Gaussian plug-in, Frenzel-Pompe k-nearest-neighbour)."""

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
