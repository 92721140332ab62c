"""Row statistics of score matrices: what every bound's estimate is computed from, streamed in row blocks so
that a held-out set's n x n matrix never exists at once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

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


def estimate(bound, stats: RowStats, params: torch.Tensor, valid_rows: torch.Tensor):
    """The bound's estimate (mean of its row terms over valid rows) and standard error, each shape (k,)."""
    return row_estimate(bound.rows(stats, params, valid_rows), valid_rows)


def row_estimate(terms: torch.Tensor, valid_rows: torch.Tensor):
    """Mean of row terms over the valid rows and its standard error, each shape (k,)."""
    terms = terms.double().masked_fill(~valid_rows, 0.0)
    count = valid_rows.sum(-1).double()
    mean = terms.sum(-1) / count
    var = ((terms - mean[:, None]) ** 2).masked_fill(~valid_rows, 0.0).sum(-1) / (count - 1)
    return mean, (var / count).sqrt()
