"""Variational MI bounds: a score matrix in, an MI value in nats out (each bound a small class behind `Bound`).

A score matrix `s` has shape (k, n, n) for a stack of k models: s[m, i, j] is model m's critic score of
(x_i, y_j); the diagonal holds the joint (positive) pairs, the rest stand for the product of marginals.
Each bound gives

* `objective(s, params, state)`: the value whose gradient trains the critic, per model, shape (k,);
* `rows(stats, params)`: per-sample terms r_i whose mean is the bound's estimate on a held-out set, computed
  from streaming row statistics so the full n x n matrix never needs to exist at once. For the DV-type bounds
  r_i is the first-order influence term, so std(r) / sqrt(n) is the estimate's standard error;
* `direction`: "lower" for a lower bound of the MI in expectation on held-out data, "upper" for an upper
  bound (CLUB, leave-one-out: upper when their conditional density is close to the true one), "none" for an
  estimate with no guaranteed direction (SMILE, difference of entropies);
* `gap(stats, params, valid_rows)`: a measured size of the bound's own bias at this critic, per model (nats):
  InfoNCE's shortfall from its n negatives, SMILE's excess from clipping, and for the other lower bounds how far
  the same critic's InfoNCE bound lies above them (their partition term is then loose); for the upper bounds
  how far they lie above that InfoNCE bound (the width of the same critic's bracket).

The density bounds (`needs_density`) take a density critic (nets/densities.py), whose score matrices hold
s[i, j] = log q(y_i | x_j) - log q(y_i) with one row per y sample, and train it by maximum likelihood; those
that are no lower bound (`selects_on_densities`) stop and select on the two densities' held-out likelihood
rather than on their own value.

Modules: `rows` (row statistics streamed from score blocks, estimates and their errors), `base` (the `Bound`
interface and shared row terms), `variational` (bounds on any critic), `density` (bounds on a density critic),
`registry` (bounds by name, checks of their options).
"""

from neuralmi.bounds.base import Bound
from neuralmi.bounds.density import CLUB, BarberAgakov, DifferenceOfEntropies, HybridBarberAgakov, LeaveOneOut
from neuralmi.bounds.registry import (BOUNDS, KNOWN_ENTROPY, check_entropy_option, check_known_entropy, entropy_bound,
                                      make_bound)
from neuralmi.bounds.rows import RowStats, batch_stats, estimate, row_estimate, row_stats
from neuralmi.bounds.variational import FLO, JS, MINE, NWJ, SMILE, TUBA, InfoNCE

__all__ = ["Bound", "RowStats", "row_stats", "batch_stats", "row_estimate", "estimate", "BOUNDS", "make_bound",
           "KNOWN_ENTROPY", "entropy_bound", "check_entropy_option", "check_known_entropy", "InfoNCE", "NWJ", "TUBA",
           "MINE", "JS", "SMILE", "FLO", "DifferenceOfEntropies", "BarberAgakov", "HybridBarberAgakov", "CLUB",
           "LeaveOneOut"]
