"""Bias correction by subsampling: mean MI at each gamma (subset size N/gamma) is linear in 1/N; extrapolate.

Weighted least squares of the per-gamma mean against 1/N_gamma. The variance of one fit is modelled as
c * gamma (variance of an estimate from N/gamma samples grows like gamma), with c pooled from the spread of
the fits within each gamma, so the variance of a per-gamma mean is c * gamma / (number of fits). The interval
uses Student's t with the degrees of freedom of that pooled spread. When the residuals scatter more than the
model allows (reduced chi-square above 1), the intercept's error is inflated accordingly and the quantile is
taken with the residuals' degrees of freedom (points minus 2): the scatter then says the line is not the whole
story, and it is known from those few points only. The interval is never narrower than the normal interval of
`min_se`, the sampling error of an MI estimate from all N samples (`sampling_se`): a fitted critic shrinks
towards its training data, so the spread of the fits alone can understate how much the MI of the draw itself
varies. Linearity is tested with a quadratic term: if its contribution over the fitted range exceeds
`threshold` times the linear one (and is significant), the largest gamma is dropped and the fit redone, down to
`min_gammas` values.

`crosscheck` extrapolates the other quantity of the same fits (held-out MI when the training-subset MI is
reported, and vice versa) and their difference over the same gammas: both tend to the MI as N grows (the
held-out value from below, the training-subset value from above), so their gap must extrapolate to zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass
class Extrapolation:
    """Intercept of the fit (the corrected MI) with its confidence interval and diagnostics."""

    mi: float
    se: float
    ci_low: float
    ci_high: float
    slope: float
    gammas_used: list
    curvature_ratio: float
    linear: bool
    dof: float
    table: pd.DataFrame


def per_gamma(fits: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread and count of the fits at each gamma, with x = 1 / subset size."""
    grouped = fits.groupby("gamma").agg(
        n_samples=("n_samples", "first"), mean=("mi", "mean"), var=("mi", "var"), count=("mi", "count")
    )
    grouped["x"] = 1.0 / grouped["n_samples"]
    return grouped.reset_index()


def _variance_of_means(table: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Variance of each per-gamma mean under the c * gamma model, and the degrees of freedom of c."""
    dof = table["count"] - 1
    usable = dof > 0
    if usable.any():
        c = float((dof[usable] * table["var"][usable] / table["gamma"][usable]).sum() / dof[usable].sum())
    else:
        c = 0.0
    c = max(c, 1e-12)
    return c * table["gamma"].to_numpy(float) / table["count"].to_numpy(float), int(dof[usable].sum())


def _wls(x: np.ndarray, y: np.ndarray, var: np.ndarray, degree: int):
    """Coefficients (constant first), their covariance, and the reduced chi-square."""
    design = np.vander(x, degree + 1, increasing=True)
    w = 1.0 / var
    normal = design.T @ (design * w[:, None])
    cov = np.linalg.pinv(normal)
    coef = cov @ (design.T @ (w * y))
    dof = len(x) - degree - 1
    chi2 = float((w * (y - design @ coef) ** 2).sum() / dof) if dof > 0 else 1.0
    return coef, cov, chi2


def _curvature(x, y, var, z) -> tuple[float, bool]:
    """Ratio of the quadratic to the linear contribution at the largest x, and whether it is significant."""
    if len(x) < 4:
        return 0.0, False
    coef, cov, chi2 = _wls(x, y, var, 2)
    span = x.max()
    ratio = abs(coef[2]) * span**2 / max(abs(coef[1]) * span, 1e-12)
    se_quad = np.sqrt(cov[2, 2] * max(chi2, 1.0))
    return float(ratio), bool(abs(coef[2]) > z * se_quad)


def sampling_se(fits: pd.DataFrame) -> float:
    """Standard error of an MI estimate from all N samples: the spread of the held-out per-sample terms of the
    fits on the most data (se * sqrt(n_val), their median) over sqrt(N)."""
    first = fits[fits["gamma"] == fits["gamma"].min()]
    spread = float((first["se"] * np.sqrt(first["n_val"])).median())
    return spread / float(np.sqrt((first["n_samples"] * first["gamma"]).iloc[0]))


def extrapolate(fits: pd.DataFrame, threshold: float, min_gammas: int, confidence: float,
                min_se: float = 0.0) -> Extrapolation:
    """Fit mean MI against 1/N over gammas, dropping the largest gamma while the fit is curved."""
    table = per_gamma(fits).sort_values("gamma").reset_index(drop=True)
    var, pooled_dof = _variance_of_means(table)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    used = len(table)
    while True:
        x, y, v = table["x"].to_numpy()[:used], table["mean"].to_numpy()[:used], var[:used]
        ratio, significant = _curvature(x, y, v, z)
        linear = not (ratio > threshold and significant)
        if linear or used <= min_gammas:
            break
        used -= 1
    coef, cov, chi2 = _wls(x, y, v, 1)
    se = float(np.sqrt(cov[0, 0] * max(chi2, 1.0)))
    dof = max(1, used - 2 if chi2 > 1.0 else pooled_dof)
    half = max(float(stats.t.ppf(0.5 + confidence / 2, dof)) * se, z * min_se)
    se = max(se, min_se)
    table["used"] = np.arange(len(table)) < used
    table["var_of_mean"] = var
    return Extrapolation(
        mi=float(coef[0]),
        se=se,
        ci_low=float(coef[0] - half),
        ci_high=float(coef[0] + half),
        slope=float(coef[1]),
        gammas_used=table["gamma"][:used].tolist(),
        curvature_ratio=ratio,
        linear=linear,
        dof=dof,
        table=table,
    )


@dataclass
class CrossCheck:
    """The other quantity's extrapolation, and the extrapolated gap (training-subset minus held-out MI), over
    the gammas the reported quantity used; `disagree` when the gap's interval excludes zero."""

    other: Extrapolation
    gap: Extrapolation
    disagree: bool


def crosscheck(fits: pd.DataFrame, gammas: list, other: str, confidence: float, min_se: float = 0.0) -> CrossCheck:
    """Extrapolate column `other` (error at least `min_se`) and train_mi - val_mi of the fits of `gammas`,
    without dropping any."""
    chosen = fits[fits["gamma"].isin(gammas)]
    other_ext = extrapolate(chosen.assign(mi=chosen[other]), np.inf, len(gammas), confidence, min_se)
    gap = extrapolate(chosen.assign(mi=chosen["train_mi"] - chosen["val_mi"]), np.inf, len(gammas), confidence)
    return CrossCheck(other_ext, gap, bool(gap.ci_low > 0 or gap.ci_high < 0))
