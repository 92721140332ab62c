"""The interface every bound implements (`Bound`) and the row terms several bounds share."""

from __future__ import annotations

import math

import torch

from neuralmi.bounds.rows import RowStats, batch_stats

EXP_CAP = 80.0


def exp_capped(v: torch.Tensor) -> torch.Tensor:
    return torch.exp(v.clamp(max=EXP_CAP))


def log_partition(lme_off: torch.Tensor, valid_rows: torch.Tensor, keepdim: bool = True) -> torch.Tensor:
    """log E_q[e^s] over the valid rows' off-diagonal means."""
    lme = lme_off.masked_fill(~valid_rows, -math.inf)
    count = valid_rows.sum(-1, keepdim=keepdim).to(lme_off.dtype)
    return torch.logsumexp(lme, -1, keepdim=keepdim) - torch.log(count)


def contrastive_rows(stats: RowStats) -> torch.Tensor:
    """InfoNCE's per-row terms: s_ii - log mean_j e^{s_ij}."""
    return stats.diag - stats.lse_all + torch.log(stats.count)


def valid_mean(terms: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
    """Mean over the valid rows, per model."""
    return terms.masked_fill(~valid_rows, 0.0).sum(-1) / valid_rows.sum(-1)


def dv_rows(diag: torch.Tensor, lme_off: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
    """Donsker-Varadhan terms: mean(r) = E_p[s] - log E_q[e^s]; r is linearised around log Z."""
    log_z = log_partition(lme_off, valid_rows)
    return diag - exp_capped(lme_off - log_z) - log_z + 1.0


class Bound:
    """The bound interface. A bound defines `rows`; the rest has defaults. The objective that trains the critic is
    by default the mean of the bound's own row terms on the training batch.

    Class attributes tell the trainer what the bound needs:
    `direction` ("lower", "upper" or "none": a bound of the MI in expectation on held-out data, or no bound);
    `n_params`, learned scalars per member beside the critic (TUBA's baseline), passed to `rows` as `params`;
    `uses_off`, `uses_mean`: whether rows read `RowStats.lme_off` (the off-diagonal log-mean-exp) and `mean_off`;
    `off_transform`, a map of the off-diagonal scores before their log-mean-exp (SMILE's clipping);
    `needs_density`: a density critic is required (nets/densities.py); `needs_shift`: FLO's second network
    u(x, y) (`RowStats.shift`); `needs_proposals`: the hybrid bound's corrections (`RowStats.correction`);
    `selects_on_densities`: stopping and selection follow the densities' held-out log-likelihood, not the value.
    """

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
        """State kept across training steps for k members (MINE's moving average); none by default."""
        return {}

    def gap(self, stats: RowStats, params: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
        """The same critic's InfoNCE value minus this bound's: both are lower bounds, so a positive gap larger than
        the estimate's error shows this one to be loose by at least that much."""
        return valid_mean(contrastive_rows(stats) - self.rows(stats, params, valid_rows), valid_rows)

    def rows(self, stats: RowStats, params: torch.Tensor, valid_rows: torch.Tensor) -> torch.Tensor:
        """Per-row terms (k, n) whose mean over the valid rows is the bound's estimate (nats), and whose spread over
        sqrt(n) is its standard error."""
        raise NotImplementedError

    def objective(self, scores: torch.Tensor, params: torch.Tensor, state: dict, shift=None) -> torch.Tensor:
        stats = batch_stats(scores, self.off_transform, self.uses_mean)
        stats.shift = shift
        valid = torch.ones_like(stats.diag, dtype=torch.bool)
        return self.rows(stats, params, valid).mean(-1)
