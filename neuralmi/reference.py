"""Classical estimators for comparison: the Gaussian (covariance) estimator and KSG (Kraskov et al. 2004) of MI,
and their conditional-MI counterparts (Gaussian plug-in, Frenzel-Pompe k-nearest-neighbour)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from neuralmi.data.arrays import as_pair, as_samples
from neuralmi.errors import InputError
from neuralmi.units import from_nats


def gaussian_mi(x, y, units: str = "bits") -> float:
    """MI of a Gaussian with the samples' covariance: exact for Gaussian data, a lower bound's proxy otherwise."""
    x, y = (a.astype(np.float64) for a in as_pair(x, y))
    joint = np.cov(np.hstack([x, y]), rowvar=False)
    dx = x.shape[1]
    logdet = lambda m: np.linalg.slogdet(np.atleast_2d(m))[1]  # noqa: E731
    nats = 0.5 * (logdet(joint[:dx, :dx]) + logdet(joint[dx:, dx:]) - logdet(joint))
    return float(from_nats(nats, units))


def ksg_terms(x, y, k: int = 3) -> np.ndarray:
    """Per-sample terms (nats) of the Kraskov-Stoegbauer-Grassberger estimator (algorithm 1, max-norm), features
    z-scored first: their mean is the estimate, their spread over sqrt(n) its standard error."""
    x, y = (a.astype(np.float64) for a in as_pair(x, y))
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    y = (y - y.mean(0)) / np.where(y.std(0) > 0, y.std(0), 1.0)
    n = len(x)
    joint = np.hstack([x, y])
    eps = cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, -1]
    radius = np.nextafter(eps, 0)
    n_x = cKDTree(x).query_ball_point(x, radius, p=np.inf, return_length=True) - 1
    n_y = cKDTree(y).query_ball_point(y, radius, p=np.inf, return_length=True) - 1
    return digamma(k) + digamma(n) - digamma(n_x + 1) - digamma(n_y + 1)


def ksg_mi(x, y, k: int = 3, units: str = "bits") -> float:
    """Kraskov-Stoegbauer-Grassberger estimate of I(X; Y) in `units`."""
    return float(from_nats(ksg_terms(x, y, k).mean(), units))


def _triplet(x, y, z) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y = as_pair(x, y)
    z = as_samples(z, "z")
    if len(z) != len(x):
        raise InputError(f"z: has {len(z)} samples, x and y have {len(x)}")
    return x.astype(np.float64), y.astype(np.float64), z.astype(np.float64)


def gaussian_cmi_estimate(x, y, z, units: str = "bits") -> float:
    """I(X;Y|Z) of a Gaussian with the samples' covariance, I([X, Z]; Y) - I(Z; Y): exact for Gaussian data."""
    x, y, z = _triplet(x, y, z)
    return gaussian_mi(np.hstack([x, z]), y, units) - gaussian_mi(z, y, units)


def ksg_cmi(x, y, z, k: int = 3, units: str = "bits") -> float:
    """Frenzel-Pompe (2007) k-nearest-neighbour estimate of I(X;Y|Z), max-norm, features z-scored first:
    psi(k) - < psi(n_xz + 1) + psi(n_yz + 1) - psi(n_z + 1) >, counts strictly within each sample's distance
    to its k-th neighbour in the joint space."""
    x, y, z = ((a - a.mean(0)) / np.where(a.std(0) > 0, a.std(0), 1.0) for a in _triplet(x, y, z))
    eps = cKDTree(np.hstack([x, y, z])).query(np.hstack([x, y, z]), k=k + 1, p=np.inf)[0][:, -1]
    radius = np.nextafter(eps, 0)

    def count(a):
        return cKDTree(a).query_ball_point(a, radius, p=np.inf, return_length=True) - 1

    terms = digamma(k) - digamma(count(np.hstack([x, z])) + 1) - digamma(count(np.hstack([y, z])) + 1)
    return float(from_nats((terms + digamma(count(z) + 1)).mean(), units))
