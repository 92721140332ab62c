"""The reasons not to trust a result that every mode shares: diverged or unfinished fits, a bound's own measured
bias, a wrong known entropy, a capped InfoNCE value, a k-nearest-neighbour reference above the interval, a
linear-critic lower bound above the result, and heavy-tailed features that share one scale. A mode adds its own
(a curved extrapolation, a peak at the edge of a scan) and is `reliable` only without any. The k-NN reference and
the linear bound are second estimates of the MI built differently on the same samples (`second_estimates`);
rigorous mode's interval also reaches up to them (`reached_references`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from neuralmi.bounds import CLUB, KNOWN_ENTROPY, BarberAgakov, DifferenceOfEntropies, InfoNCE
from neuralmi.units import from_nats


def fit_warnings(table: pd.DataFrame, bound_name: str, units: str) -> list[str]:
    """Reasons to distrust the fits themselves, shared by every mode."""
    reasons = []
    if not np.isfinite(table[["val_mi", "train_mi", "se"]].to_numpy(float)).all():
        reasons.append("a fit's MI is not finite (the critic diverged): try infonce, smile or a lower learning_rate")
    ran_out = ~table["stopped_early"].to_numpy(bool)
    on_most_data = (table["gamma"] == table["gamma"].min()).to_numpy()
    if ran_out.sum() > len(table) / 2 or ran_out[on_most_data].all():
        reasons.append("most fits, or all fits on the most data (the smallest gamma), reached max_epochs before "
                       "their validation curve peaked: the critic is still learning; raise max_epochs")
    if bound_name in KNOWN_ENTROPY:
        reasons += entropy_warnings(table, units)
    ceiling = from_nats(np.log(table["eval_n"].to_numpy(float)), units)
    if bound_name == "infonce" and (table["val_mi"].to_numpy() > 0.8 * ceiling).any():
        reasons.append(
            "an InfoNCE estimate exceeds 80% of its log(n) ceiling (n: the held-out samples each is scored "
            "against): the estimate is likely capped; use more samples or a larger eval_block_size"
        )
    return reasons


def entropy_warnings(table: pd.DataFrame, units: str) -> list[str]:
    """Barber-Agakov: a reason when a fit's `bound_gap`, y_entropy_nats + mean log q(y) on its held-out samples,
    lies more than two of its held-out standard errors above 0. The learned marginal's cross-entropy cannot be
    below the true entropy, so the given entropy is then too high, and every value with it."""
    excess = table["bound_gap"].to_numpy(float) - 2 * table["se"].to_numpy(float)
    if not np.nanmax(excess, initial=-np.inf) > 0:
        return []
    worst = float(np.nanmax(table["bound_gap"].to_numpy(float)))
    return [f"y_entropy_nats lies {worst:.3f} {units} above the cross-entropy of the learned marginal density of Y, "
            f"which cannot be below the true entropy: the given entropy is too high (check its units and that it "
            f"is the entropy of Y as given), and the estimate too high by at least as much"]


def bias_warnings(table: pd.DataFrame, bound, half_width: float, units: str) -> list[str]:
    """Reasons to distrust a held-out value whose bound's own bias, measured at the selected evaluation
    (`bound_gap`), is larger than its interval's half-width (largest over the fits). An upper bound's gap is the
    width of its critic's own bracket (`bracket_warnings`); Barber-Agakov's gap checks its entropy in every mode
    (`entropy_warnings`) and the fit of its densities here (`misfit_warnings`)."""
    if bound.direction == "upper":
        return bracket_warnings(table, bound, half_width, units)
    gap = table["bound_gap"].to_numpy(float)
    if not np.isfinite(gap).any():
        return []
    if isinstance(bound, BarberAgakov):
        return misfit_warnings(gap, half_width, units)
    if isinstance(bound, DifferenceOfEntropies):
        worst = float(gap[np.nanargmax(np.abs(gap))])
        if abs(worst) <= half_width:
            return []
        if worst < 0:
            return [f"the difference of entropies lies {-worst:.3f} {units} below the Donsker-Varadhan lower bound of "
                    f"its own densities, more than the interval's half-width: it under-estimates the MI by at least "
                    f"that much (q(y) is too high where the conditionals put mass); try critic 'flow', more "
                    f"mixture_components or the bound l1out"]
        return [f"the difference of entropies lies {worst:.3f} {units} above the Donsker-Varadhan lower bound of its "
                f"own densities, more than the interval's half-width: q(y) is too low where the conditionals put "
                f"mass (an under-fit marginal, or Y near a lower-dimensional set, where no density exists), so it "
                f"may over-estimate the MI by up to that much; try critic 'flow', more mixture_components or a "
                f"contrastive bound"]
    if np.nanmax(gap) <= half_width:
        return []
    size, name = f"{np.nanmax(gap):.3f} {units}", type(bound).__name__
    if isinstance(bound, InfoNCE):
        return [f"InfoNCE is limited by its negatives: leaving each positive pair out of its row's normaliser "
                f"raises the held-out value by {size}, more than the interval's half-width; the value is a lower "
                f"bound that may fall short of the MI by about that much: use more samples"]
    if bound.direction == "lower":
        return [f"{name} is a loose lower bound here: the same critic scored with InfoNCE gives {size} more, more "
                f"than the interval's half-width (its partition term is poorly estimated); use infonce"]
    return [f"{name}'s clipping raises the estimate {size} above its critic's own lower bound, more than the "
            f"interval's half-width: it is not a bound and likely overestimates the MI; use a larger smile_tau or "
            f"a lower bound (infonce)"]


def misfit_warnings(gap: np.ndarray, half_width: float, units: str) -> list[str]:
    """Barber-Agakov: a reason when the learned marginal density of Y falls short of Y's known entropy by more
    than the interval's half-width: its cross-entropy exceeds that entropy by KL(p(y) || q(y)) = -`bound_gap`.
    The bound falls short of the MI by E_x KL(p(y|x) || q(y|x)), the same network family's misfit on the
    conditionals, which is then unlikely to be small (heavy tails, sharp edges or too little training for it)."""
    worst = float(np.nanmin(gap))
    if -worst <= half_width:
        return []
    return [f"the learned marginal density of Y fits Y poorly: its cross-entropy exceeds Y's known entropy by "
            f"{-worst:.3f} {units}, more than the interval's half-width; Barber-Agakov falls short of the MI by the "
            f"same family's misfit of p(y|x), likely as large: use a contrastive bound (infonce) or critic 'flow'"]


def bracket_warnings(table: pd.DataFrame, bound, half_width: float, units: str) -> list[str]:
    """An upper bound: a reason when it lies above its own critic's InfoNCE lower bound (value - `bound_gap`) by
    more than that lower bound (or that bound is not above zero) and more than the interval's half-width. The MI
    lies between the two, so such an upper bound may be more than twice the MI: too loose to report as the MI."""
    upper = table["mi"].to_numpy(float)
    gap = table["bound_gap"].to_numpy(float)
    lower = upper - gap
    loose = np.isfinite(gap) & (gap > half_width) & (gap > np.maximum(lower, 0.0))
    if not loose.any():
        return []
    worst = int(np.flatnonzero(loose)[np.argmax(gap[loose])])
    below = (f"its own critic's InfoNCE lower bound ({lower[worst]:.3f} {units}), more than doubling it"
             if lower[worst] > 0 else f"its own critic's InfoNCE lower bound, which is not above zero")
    why = ("CLUB is loose wherever Y depends strongly on X: use the bound l1out" if isinstance(bound, CLUB) else
           "q(y|x) may fit poorly, or the lower bound be capped near log(eval_n): use more samples or a larger "
           "eval_block_size")
    return [f"{type(bound).__name__} lies {gap[worst]:.3f} {units} above {below}: the MI lies between the two, so "
            f"this upper bound may be more than twice the MI ({why})"]


def second_estimates(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """The second estimates beside a fit table, each (value, standard error) in its units, NaN where not computed:
    `KSG`, the k-nearest-neighbour estimate of the point's samples (`reference_mi`, `reference_se`; few dimensions),
    and `linear`, the linear-critic lower bound on the fits' own splits (`linear_mi`, `linear_se`, means over the
    fits on the most data)."""
    most = table[table["gamma"] == table["gamma"].min()]
    linear = [most[c].to_numpy(float) for c in ("linear_mi", "linear_se")]
    return {"KSG": (float(table["reference_mi"].iloc[0]), float(table["reference_se"].iloc[0])),
            "linear": tuple(float(np.nanmean(a)) if np.isfinite(a).any() else np.nan for a in linear)}


def reached_references(table: pd.DataFrame, ci_high: float, confidence: float, bound) -> tuple[float, list[str]]:
    """The interval's upper end raised to what a second estimate above it allows, and the names of those that
    raised it: KSG, an estimate of the MI that is rarely too high in the few dimensions it is computed in, up to
    its own interval's upper end (value + the normal quantile of `confidence` x its error); the linear bound, a
    bound rather than an estimate of the MI, up to its value, the least the MI can be by these data. A smooth
    critic learns sharp, bounded or heavy-tailed dependence slowly and its extrapolation can fall short of them:
    the interval reaches them rather than excluding them. The reasons stay those of the interval before
    (`reference_warnings`, `linear_warnings`). An upper `bound`'s interval is left as it is: a bracket tests it
    against the lower one's, and lower estimates must not lift it."""
    if bound.direction == "upper":
        return ci_high, []
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    estimates = second_estimates(table)
    tops = {"KSG": estimates["KSG"][0] + z * estimates["KSG"][1], "linear": estimates["linear"][0]}
    reached = []
    for name, top in tops.items():
        if np.isfinite(top) and top > ci_high:
            ci_high = top
            reached.append(name)
    return ci_high, reached


def reference_warnings(table: pd.DataFrame, ci_high: float, units: str) -> list[str]:
    """A reason when the k-nearest-neighbour reference (`reference_mi`, few dimensions only) lies above the
    interval by more than twice its own standard error: k-NN estimates are dependable there and rarely too
    high, so the critic likely misses part of the dependence."""
    ref, se = second_estimates(table)["KSG"]
    if not np.isfinite(ref) or ref - 2 * se <= ci_high:
        return []
    return [f"a k-nearest-neighbour estimate of the same samples (KSG, k = 3), {ref:.3f} +- {se:.3f} {units}, lies "
            f"above the interval: the critic likely misses part of the dependence (sharp or bounded densities are "
            f"hard for smooth critics); try critic='joint' or a wider network"]


def linear_warnings(table: pd.DataFrame, mi: float, half_width: float, confidence: float, bound,
                    units: str) -> list[str]:
    """A reason when the linear-critic lower bound on the fits' own splits (`linear_mi`, mean over the fits on
    the most data) exceeds the result by more than their joint error: the result's half-width and the bound's
    mean standard error times the normal quantile of `confidence`, added in quadrature. That bound holds
    whatever the data, so the result is then too low: its critic or densities miss dependence that a linear map
    of X already carries (too many dimensions for its training, or a density family that fits Y poorly)."""
    linear, error = second_estimates(table)["linear"]
    if not np.isfinite(linear) or not np.isfinite(mi):
        return []
    excess = linear - mi
    if excess <= np.hypot(half_width, stats.norm.ppf(0.5 + confidence / 2) * error):
        return []
    what = {"lower": "this lower bound falls short", "upper": "this upper bound does not hold"}.get(
        bound.direction, "this estimate is too low")
    return [f"a linear-Gaussian critic fitted in closed form on the same split gives the lower bound {linear:.3f} "
            f"+- {error:.3f} {units}, {excess:.3f} above this value, more than their joint error: {what} (the "
            f"critic or q(y|x) misses dependence that a linear map of X carries; try critic 'gaussian', fewer "
            f"input dimensions or more samples)"]


def tail_warnings(table: pd.DataFrame) -> list[str]:
    """A reason when X or Y has two or more heavy-tailed features that share one scale (`heavy_tails_x`,
    `heavy_tails_y`, the most over the fits; tables saved before those columns give none). The rank transform maps
    each to normal scores on its own; the scale they share, which carries much of such data's dependence, is then a
    steep function of all of them, and every critic tried (separable, hybrid, joint, wider, trained longer)
    learned it only in part: measured in benchmarks/results/heavy_tails.md, with the remedy this reason names."""
    counts = {side: table[f"heavy_tails_{side.lower()}"].max() if f"heavy_tails_{side.lower()}" in table else np.nan
              for side in "XY"}
    sides = [f"{side} has {int(count)}" for side, count in counts.items() if count >= 2]
    if not sides:
        return []
    return [f"{' and '.join(sides)} features with heavy tails (a tail index below 1.5; a Cauchy's is 1) that share "
            f"one scale (their sizes rise and fall together): the rank transform maps each to normal scores on its "
            f"own, so the shared scale, which carries much of the dependence, becomes a function of all of them that "
            f"critics learn slowly, and the estimate likely falls short (by 7-10% on multivariate Student-t data "
            f"with 1 degree of freedom, where 7 of 12 intervals missed the truth); compare rank_transform=False on "
            f"each feature compressed as arcsinh((x - median) / interquartile range), which covered the truth in "
            f"all 12 there, with intervals 2-3 times as wide (and 0.06 too high in 5+5 dimensions)"]
