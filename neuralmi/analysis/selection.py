"""Greedy conditional selection of each target's sources (network mode's `conditioning: greedy`), on held-out
TE z-scores, in rounds.

Per target, starting from no sources: every remaining candidate's TE given the target's past and the pasts of the
sources chosen so far; the largest z (TE / se) is tested as the maximum of as many null z-scores (Sidak:
p = 1 - (1 - p_z)^m for m candidates, p_z from the round's empirical null, `empirical_null`, on a t with the
error's degrees of freedom): at the level, the chance of adding a source when no remaining candidate has an
effect. It is added where p < level, and the target stops at the first step that fails or when no candidate is
left. Then each chosen source's TE given all the other chosen ones is asked for once (the caller tests it; no
step-by-step removal). A round asks for the TEs of every active target at once (one stack where their shapes
agree); the selection is a function of the TEs alone, replayed from the fits by whoever needs it. A z from 20 batch
means is referred to a t with 19 degrees of freedom, not to N(0, 1), under which a nominal 5 % step would be 8.3 %
with 7 candidates and 12 % with 31.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

EMPIRICAL_NULL_PAIRS = 20


@dataclass
class Selection:
    """Where the replay stopped. `missing`: the (source, target, given) TEs the next round needs (empty: complete);
    `chosen`: each target's chosen sources; `given`: each ordered pair's conditioning set for its reported TE (the
    other chosen sources of a chosen one, all chosen sources of the others); `nulls`: each round's (centre,
    spread); `steps`: each step's test, {target, round, candidate (the largest z), p (Sidak), added}."""

    missing: list
    chosen: dict
    given: dict = field(default_factory=dict)
    nulls: list = field(default_factory=list)
    steps: list = field(default_factory=list)


def empirical_null(z: np.ndarray, df: np.ndarray) -> tuple[float, float]:
    """(centre, spread) of z-scores where no edge is, each z on a t with its `df` degrees of freedom: Efron's
    empirical null from their median and the median of their absolute deviations, each over its t's own, most
    ordered pairs of a graph being edgeless, used where it is stricter than the theoretical null (a centre above 0, a
    spread above 1: the two critics of a TE differ by more than their held-out samples say) and where there are
    EMPIRICAL_NULL_PAIRS pairs or more; else (0, 1)."""
    finite = np.isfinite(z)
    z, df = z[finite], np.asarray(df, np.float64)[finite]
    if len(z) < EMPIRICAL_NULL_PAIRS:
        return 0.0, 1.0
    centre = float(np.median(z))
    spread = float(np.median(np.abs(z - centre) / stats.t.ppf(0.75, df)))
    return max(centre, 0.0), max(spread, 1.0)


def null_p(z, df, null: tuple[float, float]):
    """One-sided p of z-scores on a t with `df` degrees of freedom, after the null's (centre, spread)."""
    return stats.t.sf((np.asarray(z, np.float64) - null[0]) / null[1], df)


def max_p(z: float, df: float, m: int, null: tuple[float, float]) -> float:
    """p of the largest of m z-scores under the null (centre, spread) on a t with `df`: 1 - (1 - p_z)^m."""
    if not math.isfinite(z):
        return 1.0
    p = float(null_p(z, df, null))
    return float(-math.expm1(m * math.log1p(-p))) if p < 1 else 1.0


def select(units: list, te_z, level: float, silent: tuple = ()) -> Selection:
    """Replay the selection over `units` (in order) with `te_z(source, target, given)`, a TE's z-score and its
    degrees of freedom (None where it is not trained yet; `given`: a tuple of units in the order of `units`), each
    step at `level`. A round's null is the empirical null of its z-scores, or the first round's where it has too few
    of them. `silent` units (that never vary) are neither targets nor candidates: their pairs report the first
    round's TE (given nothing)."""
    chosen = {t: [] for t in units}
    done = Selection([], chosen)

    def canonical(sources):
        return tuple(u for u in units if u in sources)

    live = [u for u in units if u not in silent]
    active = list(live) if len(live) > 1 else []  # a lone live unit has no candidate
    while active:
        asks = {}  # per active target, its candidates' (source, target, given), the given set built once
        for t in active:
            given = canonical(chosen[t])
            asks[t] = [(s, t, given) for s in live if s != t and s not in given]
        z = {ask: te_z(*ask) for candidates in asks.values() for ask in candidates}
        done.missing = [ask for ask, value in z.items() if value is None]
        if done.missing:
            return done
        scores, dfs = np.array(list(z.values()), dtype=float).reshape(-1, 2).T
        enough = np.isfinite(scores).sum() >= EMPIRICAL_NULL_PAIRS
        null = empirical_null(scores, dfs) if enough or not done.nulls else done.nulls[0]
        done.nulls.append(null)
        following = []
        for t, candidates in asks.items():
            best = max(candidates, key=lambda ask: z[ask][0] if math.isfinite(z[ask][0]) else -math.inf)
            p = max_p(*z[best], len(candidates), null)
            done.steps.append({"target": t, "round": len(done.nulls) - 1, "candidate": best[0], "p": p,
                               "added": p < level})
            if p < level:
                chosen[t].append(best[0])
                following += [t] if len(candidates) > 1 else []
        active = following
    for t in units:
        given = () if t in silent else canonical(chosen[t])
        done.given.update({(s, t): () if s in silent else tuple(u for u in given if u != s)
                           for s in units if s != t})
    done.missing = [(s, t, done.given[s, t]) for t in units for s in chosen[t] if te_z(s, t, done.given[s, t]) is None]
    return done
