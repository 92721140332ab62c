"""Bounds on any critic's scores: the contrastive InfoNCE, the Donsker-Varadhan family (NWJ, TUBA, MINE, JS),
FLO with its second network, and SMILE (clipped, not a bound)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from neuralmi.bounds.base import Bound, contrastive_rows, dv_rows, exp_capped, log_partition, valid_mean
from neuralmi.bounds.rows import batch_stats


def js_objective(scores: torch.Tensor) -> torch.Tensor:
    b = scores.shape[-1]
    eye = torch.eye(b, dtype=torch.bool, device=scores.device)
    positive = -F.softplus(-torch.diagonal(scores, dim1=-2, dim2=-1)).mean(-1)
    negative = (F.softplus(scores) * ~eye).sum((-2, -1)) / (b * (b - 1))
    return positive - negative


class InfoNCE(Bound):
    """Contrastive bound: E[s_ii - log mean_j e^{s_ij}]; at most log(n) for n samples."""

    uses_off = False

    def rows(self, stats, params, valid_rows):
        return contrastive_rows(stats)

    def gap(self, stats, params, valid_rows):
        """Shortfall from the n negatives: how much leaving each row's positive pair out of its normaliser raises
        the estimate, mean of -log(1 - p_i) - log(n / (n - 1)) with p_i the positive's softmax weight. About
        chi^2 / n for a good critic: small when n is large for this MI, large when the bound saturates. A positive
        that takes all of its row's weight to float precision counts as 2^-23 short of it."""
        log_share = (stats.diag - stats.lse_all).double().clamp(max=-(2.0**-23))
        terms = -torch.log(-torch.expm1(log_share)) - torch.log(stats.count / (stats.count - 1).clamp(min=1)).double()
        return valid_mean(terms, valid_rows)

    def objective(self, scores, params, state):
        """The mean row term, as the log-softmax at the positives (one fused pass, forward and backward)."""
        positives = torch.diagonal(torch.log_softmax(scores, -1), dim1=-2, dim2=-1)
        return positives.mean(-1) + math.log(scores.shape[-1])


class NWJ(Bound):
    """Nguyen-Wainwright-Jordan: E_p[s] - E_q[e^{s-1}]."""

    def rows(self, stats, params, valid_rows):
        return stats.diag - exp_capped(stats.lme_off - 1.0)


class TUBA(Bound):
    """Tractable unnormalised bound with a learned log-baseline b: E_p[s] - e^{-b} E_q[e^s] - b + 1."""

    n_params = 1

    def rows(self, stats, params, valid_rows):
        b = params[:, :1]
        return stats.diag - exp_capped(stats.lme_off - b) - b + 1.0


class FLO(Bound):
    """Fenchel-Legendre optimisation (Guo et al. 2022): E_p[1 - u - e^{-u} E_{p(y')}[e^{s(x,y') - s(x,y)}]] with a
    second network u(x, y) (`needs_shift`). -log m >= 1 - u - e^{-u} m for every u (the Fenchel dual of -log), so
    it is a lower bound for any u and critic, equal at u = log E_{y'} e^{s(x,y') - s(x,y)} to
    E[s - log E_{y'} e^{s}]; the negatives enter linearly, so their mean estimates the partition term without
    bias and the value has no log(n) ceiling. On a density critic, whose rows are y samples, the negatives are
    x' (the same bound with the sides' roles exchanged)."""

    needs_shift = True

    def rows(self, stats, params, valid_rows):
        return 1.0 - stats.shift - exp_capped(stats.lme_off - stats.diag - stats.shift)


class MINE(Bound):
    """Donsker-Varadhan bound trained with MINE's moving-average correction of the partition gradient."""

    def __init__(self, ema: float):
        self.ema = ema

    def init_state(self, k, device):
        return {"log_ema": torch.full((k,), math.nan, device=device)}

    def rows(self, stats, params, valid_rows):
        return dv_rows(stats.diag, stats.lme_off, valid_rows)

    def objective(self, scores, params, state):
        stats = batch_stats(scores)
        log_mean = torch.logsumexp(stats.lme_off, -1) - math.log(stats.lme_off.shape[-1])
        previous = state["log_ema"]
        blended = torch.logaddexp(previous + math.log1p(-self.ema), log_mean.detach() + math.log(self.ema))
        state["log_ema"] = torch.where(torch.isnan(previous), log_mean.detach(), blended)
        surrogate = stats.diag.mean(-1) - exp_capped(log_mean - state["log_ema"])
        dv = stats.diag.mean(-1) - log_mean
        return surrogate + (dv - surrogate).detach()


class JS(Bound):
    """Trained with the Jensen-Shannon (f-GAN) objective; reports the NWJ estimate of the shifted critic s + 1."""

    def rows(self, stats, params, valid_rows):
        return stats.diag + 1.0 - exp_capped(stats.lme_off)

    def objective(self, scores, params, state):
        return js_objective(scores)


class SMILE(Bound):
    """Trained with the JS objective; reports DV with density ratios clipped to [e^-tau, e^tau]: not a bound."""

    direction = "none"

    def __init__(self, tau: float):
        self.tau = tau

    def gap(self, stats, params, valid_rows):
        """Excess from clipping: how far the clipped partition term lowers log E_q[e^s], which raises the
        estimate above its critic's own (unclipped) Donsker-Varadhan lower bound."""
        return (log_partition(stats.lme_raw, valid_rows, False) - log_partition(stats.lme_off, valid_rows, False))

    def off_transform(self, s):
        """Clipping of the scores (log density ratios) in the partition term."""
        return s.clamp(-self.tau, self.tau)

    def rows(self, stats, params, valid_rows):
        return dv_rows(stats.diag, stats.lme_off, valid_rows)

    def objective(self, scores, params, state):
        return js_objective(scores)
