"""Classical MI estimators for comparison: the Gaussian (covariance) estimator and KSG (Kraskov et al. 2004)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from neuralmi.data.arrays import as_pair
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
