"""Scoring a stack's kept snapshots on their held-out and training sets (and probes).

Scoring is deferred (training/loop.py): an evaluated epoch end keeps a copy of the member's weights, and the
kept copies are scored together in as few calls as their set shapes allow. Members are scored together only
with sets of one shape, in chunks and row blocks whose sizes depend only on that shape: batched matrix products
may round differently for different batch counts, so this keeps a member's numbers the same bits whichever
members share its stack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch

from neuralmi.bounds import RowStats, row_estimate, row_stats
from neuralmi.training.blocks import Blocks, in_sample_order, size_buckets, valid_mask
from neuralmi.training.memory import eval_floats

EVAL_MEMBERS = 2
EVAL_CHUNK_MAX = 8
EVALUATION_NOISE_SEED = 15485863


def _values(stats: RowStats) -> list:
    return [getattr(stats, f.name) for f in fields(stats)]


@dataclass
class Snapshot:
    """A member's parameters at the end of an epoch, kept until that epoch is scored (buffers, which training
    does not change, are read from the stack then)."""

    position: int
    epoch: int
    params: dict
    bound_params: torch.Tensor


class StackScoring:
    """The scoring half of `loop.StackTrainer`, which it inherits: reads the trainer's samples (`x`, `y`), the
    members' moments (`mu_x`, `sd_x`, `mu_y`, `sd_y`), `stack`, `bound`, `options` and `members`."""

    def _batch(self, data, idx, mu, sd):
        return (data[idx] - mu) / sd

    def _evaluate(self, tasks: list[tuple[Snapshot, Blocks]], keep: list[bool]) -> tuple[np.ndarray, list]:
        """Bound estimate, standard error, bias gap (nats) and fit quality (`_density_fit`) of each (snapshot, set)
        task: shape (tasks, 4); and for the tasks marked in `keep`, the per-sample terms in sorted sample order
        (None for the others).

        Only sets of one block shape are scored together, in chunks of a size fixed by that shape (at most
        EVAL_CHUNK_MAX, holding about eval_floats() scores), a short chunk padded with
        copies of its first task, and with row blocks whose size depends only on the shape: batched matrix
        products may round differently for different batch counts, so this keeps a member's numbers the same
        bits whichever members share its stack. One transfer to the host (and one per chunk with kept terms).
        """
        order = sorted(range(len(tasks)), key=lambda i: tasks[i][1].index.shape)
        out, terms = [None] * len(tasks), [None] * len(tasks)
        for bucket in size_buckets([tasks[i][1].index.shape for i in order]):
            ids = [order[j] for j in bucket]
            width = tasks[ids[0]][1].index.shape[1]
            fitting = eval_floats(self.x.device) // (width * width * self.stack.pair_width)
            chunk = min(EVAL_CHUNK_MAX, max(1, fitting))
            for c in range(0, len(ids), chunk):
                part = ids[c : c + chunk]
                padded = part + part[:1] * (chunk - len(part))
                values, rows = self._evaluate_chunk([tasks[i][0] for i in padded], [tasks[i][1] for i in padded],
                                                    any(keep[i] for i in part))
                rows = None if rows is None else rows.cpu().numpy()
                for k, i in enumerate(part):
                    out[i] = values[k]
                    if keep[i]:
                        terms[i] = in_sample_order(rows[k], tasks[i][1])
        return torch.stack(out).cpu().numpy(), terms

    @torch.no_grad()
    def _evaluate_chunk(self, snaps: list[Snapshot], sets: list[Blocks], with_terms: bool = False):
        """Row statistics are written into tensors made once per chunk: small results kept alive between the
        row blocks' score matrices would fragment the heap, which then grows by a block per block."""
        device = self.x.device
        pos = torch.as_tensor([s.position for s in snaps], device=device, dtype=torch.long)
        weights = {n: torch.stack([s.params[n] for s in snaps]) for n in snaps[0].params}
        weights.update({n: t[pos] for n, t in self.stack.buffers.items()})
        idx = torch.as_tensor(np.stack([s.index.ravel() for s in sets]), device=device)
        xe = self._batch(self.x, idx, self.mu_x[pos], self.sd_x[pos])
        ye = self._batch(self.y, idx, self.mu_y[pos], self.sd_y[pos])
        valid = valid_mask(sets, device)
        stats, row = None, 0
        for b, offset, block in self._score_blocks(weights, xe, ye, sets[0].index.shape):
            part = row_stats(block, offset, None if valid is None else valid[:, b, None], self.bound.off_transform,
                             self.bound.uses_off, self.bound.uses_mean)
            if stats is None:
                stats = RowStats(*(None if v is None else v.new_empty(len(snaps), idx.shape[1]) for v in _values(part)))
            for whole, v in zip(_values(stats), _values(part)):
                if v is not None:
                    whole[:, row : row + v.shape[1]] = v
            row += part.diag.shape[1]
        valid_rows = torch.ones_like(stats.diag, dtype=torch.bool) if valid is None else valid.flatten(1)
        bound_params = torch.stack([s.bound_params for s in snaps])
        log_marginal = self.stack.call("marginal", xe, ye, tensors=weights) if self.bound.needs_density else None
        if log_marginal is not None:
            stats.log_marginal = log_marginal - self._log_scale_y(pos)
        if self.bound.needs_shift:
            stats.shift = self.stack.call("shift", xe, ye, tensors=weights)
        if self.bound.needs_proposals:
            stats.correction = self._corrections(snaps, weights, xe, ye)
        terms = self.bound.rows(stats, bound_params, valid_rows)
        mean, se = row_estimate(terms, valid_rows)
        fit = self._density_fit(stats, log_marginal, valid_rows) if self.bound.selects_on_densities else mean
        values = torch.stack([mean, se, self.bound.gap(stats, bound_params, valid_rows).to(mean.dtype), fit], 1)
        return values, terms.float() if with_terms else None

    def _corrections(self, snaps: list[Snapshot], weights: dict, xe, ye) -> torch.Tensor:
        """The hybrid bound's per-sample corrections (op "proposal"), in row blocks of a size fixed by the options:
        each row scores its proposal_samples - 1 draws through f, so a block holds rows x draws x hidden
        activations per member, about eval_floats() for a full chunk."""
        o, n = self.options, xe.shape[1]
        noise = self._evaluation_noise(snaps, n).to(xe.device)
        width = o.proposal_samples * max(o.hidden_dim, o.embedding_dim, self.y[0].numel())
        rows = max(1, eval_floats(xe.device) // (EVAL_CHUNK_MAX * width))
        return torch.cat([self.stack.call("proposal", xe[:, r : r + rows], ye[:, r : r + rows], tensors=weights,
                                          noise_x=noise[:, r : r + rows], noise_y=noise[:, r : r + rows])
                          for r in range(0, n, rows)], 1)

    def _evaluation_noise(self, snaps: list[Snapshot], n: int) -> torch.Tensor:
        """(snapshots, n, noise_dim) noise for scoring n samples: each member's from its own seed, the same at
        every evaluation (so its curve does not move with fresh draws)."""
        seeds = [int(self.members[s.position].spec.seed) + EVALUATION_NOISE_SEED for s in snaps]
        return torch.stack([torch.randn((n, self.stack.noise_dim), generator=torch.Generator().manual_seed(seed))
                            for seed in seeds])

    @staticmethod
    def _density_fit(stats, log_marginal, valid_rows) -> torch.Tensor:
        """What stopping and selection maximise for a density bound (the bound's value otherwise): the held-out
        log-likelihood of its two densities on standardised Y, mean log q(y|x) + mean log q(y) (its value is no
        bound to maximise, and its maximum comes early, while the marginal density still lags the conditional
        one)."""
        return row_estimate(stats.diag, valid_rows)[0] + 2 * row_estimate(log_marginal, valid_rows)[0]

    def _log_scale_y(self, pos) -> torch.Tensor:
        """log |det| of the standardisation of one Y sample, per member (k, 1): the members' log standard
        deviations summed over the features, times the time points sharing each feature's scale."""
        repeats = math.prod(self.y.shape[1:-1])
        return repeats * torch.log(self.sd_y[pos].double()).flatten(1).sum(-1, keepdim=True).to(self.sd_y.dtype)

    def _score_blocks(self, weights, xe, ye, shape):
        """(block, first row, scores) of each row block of every set block, in row order.

        A set block is scored as a whole in one call when it fits in a row block; otherwise embeddings are
        computed once and rows go in blocks of about eval_floats() / EVAL_MEMBERS scores per set.
        """
        count, width = shape
        rows = max(1, eval_floats(self.x.device) // (EVAL_MEMBERS * width * self.stack.pair_width))
        if count == 1 and rows >= width:
            yield 0, 0, self.stack.call("score", xe, ye, tensors=weights)
            return
        ex, ey = self.stack.call("encode", xe, ye, tensors=weights)
        for b in range(count):
            ey_b = ey[:, b * width : (b + 1) * width]
            for r0 in range(0, width, rows):
                yield b, r0, self.stack.call("pair", ex[:, b * width + r0 : b * width + min(r0 + rows, width)], ey_b,
                                             tensors=weights)
