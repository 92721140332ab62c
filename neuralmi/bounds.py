"""Variational MI bounds: a score matrix in, an MI value in nats out.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from neuralmi.errors import InputError

_EXP_CAP = 80.0
UNDERFLOW = 87.0


@dataclass
class RowStats:
    """Per-row summaries of a score matrix (each shape (k, n)); `count` is the number of valid columns.

    `lme_off` is None when it was not asked for (bounds whose rows do not use it); `lme_raw` holds the
    untransformed off-diagonal log-mean-exp when an off_transform made `lme_off` (else None); `mean_off`, the
    mean of the off-diagonal scores, is there when asked for (else None). `log_marginal`, for a density critic's
    held-out rows, is each row's log q(y_i) in the units of Y as given (standardisation undone; else None);
    `shift`, for FLO, its second network's u(x_i, y_i) at each row's positive pair; `correction`, for the hybrid
    bound, each row's contrastive term against draws from q(y|x) (else None).
    """

    diag: torch.Tensor
    lse_all: torch.Tensor
    lme_off: torch.Tensor | None
    count: torch.Tensor
    lme_raw: torch.Tensor | None = None
    mean_off: torch.Tensor | None = None
    log_marginal: torch.Tensor | None = None
    shift: torch.Tensor | None = None
    correction: torch.Tensor | None = None


def row_stats(block: torch.Tensor, diag, col_valid=None, off_transform=None, need_off: bool = True,
              need_mean: bool = False) -> RowStats:
    """Row statistics of a (k, b, n) block of scores.

    diag marks each row's positive pair: a (k or 1, b, n) boolean mask, or an int offset (row i's positive is
    column i + offset). col_valid (k or 1, 1, n) marks real (unpadded) columns; None: all are real. No field
    keeps the block alive.
    `off_transform`, if given, is applied to the off-diagonal scores entering `lme_off`; with need_off False
    `lme_off` is skipped (one pass over the block instead of two); with need_mean, `mean_off` is computed.
    """
    neg_inf = torch.finfo(block.dtype).min
    offset = isinstance(diag, int)
    positives = torch.diagonal(block, diag, -2, -1).clone() if offset else (block * diag).sum(-1)
    if col_valid is None:
        count = positives.new_full(positives.shape, block.shape[-1])
    else:
        count = col_valid.sum(-1).to(block.dtype).expand_as(positives)
    if not need_off:
        lse_all = _logsumexp(block if col_valid is None else block.masked_fill(~col_valid, neg_inf))
        return RowStats(positives, lse_all, None, count)
    mask = _offset_mask(block, diag) if offset else diag
    negatives = mask if col_valid is None else ~col_valid | mask
    lse_off = _logsumexp(block.masked_fill(negatives, neg_inf))
    lse_all = torch.logaddexp(lse_off, positives)
    log_pairs = torch.log((count - 1).clamp(min=1))
    mean_off = block.masked_fill(negatives, 0.0).sum(-1) / (count - 1).clamp(min=1) if need_mean else None
    if off_transform is None:
        return RowStats(positives, lse_all, lse_off - log_pairs, count, None, mean_off)
    clipped = _logsumexp(off_transform(block).masked_fill(negatives, neg_inf))
    return RowStats(positives, lse_all, clipped - log_pairs, count, lse_off - log_pairs, mean_off)


def _logsumexp(block: torch.Tensor) -> torch.Tensor:
    """log sum_j e^(s_ij) over the last axis, each term at least e^-UNDERFLOW times the row's largest.

    A trained critic scores most pairs far below each row's positive, and an exponential that underflows float32
    takes a slow path on CPUs (10-30x; the held-out scoring of a sharp critic spent most of its time there).
    The floor adds at most n e^-87 of the largest term, far below float32's resolution of the sum; autograd
    flows through it (infinite rows give what torch.logsumexp gives).
    """
    top = block.amax(-1, keepdim=True)
    shift = top.masked_fill(~torch.isfinite(top), 0.0)
    total = torch.log(torch.exp((block - shift).clamp(min=-UNDERFLOW)).sum(-1)) + shift.squeeze(-1)
    return total.masked_fill((top == -math.inf).squeeze(-1), -math.inf)


def _offset_mask(block: torch.Tensor, offset: int) -> torch.Tensor:
    """(b, n) mask of column i + offset in row i."""
    b, n = block.shape[-2:]
    return torch.arange(n, device=block.device) == torch.arange(offset, offset + b, device=block.device)[:, None]


def batch_stats(scores: torch.Tensor, off_transform=None, need_mean: bool = False) -> RowStats:
    """Row statistics of complete (k, B, B) training-batch score matrices."""
    return row_stats(scores, 0, None, off_transform, need_mean=need_mean)


def _exp(v: torch.Tensor) -> torch.Tensor:
    return torch.exp(v.clamp(max=_EXP_CAP))


def _js_objective(scores: torch.Tensor) -> torch.Tensor:
    b = scores.shape[-1]
    eye = torch.eye(b, dtype=torch.bool, device=scores.device)
    positive = -F.softplus(-torch.diagonal(scores, dim1=-2, dim2=-1)).mean(-1)
    negative = (F.softplus(scores) * ~eye).sum((-2, -1)) / (b * (b - 1))
    return positive - negative


def _log_partition(lme_off: torch.Tensor, valid_rows: torch.Tensor, keepdim: bool = True) -> torch.Tensor:
    """log E_q[e^s] over the valid rows' off-diagonal means."""
    lme = lme_off.masked_fill(~valid_rows, -math.inf)
    count = valid_rows.sum(-1, keepdim=keepdim).to(lme_off.dtype)
    return torch.logsumexp(lme, -1, keepdim=keepdim) - torch.log(count)


def _contrastive_rows(stats: RowStats) -> torch.Tensor:
    """InfoNCE's per-row terms: s_ii - log mean_j e^{s_ij}."""
    return stats.diag - stats.lse_all + torch.log(stats.count)


def _valid_mean(terms: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
    """Mean over the valid rows, per model."""
    return terms.masked_fill(~valid_rows, 0.0).sum(-1) / valid_rows.sum(-1)


def _dv_rows(diag: torch.Tensor, lme_off: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
    """Donsker-Varadhan terms: mean(r) = E_p[s] - log E_q[e^s]; r is linearised around log Z."""
    log_z = _log_partition(lme_off, valid_rows)
    return diag - _exp(lme_off - log_z) - log_z + 1.0


class Bound:
    """Base of the bounds: default objective is the mean of the bound's own row terms on the batch."""

    n_params = 0
    off_transform = None
    uses_off = True
    uses_mean = False
    needs_density = False
    needs_shift = False
    needs_proposals = False
    selects_on_densities = False
    direction = "lower"

    def init_state(self, k: int, device) -> dict:
        return {}

    def gap(self, stats: RowStats, params: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
        """The same critic's InfoNCE value minus this bound's: both are lower bounds, so a positive gap larger than
        the estimate's error shows this one to be loose by at least that much."""
        return _valid_mean(_contrastive_rows(stats) - self.rows(stats, params, valid_rows), valid_rows)

    def rows(self, stats: RowStats, params: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def objective(self, scores: torch.Tensor, params: torch.Tensor, state: dict, shift=None) -> torch.Tensor:
        stats = batch_stats(scores, self.off_transform, self.uses_mean)
        stats.shift = shift
        valid = torch.ones_like(stats.diag, dtype=torch.bool)
        return self.rows(stats, params, valid).mean(-1)


class InfoNCE(Bound):
    """Contrastive bound: E[s_ii - log mean_j e^{s_ij}]; at most log(n) for n samples."""

    uses_off = False

    def rows(self, stats, params, valid_rows):
        return _contrastive_rows(stats)

    def gap(self, stats, params, valid_rows):
        """Shortfall from the n negatives: how much leaving each row's positive pair out of its normaliser raises
        the estimate, mean of -log(1 - p_i) - log(n / (n - 1)) with p_i the positive's softmax weight. About
        chi^2 / n for a good critic: small when n is large for this MI, large when the bound saturates. A positive
        that takes all of its row's weight to float precision counts as 2^-23 short of it."""
        log_share = (stats.diag - stats.lse_all).double().clamp(max=-(2.0**-23))
        terms = -torch.log(-torch.expm1(log_share)) - torch.log(stats.count / (stats.count - 1).clamp(min=1)).double()
        return _valid_mean(terms, valid_rows)

    def objective(self, scores, params, state):
        """The mean row term, as the log-softmax at the positives (one fused pass, forward and backward)."""
        positives = torch.diagonal(torch.log_softmax(scores, -1), dim1=-2, dim2=-1)
        return positives.mean(-1) + math.log(scores.shape[-1])


class NWJ(Bound):
    """Nguyen-Wainwright-Jordan: E_p[s] - E_q[e^{s-1}]."""

    def rows(self, stats, params, valid_rows):
        return stats.diag - _exp(stats.lme_off - 1.0)


class TUBA(Bound):
    """Tractable unnormalised bound with a learned log-baseline b: E_p[s] - e^{-b} E_q[e^s] - b + 1."""

    n_params = 1

    def rows(self, stats, params, valid_rows):
        b = params[:, :1]
        return stats.diag - _exp(stats.lme_off - b) - b + 1.0


class FLO(Bound):
    """Fenchel-Legendre optimisation (Guo et al. 2022): E_p[1 - u - e^{-u} E_{p(y')}[e^{s(x,y') - s(x,y)}]] with a
    second network u(x, y) (`needs_shift`). -log m >= 1 - u - e^{-u} m for every u (the Fenchel dual of -log), so
    it is a lower bound for any u and critic, equal at u = log E_{y'} e^{s(x,y') - s(x,y)} to
    E[s - log E_{y'} e^{s}]; the negatives enter linearly, so their mean estimates the partition term without
    bias and the value has no log(n) ceiling. On a density critic, whose rows are y samples, the negatives are
    x' (the same bound with the sides' roles exchanged)."""

    needs_shift = True

    def rows(self, stats, params, valid_rows):
        return 1.0 - stats.shift - _exp(stats.lme_off - stats.diag - stats.shift)


class MINE(Bound):
    """Donsker-Varadhan bound trained with MINE's moving-average correction of the partition gradient."""

    def __init__(self, ema: float):
        self.ema = ema

    def init_state(self, k, device):
        return {"log_ema": torch.full((k,), math.nan, device=device)}

    def rows(self, stats, params, valid_rows):
        return _dv_rows(stats.diag, stats.lme_off, valid_rows)

    def objective(self, scores, params, state):
        stats = batch_stats(scores)
        log_mean = torch.logsumexp(stats.lme_off, -1) - math.log(stats.lme_off.shape[-1])
        previous = state["log_ema"]
        blended = torch.logaddexp(previous + math.log1p(-self.ema), log_mean.detach() + math.log(self.ema))
        state["log_ema"] = torch.where(torch.isnan(previous), log_mean.detach(), blended)
        surrogate = stats.diag.mean(-1) - _exp(log_mean - state["log_ema"])
        dv = stats.diag.mean(-1) - log_mean
        return surrogate + (dv - surrogate).detach()


class JS(Bound):
    """Trained with the Jensen-Shannon (f-GAN) objective; reports the NWJ estimate of the shifted critic s + 1."""

    def rows(self, stats, params, valid_rows):
        return stats.diag + 1.0 - _exp(stats.lme_off)

    def objective(self, scores, params, state):
        return _js_objective(scores)


class SMILE(Bound):
    """Trained with the JS objective; reports DV with density ratios clipped to [e^-tau, e^tau]: not a bound."""

    direction = "none"

    def __init__(self, tau: float):
        self.tau = tau

    def gap(self, stats, params, valid_rows):
        """Excess from clipping: how far the clipped partition term lowers log E_q[e^s], which raises the
        estimate above its critic's own (unclipped) Donsker-Varadhan lower bound."""
        return (_log_partition(stats.lme_raw, valid_rows, False) - _log_partition(stats.lme_off, valid_rows, False))

    def off_transform(self, s):
        """Clipping of the scores (log density ratios) in the partition term."""
        return s.clamp(-self.tau, self.tau)

    def rows(self, stats, params, valid_rows):
        return _dv_rows(stats.diag, stats.lme_off, valid_rows)

    def objective(self, scores, params, state):
        return _js_objective(scores)


class DensityBound(Bound):
    """A bound on a density critic, trained by maximum likelihood of q(y|x): the mean of the positive pairs'
    log q(y_i|x_i) (their - log q(y_i) is constant in training, the critic's penalty fits q(y))."""

    needs_density = True
    selects_on_densities = True

    def objective(self, scores, params, state):
        return torch.diagonal(scores, dim1=-2, dim2=-1).mean(-1)


class DifferenceOfEntropies(DensityBound):
    """H(Y) - H(Y|X) estimated by the two densities' cross-entropies: E[log q(y|x) - log q(y)]. Not a bound
    (each cross-entropy is above its entropy). Its gap is log E_{p(x)p(y)}[q(y|x) / q(y)], the amount by which it
    exceeds the Donsker-Varadhan lower bound of the same critic: about 0 for consistent densities; below 0 it lies
    under that lower bound, so it under-estimates the MI by at least that much; above 0 it may over-estimate the MI
    by up to that much."""

    direction = "none"

    def rows(self, stats, params, valid_rows):
        return stats.diag

    def gap(self, stats, params, valid_rows):
        return _log_partition(stats.lme_off, valid_rows, False)


class BarberAgakov(DensityBound):
    """Barber-Agakov: H(Y) + E[log q(y|x)] with the entropy H(Y) known, a lower bound for any conditional density
    q(y|x) (short of the MI by E_x KL(p(y|x) || q(y|x))). Its gap is H(Y) + E[log q(y)]: the learned marginal's
    cross-entropy cannot be below the true entropy, so a gap clearly above 0 shows the given entropy too high,
    and the estimate too high by at least as much."""

    uses_off = False
    selects_on_densities = False

    def __init__(self, entropy: float):
        self.entropy = entropy

    def rows(self, stats, params, valid_rows):
        return stats.diag.double() + stats.log_marginal.double() + self.entropy

    def gap(self, stats, params, valid_rows):
        return _valid_mean(stats.log_marginal.double() + self.entropy, valid_rows)


class HybridBarberAgakov(BarberAgakov):
    """Barber-Agakov plus a contrastive correction (the generalised importance-weighted bound of Brekelmans et
    al. 2022): H(Y) + E[log q(y|x)] + E[f(x, y) - log mean_k e^{f(x, y_k)}], the mean over the pair and K - 1
    draws y_k ~ q(.|x). A lower bound for any q and f; the correction, at most log K, recovers part of what
    q(y|x) misses, E_x KL(p(y|x) || q(y|x)) (`needs_proposals`: the critic's op "proposal")."""

    needs_proposals = True

    def rows(self, stats, params, valid_rows):
        return super().rows(stats, params, valid_rows) + stats.correction.double()


class _UpperBound(DensityBound):
    direction = "upper"

    def gap(self, stats, params, valid_rows):
        """How far it lies above the same critic's InfoNCE lower bound."""
        return -super().gap(stats, params, valid_rows)


class CLUB(_UpperBound):
    """Contrastive log-ratio upper bound: E_p[log q(y|x)] - E_{p(x)p(y)}[log q(y|x)] (row i: its positive minus
    the mean of its row's other scores)."""

    uses_mean = True

    def rows(self, stats, params, valid_rows):
        return stats.diag - stats.mean_off


class LeaveOneOut(_UpperBound):
    """Leave-one-out upper bound: E[log q(y_i|x_i) - log mean_{j != i} q(y_i|x_j)], the InfoNCE row term with the
    positive pair left out of its normaliser."""

    def rows(self, stats, params, valid_rows):
        return stats.diag - stats.lme_off


def estimate(bound: Bound, stats: RowStats, params: torch.Tensor, valid_rows: torch.Tensor):
    """The bound's estimate (mean of its row terms over valid rows) and standard error, each shape (k,)."""
    return row_estimate(bound.rows(stats, params, valid_rows), valid_rows)


def row_estimate(terms: torch.Tensor, valid_rows: torch.Tensor):
    """Mean of row terms over the valid rows and its standard error, each shape (k,)."""
    terms = terms.double().masked_fill(~valid_rows, 0.0)
    count = valid_rows.sum(-1).double()
    mean = terms.sum(-1) / count
    var = ((terms - mean[:, None]) ** 2).masked_fill(~valid_rows, 0.0).sum(-1) / (count - 1)
    return mean, (var / count).sqrt()


BOUNDS = {
    "infonce": lambda opts: InfoNCE(),
    "nwj": lambda opts: NWJ(),
    "tuba": lambda opts: TUBA(),
    "mine": lambda opts: MINE(opts.mine_ema),
    "flo": lambda opts: FLO(),
    "js": lambda opts: JS(),
    "smile": lambda opts: SMILE(opts.smile_tau),
    "doe": lambda opts: DifferenceOfEntropies(),
    "ba": lambda opts: BarberAgakov(opts.y_entropy_nats),
    "ba_hybrid": lambda opts: HybridBarberAgakov(opts.y_entropy_nats),
    "club": lambda opts: CLUB(),
    "l1out": lambda opts: LeaveOneOut(),
}


def check_estimator(options) -> None:
    """The bound suits the critic, and a bracket pairs a lower bound with an upper one."""
    from neuralmi.nets.densities import DENSITY_CRITICS

    bound = make_bound(options)
    if bound.needs_density and options.critic not in DENSITY_CRITICS:
        raise InputError(f"bound {options.bound!r} needs a learned conditional density: critic one of "
                         f"{sorted(DENSITY_CRITICS)}, found {options.critic!r}")
    if isinstance(bound, BarberAgakov):
        _check_known_entropy(options)
    if options.bracket and bound.direction != "lower":
        kind = "an upper bound" if bound.direction == "upper" else "not a bound"
        raise InputError(f"bracket: the bound must be a lower bound to pair with upper_bound "
                         f"{options.upper_bound!r}; {options.bound!r} is {kind}")


def _check_known_entropy(options) -> None:
    """Barber-Agakov's entropy is that of Y as given: known, of continuous values, not replaced by normal scores."""
    if options.y_entropy_nats is None:
        raise InputError(f"bound {options.bound!r} needs y_entropy_nats, the known differential entropy of Y in "
                         f"nats; without it use bound 'doe', which learns the marginal density instead")
    if options.rank_transform:
        raise InputError(f"bound {options.bound!r}: rank_transform replaces Y by normal scores, whose entropy is "
                         f"not y_entropy_nats; set rank_transform: false")
    side = options.processor_y if options.processor_y is not None else options.processor
    name = side.get("processor") if isinstance(side, dict) else side
    if name in ("spikes", "categorical"):
        raise InputError(f"bound {options.bound!r}: Y's processor is {name!r}, whose values are discrete and have "
                         f"no differential entropy; use a contrastive bound")


ENTROPY_MODES = ("estimate", "rigorous", "sweep", "lag")
KNOWN_ENTROPY = ("ba", "ba_hybrid")


RESHAPING_Y = ("window_size", "rank_transform")


def check_entropy_option(options, mode: str) -> None:
    """y_entropy_nats belongs to bound 'ba' (also as a sweep's value) in the modes that keep Y as given, and a
    sweep with it does not change what one Y sample is."""
    grid = options.grid or {}
    used = sorted(set(KNOWN_ENTROPY) & {options.bound, *grid.get("bound", [])})
    if options.y_entropy_nats is not None and not used:
        raise InputError(f"option 'y_entropy_nats': applies to bounds {list(KNOWN_ENTROPY)}, not {options.bound!r}")
    if not used:
        return
    if mode not in ENTROPY_MODES:
        raise InputError(f"bound {used[0]!r}: mode {mode!r} estimates the MI of other variables than Y as given, "
                         f"whose entropy y_entropy_nats is; modes {list(ENTROPY_MODES)} take it")
    _check_known_entropy(options.replace(bound=used[0]))
    for key in RESHAPING_Y:
        if key in grid:
            raise InputError(f"bound {used[0]!r}: the grid sweeps {key!r}, which changes Y and so its entropy, but "
                             f"y_entropy_nats is one number; sweep it in separate analyses")


def make_bound(options) -> Bound:
    """The bound named by options.bound."""
    if options.bound not in BOUNDS:
        raise InputError(f"bound: expected one of {sorted(BOUNDS)}, found {options.bound!r}")
    return BOUNDS[options.bound](options)
